package dev.bulwark.schemas;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.Future;

import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

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

    /** Where a consumed record came from, as a dead letter's origin: {@code <topic>-<partition>@<offset>}. */
    public static String origin(String topic, int partition, long offset) {
        return topic + "-" + partition + "@" + offset;
    }

    /** Sends {@code letter} to the dead-letter topic under the original record's key. */
    public static Future<RecordMetadata> send(Producer<String, byte[]> producer, Topics topics, String key,
                                              DeadLetter letter) {
        String name = topics.deadLetters().name();
        return producer.send(new ProducerRecord<>(name, key, topics.deadLetters().valueSerde().serializer()
                .serialize(name, letter)));
    }
}
