package dev.bulwark.detectors.integrity;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.ProcessingContext;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

import dev.bulwark.detectors.api.TenantDirectory;
import dev.bulwark.detectors.api.Tenants;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.TenantContext;

/**
 * Judges records about pods by the pod's tenant: at once when the tenant directory knows the pod's namespace, else when it does
 * (checked every second, for up to {@link #WAIT}); a pod whose namespace is still unknown then is judged as
 * unattributed. A finding already forwarded (the same id) is not forwarded again while remembered (the last
 * {@value #REMEMBERED} ids, in memory: after a restart a finding may repeat under its same id, which the sink
 * overwrites).
 *
 * <p>Why: a pod record and its namespace's record travel separately, and a pod record repeats on every status change.
 *
 * @param <V> the records judged: pod records, or what a detector joined to one
 */
final class PodTenants<V> implements Processor<String, V, String, Finding> {

    /** How long a pod waits for its namespace to be known. */
    static final Duration WAIT = Duration.ofSeconds(30);
    static final int MAX_WAITING = 10_000;
    static final int REMEMBERED = 50_000;

    /** The judgement of one record about a pod of a tenant. */
    @FunctionalInterface
    interface Judge<V> {
        List<Finding> judge(V value, String tenant, TenantDirectory directory);
    }

    private final Function<ProcessingContext, TenantDirectory> directories;
    private final Function<V, TenantContext> podOf;
    private final Judge<V> judge;
    private final Map<String, Waiting<V>> waiting = new LinkedHashMap<>();
    private final Map<String, Boolean> forwarded = new LinkedHashMap<>(1024, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > REMEMBERED;
        }
    };
    private ProcessorContext<String, Finding> processorContext;
    private TenantDirectory directory;

    private record Waiting<V>(Record<String, V> record, long since) {
    }

    /**
     * @param directories the tenant directory for a processor ({@code Tenants#directory})
     * @param podOf the pod record a value is about
     * @param judge the findings for a value of a tenant
     */
    PodTenants(Function<ProcessingContext, TenantDirectory> directories, Function<V, TenantContext> podOf,
               Judge<V> judge) {
        this.directories = Objects.requireNonNull(directories, "directories");
        this.podOf = Objects.requireNonNull(podOf, "podOf");
        this.judge = Objects.requireNonNull(judge, "judge");
    }

    @Override
    public void init(ProcessorContext<String, Finding> processorContext) {
        this.processorContext = processorContext;
        this.directory = directories.apply(processorContext);
        processorContext.schedule(Duration.ofSeconds(1), PunctuationType.WALL_CLOCK_TIME, this::retry);
    }

    @Override
    public void process(Record<String, V> record) {
        TenantContext pod = podOf.apply(record.value());
        TenantDirectory.Resolution tenant = directory.namespaceTenant(pod.getNamespace());
        if (tenant.known()) {
            judge(record, tenant.tenant());
            return;
        }
        String key = record.key() + "|" + pod.getKey();
        waiting.remove(key);
        waiting.put(key, new Waiting<>(record, processorContext.currentSystemTimeMs()));
        if (waiting.size() > MAX_WAITING) {
            Waiting<V> oldest = waiting.remove(waiting.keySet().iterator().next());
            judge(oldest.record(), Tenants.UNATTRIBUTED);
        }
    }

    void retry(long now) {
        List<Waiting<V>> due = new ArrayList<>();
        for (Iterator<Waiting<V>> it = waiting.values().iterator(); it.hasNext(); ) {
            Waiting<V> next = it.next();
            TenantDirectory.Resolution tenant = directory.namespaceTenant(podOf.apply(next.record().value()).getNamespace());
            if (tenant.known() || now - next.since() >= WAIT.toMillis()) {
                it.remove();
                due.add(next);
            }
        }
        for (Waiting<V> next : due) {
            TenantDirectory.Resolution tenant = directory.namespaceTenant(podOf.apply(next.record().value()).getNamespace());
            judge(next.record(), tenant.known() ? tenant.tenant() : Tenants.UNATTRIBUTED);
        }
    }

    private void judge(Record<String, V> record, String tenant) {
        for (Finding finding : judge.judge(record.value(), tenant, directory)) {
            if (forwarded.put(finding.getId(), Boolean.TRUE) == null) {
                processorContext.forward(new Record<>(finding.getId(), finding, record.timestamp()));
            }
        }
    }
}
