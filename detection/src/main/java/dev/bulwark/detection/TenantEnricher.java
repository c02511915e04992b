package dev.bulwark.detection;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import dev.bulwark.detectors.api.TenantDirectory;
import dev.bulwark.schemas.KubernetesAudit;
import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.schemas.TenantInfo;
import io.micrometer.core.instrument.Counter;

/**
 * Writes {@code tenant.owner}, {@code tenant.actor} and {@code tenant.peer} onto every event from the tenant directory.
 *
 * <p>Why: isolation findings need to know whose workload an event concerns, whose identity acted and whose pod was on
 * the other end; detectors should not each re-derive that. Context can arrive a little after the first events of a new
 * namespace (the object watch lags the workload), so an event whose namespace is not known yet waits in a bounded,
 * changelogged buffer and is re-checked until it can be attributed, or until the wait runs out and it goes on as
 * {@link TenantResolver#UNATTRIBUTED} (visible to the SOC). Nothing is dropped: a full buffer lets events through
 * unattributed at once.
 *
 * <p>Cost: the buffer is indexed by namespace in memory, so a re-check resolves each waiting namespace once and reads
 * back only the events it releases, never the whole buffer. A namespace whose wait ran out without context is
 * remembered for {@link #GIVE_UP_MEMORY_FACTOR} times the wait: its further events go on unattributed at once instead
 * of each waiting in vain (a namespace nobody labels would otherwise delay and buffer all its events).
 */
public final class TenantEnricher implements Processor<String, SecurityEvent, String, SecurityEvent> {

