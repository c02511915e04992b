package dev.bulwark.contextwatch;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;

import dev.bulwark.ingest.k8sobjects.NamespaceTenants;

/**
 * Which Capsule {@code Tenant} lists which namespace in its {@code status.namespaces}, as a {@link NamespaceTenants}
 * for the parser.
 *
 * <p>Why: Capsule records the namespaces of a tenant in the Tenant's status; a namespace of a tenant that lacks the
 * tenant label, annotation and ownerReference (created before Capsule adopted it, or with its metadata edited) is
 * still attributed. A namespace listed by two tenants is attributed to neither: guessing would put one tenant's
 * findings in another's view. Guarded by its own monitor; the watcher calls it under its lock.
 */
final class CapsuleTenants implements NamespaceTenants {

    static final String GROUP = "capsule.clastix.io";
    static final String VERSION = "v1beta2";
    static final String API_VERSION = GROUP + "/" + VERSION;
    static final String KIND = "Tenant";
    static final String RESOURCE = "tenants";
    /** The tenant source of a namespace attributed from a Tenant's status. */
    static final String SOURCE = "status.namespaces:" + API_VERSION + "/" + KIND;

    private final Map<String, Set<String>> namespacesByTenant = new HashMap<>();
    private final Map<String, Set<String>> tenantsByNamespace = new HashMap<>();

    @Override
    public synchronized Claim claim(String namespace) {
        Set<String> tenants = tenantsByNamespace.get(namespace);
        return tenants != null && tenants.size() == 1 ? new Claim(tenants.iterator().next(), SOURCE) : null;
    }

    /**
     * Records the namespaces a tenant lists now.
     *
     * @return the namespaces whose claim changed (gained, lost or switched tenant), to be published again
     */
    synchronized Set<String> update(String tenant, Collection<String> namespaces) {
        Set<String> now = new TreeSet<>(namespaces);
        Set<String> before = namespacesByTenant.getOrDefault(tenant, Set.of());
        Set<String> touched = new LinkedHashSet<>(before);
        touched.addAll(now);
        Map<String, Claim> claimsBefore = claims(touched);
        for (String namespace : before) {
            Set<String> tenants = tenantsByNamespace.get(namespace);
            tenants.remove(tenant);
            if (tenants.isEmpty()) {
                tenantsByNamespace.remove(namespace);
            }
        }
        for (String namespace : now) {
            tenantsByNamespace.computeIfAbsent(namespace, k -> new TreeSet<>()).add(tenant);
        }
        if (now.isEmpty()) {
            namespacesByTenant.remove(tenant);
        } else {
            namespacesByTenant.put(tenant, now);
        }
        Set<String> changed = new LinkedHashSet<>();
        for (String namespace : touched) {
            if (!Objects.equals(claimsBefore.get(namespace), claim(namespace))) {
                changed.add(namespace);
            }
        }
        return changed;
    }

    /** Forgets a deleted tenant; returns the namespaces whose claim changed. */
    synchronized Set<String> remove(String tenant) {
        return update(tenant, List.of());
    }

    /** Namespaces listed by more than one tenant (attributed to none). */
    synchronized Set<String> contested() {
        Set<String> contested = new TreeSet<>();
        tenantsByNamespace.forEach((namespace, tenants) -> {
            if (tenants.size() > 1) {
                contested.add(namespace);
            }
        });
        return contested;
    }

    private Map<String, Claim> claims(Set<String> namespaces) {
        Map<String, Claim> claims = new HashMap<>();
        for (String namespace : namespaces) {
            claims.put(namespace, claim(namespace));
        }
        return claims;
    }

    /** The string entries of a Tenant's {@code status.namespaces}; anything else there is ignored. */
    static List<String> statusNamespaces(GenericKubernetesResource tenant) {
        Object listed = tenant.get("status", "namespaces");
        List<String> namespaces = new ArrayList<>();
        if (listed instanceof List<?> list) {
            for (Object item : list) {
                if (item instanceof String namespace && !namespace.isEmpty()) {
                    namespaces.add(namespace);
                }
            }
        }
        return namespaces;
    }
}
