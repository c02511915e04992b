package dev.bulwark.contextwatch;

import java.util.Arrays;
import java.util.List;

/**
 * The Kubernetes kinds the watcher informs on and publishes, with their context kind (the first part of a context
 * topic key) and scope.
 *
 * <p>Why: the context kinds must be exactly the parser's, since the watcher's restart reconcile tombstones keys by
 * their kind prefix; {@code ClusterContextWatcherTest} checks each against the parser's keys.
 */
enum WatchedKind {
    NAMESPACE("Namespace", "namespace", "namespaces", false),
    SERVICE_ACCOUNT("ServiceAccount", "serviceaccount", "serviceaccounts", true),
    ROLE("Role", "role", "roles", true),
    CLUSTER_ROLE("ClusterRole", "clusterrole", "clusterroles", false),
    ROLE_BINDING("RoleBinding", "rolebinding", "rolebindings", true),
    CLUSTER_ROLE_BINDING("ClusterRoleBinding", "clusterrolebinding", "clusterrolebindings", false),
    POD("Pod", "pod", "pods", true),
    NETWORK_POLICY("NetworkPolicy", "networkpolicy", "networkpolicies", true),
    /** Capsule Tenants, watched only when the cluster serves them. */
    TENANT("Tenant", "tenant", "tenants", false);

    private final String kind;
    private final String contextKind;
    private final String resource;
    private final boolean namespaced;

    WatchedKind(String kind, String contextKind, String resource, boolean namespaced) {
        this.kind = kind;
        this.contextKind = contextKind;
        this.resource = resource;
        this.namespaced = namespaced;
    }

    /** The Kubernetes kind, e.g. {@code ClusterRoleBinding}. */
    String kind() {
        return kind;
    }

    /** The context kind, e.g. {@code clusterrolebinding}: context topic keys are {@code <context kind>/<key>}. */
    String contextKind() {
        return contextKind;
    }

    /** The API resource (plural), e.g. {@code clusterrolebindings}. */
    String resource() {
        return resource;
    }

    boolean namespaced() {
        return namespaced;
    }

    /** The kind a context topic key belongs to, or null when it is not one of these. */
    static WatchedKind ofKey(String contextKey) {
        int slash = contextKey.indexOf('/');
        if (slash < 0) {
            return null;
        }
        String prefix = contextKey.substring(0, slash);
        for (WatchedKind kind : values()) {
            if (kind.contextKind.equals(prefix)) {
                return kind;
            }
        }
        return null;
    }

    /**
     * The informer cache key ({@code namespace/name} or {@code name}) of a context key of this kind, or null when the
     * key cannot name an object of this kind (a namespaced key without exactly one {@code /}, an empty part).
     */
    String cacheKey(String contextKey) {
        String key = contextKey.substring(contextKind.length() + 1);
        int slash = key.indexOf('/');
        boolean valid = namespaced
                ? slash > 0 && slash < key.length() - 1 && key.indexOf('/', slash + 1) < 0
                : !key.isEmpty() && slash < 0;
        return valid ? key : null;
    }

    static List<String> contextKinds() {
        return Arrays.stream(values()).map(WatchedKind::contextKind).toList();
    }
}
