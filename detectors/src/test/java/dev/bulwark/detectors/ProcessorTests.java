package dev.bulwark.detectors;

import java.util.List;
import java.util.function.Function;

import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.MockProcessorContext.CapturedPunctuator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

import dev.bulwark.detectors.api.FindingBuilder;
import dev.bulwark.detectors.api.Tenants;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.SecurityEvent;

/** Helpers for unit tests of processors with {@link MockProcessorContext}. */
public final class ProcessorTests {

    private ProcessorTests() {
    }

    /**
     * A real in-memory key-value store (no changelog), registered with the context: the store a processor gets by
     * name in {@code init}. A second processor instance initialized with the same context sees the same entries, as a
     * processor restarted over a restored store does.
     */
    public static <K, V> KeyValueStore<K, V> store(MockProcessorContext<?, ?> context, String name, Serde<K> keys,
                                                   Serde<V> values) {
        KeyValueStore<K, V> store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name), keys, values)
                .withLoggingDisabled().build();
        store.init(context.getStateStoreContext(), store);
        context.addStateStore(store);
        return store;
    }

    /** Starts findings as {@code DetectorContext#finding} does for a detector of this name (no static tenants). */
    public static Function<SecurityEvent, FindingBuilder> findings(String detector) {
        return event -> new FindingBuilder(detector, "1", namespace -> Tenants.UNATTRIBUTED, event);
    }

    /** The one punctuator of this type the processor scheduled, not cancelled. */
    public static CapturedPunctuator punctuator(MockProcessorContext<?, ?> context, PunctuationType type) {
        List<CapturedPunctuator> scheduled = context.scheduledPunctuators().stream()
                .filter(p -> p.getType() == type && !p.cancelled()).toList();
        if (scheduled.size() != 1) {
            throw new AssertionError("expected one " + type + " punctuator, got " + scheduled.size());
        }
        return scheduled.get(0);
    }

    /** The findings forwarded so far, in order. */
    public static List<Finding> forwarded(MockProcessorContext<String, Finding> context) {
        return context.forwarded().stream().map(f -> (Finding) f.record().value()).toList();
    }
}
