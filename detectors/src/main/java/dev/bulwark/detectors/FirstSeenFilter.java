package dev.bulwark.detectors;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;

/**
 * Lets through only the first record of each signature this task has seen recently (a bounded LRU, in memory).
 *
 * <p>Why: detectors that re-key events (by image, say) would otherwise send every event through a repartition topic,
 * which costs more than the detection; most events repeat what the detector already knows (the same container, the same
 * executable). Filtering repeats before the repartition keeps the volume to what is new. The memory is per task and not
 * persisted: after a restart or when a signature falls out of the LRU it passes again, so the stateful step after the
 * repartition must be idempotent, which it is for every detector using this.
 *
 * @param <V> the record value
 */
public final class FirstSeenFilter<V> implements FixedKeyProcessor<String, V, V> {

    private final int capacity;
    private final Function<V, String> signature;
    private final Map<String, Boolean> recent;
    private FixedKeyProcessorContext<String, V> context;

    /**
     * @param capacity signatures remembered per task
     * @param signature what makes two records the same; null means "always let through"
     */
    public FirstSeenFilter(int capacity, Function<V, String> signature) {
        this.capacity = capacity;
        this.signature = signature;
        this.recent = new LinkedHashMap<>(1024, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                return size() > FirstSeenFilter.this.capacity;
            }
        };
    }

    @Override
    public void init(FixedKeyProcessorContext<String, V> context) {
        this.context = context;
    }

    @Override
    public void process(FixedKeyRecord<String, V> record) {
        String key = signature.apply(record.value());
        if (key == null || recent.put(key, Boolean.TRUE) == null) {
            context.forward(record);
        }
    }
}
