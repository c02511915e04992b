package dev.bulwark.ingest;

import java.util.concurrent.atomic.AtomicLong;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The ingest ledger: records read, records normalized, events acknowledged by Kafka, records dead-lettered, and
 * deliveries that failed.
 *
 * <p>Why: "nothing is lost" must be checkable. After a flush, {@code recordsIn == recordsNormalized + deadLettered}
 * holds, and {@code failed} is zero; the same counts are exported as metrics
 * ({@code bulwark.ingest.records.in}, {@code bulwark.ingest.events.out}, {@code bulwark.ingest.dead.letters}).
 */
public final class IngestStats {

    private final AtomicLong recordsIn = new AtomicLong();
    private final AtomicLong recordsNormalized = new AtomicLong();
    private final AtomicLong eventsOut = new AtomicLong();
    private final AtomicLong contextOut = new AtomicLong();
    private final AtomicLong deadLettered = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final Counter recordsInCounter;
    private final Counter eventsOutCounter;
    private final Counter contextOutCounter;
    private final Counter deadLetterCounter;
    private final Counter failedCounter;

    public IngestStats(MeterRegistry registry, String format) {
        this.recordsInCounter = Counter.builder("bulwark.ingest.records.in").tag("format", format)
                .description("source records read").register(registry);
        this.eventsOutCounter = Counter.builder("bulwark.ingest.events.out").tag("format", format)
                .description("normalized events acknowledged by Kafka").register(registry);
        this.contextOutCounter = Counter.builder("bulwark.ingest.context.out").tag("format", format)
                .description("tenant context updates (incl. deletions) acknowledged by Kafka").register(registry);
        this.deadLetterCounter = Counter.builder("bulwark.ingest.dead.letters").tag("format", format)
                .description("records dead-lettered (acknowledged by Kafka)").register(registry);
        this.failedCounter = Counter.builder("bulwark.ingest.delivery.failures").tag("format", format)
                .description("records Kafka did not acknowledge").register(registry);
    }

    void recordRead() {
        recordsIn.incrementAndGet();
        recordsInCounter.increment();
    }

    void recordNormalized() {
        recordsNormalized.incrementAndGet();
    }

    void eventAcknowledged() {
        eventsOut.incrementAndGet();
        eventsOutCounter.increment();
    }

    void contextUpdateAcknowledged() {
        contextOut.incrementAndGet();
        contextOutCounter.increment();
    }

    void deadLetterAcknowledged() {
        deadLettered.incrementAndGet();
        deadLetterCounter.increment();
    }

    void deliveryFailed() {
        failed.incrementAndGet();
        failedCounter.increment();
    }

    public long recordsIn() {
        return recordsIn.get();
    }

    public long recordsNormalized() {
        return recordsNormalized.get();
    }

    public long eventsOut() {
        return eventsOut.get();
    }

    public long contextUpdatesOut() {
        return contextOut.get();
    }

    public long deadLettered() {
        return deadLettered.get();
    }

    public long failed() {
        return failed.get();
    }

    /** True when every record read is accounted for as normalized or dead-lettered and nothing failed. */
    public boolean balanced() {
        return failed.get() == 0 && recordsIn.get() == recordsNormalized.get() + deadLettered.get();
    }

    @Override
    public String toString() {
        String context = contextOut.get() > 0 ? " and " + contextOut.get() + " context updates" : "";
        return String.format("%d records read: %d normalized into %d events%s, %d dead-lettered%s",
                recordsIn(), recordsNormalized(), eventsOut(), context, deadLettered(),
                failed() > 0 ? ", " + failed() + " NOT DELIVERED" : "");
    }
}