    private final String directoryStore;
    private final String pendingStore;
    private final TenantResolver statically;
    private final Duration wait;
    private final int maxPending;
    private final Counter unattributedAfterWait;
    private ProcessorContext<String, SecurityEvent> context;
    private TenantDirectory directory;
    private KeyValueStore<String, SecurityEvent> pending;
    private long pendingCount;
    private long sequence;
    /** Waiting events' keys by namespace, oldest first: mirrors the pending store (rebuilt from it at start). */
    private final Map<String, ArrayDeque<String>> pendingByNamespace = new HashMap<>();
    /** Namespaces whose wait ran out without context, with when; oldest first, bounded. */
    private final LinkedHashMap<String, Long> gaveUpOn = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
            return size() > MAX_REMEMBERED_NAMESPACES;
        }
    };

    /** How many waits long a namespace that got no context in time is not waited for again. */
    public static final int GIVE_UP_MEMORY_FACTOR = 30;
    private static final int MAX_REMEMBERED_NAMESPACES = 10_000;

    /**
     * @param directoryStore the global store kept by {@link ContextDirectoryUpdater}
     * @param pendingStore a key-value store for events waiting for context
     * @param wait how long an event may wait for its namespace's context
     * @param maxPending most events held at once per task
     * @param unattributedAfterWait counts events that gave up waiting
     */
    public TenantEnricher(String directoryStore, String pendingStore, TenantResolver statically, Duration wait,
            int maxPending, Counter unattributedAfterWait) {
        this.directoryStore = directoryStore;
        this.pendingStore = pendingStore;
        this.statically = statically;
        this.wait = wait;
        this.maxPending = maxPending;
        this.unattributedAfterWait = unattributedAfterWait;
    }

    @Override
    public void init(ProcessorContext<String, SecurityEvent> context) {
        this.context = context;
        this.directory = new ContextTenantDirectory(context.getStateStore(directoryStore), statically);
        this.pending = context.getStateStore(pendingStore);
        // The in-memory index is rebuilt from the (restored) store: each waiting event is read once here.
        try (KeyValueIterator<String, SecurityEvent> it = pending.all()) {
            while (it.hasNext()) {
                KeyValue<String, SecurityEvent> entry = it.next();
                index(namespaceOf(entry.value), entry.key);
            }
        }
        long interval = Math.max(100, wait.toMillis() / 4);
        context.schedule(Duration.ofMillis(interval), PunctuationType.WALL_CLOCK_TIME, this::recheck);
    }

    @Override
    public void process(Record<String, SecurityEvent> record) {
        SecurityEvent enriched = enrich(directory, record.value(), false);
        if (enriched != null || wait.isZero() || pendingCount >= maxPending) {
            context.forward(record.withValue(enriched != null ? enriched : enrich(directory, record.value(), true)));
            return;
        }
        long now = context.currentSystemTimeMs();
        String namespace = namespaceOf(record.value());
        Long gaveUp = gaveUpOn.get(namespace);
        if (gaveUp != null && now - gaveUp < wait.toMillis() * GIVE_UP_MEMORY_FACTOR) {
            unattributedAfterWait.increment();
            context.forward(record.withValue(enrich(directory, record.value(), true)));
            return;
        }
        String key = pendingKey(now, record.key());
        pending.put(key, record.value());
        index(namespace, key);
    }

    private void index(String namespace, String key) {
        pendingByNamespace.computeIfAbsent(namespace, n -> new ArrayDeque<>()).addLast(key);
        pendingCount++;
    }

    private String pendingKey(long arrival, String key) {
        // Arrival time first, so a scan meets the oldest first; a sequence keeps equal keys apart.
        return String.format("%013d/%010d/%s", arrival, sequence++ % 10_000_000_000L, key == null ? "" : key);
    }

    private void recheck(long now) {
        if (pendingCount == 0) {
            return;
        }
        // Namespaces whose context has arrived: release all their events, oldest first.
        for (Iterator<Map.Entry<String, ArrayDeque<String>>> it = pendingByNamespace.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, ArrayDeque<String>> waiting = it.next();
            if (directory.namespaceTenant(waiting.getKey()).known()) {
                for (String key : waiting.getValue()) {
                    release(key, pending.get(key), false);
                }
                it.remove();
                gaveUpOn.remove(waiting.getKey());
            }
        }
        // Events whose wait ran out: the store is ordered by arrival, so they are a prefix of it.
        List<KeyValue<String, SecurityEvent>> expired = new ArrayList<>();
        try (KeyValueIterator<String, SecurityEvent> it = pending.range(null, String.format("%013d/", now - wait.toMillis() + 1))) {
            while (it.hasNext()) {
                expired.add(it.next());
            }
        }
        for (KeyValue<String, SecurityEvent> entry : expired) {
            String namespace = namespaceOf(entry.value);
            ArrayDeque<String> keys = pendingByNamespace.get(namespace);
            if (keys != null && (keys.peekFirst().equals(entry.key) ? keys.pollFirst() != null : keys.remove(entry.key))
                    && keys.isEmpty()) {
                pendingByNamespace.remove(namespace);
            }
            if (release(entry.key, entry.value, true)) {
                gaveUpOn.remove(namespace);
                gaveUpOn.put(namespace, now);
            }
        }
    }

    /** Enriches a waiting event, forwards it and removes it from the store; true when it went on unattributed. */
    private boolean release(String key, SecurityEvent event, boolean expired) {
        pending.delete(key);
        pendingCount--;
        if (event == null) {
            return false;
        }
        SecurityEvent enriched = enrich(directory, event, true);
        boolean unattributed = TenantResolver.UNATTRIBUTED.equals(enriched.getTenant().getOwner());
        if (expired && unattributed) {
            unattributedAfterWait.increment();
        }
        String recordKey = key.substring(25);
        context.forward(new Record<>(recordKey.isEmpty() ? null : recordKey, enriched,
                Math.floorDiv(enriched.getTimestamp(), 1_000_000L)));
        return unattributed;
    }

    /** The namespace an event's tenant is looked up by: the audited object's, else the workload's. */
    static String namespaceOf(SecurityEvent event) {
        KubernetesAudit audit = event.getKubernetesAudit();
        return audit != null && audit.getObjectNamespace() != null ? audit.getObjectNamespace()
                : event.getKubernetes() == null ? null : event.getKubernetes().getNamespace();
    }

    /**
     * Fills in the event's tenants (in place) and returns it; null (event untouched) when its namespace is not known
     * yet and {@code force} is false.
     */
    public static SecurityEvent enrich(TenantDirectory directory, SecurityEvent event, boolean force) {
        KubernetesAudit audit = event.getKubernetesAudit();
        String namespace = namespaceOf(event);
        TenantDirectory.Resolution owner = directory.namespaceTenant(namespace);
        if (namespace != null && !owner.known() && !force) {
            return null;
        }
        // The all-args constructor, not a builder: a builder deep-copies the schema default of every field left unset.
        TenantInfo tenant = new TenantInfo(owner.known() ? owner.tenant() : TenantResolver.UNATTRIBUTED,
                owner.known() ? owner.source() : TenantDirectory.UNATTRIBUTED_SOURCE, null, null, null, null, null);
        if (audit != null) {
            TenantDirectory.Resolution actor = directory.identityTenant(audit.getSubjectUser(), audit.getSubjectGroups());
            if (actor.known()) {
                tenant.setActor(actor.tenant());
                tenant.setActorSource(actor.source());
            }
        } else if (event.getProcess() != null && owner.known()) {
            // A process acts as the workload it runs in.
            tenant.setActor(owner.tenant());
            tenant.setActorSource(owner.source());
        }
        if (event.getDestination() != null && event.getDestination().getIp() != null) {
            TenantDirectory.PodRef peer = directory.podByIp(event.getDestination().getIp());
            if (peer != null) {
                TenantDirectory.Resolution peerTenant = directory.namespaceTenant(peer.namespace());
                tenant.setPeerNamespace(peer.namespace());
                tenant.setPeerPod(peer.name());
                tenant.setPeer(peerTenant.known() ? peerTenant.tenant() : TenantResolver.UNATTRIBUTED);
            }
        }
        // In place: the decoded event belongs to this topology, and a builder copy would deep-copy every nested record.
        event.setTenant(tenant);
        return event;
    }
}
