package dev.bulwark.ingest;

import java.util.Arrays;
import java.util.function.Consumer;

/** Corrupted variants of a real record for hostile-input tests: prefixes and single-byte replacements. */
public final class RecordMutations {

    /** Bytes that break JSON structure, numbers, strings or UTF-8 when put in place of one byte. */
    private static final byte[] REPLACEMENTS = {'"', '{', ']', ':', ',', '0', 'x', (byte) 0x80, 0};

    private RecordMutations() {
    }

    /**
     * Hands {@code check} every {@code cutStep}-th prefix of {@code bytes}, then the record with one byte replaced by each
     * of {@link #REPLACEMENTS} at every {@code corruptStep}-th position.
     */
    public static void forEach(byte[] bytes, int cutStep, int corruptStep, Consumer<byte[]> check) {
        for (int cut = 0; cut < bytes.length; cut += cutStep) {
            check.accept(Arrays.copyOf(bytes, cut));
        }
        for (int at = 0; at < bytes.length; at += corruptStep) {
            for (byte replacement : REPLACEMENTS) {
                byte[] mutated = bytes.clone();
                mutated[at] = replacement;
                check.accept(mutated);
            }
        }
    }
}
