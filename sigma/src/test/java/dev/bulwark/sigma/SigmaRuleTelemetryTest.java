package dev.bulwark.sigma;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulwark.detection.DetectionTopology;
import dev.bulwark.detection.RuleTelemetryRegistry;
import dev.bulwark.detection.TenantResolver;
import dev.bulwark.schemas.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * Per-rule telemetry of the Sigma detector in the topology: each rule's evaluations, matches, folded repeats and
 * findings on the metrics registry under its own label, and a correlation's firings as its matches.
 */
class SigmaRuleTelemetryTest {

    private static final String WHOAMI_ID = "11111111-0000-4000-8000-000000000001";

    @TempDir
    Path rulesDir;

    @TempDir
    Path stateDir;

    @Test
    void everyRuleCountsItsEvaluationsMatchesFoldsAndFindings() throws Exception {
        Files.writeString(rulesDir.resolve("whoami.yml"), SigmaDetectorTest.WHOAMI, StandardCharsets.UTF_8);
        Files.writeString(rulesDir.resolve("id.yml"), SigmaDetectorTest.ID, StandardCharsets.UTF_8);
        SimpleMeterRegistry metrics = new SimpleMeterRegistry();
        Topics topics = Topics.defaults();
        var topology = DetectionTopology.build(topics, List.of(new SigmaDetector()),
                new TenantResolver(Map.of("payments", "acme")),
                Map.of("sigma", Map.of("bundled", "false", "rules", rulesDir.toString(), "emit-interval", "0s")),
                metrics, DetectionTopology.EnrichmentSettings.DEFAULTS, DetectionTopology.PostureSettings.DEFAULTS,
                new RuleTelemetryRegistry(metrics, 100));
        Properties props = DetectionTopology.streamsConfig(topics, "dummy:9092", "telemetry", stateDir.toString(), false);
        props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        try (TopologyTestDriver driver = new TopologyTestDriver(topology, props,
                Instant.ofEpochMilli(SigmaDetectorTest.T0))) {
            var events = driver.createInputTopic(topics.events().name(), Serdes.String().serializer(),
                    topics.events().valueSerde().serializer());
            for (int i = 0; i < 3; i++) {
                events.pipeInput("e" + i, SigmaDetectorTest.exec("w" + i, i * 1_000L, "c1", "/usr/bin/whoami", "whoami"));
            }
            events.pipeInput("x", SigmaDetectorTest.exec("x1", 5_000L, "c1", "/usr/bin/idle", "idle"));
        }
        assertThat(count(metrics, "bulwark.rule.matches", WHOAMI_ID)).isEqualTo(3.0);
        assertThat(count(metrics, "bulwark.rule.evaluations", WHOAMI_ID)).as("at least each match was evaluated")
                .isGreaterThanOrEqualTo(3.0);
        assertThat(count(metrics, "bulwark.rule.folded", WHOAMI_ID)).as("repeats 2 and 3").isEqualTo(2.0);
        assertThat(count(metrics, "bulwark.rule.findings", WHOAMI_ID)).as("written: the finding and its 2 updates")
                .isEqualTo(3.0);
        assertThat(count(metrics, "bulwark.rule.matches", "11111111-0000-4000-8000-000000000002")).isZero();
        assertThat(metrics.find("bulwark.rule.last.match.timestamp.seconds").tags("rule", WHOAMI_ID).gauge().value())
                .isPositive();
        assertThat(metrics.find("bulwark.rule.latency").tags("rule", WHOAMI_ID).functionTimer().count())
                .isEqualTo(3.0);
    }

    @Test
    void aCorrelationReportsTheGroupsAndMatchesItHolds() throws Exception {
        Files.writeString(rulesDir.resolve("whoami.yml"), SigmaDetectorTest.WHOAMI, StandardCharsets.UTF_8);
        Files.writeString(rulesDir.resolve("burst.yml"), SigmaDetectorTest.correlation("event_count",
                List.of("whoami_run"), "10m", "gte: 100", ""), StandardCharsets.UTF_8);
        SimpleMeterRegistry metrics = new SimpleMeterRegistry();
        Topics topics = Topics.defaults();
        var topology = DetectionTopology.build(topics, List.of(new SigmaDetector()),
                new TenantResolver(Map.of("payments", "acme")),
                Map.of("sigma", Map.of("bundled", "false", "rules", rulesDir.toString())),
                metrics, DetectionTopology.EnrichmentSettings.DEFAULTS, DetectionTopology.PostureSettings.DEFAULTS,
                new RuleTelemetryRegistry(metrics, 100));
        Properties props = DetectionTopology.streamsConfig(topics, "dummy:9092", "telemetry", stateDir.toString(), false);
        props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        try (TopologyTestDriver driver = new TopologyTestDriver(topology, props,
                Instant.ofEpochMilli(SigmaDetectorTest.T0))) {
            var events = driver.createInputTopic(topics.events().name(), Serdes.String().serializer(),
                    topics.events().valueSerde().serializer());
            for (int i = 0; i < 3; i++) { // root in one group; the user is the group-by
                events.pipeInput("e" + i, SigmaDetectorTest.exec("w" + i, i * 1_000L, "c1", "/usr/bin/whoami", "whoami"),
                        SigmaDetectorTest.T0 + i * 1_000L);
            }
            // a later event moves stream time past the 5 s sweep, which reports the state
            events.pipeInput("late", SigmaDetectorTest.exec("w9", 9_000L, "c1", "/usr/bin/whoami", "whoami"),
                    SigmaDetectorTest.T0 + 9_000L);
        }
        var groups = metrics.find("bulwark.rule.state.groups").tags("rule", "corr-1").gauge();
        assertThat(groups).isNotNull();
        assertThat(groups.value()).isEqualTo(1.0);
        assertThat(metrics.find("bulwark.rule.state.entries").tags("rule", "corr-1").gauge().value())
                .as("the matches before the sweep").isGreaterThanOrEqualTo(3.0);
    }

    private static double count(SimpleMeterRegistry metrics, String name, String rule) {
        var meter = metrics.find(name).tags("detector", "sigma", "rule", rule).functionCounter();
        assertThat(meter).as("%s{rule=%s}", name, rule).isNotNull();
        return meter.count();
    }
}
