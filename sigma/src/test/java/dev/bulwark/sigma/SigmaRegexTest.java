package dev.bulwark.sigma;

import static dev.bulwark.sigma.SigmaTestSupport.exec;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * The {@code re} modifier as the specification defines it: "The supported flavor is PCRE", matched case-sensitively
 * unless {@code i}; {@code m}: "{@code ^}/{@code $} match the start/end of line"; {@code s}: "dot ({@code .}) matches
 * all characters, including the newline character". Where PCRE (UTF mode, newline LF) and the engine's linear-time
 * matcher would disagree, the rule must be refused at load instead of matching differently.
 */
class SigmaRegexTest {

    private static boolean fires(String modifiers, String regex, String commandLine) {
        String detection = "selection:\n    CommandLine|re" + modifiers + ": '" + regex + "'\ncondition: selection\n";
        return SigmaTestSupport.fires(detection, exec("/bin/sh", commandLine));
    }

    private static String refusal(String modifiers, String regex) {
        String yaml = SigmaTestSupport.processRule("selection:\n    CommandLine|re" + modifiers + ": '" + regex
                + "'\ncondition: selection\n");
        LoadReport report = SigmaEngine.create().loadSources(Map.of("re.yml", yaml));
        assertThat(report.skipped()).as("'%s' with '%s' must be refused", regex, modifiers).hasSize(1);
        return report.skipped().get(0).reason();
    }

    // ---------------------------------------------------------------- anchors

    @Test
    void dollarMatchesAtTheEndAndBeforeANewlineThatEndsTheText() {
        assertThat(fires("", "/bin/sh$", "exec /bin/sh")).isTrue();
        assertThat(fires("", "/bin/sh$", "exec /bin/sh\n")).as("PCRE: before a final newline").isTrue();
        assertThat(fires("", "/bin/sh$", "exec /bin/sh\n\n")).as("not before an earlier newline").isFalse();
        assertThat(fires("", "/bin/sh$", "exec /bin/sh\nid")).isFalse();
        assertThat(fires("", "/bin/sh$", "exec /bin/sh\r\n")).as("the newline is LF only").isFalse();
        assertThat(fires("", "^(sh|bash)$", "bash\n")).isTrue();
        assertThat(fires("", "(^[a-z]{4}$)|(^[a-z]{8}$)", "abcdefgh\n")).isTrue();
    }

    @Test
    void capitalZMatchesLikeDollarAndLowerZOnlyAtTheVeryEnd() {
        assertThat(fires("", "/bin/sh\\Z", "exec /bin/sh\n")).isTrue();
        assertThat(fires("", "/bin/sh\\Z", "exec /bin/sh\n\n")).isFalse();
        assertThat(fires("", "/bin/sh\\z", "exec /bin/sh")).isTrue();
        assertThat(fires("", "/bin/sh\\z", "exec /bin/sh\n")).isFalse();
    }

    @Test
    void caretWithoutMultilineMatchesOnlyAtTheStart() {
        assertThat(fires("", "^id", "id -u")).isTrue();
        assertThat(fires("", "^id", "echo\nid -u")).isFalse();
    }

    @Test
    void multilineCaretAndDollarMatchAtEveryLine() {
        assertThat(fires("|m", "^id$", "echo\nid\necho")).isTrue();
        assertThat(fires("|m", "^id$", "echo\nid\n")).isTrue();
        assertThat(fires("|m", "^id$", "echo id\n")).isFalse();
        assertThat(fires("", "(?m)^id$", "echo\nid\necho")).as("inline (?m)").isTrue();
        assertThat(fires("", "(?m:^id)$", "echo\nid\necho")).as("$ outside the (?m:) group").isFalse();
    }

    // ---------------------------------------------------------------- dot, case, classes

    @Test
    void dotMatchesEverythingButLinefeedUnlessDotall() {
        assertThat(fires("", "a.b", "a\rb")).isTrue();
        assertThat(fires("", "a.b", "a\nb")).isFalse();
        assertThat(fires("|s", "a.b", "a\nb")).isTrue();
        assertThat(fires("", "(?s)a.b", "a\nb")).isTrue();
        assertThat(fires("", "a.b", "a\uD83D\uDE00b")).as("one dot, one code point").isTrue();
    }

    @Test
    void caseInsensitiveFoldsUnicodeLetters() {
        assertThat(fires("|i", "ÉCOLE", "cd /tmp/école")).isTrue();
        assertThat(fires("|i", "[A-Z]+ -c", "sh -c")).isTrue();
        assertThat(fires("", "ÉCOLE", "cd /tmp/école")).isFalse();
        assertThat(fires("", "(?i)ÉCOLE", "cd /tmp/école")).isTrue();
    }

    @Test
    void whitespaceShorthandIncludesVerticalTabAsInPcre() {
        assertThat(fires("", "a\\sb", "a\u000Bb")).isTrue();
        assertThat(fires("", "a[\\s,]b", "a\u000Bb")).isTrue();
        assertThat(fires("", "a[^\\s]b", "a\u000Bb")).isFalse();
        assertThat(fires("", "a\\Sb", "a\u000Bb")).isFalse();
        assertThat(fires("", "a\\Sb", "a-b")).isTrue();
    }

