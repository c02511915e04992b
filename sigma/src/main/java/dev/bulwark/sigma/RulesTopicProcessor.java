package dev.bulwark.sigma;

import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The global processor of the rules topic: keeps the global store (rule key to YAML text) and tells the
 * {@link RuleSource} what changed.
 *
 * <p>Why: a global store is read by every instance in full, is restored from the compacted topic at every start (the
 * topic is the source of truth) and gets updates on a thread of its own while events flow, so every task of every
 * instance sees a rule change within one poll. Restoration writes the topic into the store without this processor,
 * so {@link #init} hands the whole restored store to the rule source; afterwards each record (a tombstone deletes) is
 * applied as it arrives.
 */
final class RulesTopicProcessor implements Processor<String, String, Void, Void> {

    private final RuleSource source;
    private final String storeName;
    private KeyValueStore<String, String> store;

    RulesTopicProcessor(RuleSource source, String storeName) {
        this.source = source;
        this.storeName = storeName;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        store = context.getStateStore(storeName);
        Map<String, String> restored = new LinkedHashMap<>();
        try (KeyValueIterator<String, String> all = store.all()) {
            while (all.hasNext()) {
                KeyValue<String, String> entry = all.next();
                if (entry.value != null) {
                    restored.put(entry.key, entry.value);
                }
            }
        }
        source.replaceAll(restored);
    }

    @Override
    public void process(Record<String, String> record) {
        if (record.key() == null) {
            return;
        }
        if (record.value() == null) {
            store.delete(record.key());
            source.remove(record.key());
        } else {
            store.put(record.key(), record.value());
            source.put(record.key(), record.value());
        }
    }
}
