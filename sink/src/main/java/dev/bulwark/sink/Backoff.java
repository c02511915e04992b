package dev.bulwark.sink;

import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;

/**
 * How the sinks wait while Elasticsearch cannot take a batch: paused, in the consumer group, with exponential backoff.
 *
 * <p>Why one place: a wait that polls must not lose what a rebalance hands over meanwhile; both sinks wait the same way.
 */
final class Backoff {

    /** The longest wait between two attempts. */
    static final Duration MAX = Duration.ofSeconds(30);

    private Backoff() {
    }

    /** The wait after {@code backoff}: twice as long, at most {@link #MAX}. */
    static Duration next(Duration backoff) {
        Duration doubled = backoff.multipliedBy(2);
        return doubled.compareTo(MAX) > 0 ? MAX : doubled;
    }

    /**
     * Waits {@code backoff} while staying in the consumer group: the partitions are paused, so polls return nothing;
     * partitions assigned during the wait are not paused, so what they return is rewound and they are paused too.
     */
    static void waitPaused(Consumer<String, byte[]> consumer, Duration backoff, BooleanSupplier running) {
        var paused = consumer.assignment();
        consumer.pause(paused);
        try {
            long deadline = System.nanoTime() + backoff.toNanos();
            while (running.getAsBoolean() && System.nanoTime() < deadline) {
                ConsumerRecords<String, byte[]> unexpected = consumer.poll(Duration.ofMillis(
                        Math.max(1, Math.min(500, (deadline - System.nanoTime()) / 1_000_000))));
                for (TopicPartition partition : unexpected.partitions()) {
                    consumer.seek(partition, unexpected.records(partition).get(0).offset());
                    consumer.pause(List.of(partition));
                }
            }
        } finally {
            consumer.resume(consumer.assignment());
        }
    }
}
