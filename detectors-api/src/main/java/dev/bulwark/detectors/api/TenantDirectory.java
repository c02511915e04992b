package dev.bulwark.detectors.api;

import java.util.List;

import dev.bulwark.schemas.RoleGrant;
import dev.bulwark.schemas.TenantContext;

/**
 * Answers "which tenant?" for namespaces, identities and IPs, and finds the Kubernetes objects of the tenant context
 * (namespaces, pods, role bindings, roles, network policies), as the context topic has described them so far.
 *
 * <p>Why: every detector that reasons about isolation asks the same questions; one implementation keeps the answers
 * consistent. Get one in a processor's {@code init} with {@link Tenants#directory}; lookups read a local store and are
 * cheap, but they see the context only as far as it has arrived, so a lookup can be unknown now and known later.
 */
public interface TenantDirectory {

    /** How a resolution was found: from the tenant context (labels, annotations, bindings). */
    String FROM_CONTEXT = "context";
    /** How a resolution was found: from the static {@code tenants} configuration. */
    String FROM_STATIC = "static";
    /** How a resolution was found: the object is known and belongs to no tenant. */
    String UNATTRIBUTED_SOURCE = "unattributed";

    /** A tenant and how it was found ({@link #FROM_CONTEXT}, ...); {@code tenant} is null when nothing is known yet. */
    record Resolution(String tenant, String source) {
        /** Nothing is known (yet). */
        public static final Resolution UNKNOWN = new Resolution(null, null);

        /** True when a tenant (or {@link Tenants#UNATTRIBUTED}) was found. */
        public boolean known() {
            return tenant != null;
        }
    }

    /** A pod found by its IP, and when that was observed (epoch ms). */
    record PodRef(String namespace, String name, String image, long observedAt) {
    }

    /** The context object with this kind and key, e.g. {@code ("namespace", "team-a")}, or null when not known. */
    TenantContext object(String kind, String key);

    /** Every object of a kind in a namespace (e.g. network policies), in key order. */
    List<TenantContext> objectsIn(String kind, String namespace);

    /**
     * The tenant owning a namespace: from the namespace's tenant label or annotation, else the static configuration.
     * A namespace known without a tenant is {@link Tenants#UNATTRIBUTED}; an unknown one is {@link Resolution#UNKNOWN}.
     */
    Resolution namespaceTenant(String namespace);

    /**
     * The tenant of an acting identity: a service account belongs to its namespace's tenant; a user or group belongs to
     * the tenant in whose namespaces its role bindings are, when that is exactly one tenant.
     *
     * @param user the Kubernetes user name ({@code system:serviceaccount:<ns>:<name>} for service accounts)
     * @param groups the user's groups
     */
    Resolution identityTenant(String user, List<String> groups);

    /** The tenant of a group: the one tenant in whose namespaces the group holds role bindings. */
    Resolution groupTenant(String group);

    /**
     * The tenant of a group as the role bindings observed before {@code binding} say (by {@code observed_at}; the
     * binding itself and bindings of the same instant do not count). A group's home is where it was bound first, so a
     * later binding in another tenant's namespace is the drift, whatever order the objects arrive in.
     */
    Resolution groupTenantBefore(String group, TenantContext binding);

    /** The pod that holds an IP now, or null. */
    PodRef podByIp(String ip);

    /** Role bindings (as {@code kind/key}) that name this subject. */
    List<String> bindingsOf(String kind, String namespace, String name);

    /** Role bindings (as {@code kind/key}) that name a service account of this namespace, wherever the binding is. */
    List<String> serviceAccountBindings(String namespace);

    /**
     * The rights a subject holds: the rules of every role its bindings reference, including rules ClusterRoles
     * aggregate by label; each grant's namespace is the binding's (null for cluster-wide). Wildcards are kept.
     */
    List<RoleGrant> effectiveGrants(String kind, String namespace, String name);

    /**
     * The rules of a role reference as bindings name it ({@code Role:<name>} in the binding's namespace, or
     * {@code ClusterRole:<name>}), with the rules a ClusterRole aggregates by label.
     */
    List<RoleGrant> roleRules(String roleRef, String bindingNamespace);

    /** True when a grant allows every verb or every resource ({@code *}). */
    static boolean hasWildcard(RoleGrant grant) {
        return grant.getVerbs().contains("*") || grant.getResources().contains("*");
    }
}
