package dev.bulwark.sink;

import java.time.Duration;
import java.util.function.BooleanSupplier;

import org.apache.kafka.clients.consumer.Consumer;

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

    /** Waits {@code backoff} paused, in the consumer group ({@link dev.bulwark.schemas.PausedWait}). */
    static void waitPaused(Consumer<String, byte[]> consumer, Duration backoff, BooleanSupplier running) {
        dev.bulwark.schemas.PausedWait.waitPaused(consumer, backoff, running);
    }
}
