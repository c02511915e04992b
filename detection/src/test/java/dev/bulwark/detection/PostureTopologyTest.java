package dev.bulwark.detection;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
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

import dev.bulwark.schemas.ComplianceResult;
import dev.bulwark.schemas.EventInfo;
import dev.bulwark.schemas.PodSpecFacts;
import dev.bulwark.schemas.PolicyResult;
import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.schemas.TenantContext;
import dev.bulwark.schemas.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/** The posture the detection topology keeps: snapshots at start, on change and daily, none while nothing changes. */
class PostureTopologyTest {

    private static final Instant START = Instant.parse("2026-03-01T10:00:00Z");
    private static final Duration INTERVAL = Duration.ofSeconds(30);

    @TempDir
    Path state;

    private static TenantContext namespace(String name, String tenant) {
        return TenantContext.newBuilder().setKind("namespace").setKey(name).setName(name).setNamespace(name)
                .setTenant(tenant).setObservedAt(START.toEpochMilli()).build();
    }

    private static TenantContext pod(String namespace, String name, boolean privileged) {
        return TenantContext.newBuilder().setKind("pod").setKey(namespace + "/" + name).setName(name)
                .setNamespace(namespace).setObservedAt(START.toEpochMilli())
                .setPodSpec(PodSpecFacts.newBuilder().setPrivileged(privileged).setServiceAccount("web").build()).build();
    }

    private static List<ComplianceResult> of(List<ComplianceResult> results, String framework, String id, String namespace) {
        return results.stream().filter(r -> r.getFramework().equals(framework) && r.getControlId().equals(id)
                && java.util.Objects.equals(r.getNamespace(), namespace)).toList();
    }

    @Test
    void theRemovedPrivilegedPodTurnsItsControlToPassInTheNextSnapshotAndBothStatesAreKept() {
        Topics topics = Topics.withPrefix("p.");
        var topology = DetectionTopology.build(topics, List.of(), new TenantResolver(Map.of()), Map.of(),
                new SimpleMeterRegistry(), DetectionTopology.EnrichmentSettings.DEFAULTS,
                new DetectionTopology.PostureSettings(true, INTERVAL));
        Properties props = DetectionTopology.streamsConfig(topics, "p:9092", "p", state.toString(), false);
        try (TopologyTestDriver driver = new TopologyTestDriver(topology, props, START)) {
            TestInputTopic<String, TenantContext> context = driver.createInputTopic(topics.context().name(),
                    Serdes.String().serializer(), topics.context().valueSerde().serializer());
            TestInputTopic<String, SecurityEvent> events = driver.createInputTopic(topics.events().name(),
                    Serdes.String().serializer(), topics.events().valueSerde().serializer());
            TestOutputTopic<String, ComplianceResult> out = driver.createOutputTopic(topics.compliance().name(),
                    Serdes.String().deserializer(), topics.compliance().valueSerde().deserializer());

            context.pipeInput("namespace/shop", namespace("shop", "acme"));
            context.pipeInput("pod/shop/debug", pod("shop", "debug", true));
            context.pipeInput("pod/shop/web", pod("shop", "web", false));
            driver.advanceWallClockTime(INTERVAL);
            List<ComplianceResult> first = out.readValuesToList();
            assertThat(first).isNotEmpty().allSatisfy(r -> assertThat(r.getReason()).isEqualTo("start"));
            assertThat(first).extracting(ComplianceResult::getSnapshotId).containsOnly(first.get(0).getSnapshotId());
            assertThat(of(first, "pss-baseline", "privileged-containers", "shop")).singleElement().satisfies(r -> {
                assertThat(r.getStatus()).isEqualTo("fail");
                assertThat(r.getTenant()).isEqualTo("acme");
                assertThat(r.getChecked()).isEqualTo(2);
                assertThat(r.getFailing()).containsExactly("pod/shop/debug");
            });

            driver.advanceWallClockTime(INTERVAL);
            assertThat(out.readValuesToList()).as("nothing changed: no snapshot").isEmpty();

            context.pipeInput("pod/shop/debug", (TenantContext) null);
            driver.advanceWallClockTime(INTERVAL);
            List<ComplianceResult> second = out.readValuesToList();
            assertThat(second).isNotEmpty().allSatisfy(r -> assertThat(r.getReason()).isEqualTo("change"));
            assertThat(second.get(0).getSnapshotAt()).isGreaterThan(first.get(0).getSnapshotAt());
            assertThat(of(second, "pss-baseline", "privileged-containers", "shop")).singleElement()
                    .satisfies(r -> assertThat(r.getStatus()).isEqualTo("pass"));

            // A Trivy CIS result joins the posture as a cluster-wide result.
            events.pipeInput("event/t1", SecurityEvent.newBuilder().setId("t1")
                    .setTimestamp(START.toEpochMilli() * 1_000_000L).setSourceFormat("trivy-compliance")
                    .setEvent(EventInfo.newBuilder().setKind("state").build())
                    .setPolicy(PolicyResult.newBuilder().setPolicy("k8s-cis-1.23").setRule("1.2.1").setVerdict("fail")
                            .setMessage("Ensure that the --anonymous-auth argument is set to false").build())
                    .build());
            driver.advanceWallClockTime(INTERVAL);
            List<ComplianceResult> third = out.readValuesToList();
            assertThat(of(third, "cis", "1.2.1", null)).singleElement().satisfies(r -> {
                assertThat(r.getStatus()).isEqualTo("fail");
                assertThat(r.getSources()).containsExactly("trivy");
            });

            driver.advanceWallClockTime(Duration.ofDays(1));
            assertThat(out.readValuesToList()).isNotEmpty()
                    .allSatisfy(r -> assertThat(r.getReason()).isEqualTo("daily"));
        }
    }
}
