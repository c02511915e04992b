package dev.bulwark.detection;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

import dev.bulwark.detectors.api.TenantDirectory;
import dev.bulwark.schemas.LabelSelector;
import dev.bulwark.schemas.LabelSelectorSpec;
import dev.bulwark.schemas.RoleGrant;
import dev.bulwark.schemas.TenantContext;

/**
 * Answers "which tenant?" for namespaces, identities and IPs, from the tenant context that Kubernetes objects provide,
 * with the static {@code tenants} configuration as a fallback for clusters without tenant labels.
 *
 * <p>Why: every detector that reasons about isolation asks the same questions; one implementation keeps the answers
 * consistent. Lookups read the global store kept by {@link ContextDirectoryUpdater}, so they are local and cheap.
 */
public final class ContextTenantDirectory implements TenantDirectory {

    private final ReadOnlyKeyValueStore<String, TenantContext> store;
    private final TenantResolver statically;

    /**
     * @param store the directory store (may be null: only the static configuration is used)
     * @param statically namespace-to-tenant mapping from the configuration
     */
    public ContextTenantDirectory(ReadOnlyKeyValueStore<String, TenantContext> store, TenantResolver statically) {
        this.store = store;
        this.statically = statically;
    }

    /** The context object with this kind and key, e.g. {@code ("namespace", "team-a")}, or null. */
    @Override
    public TenantContext object(String kind, String key) {
        return store == null ? null : store.get(ContextDirectoryUpdater.OBJECT + kind + "/" + key);
    }

    /**
     * The tenant owning a namespace: from the namespace's tenant label or annotation, else the static configuration;
     * a namespace known without a tenant is {@link TenantResolver#UNATTRIBUTED}; an unknown one is not known (yet).
     */
    @Override
    public Resolution namespaceTenant(String namespace) {
        if (namespace == null) {
            return Resolution.UNKNOWN;
        }
        TenantContext object = object("namespace", namespace);
        if (object != null && object.getTenant() != null) {
            return new Resolution(object.getTenant(), FROM_CONTEXT);
        }
        String configured = statically.tenantOf(namespace);
        if (!TenantResolver.UNATTRIBUTED.equals(configured)) {
            return new Resolution(configured, FROM_STATIC);
        }
        return object != null ? new Resolution(TenantResolver.UNATTRIBUTED, UNATTRIBUTED_SOURCE) : Resolution.UNKNOWN;
    }

    /**
     * The tenant of an acting identity: a service account belongs to its namespace's tenant; a user or group belongs to
     * the tenant in whose namespaces its role bindings are, when that is exactly one tenant.
     *
     * @param user the Kubernetes user name ({@code system:serviceaccount:ns:name} for service accounts)
     * @param groups the user's groups
     */
    @Override
    public Resolution identityTenant(String user, List<String> groups) {
        if (user == null) {
            return Resolution.UNKNOWN;
        }
        String prefix = "system:serviceaccount:";
        if (user.startsWith(prefix)) {
            String rest = user.substring(prefix.length());
            int colon = rest.indexOf(':');
            return colon > 0 ? namespaceTenant(rest.substring(0, colon)) : Resolution.UNKNOWN;
        }
        TreeSet<String> tenants = new TreeSet<>(tenantsOfBindings(subject("User", user)));
        if (tenants.isEmpty() && groups != null) {
            for (String group : groups) {
                if (!group.startsWith("system:")) {
                    tenants.addAll(tenantsOfBindings(subject("Group", group)));
                }
            }
        }
        tenants.remove(TenantResolver.UNATTRIBUTED);
        if (tenants.size() == 1) {
            return new Resolution(tenants.first(), FROM_CONTEXT);
        }
        return Resolution.UNKNOWN;
    }

    /** The tenant of a group: the one tenant in whose namespaces the group holds role bindings. */
    @Override
    public Resolution groupTenant(String group) {
        TreeSet<String> tenants = new TreeSet<>(tenantsOfBindings(subject("Group", group)));
        tenants.remove(TenantResolver.UNATTRIBUTED);
        return tenants.size() == 1 ? new Resolution(tenants.first(), FROM_CONTEXT) : Resolution.UNKNOWN;
    }

