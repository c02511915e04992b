package dev.bulwark.sigma;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A Sigma string value: literal characters and the wildcards {@code *} (any run) and {@code ?} (one character).
 *
 * <p>Why: Sigma values are patterns, not plain strings. Parsing applies Sigma's escaping once ({@code \*}, {@code \?}
 * and {@code \\} are literal; any other backslash is itself), and value modifiers (contains, windash, ...) transform
 * the pattern without re-escaping. {@link GlobMatcher} compiles it for matching.
 */
final class Glob {

    static final byte LITERAL = 0;
    static final byte ANY = 1;
    static final byte ONE = 2;

    private static final char[] DASHES = {'-', '/', '\u2013', '\u2014', '\u2015'};

    final char[] chars;
    final byte[] kinds;

    private Glob(char[] chars, byte[] kinds) {
        this.chars = chars;
        this.kinds = kinds;
    }

    /** Parses a value as written in a rule, with Sigma's wildcards and escapes. */
    static Glob parse(String raw) {
        StringBuilder chars = new StringBuilder(raw.length());
        ByteList kinds = new ByteList(raw.length());
        boolean escaped = false;
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (escaped) {
                if (c != '*' && c != '?' && c != '\\') {
                    chars.append('\\');
                    kinds.add(LITERAL);
                }
                chars.append(c);
                kinds.add(LITERAL);
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '*') {
                chars.append(c);
                kinds.add(ANY);
            } else if (c == '?') {
                chars.append(c);
                kinds.add(ONE);
            } else {
                chars.append(c);
                kinds.add(LITERAL);
            }
        }
        if (escaped) {
            chars.append('\\');
            kinds.add(LITERAL);
        }
        return new Glob(chars.toString().toCharArray(), kinds.toArray());
    }

    /** The patterns one after another (each keeps its own wildcards and literals). */
    static Glob concat(List<Glob> parts) {
        int length = 0;
        for (Glob part : parts) {
            length += part.chars.length;
        }
        char[] c = new char[length];
        byte[] k = new byte[length];
        int at = 0;
        for (Glob part : parts) {
            System.arraycopy(part.chars, 0, c, at, part.chars.length);
            System.arraycopy(part.kinds, 0, k, at, part.kinds.length);
            at += part.chars.length;
        }
        return new Glob(c, k);
    }

    /** A pattern that matches exactly {@code text} (no wildcards). */
    static Glob literal(String text) {
        return new Glob(text.toCharArray(), new byte[text.length()]);
    }

    /** True when the pattern has a {@code *} or {@code ?}. */
    boolean hasWildcards() {
        for (byte kind : kinds) {
            if (kind != LITERAL) {
                return true;
            }
        }
        return false;
    }

    /** The literal characters (only meaningful without wildcards). */
    String text() {
        return new String(chars);
    }

    /** This pattern with a {@code *} in front, unless it already starts with one. */
    Glob withLeadingAny() {
        if (kinds.length > 0 && kinds[0] == ANY) {
            return this;
        }
        char[] c = new char[chars.length + 1];
        byte[] k = new byte[kinds.length + 1];
        c[0] = '*';
        k[0] = ANY;
        System.arraycopy(chars, 0, c, 1, chars.length);
        System.arraycopy(kinds, 0, k, 1, kinds.length);
        return new Glob(c, k);
    }

    /** This pattern with a {@code *} at the end, unless it already ends with one. */
    Glob withTrailingAny() {
        if (kinds.length > 0 && kinds[kinds.length - 1] == ANY) {
            return this;
        }
        char[] c = Arrays.copyOf(chars, chars.length + 1);
        byte[] k = Arrays.copyOf(kinds, kinds.length + 1);
        c[chars.length] = '*';
        k[kinds.length] = ANY;
        return new Glob(c, k);
    }

    /**
     * The windash variants: every {@code -} or {@code /} that starts a word (not preceded by a letter or digit,
     * followed by one) is replaced by each of {@code - / – — ―}, in every combination.
     *
     * @param limit most variants allowed
     * @return the variants, or null when there would be more than {@code limit}
     */
    List<Glob> windashVariants(int limit) {
        List<Integer> positions = new ArrayList<>();
        for (int i = 0; i < chars.length; i++) {
            boolean dash = kinds[i] == LITERAL && (chars[i] == '-' || chars[i] == '/');
            boolean wordBefore = i > 0 && kinds[i - 1] == LITERAL && isWordChar(chars[i - 1]);
            boolean wordAfter = i + 1 < chars.length && kinds[i + 1] == LITERAL && isWordChar(chars[i + 1]);
            if (dash && !wordBefore && wordAfter) {
                positions.add(i);
            }
        }
        double count = Math.pow(DASHES.length, positions.size());
        if (count > limit) {
            return null;
        }
        List<Glob> variants = new ArrayList<>((int) count);
        int[] choice = new int[positions.size()];
        for (int n = 0; n < (int) count; n++) {
            char[] c = chars.clone();
            for (int p = 0; p < positions.size(); p++) {
                c[positions.get(p)] = DASHES[choice[p]];
            }
            variants.add(new Glob(c, kinds));
            for (int p = 0; p < choice.length; p++) {
                if (++choice[p] < DASHES.length) {
                    break;
                }
                choice[p] = 0;
            }
        }
        return variants;
    }

    private static boolean isWordChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_';
    }

    /** The pattern in Sigma syntax (wildcards bare, literal wildcard characters and backslashes escaped). */
    @Override
    public String toString() {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < chars.length; i++) {
            char c = chars[i];
            if (kinds[i] == LITERAL && (c == '*' || c == '?' || c == '\\')) {
                text.append('\\');
            }
            text.append(c);
        }
        return text.toString();
    }

    /** Matches an identifier pattern of a condition ({@code selection_*}): only {@code *} is a wildcard. */
    static boolean matchesIdentifier(String pattern, String identifier) {
        char[] c = pattern.toCharArray();
        byte[] k = new byte[c.length];
        for (int i = 0; i < c.length; i++) {
            k[i] = c[i] == '*' ? ANY : LITERAL;
        }
        return new GlobMatcher(new Glob(c, k), true).matches(identifier);
    }

    /** A growable byte array (kinds while parsing). */
    private static final class ByteList {
        private byte[] bytes;
        private int size;

        ByteList(int capacity) {
            bytes = new byte[Math.max(4, capacity)];
        }

        void add(byte b) {
            if (size == bytes.length) {
                bytes = Arrays.copyOf(bytes, size * 2);
            }
            bytes[size++] = b;
        }

        byte[] toArray() {
            return Arrays.copyOf(bytes, size);
        }
    }
}
