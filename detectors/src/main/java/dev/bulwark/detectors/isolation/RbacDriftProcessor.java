package dev.bulwark.detectors.isolation;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;

import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.ProcessingContext;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import dev.bulwark.detectors.api.FindingBuilder;
import dev.bulwark.detectors.api.TenantDirectory;
import dev.bulwark.detectors.state.NamespaceTenant;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.schemas.Subject;
import dev.bulwark.schemas.TenantContext;

/**
 * The processing of {@link RbacDriftDetector}: judges bindings as they change, holds those whose namespaces the tenant
 * directory does not know yet, and re-judges what a namespace's move to another tenant affects once the directory shows
 * the move.
 *
 * <p>Why a class of its own: the waiting and the owed moves are the hard part of the detector (the directory is a global
 * store updated on its own thread, so it may lag behind this stream), and they are tested here directly, punctuator by
 * punctuator, including a restart over the same store. Namespace keys arrive as {@code namespace/<name>}; every other
 * record is a RoleBinding or ClusterRoleBinding.
 *
 * <p>State: the last tenant of every namespace seen, in the store named at construction; an entry with a
 * {@code moved_at} is a move not re-judged yet, which a new instance (after a restart or a rebalance) picks up in
 * {@link #init}. Bindings waiting for context are held in memory only: they were just received, and the context that
 * releases them is re-ingested with them after a restart.
 */
final class RbacDriftProcessor implements Processor<String, TenantContext, String, Finding> {

    static final String NAMESPACE_PREFIX = "namespace/";
    /** How often waiting bindings and owed moves are checked against the directory (wall-clock time). */
    static final Duration RECHECK_INTERVAL = Duration.ofMillis(500);

    private final String storeName;
    private final Function<ProcessingContext, TenantDirectory> directories;
    private final Function<SecurityEvent, FindingBuilder> findings;
    private final Duration wait;
    private final int maxWaiting;

    private ProcessorContext<String, Finding> processorContext;
    private TenantDirectory directory;
    private KeyValueStore<String, NamespaceTenant> namespaceTenants;
    /** Bindings whose namespaces the directory did not know yet, with when they arrived (wall-clock ms). */
    private final LinkedHashMap<String, Record<String, TenantContext>> waiting = new LinkedHashMap<>();
    /** Namespaces that moved to another tenant, waiting for the directory to show it. */
    private final LinkedHashMap<String, NamespaceTenant> moves = new LinkedHashMap<>();
    /**
     * Per waiting move, the bindings judged since the directory showed it: their judgement already reflects the move,
     * so re-judging them would only repeat a finding (a snapshot arriving at once).
     */
    private final Map<String, Set<String>> judgedSinceMove = new HashMap<>();

    /**
     * @param storeName the store of namespace tenants, connected to this processor
     * @param directories the tenant directory for this processor's context
     * @param findings starts a finding about an event (the detector's {@code DetectorContext#finding})
     * @param wait how long a binding waits for its namespaces, and a move for the directory to show it
     * @param maxWaiting most bindings waiting, and most moves owed, at once; beyond it they are judged at once
     */
    RbacDriftProcessor(String storeName, Function<ProcessingContext, TenantDirectory> directories,
                       Function<SecurityEvent, FindingBuilder> findings, Duration wait, int maxWaiting) {
        this.storeName = Objects.requireNonNull(storeName, "storeName");
        this.directories = Objects.requireNonNull(directories, "directories");
        this.findings = Objects.requireNonNull(findings, "findings");
        this.wait = Objects.requireNonNull(wait, "wait");
        this.maxWaiting = maxWaiting;
    }

    @Override
    public void init(ProcessorContext<String, Finding> processorContext) {
        this.processorContext = processorContext;
        this.directory = directories.apply(processorContext);
        this.namespaceTenants = processorContext.getStateStore(storeName);
        // Moves not re-judged before a restart or rebalance are still owed.
        try (KeyValueIterator<String, NamespaceTenant> it = namespaceTenants.all()) {
            it.forEachRemaining(kv -> {
                if (moving(kv.value)) {
                    moves.put(kv.key, kv.value);
                }
            });
        }
        processorContext.schedule(RECHECK_INTERVAL, PunctuationType.WALL_CLOCK_TIME, this::recheck);
    }

    @Override
    public void process(Record<String, TenantContext> record) {
        if (record.key() != null && record.key().startsWith(NAMESPACE_PREFIX)) {
            namespaceChanged(record.key().substring(NAMESPACE_PREFIX.length()), record.value());
            return;
        }
        if (!RbacDriftDetector.contextKnown(record.value(), directory) && waiting.size() < maxWaiting) {
            waiting.remove(record.key());
            waiting.put(record.key(), record.withTimestamp(processorContext.currentSystemTimeMs()));
            return;
        }
        waiting.remove(record.key());
        judge(record);
    }

    /** Bindings waiting for their namespaces, for tests. */
    int waiting() {
        return waiting.size();
    }

    /** Namespace moves owed a re-judgement, for tests. */
    Set<String> owedMoves() {
        return Set.copyOf(moves.keySet());
    }

    private static boolean moving(NamespaceTenant state) {
        return state.getMovedAt() > 0;
    }

