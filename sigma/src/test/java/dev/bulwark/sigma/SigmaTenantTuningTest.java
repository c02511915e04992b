package dev.bulwark.sigma;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulwark.detection.DetectionTopology;
import dev.bulwark.detection.TenantResolver;
import dev.bulwark.schemas.AvroSerde;
import dev.bulwark.schemas.ContainerInfo;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.KubernetesInfo;
import dev.bulwark.schemas.ProcessInfo;
import dev.bulwark.schemas.RuleOverride;
import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.schemas.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * Per-tenant exceptions and correlation thresholds in the Sigma detector: set on the rule-overrides topic for one
 * tenant, they change that tenant's matches and counts only, at once, and a tombstone lifts them; a dropped match is
 * counted, and a broken exception drops nothing.
 */
class SigmaTenantTuningTest {

    private static final long T0 = 1_700_000_000_000L;
    private static final String WHOAMI_ID = "11111111-0000-4000-8000-000000000001";
    private static final String ID_ID = "11111111-0000-4000-8000-000000000002";

    /** acme runs its health check as {@code whoami --healthcheck}: not an attack there. */
    private static final String HEALTHCHECK = """
            title: acme's health check
            logsource: {product: linux, category: process_creation}
            filter:
                rules: [whoami_run]
                healthcheck:
                    CommandLine|contains: '--healthcheck'
                condition: not healthcheck
            """;

    private final Topics topics = Topics.defaults();
    private final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    private TopologyTestDriver driver;
    private TestInputTopic<String, SecurityEvent> events;
    private TestInputTopic<String, byte[]> overrides;
    private TestOutputTopic<String, Finding> findings;
    private int sequence;

    @TempDir
    Path rulesDir;

    @TempDir
    Path stateDir;

    @AfterEach
    void tearDown() {
        if (driver != null) {
            driver.close();
        }
    }

    private void start(String... ruleFiles) throws IOException {
        for (int i = 0; i < ruleFiles.length; i++) {
            Files.writeString(rulesDir.resolve("rule-" + i + ".yml"), ruleFiles[i], StandardCharsets.UTF_8);
        }
        var topology = DetectionTopology.build(topics, List.of(new SigmaDetector()),
                new TenantResolver(Map.of("payments", "acme", "ledger", "globex")),
                Map.of("sigma", Map.of("bundled", "false", "rules", rulesDir.toString(), "emit-interval", "0s")),
                metrics);
        Properties props = DetectionTopology.streamsConfig(topics, "dummy:9092", "tuning-test", stateDir.toString(), false);
        props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        driver = new TopologyTestDriver(topology, props, Instant.ofEpochMilli(T0));
        events = driver.createInputTopic(topics.events().name(), Serdes.String().serializer(),
                topics.events().valueSerde().serializer());
        overrides = driver.createInputTopic(topics.ruleOverrides().name(), Serdes.String().serializer(),
                Serdes.ByteArray().serializer());
        findings = driver.createOutputTopic(topics.findings().name(), Serdes.String().deserializer(),
                topics.findings().valueSerde().deserializer());
    }

    /** {@code executable} run by {@code user} in namespace {@code namespace} (payments: acme, ledger: globex). */
    private void run(String namespace, String user, String executable, String commandLine) {
        sequence++;
        SecurityEvent base = SigmaTestSupport.exec(executable, commandLine);
        SecurityEvent event = SecurityEvent.newBuilder(base).setId("e" + sequence)
                .setTimestamp((T0 + sequence * 1_000L) * 1_000_000L)
                .setProcess(ProcessInfo.newBuilder(base.getProcess()).setUserName(user).build())
                .setContainer(ContainerInfo.newBuilder().setId("c-" + namespace + "-" + user)
                        .setImageName("docker.io/library/alpine").build())
                .setKubernetes(KubernetesInfo.newBuilder().setNamespace(namespace).setPod("api-" + user).build())
                .build();
        events.pipeInput("event/e" + sequence, event, T0 + sequence * 1_000L);
    }

    private void override(String tenant, String target, String exception, Long threshold) {
        RuleOverride override = RuleOverride.newBuilder().setTenant(tenant).setTarget(target).setException(exception)
                .setThreshold(threshold).setUpdatedBy("alice").setUpdatedAt(1_767_225_600_000L).setNote("tuning")
                .build();
        overrides.pipeInput(Topics.overrideKey(tenant, target), AvroSerde.of(RuleOverride.class).encode(override));
    }

    private List<String> findingsSeen() {
        return findings.readValuesToList().stream()
                .map(f -> f.getTenant() + ":" + f.getRule().getId() + ":" + f.getCount()).toList();
    }

    /** An event_count correlation of whoami_run per user over a minute. */
    private static String burst(String condition) {
        return SigmaDetectorTest.correlation("event_count", List.of("whoami_run"), "60s", condition, "");
    }

    private double excepted() {
        return metrics.counter("bulwark.detect.sigma.excepted").count();
    }

