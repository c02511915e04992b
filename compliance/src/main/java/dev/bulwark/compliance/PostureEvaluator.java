package dev.bulwark.compliance;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.LabelSelectorSpec;
import dev.bulwark.schemas.NetworkPolicySpec;
import dev.bulwark.schemas.PolicyResult;
import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.schemas.TenantContext;

/**
 * Judges every control of the catalogue against one view of a cluster: the tenant context as it is now, the newest
 * ingested compliance reports and the open findings. The result is per control and namespace (with the namespace's
 * tenant), plus cluster-wide results for what belongs to no namespace (ClusterRoles, Trivy's cluster-level controls).
 *
 * <p>Why per namespace: a tenant sees its own namespaces' posture and nothing else, and a SOC analyst sees every
 * tenant side by side; both are filters over the same results.
 *
 * <ul>
 *   <li>Pod checks judge every pod record of the namespace; a namespace without pods has status {@code none}.</li>
 *   <li>Namespace checks judge the namespace's NetworkPolicies: any at all ({@code namespace-has-network-policy}), or a
 *       default-deny ingress policy: empty pod selector, Ingress among its types and no ingress rule
 *       ({@code namespace-default-deny}).</li>
 *   <li>{@code rbac-no-wildcard} judges Roles per namespace and ClusterRoles cluster-wide.</li>
 *   <li>{@code pod-images-verified} fails a pod with an unverified-image-running finding.</li>
 *   <li>A Trivy compliance result (Kubernetes CIS or NSA/CISA, see {@link #trivyFramework}) for a control of the catalogue adds a
 *       cluster-wide result judged by Trivy, and fails the namespaces it names as failing; Trivy's controls the
 *       catalogue does not have (API server flags, etcd) are kept as cluster-wide results too. The newest result per
 *       control counts.</li>
 * </ul>
 */
public final class PostureEvaluator {

    /** Most failing resources listed in one result. */
    public static final int MAX_FAILING = 100;
    /** The tenant of a namespace without one. */
    public static final String UNATTRIBUTED = "unattributed";
    public static final Set<String> UNVERIFIED_RULES = Set.of("bulwark.integrity.image_not_verified",
            "bulwark.integrity.image_verification_failed");

    private final ControlCatalogue catalogue;

    public PostureEvaluator(ControlCatalogue catalogue) {
        this.catalogue = Objects.requireNonNull(catalogue, "catalogue");
    }

    /**
     * Every control's results.
     *
     * @param context the live tenant context records (deleted ones left out)
     * @param reports ingested report events (those with a {@code policy} result; others are ignored)
     * @param findings findings that are still relevant (a finding about a pod that is gone changes nothing)
     */
    public List<ControlResult> evaluate(Collection<TenantContext> context, Collection<SecurityEvent> reports,
                                        Collection<Finding> findings) {
        Set<String> unverified = new java.util.HashSet<>();
        for (Finding finding : findings) {
            if (UNVERIFIED_RULES.contains(finding.getRule().getId()) && finding.getNamespace() != null
                    && finding.getPod() != null) {
                unverified.add(finding.getNamespace() + "/" + finding.getPod());
            }
        }
        return evaluate(context, reports, unverified);
    }

    /**
     * Every control's results, with the pods that have an unverified-image finding given as {@code <namespace>/<pod>}.
     */
    public List<ControlResult> evaluate(Collection<TenantContext> context, Collection<SecurityEvent> reports,
                                        Set<String> unverifiedPods) {
        View view = new View(context, unverifiedPods);
        Map<String, ControlResult> results = new TreeMap<>();
        for (Control control : catalogue.controls()) {
            for (ControlResult result : judge(control, view)) {
                results.put(result.key(), result);
            }
        }
        mergeTrivy(reports, view, results);
        return List.copyOf(results.values());
    }

