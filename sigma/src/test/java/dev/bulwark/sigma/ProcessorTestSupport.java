package dev.bulwark.sigma;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.Punctuator;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * Real in-memory stores and punctuators for the processor tests with {@link MockProcessorContext}: the processors
 * run as in a task (their state goes through the production serdes), while the test drives time and punctuation.
 */
final class ProcessorTestSupport {

    private ProcessorTestSupport() {
    }

    /** A context of the task for partition {@code partition} of the events. */
    static <K, V> MockProcessorContext<K, V> context(int partition) {
        Properties config = new Properties();
        config.put(StreamsConfig.APPLICATION_ID_CONFIG, "sigma-processor-test");
        config.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "dummy:9092");
        MockProcessorContext<K, V> context = new MockProcessorContext<>(config, new TaskId(0, partition), null);
        context.setCurrentStreamTimeMs(0L); // no event seen yet; tests move it as records would
        return context;
    }

    /** A store named {@code name} with these serdes, initialized and added to {@code context}. */
    static <K, V> KeyValueStore<K, V> store(MockProcessorContext<?, ?> context, String name, Serde<K> keys,
                                            Serde<V> values) {
        return store(context, name, keys, values, Stores.inMemoryKeyValueStore(name).get());
    }

    /** A store over {@code bytes} (to look at or plant raw records), initialized and added to {@code context}. */
    static <K, V> KeyValueStore<K, V> store(MockProcessorContext<?, ?> context, String name, Serde<K> keys,
                                            Serde<V> values, KeyValueStore<Bytes, byte[]> bytes) {
        KeyValueBytesStoreSupplier supplier = new KeyValueBytesStoreSupplier() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public KeyValueStore<Bytes, byte[]> get() {
                return bytes;
            }

            @Override
            public String metricsScope() {
                return "in-memory";
            }
        };
        KeyValueStore<K, V> store = Stores.keyValueStoreBuilder(supplier, keys, values).withLoggingDisabled().build();
        store.init(context.getStateStoreContext(), store);
        context.addStateStore(store);
        return store;
    }

    /** Every entry of a store, in key order. */
    static <K, V> List<KeyValue<K, V>> contents(KeyValueStore<K, V> store) {
        List<KeyValue<K, V>> entries = new ArrayList<>();
        try (KeyValueIterator<K, V> all = store.all()) {
            all.forEachRemaining(entries::add);
        }
        return entries;
    }

    /** The one punctuator of this type the processor scheduled. */
    static Punctuator punctuator(MockProcessorContext<?, ?> context, PunctuationType type) {
        List<MockProcessorContext.CapturedPunctuator> scheduled = context.scheduledPunctuators().stream()
                .filter(p -> p.getType() == type).toList();
        assertThat(scheduled).as("punctuators of type %s", type).hasSize(1);
        return scheduled.get(0).getPunctuator();
    }

    /** The values forwarded since the last reset, then resets. */
    @SuppressWarnings("unchecked")
    static <V> List<V> drain(MockProcessorContext<?, V> context) {
        List<V> values = new ArrayList<>();
        context.forwarded().forEach(f -> values.add((V) f.record().value()));
        context.resetForwards();
        return values;
    }
}
