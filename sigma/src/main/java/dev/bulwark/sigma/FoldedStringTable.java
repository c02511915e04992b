package dev.bulwark.sigma;

import java.util.Map;

/**
 * An immutable hash table from case-folded strings to rule indexes, looked up with any {@link CharSequence} without
 * folding it into a new string first.
 *
 * <p>Why: the exact-value index of the prefilter. Each field value of an event is looked up once per field, so the
 * lookup must not allocate; folding happens while hashing and comparing ({@link GlobMatcher#fold(char)}).
 */
final class FoldedStringTable {

    private final String[] keys;
    private final int[][] values;
    private final int mask;

    /** @param entries folded keys to rule indexes */
    FoldedStringTable(Map<String, int[]> entries) {
        int capacity = Integer.highestOneBit(Math.max(4, entries.size() * 2 - 1)) << 1;
        keys = new String[capacity];
        values = new int[capacity][];
        mask = capacity - 1;
        for (Map.Entry<String, int[]> entry : entries.entrySet()) {
            int slot = hash(entry.getKey()) & mask;
            while (keys[slot] != null) {
                slot = (slot + 1) & mask;
            }
            keys[slot] = entry.getKey();
            values[slot] = entry.getValue();
        }
    }

    /** The rule indexes for the folded form of {@code text}, or null. */
    int[] get(CharSequence text) {
        int slot = hash(text) & mask;
        String key;
        while ((key = keys[slot]) != null) {
            if (equalsFolded(key, text)) {
                return values[slot];
            }
            slot = (slot + 1) & mask;
        }
        return null;
    }

    private static int hash(CharSequence text) {
        int h = 0;
        for (int i = 0; i < text.length(); i++) {
            h = 31 * h + GlobMatcher.fold(text.charAt(i));
        }
        return h ^ (h >>> 16);
    }

    private static boolean equalsFolded(String folded, CharSequence text) {
        if (folded.length() != text.length()) {
            return false;
        }
        for (int i = 0; i < folded.length(); i++) {
            if (folded.charAt(i) != GlobMatcher.fold(text.charAt(i))) {
                return false;
            }
        }
        return true;
    }
}
