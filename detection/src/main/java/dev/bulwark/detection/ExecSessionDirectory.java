package dev.bulwark.detection;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

import dev.bulwark.schemas.ExecSession;

/**
 * The exec sessions the audit log opened, on every instance (a global store fed by the exec-sessions topic), by pod
 * and start time, so a process event on any partition can find the session its container runtime started it for.
 *
 * <p>Bounded: sessions that started more than {@code retention} before the newest one are deleted as newer ones
 * arrive, through a time index ({@code t/<started>/<key>}).
 */
public final class ExecSessionDirectory {

    /** Name of the global store. */
    public static final String STORE = "exec-sessions";
    private static final String BY_POD = "p/";
    private static final String BY_TIME = "t/";

    private ExecSessionDirectory() {
    }

    static String podPrefix(String namespace, String pod) {
        return BY_POD + namespace + "/" + pod + "/";
    }

    private static String key(ExecSession session) {
        return podPrefix(session.getNamespace(), session.getPod()) + String.format("%013d", session.getStarted()) + "/"
                + session.getAuditId();
    }

    /**
     * The sessions of a pod that started within {@code grace} of {@code at} (epoch ms), oldest first.
     */
    public static List<ExecSession> near(ReadOnlyKeyValueStore<String, ExecSession> store, String namespace, String pod,
                                         long at, Duration grace) {
        List<ExecSession> sessions = new ArrayList<>();
        String prefix = podPrefix(namespace, pod);
        String from = prefix + String.format("%013d", Math.max(0, at - grace.toMillis()));
        String to = prefix + String.format("%013d", at + grace.toMillis()) + "/\uffff";
        try (KeyValueIterator<String, ExecSession> it = store.range(from, to)) {
            it.forEachRemaining(kv -> sessions.add(kv.value));
        }
        return sessions;
    }

    /** Keeps the store from the exec-sessions topic (each stage of a request writes the same session again). */
    public static final class Updater implements Processor<String, ExecSession, Void, Void> {
        private final Duration retention;
        private KeyValueStore<String, ExecSession> store;
        private long newest;

        public Updater(Duration retention) {
            this.retention = retention;
        }

        @Override
        public void init(ProcessorContext<Void, Void> context) {
            store = context.getStateStore(STORE);
        }

        @Override
        public void process(Record<String, ExecSession> record) {
            ExecSession session = record.value();
            if (session == null) {
                return;
            }
            String key = key(session);
            store.put(key, session);
            store.put(BY_TIME + String.format("%013d", session.getStarted()) + "/" + key, session);
            if (session.getStarted() > newest) {
                newest = session.getStarted();
                purge(newest - retention.toMillis());
            }
        }

        private void purge(long before) {
            List<KeyValue<String, ExecSession>> old = new ArrayList<>();
            try (KeyValueIterator<String, ExecSession> it = store.range(BY_TIME, BY_TIME
                    + String.format("%013d", Math.max(0, before)))) {
                it.forEachRemaining(old::add);
            }
            for (KeyValue<String, ExecSession> entry : old) {
                store.delete(entry.key);
                store.delete(key(entry.value));
            }
        }
    }
}