    @Test
    void anExceptionDropsOnlyThatTenantsMatchesItExceptsUntilItIsRemoved() throws IOException {
        start(SigmaDetectorTest.WHOAMI);
        override("acme", WHOAMI_ID, HEALTHCHECK, null);

        run("payments", "alice", "/usr/bin/whoami", "whoami --healthcheck");
        assertThat(findingsSeen()).as("acme's health check is excepted").isEmpty();
        assertThat(excepted()).isEqualTo(1.0);

        run("payments", "alice", "/usr/bin/whoami", "whoami");
        run("ledger", "bob", "/usr/bin/whoami", "whoami --healthcheck");
        assertThat(findingsSeen()).as("acme's other whoami, and globex's health check (not its exception)")
                .containsExactly("acme:" + WHOAMI_ID + ":1", "globex:" + WHOAMI_ID + ":1");
        assertThat(excepted()).isEqualTo(1.0);

        overrides.pipeInput(Topics.overrideKey("acme", WHOAMI_ID), (byte[]) null);
        run("payments", "carol", "/usr/bin/whoami", "whoami --healthcheck");
        assertThat(findingsSeen()).as("removed: acme's health check is a finding again")
                .containsExactly("acme:" + WHOAMI_ID + ":1");
    }

    @Test
    void anExceptionOfTheDetectorAppliesToEveryRuleItNamesAndOnlyThose() throws IOException {
        start(SigmaDetectorTest.WHOAMI, SigmaDetectorTest.ID);
        override("acme", "sigma", HEALTHCHECK.replace("rules: [whoami_run]", "rules: [whoami_run, id_run]"), null);
        run("payments", "alice", "/usr/bin/whoami", "whoami --healthcheck");
        run("payments", "alice", "/usr/bin/id", "id --healthcheck");
        run("payments", "alice", "/usr/bin/id", "id -u");
        assertThat(findingsSeen()).containsExactly("acme:" + ID_ID + ":1");
        assertThat(excepted()).isEqualTo(2.0);

        override("acme", "sigma", HEALTHCHECK, null); // names whoami_run only now
        run("payments", "dave", "/usr/bin/id", "id --healthcheck");
        assertThat(findingsSeen()).as("a rule the filter does not name is not excepted")
                .containsExactly("acme:" + ID_ID + ":1");
    }

    @Test
    void anExceptionOfACorrelationKeepsTheTenantsMatchesOutOfIt() throws IOException {
        start(SigmaDetectorTest.WHOAMI, burst("gte: 2"));
        override("acme", "corr-1", HEALTHCHECK, null);
        run("payments", "alice", "/usr/bin/whoami", "whoami --healthcheck");
        run("payments", "alice", "/usr/bin/whoami", "whoami --healthcheck");
        assertThat(findingsSeen()).as("the correlation does not fire for acme's health checks").isEmpty();
        assertThat(excepted()).isEqualTo(2.0);
        run("ledger", "bob", "/usr/bin/whoami", "whoami --healthcheck");
        run("ledger", "bob", "/usr/bin/whoami", "whoami --healthcheck");
        assertThat(findingsSeen()).as("globex's do").containsExactly("globex:corr-1:1");
    }

    @Test
    void aTenantsThresholdChangesItsCorrelationCountOnlyAndIsRecordedOnTheFinding() throws IOException {
        start(SigmaDetectorTest.WHOAMI, burst("gte: 3"));
        override("acme", "corr-1", null, 5L);
        for (int i = 0; i < 3; i++) {
            run("payments", "alice", "/usr/bin/whoami", "whoami");
            run("ledger", "bob", "/usr/bin/whoami", "whoami");
        }
        List<Finding> fired = findings.readValuesToList().stream()
                .filter(f -> f.getRule().getId().equals("corr-1")).toList();
        assertThat(fired).extracting(Finding::getTenant).as("globex at its 3, acme not yet").containsExactly("globex");
        assertThat(fired.get(0).getEvidence().getFields()).doesNotContainKey(dev.bulwark.detectors.api.TenantTuning.EVIDENCE_FIELD);

        run("payments", "alice", "/usr/bin/whoami", "whoami");
        run("payments", "alice", "/usr/bin/whoami", "whoami");
        fired = findings.readValuesToList().stream().filter(f -> f.getRule().getId().equals("corr-1")).toList();
        assertThat(fired).singleElement().satisfies(f -> {
            assertThat(f.getTenant()).isEqualTo("acme");
            assertThat(f.getEvidence().getEventIds()).as("five of acme's events").hasSize(5);
            assertThat(f.getEvidence().getFields().get(dev.bulwark.detectors.api.TenantTuning.EVIDENCE_FIELD))
                    .isEqualTo("threshold 5 by override of corr-1 for tenant acme, set by alice at "
                            + "2026-01-01T00:00:00Z: tuning");
        });
    }

    @Test
    void aBrokenExceptionDropsNothing() throws IOException {
        start(SigmaDetectorTest.WHOAMI);
        override("acme", WHOAMI_ID, "filter: [not, a, filter", null);
        run("payments", "alice", "/usr/bin/whoami", "whoami --healthcheck");
        assertThat(findingsSeen()).containsExactly("acme:" + WHOAMI_ID + ":1");
        assertThat(excepted()).isZero();
    }

    @Test
    void theEngineRefusesAnExceptionThatIsNotOneFilterDocument() {
        SigmaEngine engine = SigmaEngine.create();
        assertThat(engine.exceptionFilter(HEALTHCHECK).key()).isNotBlank();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> engine.exceptionFilter(SigmaDetectorTest.WHOAMI))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("one Sigma filter document");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> engine.exceptionFilter(
                        HEALTHCHECK.replace("condition: not healthcheck", "")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("condition");
    }
}