    @Test
    void verticalAndHorizontalWhitespaceShorthandsAreClassesAsInPcre() {
        assertThat(fires("", "a\\vb", "a\nb")).isTrue();
        assertThat(fires("", "a\\vb", "a\u000Bb")).isTrue();
        assertThat(fires("", "a\\vb", "a b")).isFalse();
        assertThat(fires("", "a\\hb", "a\tb")).isTrue();
        assertThat(fires("", "a\\hb", "a\u00A0b")).isTrue();
        assertThat(fires("", "a\\hb", "a\nb")).isFalse();
        assertThat(fires("", "a\\Vb", "a b")).isTrue();
        assertThat(fires("", "a\\Hb", "a b")).isFalse();
    }

    @Test
    void escapesWrittenTheWaysPcreAllows() {
        assertThat(fires("", "\\x41\\x{42}\\x9", "AB\t")).isTrue();
        assertThat(fires("", "a\\Q.*\\Eb", "a.*b")).isTrue();
        assertThat(fires("", "a\\Q.*\\Eb", "axxb")).isFalse();
        assertThat(fires("", "\\$\\{env:", "${env:PATH}")).isTrue();
        assertThat(fires("", "x{2,}", "xx")).isTrue();
        assertThat(fires("", "x{2,}", "x")).isFalse();
        assertThat(fires("", "a{x}", "a{x}")).as("not a quantifier: literal").isTrue();
        assertThat(fires("", "(?<name>ab)+c", "ababc")).isTrue();
        assertThat(fires("", "(?P<name>ab)(?''other''c)", "abc")).as("'' is a quote in YAML").isTrue();
        assertThat(fires("", "[[:digit:]]{3}[[:^alpha:]]", "123-")).isTrue();
        assertThat(fires("", "[[:digit:]]{3}[[:^alpha:]]", "123a")).isFalse();
        assertThat(fires("", "\\p{Lu}\\p{Ll}", "x Ég")).isTrue();
        assertThat(fires("", "\\p{Lu}\\p{Ll}", "x éG")).isFalse();
        assertThat(fires("", "a\\eb", "a\u001Bb")).isTrue();
        assertThat(fires("", "(?U)a+b", "aab")).as("ungreedy: the same texts match").isTrue();
        assertThat(fires("|i", "A(?-i)B", "aB")).isTrue();
        assertThat(fires("|i", "A(?-i)B", "ab")).isFalse();
        assertThat(fires("", "(?i:A)B", "aB")).isTrue();
        assertThat(fires("", "(?i:A)B", "ab")).isFalse();
    }

    // ---------------------------------------------------------------- refused: cannot be matched as PCRE would

    @ParameterizedTest(name = "{0} {1}: {2}")
    @CsvSource(delimiter = '~', quoteCharacter = '"', value = {
            "-    ~ (?=x)y            ~ lookahead",
            "-    ~ (?!x)y            ~ lookahead",
            "-    ~ (?<=x)y           ~ lookbehind",
            "-    ~ (?<!x)y           ~ lookbehind",
            "-    ~ (a)\\1            ~ backreference",
            "-    ~ (?<n>a)\\k<n>     ~ backreference",
            "-    ~ (?>ab|a)b         ~ atomic",
            "-    ~ a++b              ~ possessive",
            "-    ~ (?(1)a|b)         ~ conditional",
            "-    ~ (a|b(?R))         ~ recursion",
            "-    ~ (?x) a b          ~ '(?x)'",
            "-    ~ (*UTF)a           ~ verb",
            "-    ~ a\\Rb             ~ '\\R'",
            "-    ~ a\\Kb             ~ '\\K'",
            "-    ~ \\Ga              ~ '\\G'",
            "-    ~ a{,3}             ~ '{,3}'",
            "-    ~ sh$\\s            ~ '$'",
            "-    ~ (sh$|x)y          ~ '$'",
            "-    ~ (sh$)+            ~ '$'",
            "|m   ~ ^$                ~ '^'",
            "|m   ~ ^\\s*$            ~ '^'",
            "-    ~ (?m)^x*           ~ '^'",
            "-    ~ a[\\S]            ~ '\\S' in a character class",
            "-    ~ (?#note)a         ~ comment",
    })
    void constructsThatWouldMatchDifferentlyAreRefusedAtLoad(String modifiers, String regex, String named) {
        String reason = refusal(modifiers.equals("-") ? "" : modifiers, regex);
        assertThat(reason).contains("invalid regular expression").contains(named);
    }

    @Test
    void aMultilineCaretFollowedBySomethingThatConsumesIsSupported() {
        assertThat(fires("|m", "^id", "echo\nid")).isTrue();
        assertThat(fires("|m", "^id", "echo\n")).isFalse();
        assertThat(fires("|m", "^(id|whoami)\\b", "x\nwhoami -a")).isTrue();
    }
}
