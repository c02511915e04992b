package dev.bulwark.detectors;

import java.util.Map;

import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.KStream;

import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.schemas.Topics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * What a {@link Detector} gets to build its part of the topology.
 *
 * @param builder the topology builder, for detectors that need their own stores or topics
 * @param events every decoded event, keyed by container/pod/object
 * @param tenants resolves which tenant owns a namespace
 * @param config this detector's settings from the configuration file ({@code detectors.<name>.*}), never null
 * @param topics the topic registry, for detectors that read another topic (rules) or dead-letter what they reject
 * @param metrics where detectors register their own meters
 */
public record DetectorContext(StreamsBuilder builder, KStream<String, SecurityEvent> events, TenantResolver tenants,
                              Map<String, String> config, Topics topics, MeterRegistry metrics) {

    /** A context on the default topics with a private meter registry (for detectors that need neither). */
    public DetectorContext(StreamsBuilder builder, KStream<String, SecurityEvent> events, TenantResolver tenants,
                           Map<String, String> config) {
        this(builder, events, tenants, config, Topics.defaults(), new SimpleMeterRegistry());
    }
}
