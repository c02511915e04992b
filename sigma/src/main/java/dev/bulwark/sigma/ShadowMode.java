package dev.bulwark.sigma;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Puts the rule and correlation documents of a rule file in shadow mode, or takes them out, by their top-level
 * {@code shadow} attribute ({@link SigmaRule#SHADOW}).
 *
 * <p>Why text: the rules topic carries each file as its author wrote it (comments, order, licence notes), and that is
 * what {@code rules list} and a later {@code rules push --prune} compare with. Marking adds one line,
 * {@code shadow: true}, at the top of every document ({@code ---} separates documents, as in YAML); unmarking removes
 * exactly the top-level {@code shadow:} lines. The callers parse the result again to check that it means what they
 * asked for.
 */
public final class ShadowMode {

    private static final Pattern SEPARATOR = Pattern.compile("---\\s*(#.*)?");
    private static final Pattern SHADOW_LINE = Pattern.compile(SigmaRule.SHADOW + "\\s*:.*");

    private ShadowMode() {
    }

    /** {@code text} with {@code shadow: true} at the top of each document that has content (any other value replaced). */
    public static String mark(String text) {
        StringBuilder out = new StringBuilder(text.length() + 32);
        for (List<String> document : documents(text)) {
            boolean content = document.stream().anyMatch(ShadowMode::isContent);
            boolean marked = false;
            for (String line : document) {
                if (SHADOW_LINE.matcher(line).matches()) {
                    continue;
                }
                if (content && !marked && isContent(line)) {
                    out.append(SigmaRule.SHADOW).append(": true\n");
                    marked = true;
                }
                out.append(line).append('\n');
            }
        }
        return out.toString();
    }

    /** {@code text} without its top-level {@code shadow:} lines: every document live. */
    public static String unmark(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (List<String> document : documents(text)) {
            for (String line : document) {
                if (!SHADOW_LINE.matcher(line).matches()) {
                    out.append(line).append('\n');
                }
            }
        }
        return out.toString();
    }

    /** True when some rule or correlation of {@code parsed} is in shadow mode. */
    public static boolean anyShadow(ParsedRules parsed) {
        return parsed.rules().stream().anyMatch(SigmaRule::shadow)
                || parsed.correlations().stream().anyMatch(SigmaCorrelation::shadow);
    }

    /** True when every rule and correlation of {@code parsed} is in shadow mode (and there is one). */
    public static boolean allShadow(ParsedRules parsed) {
        return !(parsed.rules().isEmpty() && parsed.correlations().isEmpty())
                && parsed.rules().stream().allMatch(SigmaRule::shadow)
                && parsed.correlations().stream().allMatch(SigmaCorrelation::shadow);
    }

    /** The lines of each document; a separator line starts a new document and stays with it. */
    private static List<List<String>> documents(String text) {
        List<List<String>> documents = new ArrayList<>();
        List<String> current = new ArrayList<>();
        for (String line : text.split("\r?\n", -1)) {
            if (SEPARATOR.matcher(line).matches() && !current.isEmpty()) {
                documents.add(current);
                current = new ArrayList<>();
            }
            current.add(line);
        }
        if (!current.isEmpty() && current.get(current.size() - 1).isEmpty()) {
            current.remove(current.size() - 1); // the split's empty tail after the last newline
        }
        documents.add(current);
        return documents;
    }

    /** A line that holds part of a document: not blank, not a comment, not a separator or directive. */
    private static boolean isContent(String line) {
        String stripped = line.strip();
        return !stripped.isEmpty() && !stripped.startsWith("#") && !SEPARATOR.matcher(line).matches()
                && !line.startsWith("%");
    }
}
