package dev.bulwark.detection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulwark.detectors.api.Detector;
import dev.bulwark.detectors.api.DetectorApi;
import dev.bulwark.detectors.api.DetectorContext;
import dev.bulwark.schemas.ContextChange;
import dev.bulwark.schemas.EventInfo;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.KubernetesInfo;
import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.schemas.TenantContext;
import dev.bulwark.schemas.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * The context history the live topology records (each change with the object before and after, nothing for a change
 * that changes nothing), and the replayed context a backtest runs on (a tenant directory per task, no history).
 */
class ContextHistoryTest {

    private static final Instant START = Instant.parse("2026-03-01T10:00:00Z");

    @TempDir
    Path state;

    private final Topics topics = Topics.withPrefix("h.");

    private static TenantContext namespace(String name, String tenant, long observedAt) {
        return TenantContext.newBuilder().setKind("namespace").setKey(name).setName(name).setNamespace(name)
                .setTenant(tenant).setObservedAt(observedAt).build();
    }

    @Test
    void everyChangeIsRecordedWithTheObjectBeforeAndAfterAndItsTime() {
        Topology topology = DetectionTopology.build(topics, List.of(), new TenantResolver(Map.of()), Map.of(),
                new SimpleMeterRegistry(), DetectionTopology.EnrichmentSettings.DEFAULTS,
                new DetectionTopology.PostureSettings(false, Duration.ofMinutes(1)));
        Properties props = DetectionTopology.streamsConfig(topics, "h:9092", "h", state.toString(), false);
        try (TopologyTestDriver driver = new TopologyTestDriver(topology, props, START)) {
            TestInputTopic<String, TenantContext> context = driver.createInputTopic(topics.context().name(),
                    Serdes.String().serializer(), topics.context().valueSerde().serializer());
            TestOutputTopic<String, ContextChange> history = driver.createOutputTopic(topics.contextHistory().name(),
                    Serdes.String().deserializer(), topics.contextHistory().valueSerde().deserializer());
            TenantContext acme = namespace("shop", "acme", 1);
            TenantContext globex = namespace("shop", "globex", 2);
            context.pipeInput("namespace/shop", acme, START.plusSeconds(1));
            context.pipeInput("namespace/shop", acme, START.plusSeconds(2)); // the same object again: no change
            context.pipeInput("namespace/shop", globex, START.plusSeconds(3));
            context.pipeInput("namespace/shop", (TenantContext) null, START.plusSeconds(4));
            context.pipeInput("namespace/gone", (TenantContext) null, START.plusSeconds(5)); // never existed

            List<TestRecord<String, ContextChange>> changes = history.readRecordsToList();
            assertThat(changes).extracting(TestRecord::key).containsExactly("namespace/shop", "namespace/shop",
                    "namespace/shop");
            assertThat(changes).extracting(TestRecord::getRecordTime)
                    .containsExactly(START.plusSeconds(1), START.plusSeconds(3), START.plusSeconds(4));
            assertThat(changes.get(0).value().getBefore()).isNull();
            assertThat(changes.get(0).value().getAfter()).isEqualTo(acme);
            assertThat(changes.get(1).value().getBefore()).isEqualTo(acme);
            assertThat(changes.get(1).value().getAfter()).isEqualTo(globex);
            assertThat(changes.get(2).value().getBefore()).isEqualTo(globex);
            assertThat(changes.get(2).value().getAfter()).isNull();
        }
    }

    @Test
    void aReplayedContextIsEachTasksOwnDirectoryAndRecordsNothing() {
        Topology topology = DetectionTopology.build(topics, List.of(new OwnerDetector()), new TenantResolver(Map.of()),
                Map.of(), new SimpleMeterRegistry(), new DetectionTopology.EnrichmentSettings(Duration.ZERO, 10,
                        1 << 20, true), new DetectionTopology.PostureSettings(false, Duration.ofMinutes(1)));
        String description = topology.describe().toString();
        assertThat(description).doesNotContain("context-history", "GlobalStore")
                .containsPattern("enrich-tenants \\(stores: \\[[^]]*" + DetectionTopology.DIRECTORY_STORE);
        Properties props = DetectionTopology.streamsConfig(topics, "h:9092", "h", state.toString(), false);
        try (TopologyTestDriver driver = new TopologyTestDriver(topology, props, START)) {
            TestInputTopic<String, TenantContext> context = driver.createInputTopic(topics.context().name(),
                    Serdes.String().serializer(), topics.context().valueSerde().serializer());
            TestInputTopic<String, SecurityEvent> events = driver.createInputTopic(topics.events().name(),
                    Serdes.String().serializer(), topics.events().valueSerde().serializer());
            TestOutputTopic<String, Finding> findings = driver.createOutputTopic(topics.findings().name(),
                    Serdes.String().deserializer(), topics.findings().valueSerde().deserializer());
            context.pipeInput("namespace/shop", namespace("shop", "acme", 1));
            events.pipeInput("e1", event("e1"));
            context.pipeInput("namespace/shop", namespace("shop", "globex", 2));
            events.pipeInput("e2", event("e2"));
            context.pipeInput("namespace/shop", (TenantContext) null);
            events.pipeInput("e3", event("e3"));
            var dlq = driver.createOutputTopic(topics.deadLetters().name(), Serdes.String().deserializer(),
                    topics.deadLetters().valueSerde().deserializer());
            assertThat(dlq.readValuesToList()).isEmpty();
            assertThat(findings.readValuesToList()).extracting(Finding::getTenant)
                    .containsExactly("acme", "globex", TenantResolver.UNATTRIBUTED);
        }
    }

    @Test
    void thePostureCannotRunOnAReplayedContext() {
        assertThatThrownBy(() -> DetectionTopology.build(topics, List.of(), new TenantResolver(Map.of()), Map.of(),
                new SimpleMeterRegistry(), new DetectionTopology.EnrichmentSettings(Duration.ZERO, 10, 1 << 20, true),
                DetectionTopology.PostureSettings.DEFAULTS)).hasMessageContaining("posture");
    }

    private static SecurityEvent event(String id) {
        return SecurityEvent.newBuilder().setId(id).setTimestamp(START.toEpochMilli() * 1_000_000L)
                .setSourceFormat("test").setEvent(EventInfo.newBuilder().build())
                .setKubernetes(KubernetesInfo.newBuilder().setNamespace("shop").setPod("web-1").build()).build();
    }

    /** A finding for every event, for its owner tenant. */
    private static final class OwnerDetector implements Detector {
        @Override
        public String name() {
            return "owner";
        }

        @Override
        public String apiVersion() {
            return DetectorApi.VERSION;
        }

        @Override
        public KStream<String, Finding> build(DetectorContext context) {
            return context.events().mapValues(event -> context.finding(event).rule("owner", "Owner")
                    .severity(dev.bulwark.detectors.api.Severity.LOW).summary("owner").identity(event.getId()).build(), context.named("finding"));
        }
    }
}
