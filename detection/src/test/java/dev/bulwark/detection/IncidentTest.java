package dev.bulwark.detection;

import static org.assertj.core.api.Assertions.assertThat;

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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulwark.detectors.api.FindingBuilder;
import dev.bulwark.schemas.Evidence;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.FindingRule;
import dev.bulwark.schemas.Incident;
import dev.bulwark.schemas.IncidentFinding;
import dev.bulwark.schemas.MitreAttack;
import dev.bulwark.schemas.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * Incidents: a user execs into a pod, downloads and runs a script, then connects into another tenant's pod: one
 * incident with all three findings in order, attributed to the user, spanning both tenants; replays and a finding's
 * updates add nothing; unrelated findings open none; a high risk alone opens one; an idle incident is not joined.
 */
class IncidentTest {

    private static final Instant T = Instant.parse("2026-03-01T10:00:00Z");
    private static final long MINUTE = 60_000L;

    @TempDir
    Path state;

    private final Topics topics = Topics.withPrefix("i.");
    private TopologyTestDriver driver;
    private TestInputTopic<String, Finding> findings;
    private TestOutputTopic<String, Incident> incidents;

    @BeforeEach
    void start() {
        var topology = DetectionTopology.build(topics, List.of(), new TenantResolver(Map.of()), Map.of(),
                new SimpleMeterRegistry(), DetectionTopology.EnrichmentSettings.DEFAULTS,
                new DetectionTopology.PostureSettings(false, Duration.ofMinutes(1)),
                new RuleTelemetryRegistry(new SimpleMeterRegistry(), 10),
                new DetectionTopology.RiskSettings(true, Duration.ofHours(4), true, 300, Duration.ofMinutes(30),
                        Duration.ofHours(1)));
        Properties props = DetectionTopology.streamsConfig(topics, "i:9092", "i", state.toString(), false);
        driver = new TopologyTestDriver(topology, props, T);
        findings = driver.createInputTopic(topics.findings().name(), Serdes.String().serializer(),
                topics.findings().valueSerde().serializer());
        incidents = driver.createOutputTopic(topics.incidents().name(), Serdes.String().deserializer(),
                topics.incidents().valueSerde().deserializer());
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    private static Finding finding(String id, String detector, String tenant, String namespace, String pod, int score,
                                   long minute, Map<String, String> fields, String... tactics) {
        return Finding.newBuilder().setId(id).setDetector(detector)
                .setRule(FindingRule.newBuilder().setId("rule-" + id).setName("Rule " + id).build())
                .setSeverity(score >= 73 ? "high" : "medium").setRiskScore(score)
                .setMitre(MitreAttack.newBuilder().setTactics(List.of(tactics)).setTechniques(List.of()).build())
                .setTenant(tenant).setSummary("s").setFirstSeen(T.toEpochMilli() + minute * MINUTE)
                .setLastSeen(T.toEpochMilli() + minute * MINUTE).setNamespace(namespace).setPod(pod)
                .setEvidence(Evidence.newBuilder().setEventIds(List.of("e-" + id)).setFields(fields).build()).build();
    }

    private static Map<String, String> session(String user, String id) {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put(FindingBuilder.SESSION_USER, user);
        fields.put(FindingBuilder.SESSION_ID, id);
        return fields;
    }

    private Map<String, Incident> latest() {
        return incidents.readKeyValuesToMap();
    }

    @Test
    void anAuditedExecIntoAPodLinksThatPodToTheShellItStarted() {
        // As in the demo: another tenant's service account execs into acme's pod (two audit findings, no pod of
        // their own), and the shell starts there without a session attribution.
        Map<String, String> audit = new LinkedHashMap<>();
        audit.put("kubernetes_audit.resource", "pods");
        audit.put("kubernetes_audit.subresource", "exec");
        audit.put("kubernetes_audit.object_namespace", "acme-payments");
        audit.put("kubernetes_audit.object_name", "payments-api-7d9f");
        Finding access = finding("access", "cross-tenant-access", "acme", "acme-payments", null, 99, 0, audit,
                "lateral-movement");
        access.setOtherTenants(List.of("globex"));
        Finding shell = finding("shell", "interactive-shell-in-container", "acme", "acme-payments",
                "payments-api-7d9f", 73, 0, Map.of(), "execution");
        findings.pipeInput(access.getId(), access);
        findings.pipeInput(shell.getId(), shell);

        Map<String, Incident> out = latest();
        assertThat(out).hasSize(1);
        Incident incident = out.values().iterator().next();
        assertThat(incident.getOpenedBy()).isEqualTo("pod:acme-payments/payments-api-7d9f");
        assertThat(incident.getTimeline()).extracting(IncidentFinding::getFindingId).containsExactly("access", "shell");
        assertThat(incident.getTimeline().get(0).getPodTenants())
                .containsExactlyEntriesOf(Map.of("pod:acme-payments/payments-api-7d9f", "acme"));
    }

    @Test
    void anExecADownloadAndALateralConnectionAreOneIncidentAcrossTwoTenants() {
        Finding shell = finding("shell", "sigma", "acme", "shop", "web-1", 73, 0, session("alice", "s-1"), "execution");
        Finding download = finding("download", "interactive-shell-in-container", "acme", "shop", "web-1", 47, 1,
                session("alice", "s-1"), "execution", "command-and-control");
        Map<String, String> lateral = new LinkedHashMap<>(session("alice", "s-1"));
        lateral.put("source.pod", "shop/web-1");
        lateral.put("destination.pod", "vault/db-0");
        lateral.put("tenant.source", "acme");
        lateral.put("tenant.destination", "globex");
        // As the cross-tenant network detector writes it: the victim's finding, on the event's (source) pod.
        Finding connect = finding("connect", "cross-tenant-network", "globex", "shop", "web-1", 99, 3, lateral,
                "lateral-movement");
        connect.setOtherTenants(List.of("acme"));
        findings.pipeInput(shell.getId(), shell);
        assertThat(latest()).as("one detector, one finding: no incident yet").isEmpty();
        findings.pipeInput(download.getId(), download);
        findings.pipeInput(connect.getId(), connect);

        Map<String, Incident> out = latest();
        assertThat(out).hasSize(1);
        Incident incident = out.values().iterator().next();
        assertThat(incident.getReason()).isEqualTo("detectors");
        assertThat(incident.getTimeline()).extracting(IncidentFinding::getFindingId)
                .containsExactly("shell", "download", "connect");
        assertThat(incident.getTimeline()).extracting(IncidentFinding::getUser).containsOnly("alice");
        assertThat(incident.getTenants()).containsExactlyInAnyOrder("acme", "globex");
        assertThat(incident.getEntities()).contains("pod:shop/web-1", "pod:vault/db-0", "identity:alice", "session:s-1");
        assertThat(incident.getTactics()).containsExactly("execution", "command-and-control", "lateral-movement");
        assertThat(incident.getFindingsTotal()).isEqualTo(3);
        assertThat(incident.getFirstSeen()).isEqualTo(T.toEpochMilli());
        assertThat(incident.getTimeline().get(2).getPodTenants()).as("whose each pod is, for tenants' views")
                .containsExactlyInAnyOrderEntriesOf(Map.of("pod:shop/web-1", "acme", "pod:vault/db-0", "globex"));
        assertThat(incident.getTimeline().get(0).getPodTenants()).containsExactlyEntriesOf(
                Map.of("pod:shop/web-1", "acme"));

        // Replays and a finding's folded updates: the same incident, no entry twice, no extra risk.
        Finding update = Finding.newBuilder(download).setLastSeen(T.toEpochMilli() + 2 * MINUTE).setCount(2).build();
        findings.pipeInput(update.getId(), update);
        findings.pipeInput(shell.getId(), shell);
        Incident again = latest().get(incident.getId());
        assertThat(again.getFindingsTotal()).isEqualTo(3);
        assertThat(again.getTimeline()).hasSize(3);
        assertThat(again.getRisk()).isEqualTo(incident.getRisk());
    }

    @Test
    void unrelatedFindingsOpenNoneAHighRiskAloneOpensOneAndAnIdleIncidentIsNotJoined() {
        findings.pipeInput("a", finding("a", "sigma", "acme", "shop", "web-1", 47, 0, Map.of(), "discovery"));
        findings.pipeInput("b", finding("b", "drift", "acme", "shop", "web-2", 47, 1, Map.of(), "execution"));
        assertThat(latest()).as("two detectors, but on two pods").isEmpty();

        // One detector, a kill chain on one pod: 99 * 1.5 + 99 * 2.25 = 371 >= 300.
        findings.pipeInput("c", finding("c", "sigma", "acme", "shop", "db-0", 99, 2, Map.of(), "initial-access"));
        findings.pipeInput("d", finding("d", "sigma", "acme", "shop", "db-0", 99, 3, Map.of(), "execution"));
        Map<String, Incident> out = latest();
        assertThat(out).hasSize(1);
        Incident risky = out.values().iterator().next();
        assertThat(risky.getReason()).isEqualTo("risk");
        assertThat(risky.getOpenedBy()).isEqualTo("pod:shop/db-0");
        assertThat(risky.getTimeline()).extracting(IncidentFinding::getFindingId).containsExactly("c", "d");

        // Two hours later the pod is hit again by two detectors: a new incident, not the idle one.
        findings.pipeInput("e", finding("e", "sigma", "acme", "shop", "db-0", 21, 123, Map.of()));
        findings.pipeInput("f", finding("f", "drift", "acme", "shop", "db-0", 21, 124, Map.of()));
        Map<String, Incident> later = latest();
        assertThat(later).hasSize(1).doesNotContainKey(risky.getId());
        assertThat(later.values().iterator().next().getTimeline()).extracting(IncidentFinding::getFindingId)
                .containsExactly("e", "f");
    }

    @Test
    void shadowFindingsOpenNone() {
        Finding one = finding("s1", "sigma", "acme", "shop", "web-1", 99, 0, Map.of(), "execution");
        Finding two = finding("s2", "drift", "acme", "shop", "web-1", 99, 1, Map.of(), "impact");
        one.setShadow(true);
        two.setShadow(true);
        findings.pipeInput("s1", one);
        findings.pipeInput("s2", two);
        assertThat(latest()).isEmpty();
    }
}
