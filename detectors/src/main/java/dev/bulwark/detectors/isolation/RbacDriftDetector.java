package dev.bulwark.detectors.isolation;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

import dev.bulwark.detectors.JsonSerde;
import dev.bulwark.detectors.api.Detector;
import dev.bulwark.detectors.api.DetectorApi;
import dev.bulwark.detectors.api.DetectorContext;
import dev.bulwark.detectors.api.Mitre;
import dev.bulwark.detectors.api.Severity;
import dev.bulwark.detectors.api.TenantDirectory;
import dev.bulwark.detectors.api.Tenants;
import dev.bulwark.schemas.EventInfo;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.KubernetesInfo;
import dev.bulwark.schemas.MitreAttack;
import dev.bulwark.schemas.RoleGrant;
import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.schemas.Subject;
import dev.bulwark.schemas.TenantContext;
import dev.bulwark.schemas.TenantInfo;

/**
 * RBAC drift: a RoleBinding that grants a subject of tenant A rights in tenant B's namespace, or a ClusterRoleBinding
 * that gives a tenant's identity cluster-wide rights. A group's tenant is the one tenant in whose namespaces the
 * group was bound <em>before</em> the binding being judged changed ({@code observed_at}): its home is where it was
 * bound first, and a later binding elsewhere is the drift, whatever order the objects arrive in and however far the
 * directory has caught up. Bindings of the same instant tell nothing about each other. Rights are resolved through the referenced Role or ClusterRole,
 * including rules ClusterRoles aggregate by label: wildcard verbs or resources make a finding critical.
 *
 * <p>Why: cross-tenant access usually starts as a binding someone added "temporarily". This detector reads every change
 * to bindings from the tenant context (Kubernetes objects), so it also finds drift that happened before Bulwark was
 * watching, and it runs again when a binding changes. Severity: a cross-tenant namespaced binding is high; cluster-wide
 * rights for a tenant identity are high, and critical when the role is {@code cluster-admin}, {@code admin} or
 * {@code edit}. The finding id is derived from the binding and subject, so re-ingesting the same objects updates the
 * same finding. A binding that names namespaces the tenant directory does not know yet (objects of one snapshot arrive
 * together) is held in memory for up to ten seconds and judged when they appear.
 *
 * <p>Bindings are judged when they change, and again when a namespace moves to another tenant (its tenant label
 * changes, appears or goes away): the RoleBindings in that namespace, and the bindings anywhere (ClusterRoleBindings
 * too) whose subjects are its service accounts, for those subjects. The last tenant of each namespace is kept in a
 * changelogged store ({@code rbac-drift-namespace-tenants}, one small entry per namespace seen), so a restart or
 * re-ingesting unchanged namespaces re-judges nothing; a namespace seen for the first time is not a move (the bindings
 * that name it wait for it and are judged when it arrives; one that named it more than ten seconds earlier must be
 * re-ingested). The tenant directory is a global store updated on its own
 * thread, so a move is re-judged once the directory shows the namespace's new tenant (checked every half second), or
 * after ten seconds at the latest; a move still owed when the application stops is re-judged after it restarts. A
 * binding that becomes cross-tenant is reported under the same finding id as if it had been ingested then; one that
 * stops being cross-tenant is not reported again (findings are history).
 */
public final class RbacDriftDetector implements Detector {

    public static final String CROSS_TENANT_RULE = Isolation.RULE_PREFIX + "rbac_cross_tenant_binding";
    public static final String CLUSTER_WIDE_RULE = Isolation.RULE_PREFIX + "rbac_cluster_wide_tenant_binding";

    private static final MitreAttack MITRE = Mitre.of(List.of("privilege-escalation", "persistence"),
            List.of("T1078.004", "T1098"));
    private static final List<String> POWERFUL_ROLES = List.of("ClusterRole:cluster-admin", "ClusterRole:admin",
            "ClusterRole:edit");

    /** How long a binding waits for the namespaces it names to appear in the tenant directory. */
    static final Duration WAIT = Duration.ofSeconds(10);
    /** Most bindings waiting at once (per task); beyond it they are judged at once. */
    static final int MAX_WAITING = 10_000;

    private static final String NAMESPACE_PREFIX = "namespace/";

