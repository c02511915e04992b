package dev.bulwark.detection;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulwark.detectors.api.Detector;
import dev.bulwark.detectors.api.DetectorApi;
import dev.bulwark.schemas.ContainerInfo;
import dev.bulwark.schemas.Endpoint;
import dev.bulwark.schemas.EventInfo;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.KubernetesInfo;
import dev.bulwark.schemas.ProcessInfo;
import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.schemas.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * Plugin jars built against detector API 1.0 ({@code src/test/resources/plugins/api-1.0}, kept as built) load from
 * {@code detection.plugins} and find what they found when they were built, on this runtime: the proof that a plugin
 * built against an older minor version of the API still runs. One of them keeps Avro state of its own, which only
 * works when its records decode with the plugin's class loader.
 */
class PluginCompatibilityTest {

    private static final Path PLUGINS = Path.of("src/test/resources/plugins/api-1.0");

    @TempDir
    Path state;

    @Test
    void pluginsBuiltAgainstApi10LoadAndFind() throws Exception {
        assertThat(DetectorApi.VERSION).as("still API major version 1; see the plugins' README when it changes")
                .startsWith("1.");
        List<Detector> loaded = Detectors.discover(Detectors.withPlugins(List.of(PLUGINS)));
        List<Detector> plugins = loaded.stream().filter(d -> List.of("crypto-miner", "port-scan").contains(d.name())).toList();
        assertThat(plugins).extracting(Detector::name).containsExactly("crypto-miner", "port-scan");
        assertThat(plugins).extracting(Detector::apiVersion).containsOnly("1.0");

        Topics topics = Topics.withPrefix("compat.");
        var topology = DetectionTopology.build(topics, plugins, new TenantResolver(Map.of("shop", "acme")),
                Map.of("port-scan", Map.of("ports", "5")), new SimpleMeterRegistry());
        Properties props = DetectionTopology.streamsConfig(topics, "compat:9092", "compat", state.toString(), false);
        try (TopologyTestDriver driver = new TopologyTestDriver(topology, props, Instant.parse("2026-01-01T00:00:00Z"))) {
            TestInputTopic<String, SecurityEvent> events = driver.createInputTopic(topics.events().name(),
                    Serdes.String().serializer(), topics.events().valueSerde().serializer());
            TestOutputTopic<String, Finding> findings = driver.createOutputTopic(topics.findings().name(),
                    Serdes.String().deserializer(), topics.findings().valueSerde().deserializer());
            long start = Instant.parse("2026-01-01T00:00:00Z").toEpochMilli();
            events.pipeInput("container/m1", event("m1", start).setProcess(ProcessInfo.newBuilder().setName("xmrig").build())
                    .build());
            for (int port = 1; port <= 5; port++) {
                events.pipeInput("container/s1", event("s1", start + port)
                        .setDestination(Endpoint.newBuilder().setIp("10.0.0.9").setPort(port).build()).build());
            }
            List<Finding> found = findings.readValuesToList();
            assertThat(found).extracting(f -> f.getRule().getId())
                    .containsExactlyInAnyOrder("example.crypto_miner", "example.port_scan");
            assertThat(found).allSatisfy(f -> assertThat(f.getTenant()).isEqualTo("acme"));
        }
        assertThat(Files.list(PLUGINS).filter(p -> p.toString().endsWith(".jar")).count()).isEqualTo(2);
    }

    private static SecurityEvent.Builder event(String container, long millis) {
        return SecurityEvent.newBuilder().setId(container + "-" + millis).setTimestamp(millis * 1_000_000L)
                .setSourceFormat("test").setEvent(EventInfo.newBuilder().build())
                .setKubernetes(KubernetesInfo.newBuilder().setNamespace("shop").setPod("web-1").build())
                .setContainer(ContainerInfo.newBuilder().setId(container).build());
    }
}
