package dev.bulwark.ingest.k8sobjects;

import static dev.bulwark.ingest.k8sobjects.K8sFields.quote;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import dev.bulwark.ingest.ParseException;

/**
 * The Kubernetes kinds that carry tenant context, with their scope, API groups, name rule and context kind.
 *
 * <p>Why: the kind decides the key shape ({@code name} or {@code namespace/name}) and which names are valid, and the
 * API group tells the real kind apart from a custom resource of the same name (Calico's
 * {@code crd.projectcalico.org/v1 NetworkPolicy} has a different spec).
 */
enum ObjectKind {
    NAMESPACE("Namespace", "namespace", false, NameRule.DNS_LABEL, Set.of("")),
    SERVICE_ACCOUNT("ServiceAccount", "serviceaccount", true, NameRule.DNS_SUBDOMAIN, Set.of("")),
    ROLE("Role", "role", true, NameRule.PATH_SEGMENT, Set.of(ObjectKind.RBAC_GROUP)),
    CLUSTER_ROLE("ClusterRole", "clusterrole", false, NameRule.PATH_SEGMENT, Set.of(ObjectKind.RBAC_GROUP)),
    ROLE_BINDING("RoleBinding", "rolebinding", true, NameRule.PATH_SEGMENT, Set.of(ObjectKind.RBAC_GROUP)),
    CLUSTER_ROLE_BINDING("ClusterRoleBinding", "clusterrolebinding", false, NameRule.PATH_SEGMENT,
            Set.of(ObjectKind.RBAC_GROUP)),
    POD("Pod", "pod", true, NameRule.DNS_SUBDOMAIN, Set.of("")),
    NETWORK_POLICY("NetworkPolicy", "networkpolicy", true, NameRule.DNS_SUBDOMAIN, Set.of("networking.k8s.io", "extensions")),
    /** A Capsule Tenant: its name is the tenant, its spec says which registries its pods may use. */
    TENANT("Tenant", "tenant", false, NameRule.DNS_SUBDOMAIN, Set.of("capsule.clastix.io"));

    /** The RBAC API group. */
    static final String RBAC_GROUP = "rbac.authorization.k8s.io";

    /** How the API server validates names of a kind. */
    enum NameRule {
        DNS_LABEL, DNS_SUBDOMAIN, PATH_SEGMENT;

        String check(String name, String what) throws ParseException {
            return switch (this) {
                case DNS_LABEL -> Names.dnsLabel(name, what);
                case DNS_SUBDOMAIN -> Names.dnsSubdomain(name, what);
                case PATH_SEGMENT -> Names.pathSegment(name, what);
            };
        }
    }

    private final String kind;
    private final String contextKind;
    private final boolean namespaced;
    private final NameRule nameRule;
    private final Set<String> apiGroups;

    ObjectKind(String kind, String contextKind, boolean namespaced, NameRule nameRule, Set<String> apiGroups) {
        this.kind = kind;
        this.contextKind = contextKind;
        this.namespaced = namespaced;
        this.nameRule = nameRule;
        this.apiGroups = apiGroups;
    }

    /** The Kubernetes kind, e.g. {@code ClusterRoleBinding}. */
    String kind() {
        return kind;
    }

    /** The TenantContext kind, e.g. {@code clusterrolebinding}. */
    String contextKind() {
        return contextKind;
    }

    boolean namespaced() {
        return namespaced;
    }

    NameRule nameRule() {
        return nameRule;
    }

    /** The kind with this Kubernetes name, or null. */
    static ObjectKind byKind(String kind) {
        for (ObjectKind candidate : values()) {
            if (candidate.kind.equals(kind)) {
                return candidate;
            }
        }
        return null;
    }

    /** Kubernetes names of every supported kind, for messages. */
    static String supported() {
        return Arrays.stream(values()).map(ObjectKind::kind).collect(Collectors.joining(", "));
    }

    /** Rejects an apiVersion of another group than this kind's (the core group is {@code v1}, without a slash). */
    void checkApiVersion(String apiVersion) throws ParseException {
        if (apiVersion == null) {
            return;
        }
        int slash = apiVersion.indexOf('/');
        String group = slash < 0 ? "" : apiVersion.substring(0, slash);
        if (!apiGroups.contains(group)) {
            List<String> expected = apiGroups.stream().sorted().map(g -> g.isEmpty() ? "v1" : g + "/*").toList();
            throw new ParseException("kind " + kind + " with apiVersion " + quote(apiVersion) + " is not the Kubernetes "
                    + kind + " (expected apiVersion " + String.join(" or ", expected) + ")");
        }
    }
}