    /**
     * The tenant of a group as the role bindings that changed before {@code binding} say (by {@code observed_at}; the
     * binding itself and bindings of the same instant do not count). A group's home is where it was bound first: a
     * later binding in another tenant's namespace is the drift, whichever order the objects arrive in and however far
     * the directory has caught up.
     */
    @Override
    public Resolution groupTenantBefore(String group, TenantContext binding) {
        TenantContext entry = subject("Group", group);
        if (entry != null) {
            String self = binding.getKind() + "/" + binding.getKey();
            entry = TenantContext.newBuilder(entry).setGrants(entry.getGrants().stream().filter(grant -> {
                if (self.equals(grant.getRole())) {
                    return false;
                }
                int slash = grant.getRole().indexOf('/');
                TenantContext other = slash < 0 ? null
                        : object(grant.getRole().substring(0, slash), grant.getRole().substring(slash + 1));
                return other != null && other.getObservedAt() < binding.getObservedAt();
            }).toList()).build();
        }
        TreeSet<String> tenants = new TreeSet<>(tenantsOfBindings(entry));
        tenants.remove(TenantResolver.UNATTRIBUTED);
        return tenants.size() == 1 ? new Resolution(tenants.first(), FROM_CONTEXT) : Resolution.UNKNOWN;
    }

    /** The pod that holds an IP now, or null. */
    @Override
    public PodRef podByIp(String ip) {
        if (ip == null || store == null) {
            return null;
        }
        TenantContext holder = store.get(ContextDirectoryUpdater.IP + ip);
        return holder == null ? null
                : new PodRef(holder.getNamespace(), holder.getName(), holder.getImage(), holder.getObservedAt());
    }

    /** Role bindings (kind/key) that name this subject. */
    @Override
    public List<String> bindingsOf(String kind, String namespace, String name) {
        TenantContext entry = store == null ? null : store.get(ContextDirectoryUpdater.SUBJECT + kind + "/"
                + (namespace == null ? "" : namespace) + "/" + name);
        return entry == null ? List.of() : entry.getGrants().stream().map(RoleGrant::getRole).toList();
    }

    /**
     * Role bindings (kind/key) that name a service account of this namespace, whichever namespace the binding is in
     * (including ClusterRoleBindings), by prefix scan of the subject index.
     */
    @Override
    public List<String> serviceAccountBindings(String namespace) {
        List<String> bindings = new ArrayList<>();
        if (store == null || namespace == null) {
            return bindings;
        }
        try (KeyValueIterator<String, TenantContext> it = store.prefixScan(ContextDirectoryUpdater.SUBJECT
                + "ServiceAccount/" + namespace + "/", new org.apache.kafka.common.serialization.StringSerializer())) {
            it.forEachRemaining(kv -> kv.value.getGrants().forEach(grant -> {
                if (!bindings.contains(grant.getRole())) {
                    bindings.add(grant.getRole());
                }
            }));
        }
        return bindings;
    }

    /**
     * The rights a subject holds: the rules of every role its bindings reference, including the rules ClusterRoles
     * aggregate from other ClusterRoles by label; each grant's namespace is the binding's (null for cluster-wide).
     * Wildcards ({@code *}) are kept as given; see {@link #hasWildcard}.
     */
    @Override
    public List<RoleGrant> effectiveGrants(String kind, String namespace, String name) {
        List<RoleGrant> grants = new ArrayList<>();
        for (String bindingKey : bindingsOf(kind, namespace, name)) {
            int slash = bindingKey.indexOf('/');
            TenantContext binding = slash < 0 ? null : object(bindingKey.substring(0, slash), bindingKey.substring(slash + 1));
            if (binding == null || binding.getGrants().isEmpty()) {
                continue;
            }
            String roleRef = binding.getGrants().get(0).getRole();
            String bindingNamespace = "clusterrolebinding".equals(binding.getKind()) ? null : binding.getNamespace();
            for (RoleGrant rule : roleRules(roleRef, binding.getNamespace())) {
                grants.add(RoleGrant.newBuilder(rule).setRole(roleRef).setNamespace(bindingNamespace).build());
            }
        }
        return grants;
    }

