package dev.bulwark.sink;

import java.util.regex.Pattern;

/**
 * The tenant names Bulwark accepts wherever a name becomes part of an identifier (an Elasticsearch alias, a token's
 * role): lower-case letters, digits, '.', '_' and '-', starting with a letter or digit, at most 63 characters (a
 * Kubernetes label value, lower-cased).
 *
 * <p>Why: alias names have their own grammar and wildcards; a tenant name taken from an event is attacker-influenced
 * and must never be able to name another alias, a pattern, or an index.
 */
public final class TenantNames {

    private static final Pattern VALID = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");

    private TenantNames() {
    }

    /** True when {@code name} is a valid tenant name. */
    public static boolean isValid(String name) {
        return name != null && VALID.matcher(name).matches() && !name.contains("..");
    }

    /**
     * Returns {@code name} if valid.
     *
     * @throws IllegalArgumentException naming the rule otherwise
     */
    public static String require(String name) {
        if (!isValid(name)) {
            throw new IllegalArgumentException("tenant names are 1-63 lower-case letters, digits, '.', '_' or '-', "
                    + "starting with a letter or digit; got " + (name == null ? "null" : '"' + printable(name) + '"'));
        }
        return name;
    }

    private static String printable(String value) {
        String clipped = value.length() > 80 ? value.substring(0, 80) + "..." : value;
        StringBuilder out = new StringBuilder();
        clipped.codePoints().forEach(c -> {
            if (c >= 0x20 && c < 0x7f) {
                out.appendCodePoint(c);
            } else {
                out.append(String.format("\\u%04x", c));
            }
        });
        return out.toString();
    }
}