    /** Judges a binding as it arrived, noting the waiting moves its judgement already reflects. */
    private void judge(Record<String, TenantContext> record) {
        TenantContext binding = record.value();
        check(binding, subject -> true);
        if (moves.isEmpty() || record.key() == null) {
            return;
        }
        Set<String> concerned = new HashSet<>();
        if (binding.getNamespace() != null) {
            concerned.add(binding.getNamespace());
        }
        for (Subject subject : binding.getSubjects()) {
            if ("ServiceAccount".equals(subject.getKind())) {
                concerned.add(subject.getNamespace() != null ? subject.getNamespace() : binding.getNamespace());
            }
        }
        for (String namespace : concerned) {
            NamespaceTenant move = namespace == null ? null : moves.get(namespace);
            if (move != null && applied(namespace, move.getTenant())) {
                judgedSinceMove.computeIfAbsent(namespace, n -> new HashSet<>()).add(record.key());
            }
        }
    }

    /**
     * A namespace update: when its tenant differs from the last one seen, the bindings it can affect are re-judged once
     * the directory shows the new tenant, or after {@link #wait} at the latest.
     */
    private void namespaceChanged(String namespace, TenantContext object) {
        NamespaceTenant before = namespaceTenants.get(namespace);
        if (object == null) {
            // Deleted: Kubernetes deletes its bindings and service accounts with it; forget it.
            namespaceTenants.delete(namespace);
            moves.remove(namespace);
            judgedSinceMove.remove(namespace);
            return;
        }
        String tenant = object.getTenant();
        if (before == null) {
            // First sighting (a snapshot, or a new namespace): the bindings that name it wait for it and are judged
            // when it arrives, so there is nothing to re-judge; re-judging here too would send their findings twice.
            namespaceTenants.put(namespace, settled(tenant));
            return;
        }
        if (Objects.equals(before.getTenant(), tenant)) {
            return;
        }
        moves.remove(namespace);
        judgedSinceMove.remove(namespace);
        if (moves.size() >= maxWaiting || applied(namespace, tenant)) {
            settle(namespace, tenant);
            return;
        }
        NamespaceTenant move = NamespaceTenant.newBuilder().setTenant(tenant)
                .setMovedAt(Math.max(1, processorContext.currentSystemTimeMs())).build();
        namespaceTenants.put(namespace, move);
        moves.put(namespace, move);
    }

    private static NamespaceTenant settled(String tenant) {
        return NamespaceTenant.newBuilder().setTenant(tenant).setMovedAt(0).build();
    }

    /** True when the directory already holds the namespace with this tenant. */
    private boolean applied(String namespace, String tenant) {
        TenantContext known = directory.object("namespace", namespace);
        return known != null && Objects.equals(known.getTenant(), tenant);
    }

    /** Re-judges what a namespace's move affects and remembers its tenant as judged. */
    private void settle(String namespace, String tenant) {
        rejudge(namespace, judgedSinceMove.getOrDefault(namespace, Set.of()));
        judgedSinceMove.remove(namespace);
        // Kept without a tenant too: a later tenant is then a move, not a first sighting.
        namespaceTenants.put(namespace, settled(tenant));
    }

    /**
     * The RoleBindings in the namespace (every subject), and the bindings anywhere that name its service accounts (those
     * subjects only); bindings still waiting for context are judged when it arrives.
     */
    private void rejudge(String namespace, Set<String> alreadyJudged) {
        Set<String> judged = new HashSet<>(alreadyJudged);
        for (TenantContext binding : directory.objectsIn("rolebinding", namespace)) {
            String key = "rolebinding/" + binding.getKey();
            if (!waiting.containsKey(key) && judged.add(key)) {
                check(binding, subject -> true);
            }
        }
        for (String key : directory.serviceAccountBindings(namespace)) {
            int slash = key.indexOf('/');
            if (slash < 0 || waiting.containsKey(key) || !judged.add(key)) {
                continue;
            }
            TenantContext binding = directory.object(key.substring(0, slash), key.substring(slash + 1));
            if (binding != null) {
                check(binding, subject -> "ServiceAccount".equals(subject.getKind())
                        && namespace.equals(subject.getNamespace() != null ? subject.getNamespace()
                        : binding.getNamespace()));
            }
        }
    }

    /** The punctuator: releases bindings whose context arrived or waited long enough, and settles moves likewise. */
    void recheck(long now) {
        for (var it = waiting.values().iterator(); it.hasNext(); ) {
            Record<String, TenantContext> record = it.next();
            if (RbacDriftDetector.contextKnown(record.value(), directory) || now - record.timestamp() >= wait.toMillis()) {
                it.remove();
                judge(record);
            }
        }
        for (var it = moves.entrySet().iterator(); it.hasNext(); ) {
            var move = it.next();
            if (applied(move.getKey(), move.getValue().getTenant())
                    || now - move.getValue().getMovedAt() >= wait.toMillis()) {
                it.remove();
                settle(move.getKey(), move.getValue().getTenant());
            }
        }
    }

    private void check(TenantContext binding, Predicate<Subject> subjects) {
        for (Finding finding : RbacDriftDetector.findings(binding, directory, findings, subjects)) {
            processorContext.forward(new Record<>(finding.getId(), finding, finding.getLastSeen()));
        }
    }
}
