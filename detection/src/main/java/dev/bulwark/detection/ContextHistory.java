package dev.bulwark.detection;

import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

import dev.bulwark.schemas.ContextChange;
import dev.bulwark.schemas.TenantContext;

/**
 * Turns each context update into a {@link ContextChange} with the object before and after, for the time-retained
 * context-history topic from which a backtest rebuilds the context as of any retained time.
 *
 * <p>Why a store of its own: the compacted context topics keep only each object's newest version, and the tenant
 * directory (a global store) is updated by another thread, so it may not hold the previous update of a key yet. This
 * processor keeps the newest version of every object in a changelogged store, partitioned like the context topic, so
 * the "before" of each change is exact across restarts. An object this store has never seen (context applied before
 * the history existed) takes its "before" from the tenant directory, unless the directory already holds this very
 * record. A change that changes nothing is not written.
 */
public final class ContextHistory implements Processor<String, TenantContext, String, ContextChange> {

    /** Name of the store of the newest version of each context object. */
    public static final String STORE = "context-history-last";

    private final String directoryStore;
    private ProcessorContext<String, ContextChange> context;
    private KeyValueStore<String, TenantContext> last;
    private ReadOnlyKeyValueStore<String, TenantContext> directory;

    /** @param directoryStore the tenant directory's global store, for objects this store has not seen */
    public ContextHistory(String directoryStore) {
        this.directoryStore = directoryStore;
    }

    @Override
    public void init(ProcessorContext<String, ContextChange> context) {
        this.context = context;
        this.last = context.getStateStore(STORE);
        this.directory = directoryStore == null ? null : context.getStateStore(directoryStore);
    }

    @Override
    public void process(Record<String, TenantContext> record) {
        String key = record.key();
        if (key == null) {
            return; // dead-lettered before it gets here
        }
        TenantContext before = last.get(key);
        TenantContext after = record.value();
        if (before == null && directory != null) {
            // The directory may already hold this very record (its global thread reads what this task sent): then it
            // is a new object, not a change that changes nothing.
            TenantContext known = directory.get(ContextDirectoryUpdater.OBJECT + key);
            before = known == null || known.equals(after) ? null : known;
        }
        if (after == null) {
            last.delete(key);
        } else {
            last.put(key, after);
        }
        if (before == null ? after == null : before.equals(after)) {
            return;
        }
        context.forward(record.withValue(ContextChange.newBuilder().setKey(key).setBefore(before).setAfter(after)
                .build()));
    }
}
