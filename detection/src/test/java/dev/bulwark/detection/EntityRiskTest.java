package dev.bulwark.detection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulwark.detectors.api.FindingBuilder;
import dev.bulwark.schemas.EntityRisk;
import dev.bulwark.schemas.Evidence;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.FindingRule;
import dev.bulwark.schemas.MitreAttack;
import dev.bulwark.schemas.OwnerReference;
import dev.bulwark.schemas.TenantContext;
import dev.bulwark.schemas.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * Entity risk: findings score their pod, controller, image, identity and tenant; tactic progression scores more than
 * repeats; risk halves every half-life of event time; a finding's updates, its replay and shadow findings add nothing.
 */
class EntityRiskTest {

    private static final Instant T = Instant.parse("2026-03-01T10:00:00Z");
    private static final long HOUR = Duration.ofHours(1).toMillis();

    @TempDir
    Path state;

    private static Finding finding(String id, String detector, int riskScore, long at, String user, String... tactics) {
        Map<String, String> fields = new LinkedHashMap<>();
        if (user != null) {
            fields.put(FindingBuilder.SESSION_USER, user);
        }
        return Finding.newBuilder().setId(id).setDetector(detector)
                .setRule(FindingRule.newBuilder().setId("r-" + id).setName("rule " + id).build())
                .setSeverity("high").setRiskScore(riskScore)
                .setMitre(MitreAttack.newBuilder().setTactics(List.of(tactics)).setTechniques(List.of()).build())
                .setTenant("acme").setSummary("s").setFirstSeen(T.toEpochMilli() + at).setLastSeen(T.toEpochMilli() + at)
                .setNamespace("shop").setPod("web-7998647bdf-phvq7").setImage("nginx:1.25")
                .setEvidence(Evidence.newBuilder().setEventIds(List.of("e")).setFields(fields).build()).build();
    }

    @Test
    void progressionThroughTheKillChainScoresMoreThanRepeatsOfOneTactic() {
        EntityRisk chain = null;
        EntityRisk repeats = null;
        String[] stages = {"initial-access", "execution", "discovery", "lateral-movement"};
        for (int i = 0; i < stages.length; i++) {
            chain = EntityRisks.add(chain, "acme|pod|shop/a", finding("c" + i, "d", 47, i, null, stages[i]), HOUR);
            repeats = EntityRisks.add(repeats, "acme|pod|shop/b", finding("r" + i, "d", 47, i, null, "execution"), HOUR);
        }
        assertThat(chain.getRisk()).isGreaterThan(2 * repeats.getRisk());
        assertThat(chain.getTactics()).containsExactly(stages);
        assertThat(EntityRisks.weight(List.of(), List.of("execution"))).isEqualTo(1.5);
        assertThat(EntityRisks.weight(List.of("execution"), List.of("execution"))).isEqualTo(0.5);
        assertThat(EntityRisks.weight(List.of("execution"), List.of("discovery"))).isEqualTo(2.25);
        assertThat(EntityRisks.weight(List.of("discovery"), List.of("execution"))).as("new, but not a progression")
                .isEqualTo(1.5);
        assertThat(EntityRisks.weight(List.of("discovery"), List.of())).isEqualTo(1.0);
    }

    @Test
    void riskHalvesEveryHalfLifeOfEventTimeAndALateFindingIsDecayedToTheNewestTime() {
        EntityRisk risk = EntityRisks.add(null, "acme|tenant|acme", finding("f1", "d", 40, 0, null), HOUR);
        risk = EntityRisks.add(risk, "acme|tenant|acme", finding("f2", "d", 40, 2 * HOUR, null), HOUR);
        assertThat(risk.getRisk()).isCloseTo(40 * 0.25 + 40, within(1e-9));
        EntityRisk late = EntityRisks.add(risk, "acme|tenant|acme", finding("f3", "d", 40, HOUR, null), HOUR);
        assertThat(late.getRiskAt()).isEqualTo(risk.getRiskAt());
        assertThat(late.getRisk()).isCloseTo(risk.getRisk() + 20, within(1e-9));
        assertThat(late.getLastFinding()).as("the latest is still f2").isEqualTo("f2");
        assertThat(EntityRisks.add(late, "acme|tenant|acme", finding("f2", "d", 40, 3 * HOUR, null), HOUR))
                .as("an update of a finding counted already").isNull();
    }

    @Test
    void findingsScoreEveryEntityTheyConcernOnceEachAndShadowFindingsNone() {
        Topics topics = Topics.withPrefix("r.");
        var topology = DetectionTopology.build(topics, List.of(), new TenantResolver(Map.of()), Map.of(),
                new SimpleMeterRegistry(), DetectionTopology.EnrichmentSettings.DEFAULTS,
                new DetectionTopology.PostureSettings(false, Duration.ofMinutes(1)),
                new RuleTelemetryRegistry(new SimpleMeterRegistry(), 10),
                new DetectionTopology.RiskSettings(true, Duration.ofHours(1)));
        Properties props = DetectionTopology.streamsConfig(topics, "r:9092", "r", state.toString(), false);
        try (TopologyTestDriver driver = new TopologyTestDriver(topology, props, T)) {
            TestInputTopic<String, TenantContext> context = driver.createInputTopic(topics.context().name(),
                    Serdes.String().serializer(), topics.context().valueSerde().serializer());
            TestInputTopic<String, Finding> findings = driver.createInputTopic(topics.findings().name(),
                    Serdes.String().serializer(), topics.findings().valueSerde().serializer());
            TestOutputTopic<String, EntityRisk> risks = driver.createOutputTopic(topics.entityRisk().name(),
                    Serdes.String().deserializer(), topics.entityRisk().valueSerde().deserializer());
            context.pipeInput("pod/shop/web-7998647bdf-phvq7", TenantContext.newBuilder().setKind("pod")
                    .setKey("shop/web-7998647bdf-phvq7").setNamespace("shop").setName("web-7998647bdf-phvq7")
                    .setOwner(OwnerReference.newBuilder().setKind("ReplicaSet").setName("web-7998647bdf").build())
                    .setObservedAt(1).build());
            findings.pipeInput("f1", finding("f1", "sigma", 73, 0, "alice", "execution"));
            findings.pipeInput("f1", finding("f1", "sigma", 73, 10, "alice", "execution")); // its folded update
            Finding shadow = finding("f9", "sigma", 99, 20, "alice", "impact");
            shadow.setShadow(true);
            findings.pipeInput("f9", shadow);
            Map<String, EntityRisk> latest = risks.readKeyValuesToMap();
            assertThat(latest).containsOnlyKeys("acme|tenant|acme", "acme|pod|shop/web-7998647bdf-phvq7",
                    "acme|controller|shop/Deployment/web", "acme|image|nginx:1.25", "acme|identity|alice");
            assertThat(latest.values()).allSatisfy(risk -> {
                assertThat(risk.getRisk()).isEqualTo(73 * 1.5);
                assertThat(risk.getFindings()).isEqualTo(1);
                assertThat(risk.getTenant()).isEqualTo("acme");
            });
        }
    }
}
