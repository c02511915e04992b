package dev.bulwark.detectors.isolation;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.SecurityEvent;

/**
 * Counts the refusals of one identity against one tenant (the record key) in a sliding event-time window and forwards
 * a probing finding when {@code threshold} fall within {@code window}; then stays quiet for that key until the window
 * after the firing has passed, however many refusals follow.
 *
 * <p>Store {@code cross-tenant-access-probing} holds a {@link ProbingWindow} per key. A stream-time punctuator forgets
 * keys with nothing left to count and no suppression running, so identities that stopped probing cost nothing.
 */
final class ProbingProcessor implements Processor<String, SecurityEvent, String, Finding> {

    /** Builds the finding of a firing from the record key, the firing and the refusal that completed it. */
    interface Findings {
        Finding probing(String key, ProbingWindow.Firing firing, SecurityEvent latest);
    }

    private final String storeName;
    private final int threshold;
    private final long window;
    private final long grace;
    private final Findings findings;

    private ProcessorContext<String, Finding> context;
    private KeyValueStore<String, ProbingWindow> store;

    ProbingProcessor(String storeName, int threshold, Duration window, Duration grace, Findings findings) {
        this.storeName = Objects.requireNonNull(storeName, "storeName");
        this.threshold = threshold;
        this.window = window.toMillis();
        this.grace = grace.toMillis();
        this.findings = Objects.requireNonNull(findings, "findings");
    }

    @Override
    public void init(ProcessorContext<String, Finding> context) {
        this.context = context;
        this.store = context.getStateStore(storeName);
        context.schedule(Duration.ofMillis(Math.max(1_000, Math.min(60_000, window))), PunctuationType.STREAM_TIME,
                this::forget);
    }

    @Override
    public void process(Record<String, SecurityEvent> record) {
        SecurityEvent event = record.value();
        long time = Math.floorDiv(event.getTimestamp(), 1_000_000L);
        ProbingWindow before = store.get(record.key());
        ProbingWindow.Step step = (before == null ? ProbingWindow.empty() : before)
                .add(event.getId(), time, threshold, window, grace);
        if (step.window() != before) {
            store.put(record.key(), step.window());
        }
        if (step.firing() != null) {
            Finding finding = findings.probing(record.key(), step.firing(), event);
            context.forward(new Record<>(record.key(), finding, record.timestamp()));
        }
    }

    /** Deletes the keys that can neither count nor suppress any more at stream time {@code now}. */
    void forget(long now) {
        List<String> idle = new ArrayList<>();
        try (KeyValueIterator<String, ProbingWindow> all = store.all()) {
            all.forEachRemaining(entry -> {
                if (entry.value.expired(now, window, grace)) {
                    idle.add(entry.key);
                }
            });
        }
        idle.forEach(store::delete);
    }
}