    @Override
    public String name() {
        return "rbac-drift";
    }

    @Override
    public String apiVersion() {
        return DetectorApi.VERSION;
    }

    /** True when the directory knows the binding's namespace and every namespace its service accounts name. */
    static boolean contextKnown(TenantContext binding, TenantDirectory directory) {
        if (binding.getNamespace() != null && !directory.namespaceTenant(binding.getNamespace()).known()) {
            return false;
        }
        for (Subject subject : binding.getSubjects()) {
            if ("ServiceAccount".equals(subject.getKind()) && subject.getNamespace() != null
                    && !directory.namespaceTenant(subject.getNamespace()).known()) {
                return false;
            }
        }
        return true;
    }



    /** What the detector remembers about a namespace: its tenant label, and since when a move awaits re-judgement. */
    public record NamespaceTenant(String tenant, long movedAtMillis) {
        boolean moving() {
            return movedAtMillis > 0;
        }
    }

    /** Name of the store of namespace tenants. */
    @Override
    public KStream<String, Finding> build(DetectorContext context) {
        if (context.contextUpdates() == null) {
            throw new IllegalStateException(name() + " needs tenant context; build it with DetectionTopology");
        }
        String namespaces = context.stores().keyValue("namespace-tenants", Serdes.String(),
                JsonSerde.of(NamespaceTenant.class));
        return context.contextUpdates()
                .filter((key, object) -> key != null && key.startsWith(NAMESPACE_PREFIX)
                        || object != null && ("rolebinding".equals(object.getKind())
                        || "clusterrolebinding".equals(object.getKind())),
                        Named.as(name() + "-bindings"))
                .process(() -> new Processor<String, TenantContext, String, Finding>() {
                    private ProcessorContext<String, Finding> processorContext;
                    private TenantDirectory directory;
                    private KeyValueStore<String, NamespaceTenant> namespaceTenants;
                    /** Bindings whose namespaces the directory did not know yet, with when they arrived. */
                    private final LinkedHashMap<String, Record<String, TenantContext>> waiting = new LinkedHashMap<>();
                    /** Namespaces that moved to another tenant, waiting for the directory to show it. */
                    private final LinkedHashMap<String, NamespaceTenant> moves = new LinkedHashMap<>();
                    /**
                     * Per waiting move, the bindings judged since the directory showed it: their judgement already
                     * reflects the move, so re-judging them would only repeat a finding (a snapshot arriving at once).
                     */
                    private final Map<String, java.util.Set<String>> judgedSinceMove = new java.util.HashMap<>();

                    @Override
                    public void init(ProcessorContext<String, Finding> processorContext) {
                        this.processorContext = processorContext;
                        this.directory = context.tenants().directory(processorContext);
                        this.namespaceTenants = processorContext.getStateStore(namespaces);
                        // Moves not re-judged before a restart or rebalance are still owed.
                        try (KeyValueIterator<String, NamespaceTenant> it = namespaceTenants.all()) {
                            it.forEachRemaining(kv -> {
                                if (kv.value.moving()) {
                                    moves.put(kv.key, kv.value);
                                }
                            });
                        }
                        processorContext.schedule(Duration.ofMillis(500), PunctuationType.WALL_CLOCK_TIME, this::recheck);
                    }

                    @Override
                    public void process(Record<String, TenantContext> record) {
                        if (record.key() != null && record.key().startsWith(NAMESPACE_PREFIX)) {
                            namespaceChanged(record.key().substring(NAMESPACE_PREFIX.length()), record.value());
                            return;
                        }
                        if (!contextKnown(record.value(), directory) && waiting.size() < MAX_WAITING) {
                            waiting.remove(record.key());
                            waiting.put(record.key(), record.withTimestamp(processorContext.currentSystemTimeMs()));
                            return;
                        }
                        waiting.remove(record.key());
                        judge(record);
                    }

                    /** Judges a binding as it arrived, noting the waiting moves its judgement already reflects. */
                    private void judge(Record<String, TenantContext> record) {
                        TenantContext binding = record.value();
                        check(binding, subject -> true);
                        if (moves.isEmpty() || record.key() == null) {
                            return;
                        }
                        java.util.Set<String> concerned = new java.util.HashSet<>();
                        if (binding.getNamespace() != null) {
                            concerned.add(binding.getNamespace());
                        }
                        for (Subject subject : binding.getSubjects()) {
                            if ("ServiceAccount".equals(subject.getKind())) {
                                concerned.add(subject.getNamespace() != null ? subject.getNamespace()
                                        : binding.getNamespace());
                            }
                        }
                        for (String namespace : concerned) {
                            NamespaceTenant move = namespace == null ? null : moves.get(namespace);
                            if (move != null && applied(namespace, move.tenant())) {
                                judgedSinceMove.computeIfAbsent(namespace, n -> new java.util.HashSet<>())
                                        .add(record.key());
                            }
                        }
                    }

                    /**
                     * A namespace update: when its tenant differs from the last one seen, the bindings it can affect
                     * are re-judged once the directory shows the new tenant (the directory is a global store, updated
                     * on its own thread, so it may lag behind this stream), or after {@link #WAIT} at the latest.
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
                            // First sighting (a snapshot, or a new namespace): the bindings that name it wait for it
                            // and are judged when it arrives, so there is nothing to re-judge; re-judging here too
                            // would send their findings twice.
                            namespaceTenants.put(namespace, new NamespaceTenant(tenant, 0));
                            return;
                        }
                        if (Objects.equals(before.tenant(), tenant)) {
                            return;
                        }
                        moves.remove(namespace);
                        judgedSinceMove.remove(namespace);
                        if (moves.size() >= MAX_WAITING || applied(namespace, tenant)) {
                            settle(namespace, tenant);
                            return;
                        }
                        NamespaceTenant move = new NamespaceTenant(tenant,
                                Math.max(1, processorContext.currentSystemTimeMs()));
                        namespaceTenants.put(namespace, move);
                        moves.put(namespace, move);
                    }

                    /** True when the directory already holds the namespace with this tenant. */
                    private boolean applied(String namespace, String tenant) {
                        TenantContext known = directory.object("namespace", namespace);
                        return known != null && Objects.equals(known.getTenant(), tenant);
                    }

                    /** Re-judges what a namespace's move affects and remembers its tenant as judged. */
                    private void settle(String namespace, String tenant) {
                        rejudge(namespace, judgedSinceMove.getOrDefault(namespace, java.util.Set.of()));
                        judgedSinceMove.remove(namespace);
                        // Kept without a tenant too: a later tenant is then a move, not a first sighting.
                        namespaceTenants.put(namespace, new NamespaceTenant(tenant, 0));
                    }

                    /**
                     * The RoleBindings in the namespace (every subject), and the bindings anywhere that name its service
                     * accounts (those subjects only); bindings still waiting for context are judged when it arrives.
                     */
                    private void rejudge(String namespace, java.util.Set<String> alreadyJudged) {
                        java.util.Set<String> judged = new java.util.HashSet<>(alreadyJudged);
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

                    private void recheck(long now) {
                        for (var it = waiting.values().iterator(); it.hasNext(); ) {
                            Record<String, TenantContext> record = it.next();
                            if (contextKnown(record.value(), directory) || now - record.timestamp() >= WAIT.toMillis()) {
                                it.remove();
                                judge(record);
                            }
                        }
                        for (var it = moves.entrySet().iterator(); it.hasNext(); ) {
                            var move = it.next();
                            if (applied(move.getKey(), move.getValue().tenant())
                                    || now - move.getValue().movedAtMillis() >= WAIT.toMillis()) {
                                it.remove();
                                settle(move.getKey(), move.getValue().tenant());
                            }
                        }
                    }

                    private void check(TenantContext binding, Predicate<Subject> subjects) {
                        for (Finding finding : findings(binding, directory, context, subjects)) {
                            processorContext.forward(new Record<>(finding.getId(), finding, finding.getLastSeen()));
                        }
                    }
                }, Named.as(name() + "-check"), namespaces);
    }

    /** The drift findings for the chosen subjects of one binding. */
    List<Finding> findings(TenantContext binding, TenantDirectory directory, DetectorContext context,
                           Predicate<Subject> subjects) {
        List<Finding> findings = new ArrayList<>();
        String role = binding.getGrants().isEmpty() ? "?" : binding.getGrants().get(0).getRole();
        boolean clusterWide = "clusterrolebinding".equals(binding.getKind());
        TenantDirectory.Resolution bindingTenant = clusterWide ? null : directory.namespaceTenant(binding.getNamespace());
        boolean wildcard = directory.roleRules(role, binding.getNamespace()).stream().anyMatch(TenantDirectory::hasWildcard);
        for (Subject subject : binding.getSubjects()) {
            if (!subjects.test(subject)) {
                continue;
            }
            String subjectTenant = subjectTenant(subject, binding, directory);
            if (!Isolation.known(subjectTenant)) {
                continue;
            }
            String who = subject.getKind() + " " + (subject.getNamespace() == null ? "" : subject.getNamespace() + "/")
                    + subject.getName();
            if (clusterWide) {
                boolean powerful = POWERFUL_ROLES.contains(role) || wildcard;
                findings.add(finding(binding, subject, subjectTenant, subjectTenant, CLUSTER_WIDE_RULE,
                        "Tenant identity granted cluster-wide rights", powerful ? "critical" : "high",
                        "ClusterRoleBinding " + binding.getName() + " grants " + role + " cluster-wide to " + who
                                + " of tenant " + subjectTenant + ", reaching every tenant's namespaces", context));
            } else if (bindingTenant.known() && Isolation.known(bindingTenant.tenant())
                    && !bindingTenant.tenant().equals(subjectTenant)) {
                findings.add(finding(binding, subject, bindingTenant.tenant(), subjectTenant, CROSS_TENANT_RULE,
                        "Role binding grants another tenant rights", wildcard ? "critical" : "high",
                        "RoleBinding " + binding.getNamespace() + "/" + binding.getName() + " in tenant "
                                + bindingTenant.tenant() + "'s namespace grants " + role + " to " + who + " of tenant "
                                + subjectTenant, context));
            }
        }
        return findings;
    }

    private static String subjectTenant(Subject subject, TenantContext binding, TenantDirectory directory) {
        String bindingNamespace = binding.getNamespace();
        return switch (subject.getKind()) {
            case "ServiceAccount" -> directory.namespaceTenant(subject.getNamespace() != null ? subject.getNamespace()
                    : bindingNamespace).tenant();
            case "User" -> directory.identityTenant(subject.getName(), List.of()).tenant();
            case "Group" -> subject.getName().startsWith("system:") ? null
                    : directory.groupTenantBefore(subject.getName(), binding).tenant();
            default -> null;
        };
    }

    private Finding finding(TenantContext binding, Subject subject, String victim, String actor, String rule, String title,
                            String severity, String summary, DetectorContext context) {
        // The binding is the evidence; it becomes a synthetic event so findings look like every other finding.
        SecurityEvent event = SecurityEvent.newBuilder()
                .setId(binding.getKind() + "/" + binding.getKey())
                .setTimestamp(binding.getObservedAt() * 1_000_000L)
                .setSourceFormat("k8s-objects")
                .setEvent(EventInfo.newBuilder().setKind("state").setCategory(List.of("iam", "configuration"))
                        .setType(List.of("change")).setAction(binding.getKind()).build())
                .setKubernetes(binding.getNamespace() == null ? null
                        : KubernetesInfo.newBuilder().setNamespace(binding.getNamespace()).build())
                .setTenant(TenantInfo.newBuilder().setOwner(victim).setActor(actor).build())
                .build();
        Map<String, String> evidence = new LinkedHashMap<>();
        evidence.put("binding.kind", binding.getKind());
        evidence.put("binding.name", binding.getName());
        evidence.put("binding.namespace", binding.getNamespace());
        evidence.put("binding.role", binding.getGrants().stream().map(RoleGrant::getRole).findFirst().orElse(null));
        evidence.put("subject.kind", subject.getKind());
        evidence.put("subject.name", subject.getName());
        evidence.put("subject.namespace", subject.getNamespace());
        evidence.put("tenant.owner", victim);
        evidence.put("tenant.actor", actor);
        return context.finding(event).rule(rule, title).severity(Severity.of(severity)).mitre(MITRE)
                .summary(summary).evidence(evidence).identity(binding.getKind() + "/" + binding.getKey(), subject.getKind() + "/" + subject.getNamespace() + "/"
                        + subject.getName()).build();
    }
}
