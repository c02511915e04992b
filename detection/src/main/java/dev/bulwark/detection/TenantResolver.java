package dev.bulwark.detection;

import java.util.Map;

/**
 * Maps a Kubernetes namespace to the tenant that owns it.
 *
 * <p>Why: every finding is attributed to a tenant so each tenant sees its own findings. This static resolver reads
 * the {@code tenants} section of the configuration; namespaces it does not know are {@link #UNATTRIBUTED}, which SOC
 * analysts can see and fix.
 */
public final class TenantResolver {

    /** Tenant of workloads whose owner is not known. */
    public static final String UNATTRIBUTED = dev.bulwark.detectors.api.Tenants.UNATTRIBUTED;

    private final Map<String, String> tenantByNamespace;

    /** @param tenantByNamespace namespace name to tenant name */
    public TenantResolver(Map<String, String> tenantByNamespace) {
        this.tenantByNamespace = Map.copyOf(tenantByNamespace);
    }

    /** A resolver that knows no namespaces. */
    public static TenantResolver none() {
        return new TenantResolver(Map.of());
    }

    /** The owning tenant of a namespace, or {@link #UNATTRIBUTED}. */
    public String tenantOf(String namespace) {
        if (namespace == null) {
            return UNATTRIBUTED;
        }
        return tenantByNamespace.getOrDefault(namespace, UNATTRIBUTED);
    }
}
