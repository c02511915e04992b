package dev.bulwark.detectors;

import org.apache.kafka.streams.kstream.KStream;

import dev.bulwark.schemas.Finding;

/**
 * A detector: one small piece of the detection topology that turns events into findings.
 *
 * <p>Why: data engineers add detection logic without touching the core. Implementations are listed in
 * {@code META-INF/services/dev.bulwark.detectors.Detector} and discovered with {@link java.util.ServiceLoader}; each is
 * enabled, disabled and configured by its {@link #name()}.
 */
public interface Detector {

    /** Unique, stable name (kebab-case), used in configuration, finding ids and processor names. */
    String name();

    /** Version of the detection logic; goes into findings so analysts know which logic produced them. */
    default String version() {
        return "1";
    }

    /**
     * The settings this detector accepts under {@code detection.detectors.<name>}, each declared with its type,
     * default and documentation; read them in {@link #build} with {@code context.settings().get(FIELD)}. A key that is
     * not declared here is rejected at start with the valid ones listed. None by default.
     */
    default java.util.List<dev.bulwark.config.Field<?>> settings() {
        return java.util.List.of();
    }

    /** Inputs a detector can read. */
    enum Input {
        /** Security events, enriched with tenants ({@link DetectorContext#events()}). */
        EVENTS,
        /** Changes to tenant context ({@link DetectorContext#contextUpdates()}). */
        CONTEXT_UPDATES,
        /** Lookups in the tenant directory ({@link DetectorContext#directory}). */
        TENANT_DIRECTORY,
        /** The rules topic ({@link DetectorContext#topics()}). */
        RULES
    }

    /**
     * What this detector reads, so operators and data engineers can see what each needs (the topology gives every
     * detector all of them). Defaults to events only.
     */
    default java.util.Set<Input> inputs() {
        return java.util.Set.of(Input.EVENTS);
    }

    /**
     * Adds this detector's processing to the topology.
     *
     * <p>Read events from {@link DetectorContext#events()}, name every stateful operator with the detector's name as a
     * prefix, and return the stream of findings; the topology routes them to the findings topic.
     *
     * @param context the shared event stream, tenant resolution and this detector's configuration
     * @return the findings this detector emits
     */
    KStream<String, Finding> build(DetectorContext context);
}
