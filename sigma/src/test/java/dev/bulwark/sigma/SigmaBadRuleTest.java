package dev.bulwark.sigma;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;

import org.junit.jupiter.api.Test;

/** Rules that must be refused, each with file, line and reason. */
class SigmaBadRuleTest {

    private final SigmaEngine engine = SigmaEngine.create();

    private RuleProblem skip(String yaml) {
        return SigmaTestSupport.failure(engine, "bad.yml", yaml);
    }

    @Test
    void yamlSyntaxErrorNamesFileLineAndProblem() {
        RuleProblem problem = skip("""
                title: Broken
                logsource:
                    product: linux
                detection:
                    selection:
                        Image: [unclosed
                    condition: selection
                """);
        assertThat(problem.location().file()).isEqualTo("bad.yml");
        assertThat(problem.location().line()).isEqualTo(7);
        assertThat(problem.reason()).startsWith("invalid YAML: ").contains("flow sequence");
        assertThat(problem.toString()).startsWith("bad.yml:7:");
    }

    @Test
    void unknownModifierNamesTheKeyLine() {
        RuleProblem problem = skip(SigmaTestSupport.processRule("""
                selection:
                    Image|endswit: '/nc'
                condition: selection
                """));
        assertThat(problem.location().line()).isEqualTo(10);
        assertThat(problem.reason()).contains("unknown modifier 'endswit' in 'Image|endswit'");
    }

    @Test
    void timeModifierValueOutOfRangeNamesTheRange() {
        RuleProblem problem = skip(SigmaTestSupport.processRule("""
                selection:
                    Image|hour: 24
                condition: selection
                """));
        assertThat(problem.location().line()).isEqualTo(10);
        assertThat(problem.reason()).contains("'Image|hour' needs a whole number from 0 to 23, not '24'");
    }

    @Test
    void badRegexNamesTheValueLine() {
        RuleProblem problem = skip(SigmaTestSupport.processRule("""
                selection:
                    CommandLine|re:
                        - 'fine.*'
                        - '(unclosed'
                condition: selection
                """));
        assertThat(problem.location().line()).isEqualTo(12);
        assertThat(problem.reason()).contains("invalid regular expression '(unclosed'");
    }

    @Test
    void backreferencesAreRefusedBecauseRe2HasNone() {
        RuleProblem problem = skip(SigmaTestSupport.processRule("""
                selection:
                    CommandLine|re: '(a)\\1'
                condition: selection
                """));
        assertThat(problem.reason()).contains("invalid regular expression");
    }

    @Test
    void unknownConditionIdentifierNamesPosition() {
        RuleProblem problem = skip(SigmaTestSupport.processRule("""
                selection:
                    Image|endswith: '/nc'
                condition: selection and not filter
                """));
        assertThat(problem.location().line()).isEqualTo(11);
        assertThat(problem.reason()).contains("position 19").contains("unknown search identifier 'filter'");
    }

    @Test
    void wrongTypesAreRefusedWithTheirLine() {
        assertThat(skip("""
                title: [not, a, string]
                logsource: {product: linux, category: process_creation}
                detection: {selection: {Image: x}, condition: selection}
                """).reason()).isEqualTo("'title' must be a string, not a list");
        RuleProblem detection = skip("""
                title: Detection is text
                logsource: {product: linux, category: process_creation}
                detection: selection
                """);
        assertThat(detection.location().line()).isEqualTo(3);
        assertThat(detection.reason()).isEqualTo("'detection' must be a map, not a string");
        assertThat(skip("""
                title: Bad level
                level: severe
                logsource: {product: linux, category: process_creation}
                detection: {selection: {Image: x}, condition: selection}
                """).reason()).contains("'level' must be one of informational, low, medium, high, critical");
        assertThat(skip("""
                title: Nested value
                logsource: {product: linux, category: process_creation}
                detection:
                    selection:
                        Image: {nested: map}
                    condition: selection
                """).reason()).contains("the value of 'Image' must be a scalar or a list of scalars, but has a map");
        assertThat(skip("""
                title: Exists needs a boolean
                logsource: {product: linux, category: process_creation}
                detection:
                    selection:
                        Image|exists: yes please
                    condition: selection
                """).reason()).contains("'Image|exists' needs exactly one value, true or false");
        assertThat(skip("""
                title: Number needed
                logsource: {product: linux, category: process_creation}
                detection:
                    selection:
                        ProcessId|gt: many
                    condition: selection
                """).reason()).contains("'ProcessId|gt' needs a number, not 'many'");
        assertThat(skip("""
                title: Bad network
                logsource: {product: linux, category: network_connection}
                detection:
                    selection:
                        DestinationIp|cidr: 10.0.0.0/33
                    condition: selection
                """).reason()).contains("invalid prefix length");
    }

