package dev.bulwark.sigma;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

/** The prefilter indexes agree with a naive search, including case folding and overlapping literals. */
class SigmaPrefilterIndexTest {

    private static final String ALPHABET = "abAB/-.";

    @Test
    void ahoCorasickMarksExactlyTheRulesWhoseLiteralTheTextContains() {
        Random random = new Random(42);
        for (int round = 0; round < 200; round++) {
            Map<String, int[]> literals = new HashMap<>();
            List<String> byRule = new ArrayList<>();
            for (int rule = 0; rule < 20; rule++) {
                String literal = GlobMatcher.fold(randomText(random, 1 + random.nextInt(4)));
                byRule.add(literal);
                int[] old = literals.getOrDefault(literal, new int[0]);
                int[] grown = java.util.Arrays.copyOf(old, old.length + 1);
                grown[old.length] = rule;
                literals.put(literal, grown);
            }
            AhoCorasick automaton = new AhoCorasick(literals);
            FoldedStringTable table = new FoldedStringTable(literals);
            for (int probe = 0; probe < 20; probe++) {
                String text = randomText(random, random.nextInt(12));
                RuleBits marked = new RuleBits(byRule.size());
                automaton.scan(text, marked);
                int[] exact = table.get(text);
                for (int rule = 0; rule < byRule.size(); rule++) {
                    String literal = byRule.get(rule);
                    boolean contained = GlobMatcher.fold(text).contains(literal);
                    assertThat(marked.next(rule) == rule).as("'%s' in '%s'", literal, text).isEqualTo(contained);
                    boolean equal = GlobMatcher.fold(text).equals(literal);
                    int wanted = rule;
                    boolean listed = exact != null && java.util.Arrays.stream(exact).anyMatch(r -> r == wanted);
                    assertThat(listed).as("exact '%s' vs '%s'", literal, text).isEqualTo(equal);
                }
            }
        }
    }

    @Test
    void globMatcherAgreesWithRegexOnRandomPatterns() {
        Random random = new Random(7);
        for (int round = 0; round < 2000; round++) {
            StringBuilder raw = new StringBuilder();
            StringBuilder regex = new StringBuilder("(?s)(?iu)");
            for (int i = random.nextInt(6); i >= 0; i--) {
                int pick = random.nextInt(10);
                if (pick == 0) {
                    raw.append('*');
                    regex.append(".*");
                } else if (pick == 1) {
                    raw.append('?');
                    regex.append('.');
                } else {
                    char c = ALPHABET.charAt(random.nextInt(ALPHABET.length()));
                    raw.append(c);
                    regex.append(java.util.regex.Pattern.quote(String.valueOf(c)));
                }
            }
            GlobMatcher glob = new GlobMatcher(Glob.parse(raw.toString()), false);
            java.util.regex.Pattern expected = java.util.regex.Pattern.compile(regex.toString());
            for (int probe = 0; probe < 5; probe++) {
                String text = randomText(random, random.nextInt(8));
                assertThat(glob.matches(text)).as("'%s' ~ '%s'", raw, text).isEqualTo(expected.matcher(text).matches());
                if (glob.matches(text) && glob.prefilterLiteral() != null) {
                    assertThat(GlobMatcher.fold(text)).contains(glob.prefilterLiteral());
                }
            }
        }
    }

    private static String randomText(Random random, int length) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < length; i++) {
            text.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
        }
        return text.toString();
    }
}
