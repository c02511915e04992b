package dev.bulwark.detectors;

import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.processor.api.ProcessingContext;

import dev.bulwark.config.Settings;
import dev.bulwark.detectors.context.TenantDirectory;
import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.schemas.TenantContext;
import dev.bulwark.schemas.Topics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * What a {@link Detector} gets to build its part of the topology.
 *
 * @param builder the topology builder, for detectors that need their own stores or topics
 * @param events every decoded event, keyed by container/pod/object, with {@code tenant.*} filled in
 * @param tenants the static namespace-to-tenant configuration (prefer {@link #directory} inside processors)
 * @param settings this detector's settings ({@code detection.detectors.<name>.*}), parsed and validated against
 *        {@link Detector#settings()}; read them with {@code settings().get(FIELD)}
 * @param contextUpdates every change to tenant context (Kubernetes objects; null value = deleted), keyed
 *        {@code kind/key}; null when the topology has no context
 * @param directoryStore name of the global tenant-directory store; null when the topology has no context
 * @param topics the topic registry, for detectors that read another topic (rules) or dead-letter what they reject
 * @param metrics where detectors register their own meters
 */
public record DetectorContext(StreamsBuilder builder, KStream<String, SecurityEvent> events, TenantResolver tenants,
                              Settings settings, KStream<String, TenantContext> contextUpdates,
                              String directoryStore, Topics topics, MeterRegistry metrics) {

    /** A context without tenant context, on the default topics with a private meter registry. */
    public DetectorContext(StreamsBuilder builder, KStream<String, SecurityEvent> events, TenantResolver tenants,
                           Settings settings) {
        this(builder, events, tenants, settings, null, null, Topics.defaults(), new SimpleMeterRegistry());
    }

    /**
     * The tenant directory, for use in a processor's {@code init}: lookups of namespaces, identities, pod IPs and
     * role bindings against the global store.
     */
    public TenantDirectory directory(ProcessingContext processorContext) {
        return new TenantDirectory(directoryStore == null ? null : processorContext.getStateStore(directoryStore), tenants);
    }
}
