package dev.bulwark.schemas;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Builds {@link DeadLetter} records with a bounded copy of the original bytes.
 *
 * <p>Why: a dead letter must keep the original input, but a hostile multi-megabyte line cannot be put on Kafka whole;
 * the first {@link #MAX_ORIGINAL_BYTES} bytes are kept and {@code truncated}/{@code original_size} say so.
 */
public final class DeadLetters {

    /** Largest original payload kept in one dead letter. */
    public static final int MAX_ORIGINAL_BYTES = 256 * 1024;

    private DeadLetters() {
    }

    /** A dead letter for {@code original} rejected at {@code stage} for {@code error}. */
    public static DeadLetter of(byte[] original, String sourceFormat, String origin, String stage, String error) {
        byte[] bytes = original == null ? new byte[0] : original;
        boolean truncated = bytes.length > MAX_ORIGINAL_BYTES;
        byte[] kept = truncated ? Arrays.copyOf(bytes, MAX_ORIGINAL_BYTES) : bytes;
        return DeadLetter.newBuilder()
                .setOriginal(ByteBuffer.wrap(kept))
                .setOriginalSize(bytes.length)
                .setTruncated(truncated)
                .setSourceFormat(sourceFormat == null ? "unknown" : sourceFormat)
                .setOrigin(origin)
                .setStage(stage)
                .setError(error == null || error.isBlank() ? "unknown error" : error)
                .setTime(System.currentTimeMillis())
                .build();
    }
}