    private List<ControlResult> judge(Control control, View view) {
        List<ControlResult> out = new ArrayList<>();
        Check check = control.check();
        for (Map.Entry<String, String> namespace : view.tenants.entrySet()) {
            String ns = namespace.getKey();
            int checked = 0;
            List<String> failing = new ArrayList<>();
            switch (check.scope()) {
                case POD -> {
                    for (TenantContext pod : view.in("pod", ns)) {
                        checked++;
                        boolean passes = check == Check.POD_IMAGES_VERIFIED
                                ? !view.unverifiedPods.contains(pod.getKey()) : check.podPasses(pod);
                        if (!passes) {
                            failing.add("pod/" + pod.getKey());
                        }
                    }
                }
                case NAMESPACE -> {
                    checked = 1;
                    List<TenantContext> policies = view.in("networkpolicy", ns);
                    boolean passes = check == Check.NAMESPACE_HAS_NETWORK_POLICY ? !policies.isEmpty()
                            : policies.stream().anyMatch(PostureEvaluator::defaultDenyIngress);
                    if (!passes) {
                        failing.add("namespace/" + ns);
                    }
                }
                case ROLE -> {
                    for (TenantContext role : view.in("role", ns)) {
                        checked++;
                        if (!Check.roleHasNoWildcard(role)) {
                            failing.add("role/" + role.getKey());
                        }
                    }
                }
            }
            out.add(result(control, namespace.getValue(), ns, checked, failing, List.of("bulwark")));
        }
        if (check == Check.RBAC_NO_WILDCARD) {
            List<String> failing = new ArrayList<>();
            List<TenantContext> roles = view.of("clusterrole");
            for (TenantContext role : roles) {
                if (!Check.roleHasNoWildcard(role)) {
                    failing.add("clusterrole/" + role.getKey());
                }
            }
            out.add(result(control, null, null, roles.size(), failing, List.of("bulwark")));
        }
        return out;
    }

    /** A default-deny ingress policy: every pod selected, Ingress among its types, and no ingress rule. */
    static boolean defaultDenyIngress(TenantContext policy) {
        NetworkPolicySpec spec = policy.getNetworkPolicy();
        if (spec == null) {
            return false;
        }
        LabelSelectorSpec selector = spec.getPodSelector();
        boolean everyPod = selector == null || selector.getMatchLabels().isEmpty() && selector.getMatchExpressions().isEmpty();
        boolean ingress = spec.getPolicyTypes().isEmpty() || spec.getPolicyTypes().contains("Ingress");
        return everyPod && ingress && spec.getIngress().isEmpty();
    }

    private static ControlResult result(Control control, String tenant, String namespace, int checked,
                                        List<String> failing, List<String> sources) {
        List<String> sorted = new ArrayList<>(new TreeSet<>(failing));
        int total = sorted.size();
        String status = checked == 0 && total == 0 ? "none" : total > 0 ? "fail" : "pass";
        return new ControlResult(control.framework(), control.id(), control.title(), tenant, namespace, status, checked,
                sorted.subList(0, Math.min(total, MAX_FAILING)), total, sources);
    }

    /** Adds the newest Trivy result of each control, cluster-wide, and fails the namespaces it names. */
    private void mergeTrivy(Collection<SecurityEvent> reports, View view, Map<String, ControlResult> results) {
        Map<String, SecurityEvent> newest = new TreeMap<>();
        for (SecurityEvent event : reports) {
            PolicyResult policy = event.getPolicy();
            String framework = policy == null ? null : trivyFramework(policy);
            if (framework == null || policy.getRule() == null) {
                continue;
            }
            String key = framework + "/" + policy.getRule();
            SecurityEvent before = newest.get(key);
            if (before == null || before.getTimestamp() <= event.getTimestamp()) {
                newest.put(key, event);
            }
        }
        for (Map.Entry<String, SecurityEvent> entry : newest.entrySet()) {
            PolicyResult policy = entry.getValue().getPolicy();
            String framework = entry.getKey().substring(0, entry.getKey().indexOf('/'));
            Control control = catalogue.control(framework, policy.getRule());
            String title = control != null ? control.title() : policy.getMessage() == null ? policy.getRule()
                    : policy.getMessage();
            Map<String, String> attributes = entry.getValue().getAttributes();
            List<String> targets = split(attributes.get("trivy.compliance.failed_targets"));
            boolean fails = "fail".equals(policy.getVerdict());
            String status = fails ? "fail" : "pass".equals(policy.getVerdict()) ? "pass" : "none";
            ControlResult cluster = new ControlResult(framework, policy.getRule(), title, null, null, status, 1,
                    targets.subList(0, Math.min(targets.size(), MAX_FAILING)),
                    fails ? Math.max(1, targets.size()) : 0, List.of("trivy"));
            ControlResult own = results.get(cluster.key());
            results.put(cluster.key(), own == null ? cluster : combine(own, cluster));
            if (!fails) {
                continue;
            }
            for (String namespace : split(attributes.get("trivy.compliance.failed_namespaces"))) {
                String tenant = view.tenants.getOrDefault(namespace, UNATTRIBUTED);
                String key = framework + "/" + policy.getRule() + "/" + tenant + "/" + namespace;
                ControlResult flagged = new ControlResult(framework, policy.getRule(), title, tenant, namespace, "fail",
                        1, List.of("namespace/" + namespace), 1, List.of("trivy"));
                ControlResult before = results.get(key);
                results.put(key, before == null ? flagged : combine(before, flagged));
            }
        }
    }

