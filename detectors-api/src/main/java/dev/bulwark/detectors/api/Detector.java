package dev.bulwark.detectors.api;

import java.util.List;

import org.apache.kafka.streams.kstream.KStream;

import dev.bulwark.config.Field;
import dev.bulwark.schemas.Finding;

/**
 * A detector: one small piece of the detection topology that turns events into findings.
 *
 * <p>Why: data engineers add detection logic without touching the core. A detector is a class with a public no-argument
 * constructor, listed in {@code META-INF/services/dev.bulwark.detectors.api.Detector} of its jar; Bulwark discovers it
 * with {@link java.util.ServiceLoader}, from its own class path or from the jars in {@code detection.plugins}, and
 * enables, disables and configures it by {@link #name()}.
 */
public interface Detector {

    /**
     * The detector's unique, stable name in kebab-case ({@code crypto-miner}). It names the detector's configuration
     * block ({@code detection.detectors.<name>}), its processors, state stores and meters, and goes into the ids of its
     * findings, so changing it starts the detector over with empty state.
     */
    String name();

    /**
     * The detector API version this detector was compiled against: implement it as {@code return DetectorApi.VERSION;}.
     * The compiler copies the value of the API you build with into your class, so Bulwark can refuse, with a clear
     * message, a detector built for an API it does not have ({@link DetectorApi#incompatibility}).
     */
    String apiVersion();

    /**
     * The version of this detector's logic, recorded in every finding's {@code rule.version} so analysts can tell
     * which logic produced it. Change it when what the detector reports changes.
     */
    default String version() {
        return "1";
    }

    /**
     * The settings this detector accepts under {@code detection.detectors.<name>}, each declared with its type,
     * default and documentation. Bulwark validates the block at start, refusing unknown keys with the valid ones
     * listed, and hands the parsed values to {@link #build} as {@link DetectorContext#settings()}. None by default.
     */
    default List<Field<?>> settings() {
        return List.of();
    }

    /**
     * Adds this detector's processing to the topology, once per start, and returns its findings.
     *
     * <p>Read {@link DetectorContext#events()}, name every processor with {@link DetectorContext#named} and every store
     * through {@link DetectorContext#stores()}, and build findings with {@link DetectorContext#finding}. Bulwark routes
     * the returned stream to the findings topic, bounded in size; a processor that throws on a record has that record
     * dead-lettered with this detector's name while every other record and detector go on.
     *
     * @param context what the detector may use: events, tenant lookups, state stores, metrics and its settings
     * @return the findings, keyed by anything (they are re-keyed by finding id); null values are dropped
     */
    KStream<String, Finding> build(DetectorContext context);
}
