package dev.bulwark.detectors.api;

import org.apache.kafka.streams.processor.api.ProcessingContext;

/**
 * Tenant lookups for a detector: the static namespace mapping at build time, the {@link TenantDirectory} in processors.
 *
 * <p>Events reach detectors with {@code tenant.owner} (and {@code actor}, {@code peer}) already filled in; use these
 * lookups for anything else, such as the tenant of an IP's pod or of a binding's subject.
 */
public interface Tenants {

    /** The tenant of workloads and identities whose owner is not known. */
    String UNATTRIBUTED = "unattributed";

    /** The tenant the static {@code tenants} configuration gives a namespace, or {@link #UNATTRIBUTED}. */
    String ofNamespace(String namespace);

    /**
     * The tenant directory, for a processor's {@code init}. The processor must be added with the directory's store
     * connected; detectors get that for free because the directory is a global store.
     *
     * @param processorContext the context the processor's {@code init} got
     */
    TenantDirectory directory(ProcessingContext processorContext);
}
