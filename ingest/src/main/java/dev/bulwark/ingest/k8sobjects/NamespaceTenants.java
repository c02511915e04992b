package dev.bulwark.ingest.k8sobjects;

import java.util.Objects;

/**
 * The tenant owning a namespace according to something other than the namespace's own metadata, such as the
 * {@code status.namespaces} list of a Capsule {@code Tenant}.
 *
 * <p>Why: a namespace can belong to a tenant without carrying a tenant label, annotation or ownerReference (one
 * created by an administrator and adopted by the tenant, or one whose metadata was edited), while the tenant
 * operator's own record still lists it. {@link KubernetesObjectsParser} asks this only for a {@code Namespace}, and
 * only after its metadata gave no tenant: what the namespace says of itself always wins.
 */
@FunctionalInterface
public interface NamespaceTenants {

    /** Knows no namespace: the parser reads tenants from object metadata only. */
    NamespaceTenants NONE = namespace -> null;

    /**
     * The claim on a namespace, or null when there is none (or more than one tenant claims it, which the implementation
     * should treat as none rather than pick one).
     *
     * @param namespace a namespace name
     */
    Claim claim(String namespace);

    /**
     * A tenant's claim on a namespace.
     *
     * @param tenant the tenant name (validated by the parser like every tenant)
     * @param source what the claim comes from, kept as {@link dev.bulwark.schemas.KubernetesAttributes#TENANT_SOURCE},
     *        e.g. {@code status.namespaces:capsule.clastix.io/v1beta2/Tenant}
     */
    record Claim(String tenant, String source) {
        public Claim {
            Objects.requireNonNull(tenant, "tenant");
            Objects.requireNonNull(source, "source");
        }
    }
}