    @Test
    void missingMandatoryPartsAreRefused() {
        assertThat(skip("""
                logsource: {product: linux}
                detection: {selection: {Image: x}, condition: selection}
                """).reason()).isEqualTo("the rule has no 'title'");
        assertThat(skip("""
                title: No condition
                logsource: {product: linux, category: process_creation}
                detection: {selection: {Image: x}}
                """).reason()).isEqualTo("the detection has no 'condition'");
        assertThat(skip("""
                title: No logsource
                detection: {selection: {Image: x}, condition: selection}
                """).reason()).isEqualTo("the rule has no 'logsource'");
    }

    @Test
    void invalidModifierCombinationsAreRefused() {
        assertThat(skip(SigmaTestSupport.processRule("""
                selection:
                    CommandLine|re|contains: 'x'
                condition: selection
                """)).reason()).contains("'re' cannot be combined with 'contains'");
        assertThat(skip(SigmaTestSupport.processRule("""
                selection:
                    CommandLine|contains|startswith: 'x'
                condition: selection
                """)).reason()).contains("only one of contains, startswith and endswith");
        assertThat(skip(SigmaTestSupport.processRule("""
                selection:
                    CommandLine|i: 'x'
                condition: selection
                """)).reason()).contains("'i' only applies to 're'");
        assertThat(skip(SigmaTestSupport.processRule("""
                selection:
                    CommandLine|base64: 'x*'
                condition: selection
                """)).reason()).contains("a value with wildcards cannot be base64 encoded");
    }

    @Test
    void unmappedLogsourceIsRefusedWithReasonWhenCompiledAlone() {
        // Loading calls such a rule not applicable (SigmaRuleClassificationTest); a rules record holding it is refused.
        assertThatThrownBy(() -> engine.compile(engine.loader().parseRule("bad.yml", """
                title: Windows rule
                logsource: {product: windows, category: process_creation}
                detection: {selection: {Image: 'C:\\x.exe'}, condition: selection}
                """))).isInstanceOf(SigmaRuleException.class)
                .hasMessageContaining("no field mapping serves logsource product=windows category=process_creation");
    }

    @Test
    void duplicateKeysAndDuplicateIdsAreRefused() {
        assertThat(skip("""
                title: Twice
                title: Again
                logsource: {product: linux, category: process_creation}
                detection: {selection: {Image: x}, condition: selection}
                """).reason()).isEqualTo("duplicate key 'title' (first at line 1)");
        LoadReport report = engine.loadSources(java.util.Map.of("two.yml", SigmaTestSupport.processRule("""
                selection: {Image: x}
                condition: selection
                """) + "---\n" + SigmaTestSupport.processRule("""
                selection: {Image: y}
                condition: selection
                """)));
        assertThat(report.loaded()).hasSize(1);
        assertThat(report.skipped()).singleElement().satisfies(p -> {
            assertThat(p.reason()).contains("duplicate rule key 'test-rule' (first defined at two.yml:1:1)");
            assertThat(p.location().line()).isEqualTo(12);
        });
    }

    @Test
    void aliasBombIsRefusedQuickly() {
        StringBuilder bomb = new StringBuilder("title: lol\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        for (char c = 'b'; c <= 'j'; c++) {
            char previous = (char) (c - 1);
            bomb.append(c).append(": &").append(c).append(" [*").append(previous);
            bomb.append((",*" + previous).repeat(8)).append("]\n");
        }
        long start = System.nanoTime();
        RuleProblem problem = skip(bomb.toString());
        assertThat(problem.reason()).isEqualTo("YAML anchors (&a) are not allowed in rules");
        assertThat(problem.location().line()).isEqualTo(2);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("refused without expanding").isLessThan(Duration.ofSeconds(5));
        assertThat(skip("title: x\nlogsource: *ref\n").reason()).isEqualTo("YAML aliases (*ref) are not allowed in rules");
    }

    @Test
    void hugeNestingIsRefused() {
        String deep = "title: deep\nx: " + "[".repeat(10_000) + "]".repeat(10_000) + "\n";
        RuleProblem problem = skip(deep);
        assertThat(problem.reason()).containsAnyOf("nesting deeper than", "exceeds the maximum");
    }

    @Test
    void hugeFileIsRefused() {
        String big = "title: big\ndescription: '" + "x".repeat(SafeYaml.MAX_CHARS) + "'\n";
        assertThat(skip(big).reason()).startsWith("file is too large");
    }

    @Test
    void parseRuleThrowsWithLocation() {
        SigmaRuleLoader loader = new SigmaRuleLoader();
        assertThatThrownBy(() -> loader.parseRule("topic/rule-42", "title: x\nlogsource: {product: linux}\n"))
                .isInstanceOfSatisfying(SigmaRuleException.class, e -> {
                    assertThat(e.file()).isEqualTo("topic/rule-42");
                    assertThat(e.getMessage()).isEqualTo("topic/rule-42:1:1: the rule has no 'detection'");
                });
    }
}
