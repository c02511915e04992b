package dev.bulwark.detectors;

import java.util.Map;

import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.KStream;

import dev.bulwark.schemas.SecurityEvent;

/**
 * What a {@link Detector} gets to build its part of the topology.
 *
 * @param builder the topology builder, for detectors that need their own stores or topics
 * @param events every decoded event, keyed by container/pod/object
 * @param tenants resolves which tenant owns a namespace
 * @param config this detector's settings from the configuration file ({@code detectors.<name>.*}), never null
 */
public record DetectorContext(StreamsBuilder builder, KStream<String, SecurityEvent> events, TenantResolver tenants,
                              Map<String, String> config) {
}
