package dev.bulwark.sigma;

/**
 * A {@link Glob} compiled for matching, case-insensitive (characters folded with {@link #fold(char)}) unless cased.
 *
 * <p>Why: the hot path of rule evaluation. Exact, prefix, suffix and contains shapes take direct comparisons; other
 * shapes use an iterative wildcard match without backtracking recursion. Nothing is allocated per match. It also
 * names the literal that the prefilter can look for ({@link #prefilterLiteral()}).
 */
final class GlobMatcher {

    private enum Shape { EXACT, PREFIX, SUFFIX, CONTAINS, ANYTHING, GENERAL }

    private final Glob glob;
    private final boolean cased;
    private final char[] chars;
    private final byte[] kinds;
    private final Shape shape;
    /** The literal of the EXACT, PREFIX, SUFFIX and CONTAINS shapes (folded unless cased). */
    private final char[] literal;

    GlobMatcher(Glob glob, boolean cased) {
        this.glob = glob;
        this.cased = cased;
        this.kinds = glob.kinds;
        this.chars = new char[glob.chars.length];
        for (int i = 0; i < chars.length; i++) {
            chars[i] = cased || kinds[i] != Glob.LITERAL ? glob.chars[i] : fold(glob.chars[i]);
        }
        this.shape = shapeOf(kinds);
        this.literal = switch (shape) {
            case EXACT -> chars;
            case PREFIX -> java.util.Arrays.copyOfRange(chars, 0, chars.length - 1);
            case SUFFIX -> java.util.Arrays.copyOfRange(chars, 1, chars.length);
            case CONTAINS -> java.util.Arrays.copyOfRange(chars, 1, chars.length - 1);
            default -> null;
        };
    }

    /** Case folding used everywhere in the engine: one char at a time, so indexes and matchers agree. */
    static char fold(char c) {
        return Character.toLowerCase(c);
    }

    /** Folds a whole string with {@link #fold(char)}. */
    static String fold(String text) {
        char[] folded = new char[text.length()];
        for (int i = 0; i < folded.length; i++) {
            folded[i] = fold(text.charAt(i));
        }
        return new String(folded);
    }

    private static Shape shapeOf(byte[] kinds) {
        int n = kinds.length;
        int anys = 0;
        int ones = 0;
        for (byte kind : kinds) {
            anys += kind == Glob.ANY ? 1 : 0;
            ones += kind == Glob.ONE ? 1 : 0;
        }
        if (ones > 0) {
            return Shape.GENERAL;
        }
        if (anys == 0) {
            return Shape.EXACT;
        }
        if (anys == n) {
            return Shape.ANYTHING;
        }
        if (anys == 1 && kinds[n - 1] == Glob.ANY) {
            return Shape.PREFIX;
        }
        if (anys == 1 && kinds[0] == Glob.ANY) {
            return Shape.SUFFIX;
        }
        if (anys == 2 && kinds[0] == Glob.ANY && kinds[n - 1] == Glob.ANY) {
            return Shape.CONTAINS;
        }
        return Shape.GENERAL;
    }

    /** The pattern this matcher was compiled from. */
    Glob glob() {
        return glob;
    }

    boolean cased() {
        return cased;
    }

    /** True when the pattern has no wildcard: matching is equality. */
    boolean isExact() {
        return shape == Shape.EXACT;
    }

    /**
     * A folded literal that every matching text contains (the whole text for exact patterns; otherwise the longest
     * literal run), or null when there is none (e.g. {@code *}).
     */
    String prefilterLiteral() {
        if (shape == Shape.EXACT) {
            return cased ? fold(new String(chars)) : new String(chars);
        }
        int bestStart = -1;
        int bestLength = 0;
        int i = 0;
        while (i < kinds.length) {
            if (kinds[i] != Glob.LITERAL) {
                i++;
                continue;
            }
            int start = i;
            while (i < kinds.length && kinds[i] == Glob.LITERAL) {
                i++;
            }
            if (i - start > bestLength) {
                bestStart = start;
                bestLength = i - start;
            }
        }
        if (bestLength == 0) {
            return null;
        }
        String run = new String(chars, bestStart, bestLength);
        return cased ? fold(run) : run;
    }

    /** True when {@code text} matches the whole pattern. */
    boolean matches(CharSequence text) {
        switch (shape) {
            case ANYTHING:
                return true;
            case EXACT:
                return text.length() == literal.length && regionMatches(text, 0);
            case PREFIX:
                return text.length() >= literal.length && regionMatches(text, 0);
            case SUFFIX:
                return text.length() >= literal.length && regionMatches(text, text.length() - literal.length);
            case CONTAINS:
                for (int start = 0; start + literal.length <= text.length(); start++) {
                    if (regionMatches(text, start)) {
                        return true;
                    }
                }
                return false;
            default:
                return general(text);
        }
    }

    private boolean regionMatches(CharSequence text, int offset) {
        for (int i = 0; i < literal.length; i++) {
            if (!same(literal[i], text.charAt(offset + i))) {
                return false;
            }
        }
        return true;
    }

    /** 2 for a surrogate pair at {@code index}, else 1 (a lone surrogate is a character of its own). */
    private static int characterLength(CharSequence text, int index) {
        return index + 1 < text.length() && Character.isHighSurrogate(text.charAt(index))
                && Character.isLowSurrogate(text.charAt(index + 1)) ? 2 : 1;
    }

    private boolean same(char patternChar, char textChar) {
        return patternChar == textChar || (!cased && patternChar == fold(textChar));
    }

    /**
     * Iterative wildcard matching: on a mismatch, retry from the last {@code *} one character further. {@code ?} and
     * {@code *} count characters (code points): a character outside the BMP is one {@code ?}, and {@code *} never
     * ends inside one.
     */
    private boolean general(CharSequence text) {
        int p = 0;
        int t = 0;
        int starP = -1;
        int starT = 0;
        int length = text.length();
        while (t < length) {
            if (p < chars.length && kinds[p] == Glob.ONE) {
                p++;
                t += characterLength(text, t);
            } else if (p < chars.length && kinds[p] == Glob.LITERAL && same(chars[p], text.charAt(t))) {
                p++;
                t++;
            } else if (p < chars.length && kinds[p] == Glob.ANY) {
                starP = p++;
                starT = t;
            } else if (starP >= 0) {
                p = starP + 1;
                starT += characterLength(text, starT);
                t = starT;
            } else {
                return false;
            }
        }
        while (p < chars.length && kinds[p] == Glob.ANY) {
            p++;
        }
        return p == chars.length;
    }
}