    /**
     * The rules of a role reference as bindings name it ({@code Role:<name>} in the binding's namespace, or
     * {@code ClusterRole:<name>}), with the rules a ClusterRole aggregates by label.
     */
    @Override
    public List<RoleGrant> roleRules(String roleRef, String bindingNamespace) {
        if (roleRef.startsWith("Role:")) {
            TenantContext role = object("role", bindingNamespace + "/" + roleRef.substring("Role:".length()));
            return role == null ? List.of() : role.getGrants();
        }
        if (!roleRef.startsWith("ClusterRole:")) {
            return List.of();
        }
        TenantContext role = object("clusterrole", roleRef.substring("ClusterRole:".length()));
        if (role == null) {
            return List.of();
        }
        List<RoleGrant> rules = new ArrayList<>(role.getGrants());
        List<LabelSelectorSpec> selectors = role.getAggregationSelectors();
        if (!selectors.isEmpty() && store != null) {
            try (KeyValueIterator<String, TenantContext> it = store.prefixScan(ContextDirectoryUpdater.OBJECT
                    + "clusterrole/", new org.apache.kafka.common.serialization.StringSerializer())) {
                while (it.hasNext()) {
                    TenantContext candidate = it.next().value;
                    if (candidate.getName() != null && !candidate.getName().equals(role.getName())
                            && anySelectorMatches(selectors, candidate.getLabels())) {
                        rules.addAll(candidate.getGrants());
                    }
                }
            }
        }
        return rules;
    }

    /**
     * True when one of a ClusterRole's aggregation selectors selects a ClusterRole with these labels. As in the
     * API server's aggregation controller, each selector is a label selector; an empty one selects every ClusterRole.
     */
    private static boolean anySelectorMatches(List<LabelSelectorSpec> selectors, Map<String, String> labels) {
        for (LabelSelectorSpec selector : selectors) {
            if (LabelSelector.matches(selector, labels)) {
                return true;
            }
        }
        return false;
    }

    /** Every object of a kind in a namespace (e.g. network policies), by prefix scan. */
    @Override
    public List<TenantContext> objectsIn(String kind, String namespace) {
        List<TenantContext> objects = new ArrayList<>();
        if (store == null) {
            return objects;
        }
        String prefix = ContextDirectoryUpdater.OBJECT + kind + "/" + namespace + "/";
        try (KeyValueIterator<String, TenantContext> it = store.prefixScan(prefix,
                new org.apache.kafka.common.serialization.StringSerializer())) {
            it.forEachRemaining(kv -> objects.add(kv.value));
        }
        return objects;
    }

    private TenantContext subject(String kind, String name) {
        return store == null ? null : store.get(ContextDirectoryUpdater.SUBJECT + kind + "//" + name);
    }

    private List<String> tenantsOfBindings(TenantContext subjectEntry) {
        List<String> tenants = new ArrayList<>();
        if (subjectEntry == null) {
            return tenants;
        }
        for (RoleGrant grant : subjectEntry.getGrants()) {
            if (grant.getNamespace() != null) {
                Resolution resolution = namespaceTenant(grant.getNamespace());
                if (resolution.known()) {
                    tenants.add(resolution.tenant());
                }
            }
        }
        return tenants;
    }

    /** For tests and tools: every entry as a map. */
    Map<String, TenantContext> dump() {
        Map<String, TenantContext> all = new java.util.TreeMap<>();
        if (store != null) {
            try (KeyValueIterator<String, TenantContext> it = store.all()) {
                it.forEachRemaining(kv -> all.put(kv.key, kv.value));
            }
        }
        return all;
    }
}
