package dev.bulwark.sigma;

/**
 * The rules of one group marked as prefilter candidates for one event; the bit array is allocated on the first mark,
 * so an event that hits no literal allocates nothing here.
 *
 * <p>Why: the sink of the prefilter indexes; confined to one {@code match} call, so it needs no synchronization.
 */
final class RuleBits {

    private final int size;
    private long[] bits;

    RuleBits(int size) {
        this.size = size;
    }

    void mark(int[] rules) {
        if (bits == null) {
            bits = new long[(size + 63) >>> 6];
        }
        for (int rule : rules) {
            bits[rule >>> 6] |= 1L << rule;
        }
    }

    void mark(int rule) {
        if (bits == null) {
            bits = new long[(size + 63) >>> 6];
        }
        bits[rule >>> 6] |= 1L << rule;
    }

    boolean isEmpty() {
        return bits == null;
    }

    /** The next marked rule at or after {@code from}, or -1. */
    int next(int from) {
        if (bits == null || from >= size) {
            return -1;
        }
        int word = from >>> 6;
        long current = bits[word] & (-1L << from);
        while (true) {
            if (current != 0) {
                int index = (word << 6) + Long.numberOfTrailingZeros(current);
                return index < size ? index : -1;
            }
            if (++word == bits.length) {
                return -1;
            }
            current = bits[word];
        }
    }
}