    /** Two judgements of one control and place: it fails if either fails. */
    private static ControlResult combine(ControlResult a, ControlResult b) {
        Set<String> failing = new TreeSet<>(a.failing());
        failing.addAll(b.failing());
        Set<String> sources = new LinkedHashSet<>(a.sources());
        sources.addAll(b.sources());
        String status = "fail".equals(a.status()) || "fail".equals(b.status()) ? "fail"
                : "pass".equals(a.status()) || "pass".equals(b.status()) ? "pass" : "none";
        List<String> listed = new ArrayList<>(failing);
        return new ControlResult(a.framework(), a.controlId(), a.title(), a.tenant(), a.namespace(), status,
                Math.max(a.checked(), b.checked()), listed.subList(0, Math.min(listed.size(), MAX_FAILING)),
                Math.max(listed.size(), Math.max(a.failingTotal(), b.failingTotal())), List.copyOf(sources));
    }

    /**
     * The framework of a Trivy compliance result: {@code cis} for the Kubernetes CIS spec ({@code k8s-cis-*} from the
     * CLI, {@code cis} from trivy-operator, or a title naming the CIS Kubernetes Benchmark), {@code nsa} for the
     * NSA/CISA spec ({@code k8s-nsa-*}, {@code nsa}, or a title naming NSA), else null (another platform's CIS
     * benchmark, a policy report).
     */
    public static String trivyFramework(PolicyResult policy) {
        String spec = policy.getPolicy().toLowerCase(java.util.Locale.ROOT);
        String title = policy.getCategory() == null ? "" : policy.getCategory().toLowerCase(java.util.Locale.ROOT);
        if (spec.startsWith("k8s-cis") || spec.equals("cis") || title.contains("cis kubernetes")) {
            return "cis";
        }
        if (spec.startsWith("k8s-nsa") || spec.equals("nsa") || title.equals("nsa") || title.contains("nsa/cisa")) {
            return "nsa";
        }
        return null;
    }

    private static List<String> split(String joined) {
        if (joined == null || joined.isBlank()) {
            return List.of();
        }
        return List.of(joined.split(",")).stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
    }

    /** The context indexed for judging. */
    private static final class View {
        /** Namespace to tenant, for every namespace known from a namespace record or an object in it. */
        final Map<String, String> tenants = new TreeMap<>();
        final Map<String, List<TenantContext>> byKindAndNamespace = new TreeMap<>();
        final Set<String> unverifiedPods = new java.util.HashSet<>();

        View(Collection<TenantContext> context, Set<String> unverifiedPods) {
            for (TenantContext object : context) {
                if ("namespace".equals(object.getKind())) {
                    // A namespace's key is its name (the name field may be absent in hand-made records).
                    String name = object.getName() != null ? object.getName() : object.getKey();
                    tenants.put(name, object.getTenant() == null ? UNATTRIBUTED : object.getTenant());
                }
            }
            for (TenantContext object : context) {
                String kind = object.getKind();
                if (object.getNamespace() != null && !"namespace".equals(kind)) {
                    tenants.putIfAbsent(object.getNamespace(), UNATTRIBUTED);
                }
                String namespace = "clusterrole".equals(kind) ? "" : object.getNamespace();
                if (namespace != null) {
                    byKindAndNamespace.computeIfAbsent(kind + "/" + namespace, k -> new ArrayList<>()).add(object);
                }
            }
            this.unverifiedPods.addAll(unverifiedPods);
        }

        List<TenantContext> in(String kind, String namespace) {
            return byKindAndNamespace.getOrDefault(kind + "/" + namespace, List.of());
        }

        List<TenantContext> of(String kind) {
            return in(kind, "");
        }
    }
}
