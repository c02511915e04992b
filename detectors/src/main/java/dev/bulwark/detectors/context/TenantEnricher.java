package dev.bulwark.detectors.context;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import dev.bulwark.detectors.TenantResolver;
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
        this.directory = new TenantDirectory(context.getStateStore(directoryStore), statically);
        this.pending = context.getStateStore(pendingStore);
        this.pendingCount = pending.approximateNumEntries();
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
        pending.put(pendingKey(now, record.key()), record.value());
        pendingCount++;
    }

    private String pendingKey(long arrival, String key) {
        // Arrival time first, so a scan meets the oldest first; a sequence keeps equal keys apart.
        return String.format("%013d/%010d/%s", arrival, sequence++ % 10_000_000_000L, key == null ? "" : key);
    }

    private void recheck(long now) {
        List<KeyValue<String, SecurityEvent>> done = new ArrayList<>();
        try (KeyValueIterator<String, SecurityEvent> it = pending.all()) {
            while (it.hasNext()) {
                KeyValue<String, SecurityEvent> entry = it.next();
                long arrival = Long.parseLong(entry.key.substring(0, 13));
                boolean expired = now - arrival >= wait.toMillis();
                SecurityEvent enriched = enrich(directory, entry.value, expired);
                if (enriched != null) {
                    if (expired && TenantResolver.UNATTRIBUTED.equals(enriched.getTenant().getOwner())) {
                        unattributedAfterWait.increment();
                    }
                    done.add(KeyValue.pair(entry.key, enriched));
                }
            }
        }
        for (KeyValue<String, SecurityEvent> entry : done) {
            pending.delete(entry.key);
            pendingCount--;
            String key = entry.key.substring(25);
            context.forward(new Record<>(key.isEmpty() ? null : key, entry.value,
                    Math.floorDiv(entry.value.getTimestamp(), 1_000_000L)));
        }
    }

    /**
     * Fills in the event's tenants (in place) and returns it; null (event untouched) when its namespace is not known
     * yet and {@code force} is false.
     */
    public static SecurityEvent enrich(TenantDirectory directory, SecurityEvent event, boolean force) {
        KubernetesAudit audit = event.getKubernetesAudit();
        String namespace = audit != null && audit.getObjectNamespace() != null ? audit.getObjectNamespace()
                : event.getKubernetes() == null ? null : event.getKubernetes().getNamespace();
        TenantDirectory.Resolution owner = directory.namespaceTenant(namespace);
        if (namespace != null && !owner.known() && !force) {
            return null;
        }
        TenantInfo.Builder tenant = TenantInfo.newBuilder()
                .setOwner(owner.known() ? owner.tenant() : TenantResolver.UNATTRIBUTED)
                .setOwnerSource(owner.known() ? owner.source() : TenantDirectory.UNATTRIBUTED_SOURCE);
        if (audit != null) {
            TenantDirectory.Resolution actor = directory.identityTenant(audit.getSubjectUser(), audit.getSubjectGroups());
            if (actor.known()) {
                tenant.setActor(actor.tenant()).setActorSource(actor.source());
            }
        } else if (event.getProcess() != null && owner.known()) {
            // A process acts as the workload it runs in.
            tenant.setActor(owner.tenant()).setActorSource(owner.source());
        }
        if (event.getDestination() != null && event.getDestination().getIp() != null) {
            TenantDirectory.PodRef peer = directory.podByIp(event.getDestination().getIp());
            if (peer != null) {
                TenantDirectory.Resolution peerTenant = directory.namespaceTenant(peer.namespace());
                tenant.setPeerNamespace(peer.namespace()).setPeerPod(peer.name())
                        .setPeer(peerTenant.known() ? peerTenant.tenant() : TenantResolver.UNATTRIBUTED);
            }
        }
        // In place: the decoded event belongs to this topology, and a builder copy would deep-copy every nested record.
        event.setTenant(tenant.build());
        return event;
    }
}
