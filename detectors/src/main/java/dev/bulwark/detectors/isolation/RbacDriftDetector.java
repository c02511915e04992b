package dev.bulwark.detectors.isolation;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.kstream.KStream;

import dev.bulwark.detectors.StateSerde;
import dev.bulwark.detectors.api.Detector;
import dev.bulwark.detectors.api.DetectorApi;
import dev.bulwark.detectors.api.DetectorContext;
import dev.bulwark.detectors.api.FindingBuilder;
import dev.bulwark.detectors.api.Mitre;
import dev.bulwark.detectors.api.Severity;
import dev.bulwark.detectors.api.TenantDirectory;
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
 * stops being cross-tenant is not reported again (findings are history). The waiting and re-judging is
 * {@link RbacDriftProcessor}'s; the judgement of one binding is {@link #findings}.
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

    @Override
    public KStream<String, Finding> build(DetectorContext context) {
        if (context.contextUpdates() == null) {
            throw new IllegalStateException(name() + " needs tenant context; build it with DetectionTopology");
        }
        String namespaces = context.stores().keyValue("namespace-tenants", Serdes.String(), StateSerde.namespaceTenants());
        return context.contextUpdates()
                .filter((key, object) -> key != null && key.startsWith(RbacDriftProcessor.NAMESPACE_PREFIX)
                        || object != null && ("rolebinding".equals(object.getKind())
                        || "clusterrolebinding".equals(object.getKind())),
                        context.named("bindings"))
                .process(() -> new RbacDriftProcessor(namespaces, context.tenants()::directory, context::finding, WAIT,
                        MAX_WAITING), context.named("check"), namespaces);
    }

    /**
     * The drift findings for the chosen subjects of one binding, as the directory shows the tenants now.
     *
     * @param findingOf starts a finding about an event ({@link DetectorContext#finding})
     */
    static List<Finding> findings(TenantContext binding, TenantDirectory directory,
                                  Function<SecurityEvent, FindingBuilder> findingOf, Predicate<Subject> subjects) {
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
                                + " of tenant " + subjectTenant + ", reaching every tenant's namespaces", findingOf));
            } else if (bindingTenant.known() && Isolation.known(bindingTenant.tenant())
                    && !bindingTenant.tenant().equals(subjectTenant)) {
                findings.add(finding(binding, subject, bindingTenant.tenant(), subjectTenant, CROSS_TENANT_RULE,
                        "Role binding grants another tenant rights", wildcard ? "critical" : "high",
                        "RoleBinding " + binding.getNamespace() + "/" + binding.getName() + " in tenant "
                                + bindingTenant.tenant() + "'s namespace grants " + role + " to " + who + " of tenant "
                                + subjectTenant, findingOf));
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

    private static Finding finding(TenantContext binding, Subject subject, String victim, String actor, String rule,
                                   String title, String severity, String summary,
                                   Function<SecurityEvent, FindingBuilder> findingOf) {
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
        return findingOf.apply(event).rule(rule, title).severity(Severity.of(severity)).mitre(MITRE)
                .summary(summary).evidence(evidence).identity(binding.getKind() + "/" + binding.getKey(), subject.getKind() + "/" + subject.getNamespace() + "/"
                        + subject.getName()).build();
    }
}
