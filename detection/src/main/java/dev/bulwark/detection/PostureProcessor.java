package dev.bulwark.detection;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

import dev.bulwark.compliance.ControlResult;
import dev.bulwark.compliance.PostureEvaluator;
import dev.bulwark.schemas.ComplianceResult;
import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.schemas.TenantContext;

/**
 * Keeps the cluster's compliance posture: judges every control of the catalogue against the tenant directory, the
 * newest compliance report results and the pods with unverified images, every {@code interval} (wall clock), and
 * emits a snapshot (every result, one id) when a result changed, on the first evaluation of a UTC day, and on the very
 * first evaluation.
 *
 * <p>Why one task: posture is a judgement over the whole cluster (a namespace without a default-deny policy is found by
 * looking at all of them), so its inputs are routed to one partition; the tenant context it reads is the global
 * directory store every task has.
 *
 * <p>Stores: {@value #REPORTS} (the newest report result per framework and control), {@value #UNVERIFIED} (pods with
 * an unverified-image finding, forgotten when the pod leaves the directory) and {@value #LAST} (each result's last
 * state, and the day and time of the last snapshot), all changelogged, so a restart neither loses reports nor takes a
 * snapshot of an unchanged posture.
 */
final class PostureProcessor implements Processor<String, SecurityEvent, String, ComplianceResult> {

    static final String REPORTS = "posture-reports";
    static final String UNVERIFIED = "posture-unverified";
    static final String LAST = "posture-last";
    /** The marker events of unverified-image findings carry this action. */
    static final String UNVERIFIED_ACTION = "unverified-image-finding";
    private static final String DAY = "@day";

    private final String directoryStore;
    private final PostureEvaluator evaluator;
    private final Duration interval;

    private ProcessorContext<String, ComplianceResult> context;
    private KeyValueStore<String, SecurityEvent> reports;
    private KeyValueStore<String, Long> unverified;
    private KeyValueStore<String, String> last;
    private ReadOnlyKeyValueStore<String, TenantContext> directory;

    PostureProcessor(String directoryStore, PostureEvaluator evaluator, Duration interval) {
        this.directoryStore = Objects.requireNonNull(directoryStore, "directoryStore");
        this.evaluator = Objects.requireNonNull(evaluator, "evaluator");
        this.interval = Objects.requireNonNull(interval, "interval");
    }

    @Override
    public void init(ProcessorContext<String, ComplianceResult> context) {
        this.context = context;
        this.reports = context.getStateStore(REPORTS);
        this.unverified = context.getStateStore(UNVERIFIED);
        this.last = context.getStateStore(LAST);
        this.directory = context.getStateStore(directoryStore);
        context.schedule(interval, PunctuationType.WALL_CLOCK_TIME, this::evaluate);
    }

    @Override
    public void process(Record<String, SecurityEvent> record) {
        SecurityEvent event = record.value();
        if (event.getPolicy() != null && event.getPolicy().getRule() != null) {
            String key = event.getPolicy().getPolicy() + "/" + event.getPolicy().getRule();
            SecurityEvent before = reports.get(key);
            if (before == null || before.getTimestamp() <= event.getTimestamp()) {
                reports.put(key, event);
            }
        } else if (UNVERIFIED_ACTION.equals(event.getEvent().getAction()) && event.getKubernetes() != null
                && event.getKubernetes().getNamespace() != null && event.getKubernetes().getPod() != null) {
            unverified.put(event.getKubernetes().getNamespace() + "/" + event.getKubernetes().getPod(),
                    event.getTimestamp());
        }
    }

    /** Judges the posture now and emits a snapshot when it changed, a new day began, or none was ever taken. */
    void evaluate(long now) {
        List<TenantContext> objects = new ArrayList<>();
        Set<String> pods = new HashSet<>();
        try (KeyValueIterator<String, TenantContext> it = directory.prefixScan(ContextDirectoryUpdater.OBJECT,
                new StringSerializer())) {
            it.forEachRemaining(kv -> {
                if (kv.value != null) {
                    objects.add(kv.value);
                    if ("pod".equals(kv.value.getKind())) {
                        pods.add(kv.value.getKey());
                    }
                }
            });
        }
        Set<String> unverifiedPods = new HashSet<>();
        List<String> gone = new ArrayList<>();
        try (KeyValueIterator<String, Long> it = unverified.all()) {
            it.forEachRemaining(kv -> (pods.contains(kv.key) ? unverifiedPods : gone).add(kv.key));
        }
        gone.forEach(unverified::delete);
        List<SecurityEvent> reportResults = new ArrayList<>();
        try (KeyValueIterator<String, SecurityEvent> it = reports.all()) {
            it.forEachRemaining(kv -> reportResults.add(kv.value));
        }
        List<ControlResult> results = evaluator.evaluate(objects, reportResults, unverifiedPods);

        Map<String, String> states = new HashMap<>();
        for (ControlResult result : results) {
            states.put(result.key(), fingerprint(result));
        }
        String today = Instant.ofEpochMilli(now).atZone(ZoneOffset.UTC).toLocalDate().toString();
        String lastDay = last.get(DAY);
        boolean changed = false;
        List<String> stale = new ArrayList<>();
        try (KeyValueIterator<String, String> it = last.all()) {
            while (it.hasNext()) {
                var kv = it.next();
                if (!kv.key.startsWith("@") && !states.containsKey(kv.key)) {
                    stale.add(kv.key);
                }
            }
        }
        for (Map.Entry<String, String> state : states.entrySet()) {
            changed |= !state.getValue().equals(last.get(state.getKey()));
        }
        changed |= !stale.isEmpty();
        String reason = lastDay == null ? "start" : changed ? "change" : !today.equals(lastDay) ? "daily" : null;
        if (reason == null) {
            return;
        }
        String snapshotId = Long.toString(now);
        for (ControlResult result : results) {
            ComplianceResult out = ComplianceResult.newBuilder()
                    .setSnapshotId(snapshotId).setSnapshotAt(now).setReason(reason)
                    .setFramework(result.framework()).setControlId(result.controlId()).setTitle(result.title())
                    .setTenant(result.tenant()).setNamespace(result.namespace()).setStatus(result.status())
                    .setChecked(result.checked()).setFailing(result.failing()).setFailingTotal(result.failingTotal())
                    .setSources(result.sources()).build();
            context.forward(new Record<>(snapshotId + "|" + result.key(), out, now));
        }
        stale.forEach(last::delete);
        states.forEach(last::put);
        last.put(DAY, today);
    }

    private static String fingerprint(ControlResult result) {
        return result.status() + "|" + result.checked() + "|" + result.failingTotal() + "|"
                + String.join(",", result.failing()) + "|" + String.join(",", result.sources());
    }
}
