package dev.bulwark.detectors.isolation;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

import dev.bulwark.detectors.Detector;
import dev.bulwark.detectors.DetectorContext;
import dev.bulwark.detectors.FindingFactory;
import dev.bulwark.detectors.TenantResolver;
import dev.bulwark.detectors.context.TenantDirectory;
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
 * that gives a tenant's identity cluster-wide rights. Rights are resolved through the referenced Role or ClusterRole,
 * including rules ClusterRoles aggregate by label: wildcard verbs or resources make a finding critical.
 *
 * <p>Why: cross-tenant access usually starts as a binding someone added "temporarily". This detector reads every change
 * to bindings from the tenant context (Kubernetes objects), so it also finds drift that happened before Bulwark was
 * watching, and it runs again when a binding changes. Severity: a cross-tenant namespaced binding is high; cluster-wide
 * rights for a tenant identity are high, and critical when the role is {@code cluster-admin}, {@code admin} or
 * {@code edit}. The finding id is derived from the binding and subject, so re-ingesting the same objects updates the
 * same finding. A binding that names namespaces the tenant directory does not know yet (objects of one snapshot arrive
 * together) is held in memory for up to ten seconds and judged when they appear. Bindings are judged when they change;
 * moving a namespace to another tenant does not re-judge the bindings that already exist (re-ingest them).
 */
public final class RbacDriftDetector implements Detector {

    public static final String CROSS_TENANT_RULE = Isolation.RULE_PREFIX + "rbac_cross_tenant_binding";
    public static final String CLUSTER_WIDE_RULE = Isolation.RULE_PREFIX + "rbac_cluster_wide_tenant_binding";

    private static final MitreAttack MITRE = FindingFactory.mitre(List.of("privilege-escalation", "persistence"),
            List.of("T1078.004", "T1098"));
    private static final List<String> POWERFUL_ROLES = List.of("ClusterRole:cluster-admin", "ClusterRole:admin",
            "ClusterRole:edit");

    /** How long a binding waits for the namespaces it names to appear in the tenant directory. */
    static final java.time.Duration WAIT = java.time.Duration.ofSeconds(10);
    /** Most bindings waiting at once (per task); beyond it they are judged at once. */
    static final int MAX_WAITING = 10_000;

    @Override
    public String name() {
        return "rbac-drift";
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
    public java.util.Set<Input> inputs() {
        return java.util.Set.of(Input.CONTEXT_UPDATES, Input.TENANT_DIRECTORY);
    }

    @Override
    public KStream<String, Finding> build(DetectorContext context) {
        if (context.contextUpdates() == null) {
            throw new IllegalStateException(name() + " needs tenant context; build it with DetectionTopology");
        }
        return context.contextUpdates()
                .filter((key, object) -> object != null
                        && ("rolebinding".equals(object.getKind()) || "clusterrolebinding".equals(object.getKind())),
                        Named.as(name() + "-bindings"))
                .process(() -> new Processor<String, TenantContext, String, Finding>() {
                    private ProcessorContext<String, Finding> processorContext;
                    private TenantDirectory directory;
                    /** Bindings whose namespaces the directory did not know yet, with when they arrived. */
                    private final java.util.LinkedHashMap<String, Record<String, TenantContext>> waiting =
                            new java.util.LinkedHashMap<>();

                    @Override
                    public void init(ProcessorContext<String, Finding> processorContext) {
                        this.processorContext = processorContext;
                        this.directory = context.directory(processorContext);
                        processorContext.schedule(java.time.Duration.ofMillis(500),
                                org.apache.kafka.streams.processor.PunctuationType.WALL_CLOCK_TIME, this::recheck);
                    }

                    @Override
                    public void process(Record<String, TenantContext> record) {
                        if (!contextKnown(record.value(), directory) && waiting.size() < MAX_WAITING) {
                            waiting.remove(record.key());
                            waiting.put(record.key(), record.withTimestamp(processorContext.currentSystemTimeMs()));
                            return;
                        }
                        waiting.remove(record.key());
                        check(record);
                    }

                    private void recheck(long now) {
                        for (var it = waiting.values().iterator(); it.hasNext(); ) {
                            Record<String, TenantContext> record = it.next();
                            if (contextKnown(record.value(), directory) || now - record.timestamp() >= WAIT.toMillis()) {
                                it.remove();
                                check(record);
                            }
                        }
                    }

                    private void check(Record<String, TenantContext> record) {
                        for (Finding finding : findings(record.value(), directory, context.tenants())) {
                            processorContext.forward(new Record<>(finding.getId(), finding, finding.getLastSeen()));
                        }
                    }
                }, Named.as(name() + "-check"));
    }

    /** The drift findings for one binding. */
    List<Finding> findings(TenantContext binding, TenantDirectory directory, TenantResolver tenants) {
        List<Finding> findings = new ArrayList<>();
        String role = binding.getGrants().isEmpty() ? "?" : binding.getGrants().get(0).getRole();
        boolean clusterWide = "clusterrolebinding".equals(binding.getKind());
        TenantDirectory.Resolution bindingTenant = clusterWide ? null : directory.namespaceTenant(binding.getNamespace());
        boolean wildcard = directory.roleRules(role, binding.getNamespace()).stream().anyMatch(TenantDirectory::hasWildcard);
        for (Subject subject : binding.getSubjects()) {
            String subjectTenant = subjectTenant(subject, binding.getNamespace(), directory);
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
                                + " of tenant " + subjectTenant + ", reaching every tenant's namespaces", tenants));
            } else if (bindingTenant.known() && Isolation.known(bindingTenant.tenant())
                    && !bindingTenant.tenant().equals(subjectTenant)) {
                findings.add(finding(binding, subject, bindingTenant.tenant(), subjectTenant, CROSS_TENANT_RULE,
                        "Role binding grants another tenant rights", wildcard ? "critical" : "high",
                        "RoleBinding " + binding.getNamespace() + "/" + binding.getName() + " in tenant "
                                + bindingTenant.tenant() + "'s namespace grants " + role + " to " + who + " of tenant "
                                + subjectTenant, tenants));
            }
        }
        return findings;
    }

    private static String subjectTenant(Subject subject, String bindingNamespace, TenantDirectory directory) {
        return switch (subject.getKind()) {
            case "ServiceAccount" -> directory.namespaceTenant(subject.getNamespace() != null ? subject.getNamespace()
                    : bindingNamespace).tenant();
            case "User" -> directory.identityTenant(subject.getName(), List.of()).tenant();
            case "Group" -> subject.getName().startsWith("system:") ? null
                    : directory.groupTenant(subject.getName()).tenant();
            default -> null;
        };
    }

    private Finding finding(TenantContext binding, Subject subject, String victim, String actor, String rule, String title,
                            String severity, String summary, TenantResolver tenants) {
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
        return FindingFactory.of(this, rule, title, severity, MITRE, summary, event, tenants, evidence,
                binding.getKind() + "/" + binding.getKey(), subject.getKind() + "/" + subject.getNamespace() + "/"
                        + subject.getName());
    }
}
