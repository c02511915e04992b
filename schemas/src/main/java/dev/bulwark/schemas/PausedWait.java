package dev.bulwark.schemas;

import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;

/**
 * How a consumer that commits only after delivery waits while its destination cannot take a batch (Elasticsearch for
 * the sinks, a receiver for the notifier): paused, polling, so it stays in its consumer group.
 *
 * <p>Why one place: a wait that polls must not lose what a rebalance hands over meanwhile.
 */
public final class PausedWait {

    private PausedWait() {
    }

    /**
     * Waits {@code wait} while staying in the consumer group: the partitions are paused, so polls return nothing;
     * partitions assigned during the wait are not paused, so what they return is rewound and they are paused too.
     * Returns early once {@code running} turns false.
     */
    public static <K, V> void waitPaused(Consumer<K, V> consumer, Duration wait, BooleanSupplier running) {
        consumer.pause(consumer.assignment());
        try {
            long deadline = System.nanoTime() + wait.toNanos();
            while (running.getAsBoolean() && System.nanoTime() < deadline) {
                ConsumerRecords<K, V> unexpected = consumer.poll(Duration.ofMillis(
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
