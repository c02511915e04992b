package dev.bulwark.detectors;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
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

import com.fasterxml.jackson.databind.json.JsonMapper;

import dev.bulwark.detection.DetectionTopology;
import dev.bulwark.detection.RuleOverrides;
import dev.bulwark.detection.TenantResolver;
import dev.bulwark.detectors.isolation.CrossTenantAccessDetector;
import dev.bulwark.schemas.AvroSerde;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.RuleOverride;
import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.schemas.SecurityEventJson;
import dev.bulwark.schemas.TenantContext;
import dev.bulwark.schemas.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * Per-tenant overrides on the detectors' output: acme's tuning changes acme's findings only, applies as soon as the
 * record arrives, a rule's override wins over its detector's, and a tombstone or an unreadable record lifts it.
 */
class RuleOverridesTest {

    private final Topics topics = Topics.defaults();
    private final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    private TopologyTestDriver driver;
    private TestInputTopic<String, SecurityEvent> events;
    private TestInputTopic<String, byte[]> overrides;
    private TestOutputTopic<String, Finding> findings;
    private int sequence;

    @TempDir
    Path state;

    @BeforeEach
    void setUp() {
        var topology = DetectionTopology.build(topics, List.of(new CrossTenantAccessDetector()), TenantResolver.none(),
                Map.of(), metrics);
        Properties props = DetectionTopology.streamsConfig(topics, "dummy:9092", "overrides", state.toString(), false);
        driver = new TopologyTestDriver(topology, props);
        events = driver.createInputTopic(topics.events().name(), Serdes.String().serializer(),
                topics.events().valueSerde().serializer());
        overrides = driver.createInputTopic(topics.ruleOverrides().name(), Serdes.String().serializer(),
                Serdes.ByteArray().serializer());
        findings = driver.createOutputTopic(topics.findings().name(), Serdes.String().deserializer(),
                topics.findings().valueSerde().deserializer());
        var context = driver.createInputTopic(topics.context().name(), Serdes.String().serializer(),
                topics.context().valueSerde().serializer());
        for (String[] ns : new String[][] {{"shop", "acme"}, {"ledger", "globex"}, {"mill", "initech"}}) {
            context.pipeInput("namespace/" + ns[0], TenantContext.newBuilder().setKind("namespace").setKey(ns[0])
                    .setNamespace(ns[0]).setTenant(ns[1]).setObservedAt(1L).build());
        }
    }

    @AfterEach
    void tearDown() {
        driver.close();
    }

    /** An exec that another tenant's service account was allowed into {@code namespace}: a critical finding there. */
    private void exec(String namespace, String actor) throws Exception {
        sequence++;
        var node = JsonMapper.builder().build().readTree("""
                {"id": "e%d", "timestamp": %d, "source_format": "k8s-audit", "event": {},
                 "kubernetes_audit": {"audit_id": "a-%d", "verb": "create", "resource": "pods", "subresource": "exec",
                   "object_namespace": "%s", "object_name": "web-1", "subject_user": "system:serviceaccount:%s:ci",
                   "decision": "allow", "response_code": 101, "stage": "ResponseComplete", "source_ips": ["10.0.0.1"]}}
                """.formatted(sequence, 1_767_225_600_000_000_000L + sequence * 1_000_000L, sequence, namespace, actor));
        events.pipeInput("event/e" + sequence, SecurityEventJson.fromJson(node));
    }

    private void override(String tenant, String target, boolean disabled, String severity) {
        RuleOverride override = RuleOverride.newBuilder().setTenant(tenant).setTarget(target).setDisabled(disabled)
                .setSeverity(severity).setUpdatedBy("alice").setUpdatedAt(1_767_225_600_000L).setNote("noisy CI").build();
        overrides.pipeInput(Topics.overrideKey(tenant, target), AvroSerde.of(RuleOverride.class).encode(override));
    }

    private List<String> tenantsOfFindings() {
        return findings.readValuesToList().stream().map(f -> f.getTenant() + ":" + f.getSeverity()).toList();
    }

    private double suppressed() {
        return metrics.counter("bulwark.detect.overrides.suppressed", "detector", "cross-tenant-access").count();
    }

    @Test
    void disablingARuleForAcmeStopsAcmesFindingsAtOnceWhileGlobexsContinue() throws Exception {
        exec("shop", "ledger");
        exec("ledger", "shop");
        assertThat(tenantsOfFindings()).containsExactly("acme:critical", "globex:critical");

        override("acme", CrossTenantAccessDetector.ALLOWED_RULE, true, null);
        exec("shop", "ledger");
        exec("ledger", "shop");
        assertThat(tenantsOfFindings()).containsExactly("globex:critical");
        assertThat(suppressed()).as("counted, not lost silently").isEqualTo(1);

        overrides.pipeInput(Topics.overrideKey("acme", CrossTenantAccessDetector.ALLOWED_RULE), (byte[]) null);
        exec("shop", "ledger");
        assertThat(tenantsOfFindings()).as("the tombstone lifts it").containsExactly("acme:critical");
    }

    @Test
    void aSeverityOverrideChangesOnlyThatTenantsFindingsAndIsRecordedOnThem() throws Exception {
        override("acme", "cross-tenant-access", false, "high");
        exec("shop", "ledger");
        exec("mill", "ledger");
        List<Finding> out = findings.readValuesToList();
        assertThat(out).extracting(f -> f.getTenant() + ":" + f.getSeverity() + ":" + f.getRiskScore())
                .containsExactly("acme:high:73", "initech:critical:99");
        assertThat(out.get(0).getEvidence().getFields().get(RuleOverrides.EVIDENCE_FIELD))
                .isEqualTo("severity high (was critical) by override of cross-tenant-access for tenant acme, set by "
                        + "alice at 2026-01-01T00:00:00Z: noisy CI");
        assertThat(out.get(1).getEvidence().getFields()).doesNotContainKey(RuleOverrides.EVIDENCE_FIELD);

        // The rule's own override wins over its detector's.
        override("acme", CrossTenantAccessDetector.ALLOWED_RULE, true, null);
        exec("shop", "ledger");
        assertThat(findings.readValuesToList()).isEmpty();
    }

    @Test
    void anUnreadableOrMislabelledOverrideIsNotApplied() throws Exception {
        override("acme", CrossTenantAccessDetector.ALLOWED_RULE, true, null);
        overrides.pipeInput(Topics.overrideKey("acme", CrossTenantAccessDetector.ALLOWED_RULE), new byte[] {1, 2, 3});
        exec("shop", "ledger");
        assertThat(tenantsOfFindings()).as("the unreadable record removed the older override").containsExactly("acme:critical");

        // A record keyed for acme that names globex must not disable globex's findings, nor acme's.
        RuleOverride forged = RuleOverride.newBuilder().setTenant("globex").setTarget(CrossTenantAccessDetector.ALLOWED_RULE)
                .setDisabled(true).build();
        overrides.pipeInput(Topics.overrideKey("acme", CrossTenantAccessDetector.ALLOWED_RULE),
                AvroSerde.of(RuleOverride.class).encode(forged));
        exec("shop", "ledger");
        exec("ledger", "shop");
        assertThat(tenantsOfFindings()).containsExactly("acme:critical", "globex:critical");
    }
}
