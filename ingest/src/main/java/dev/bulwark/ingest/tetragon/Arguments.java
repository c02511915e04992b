package dev.bulwark.ingest.tetragon;

import java.util.ArrayList;
import java.util.List;

/**
 * Tetragon process arguments as argv.
 *
 * <p>Why: ECS {@code process.args} is an array and rules match single arguments ({@code -c}, a URL), but Tetragon
 * exports the arguments as one shell-like string.
 */
final class Arguments {

    private Arguments() {
    }

    /**
     * Splits Tetragon's single {@code arguments} string into argv. Tetragon joins argv with spaces and wraps an
     * argument holding spaces in double quotes, without escaping; so a double quote opens a group only at the start
     * of an argument and only when a matching quote ends an argument later on, otherwise it is a literal character.
     * Never fails: any string splits into some argv.
     */
    static List<String> split(String arguments) {
        List<String> args = new ArrayList<>();
        int length = arguments.length();
        int i = 0;
        while (i < length) {
            while (i < length && Character.isWhitespace(arguments.charAt(i))) {
                i++;
            }
            if (i >= length) {
                break;
            }
            if (arguments.charAt(i) == '"') {
                int close = closingQuote(arguments, i + 1);
                if (close >= 0) {
                    args.add(arguments.substring(i + 1, close));
                    i = close + 1;
                    continue;
                }
            }
            int end = i;
            while (end < length && !Character.isWhitespace(arguments.charAt(end))) {
                end++;
            }
            args.add(arguments.substring(i, end));
            i = end;
        }
        return args;
    }

    /** Index of a {@code "} at or after {@code from} that is followed by whitespace or the end, else -1. */
    private static int closingQuote(String text, int from) {
        for (int i = text.indexOf('"', from); i >= 0; i = text.indexOf('"', i + 1)) {
            if (i + 1 == text.length() || Character.isWhitespace(text.charAt(i + 1))) {
                return i;
            }
        }
        return -1;
    }
}
