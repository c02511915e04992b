package dev.bulwark.detectors.container;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
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

import dev.bulwark.detection.DetectionTopology;
import dev.bulwark.detection.Detectors;
import dev.bulwark.detection.TenantResolver;
import dev.bulwark.schemas.ContainerInfo;
import dev.bulwark.schemas.DeadLetter;
import dev.bulwark.schemas.EventInfo;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.KubernetesInfo;
import dev.bulwark.schemas.ParentProcess;
import dev.bulwark.schemas.ProcessInfo;
import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.schemas.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

public class InteractiveShellInContainerDetectorTest {

    private final Topics topics = Topics.defaults();
    private TopologyTestDriver driver;
    private TestInputTopic<String, SecurityEvent> events;
    private TestInputTopic<String, byte[]> rawEvents;
    private TestOutputTopic<String, Finding> findings;
    private TestOutputTopic<String, DeadLetter> deadLetters;
    private SimpleMeterRegistry metrics;

    @org.junit.jupiter.api.io.TempDir
    java.nio.file.Path stateDir;

    @BeforeEach
    void setUp() {
        metrics = new SimpleMeterRegistry();
        var topology = DetectionTopology.build(topics, Detectors.discover(),
                new TenantResolver(Map.of("payments", "acme")), Map.of(), metrics);
        Properties props = DetectionTopology.streamsConfig(topics, "dummy:9092", "test", stateDir.toString(), false);
        driver = new TopologyTestDriver(topology, props);
        events = driver.createInputTopic(topics.events().name(), Serdes.String().serializer(),
                topics.events().valueSerde().serializer());
        rawEvents = driver.createInputTopic(topics.events().name(), Serdes.String().serializer(),
                Serdes.ByteArray().serializer());
        findings = driver.createOutputTopic(topics.findings().name(), Serdes.String().deserializer(),
                topics.findings().valueSerde().deserializer());
        deadLetters = driver.createOutputTopic(topics.deadLetters().name(), Serdes.String().deserializer(),
                topics.deadLetters().valueSerde().deserializer());
    }

    @AfterEach
    void tearDown() {
        driver.close();
    }

    public static SecurityEvent shellEvent(String id, String containerId, String processName, Long tty) {
        return SecurityEvent.newBuilder()
                .setId(id)
                .setTimestamp(1_685_022_245_478_445_995L)
                .setSourceFormat("falco")
                .setEvent(EventInfo.newBuilder().setKind("alert").build())
                .setKubernetes(KubernetesInfo.newBuilder().setNamespace("payments").setPod("api-7d9").build())
                .setContainer(ContainerInfo.newBuilder().setId(containerId).setImageName("docker.io/library/alpine").build())
                .setProcess(ProcessInfo.newBuilder().setName(processName).setCommandLine(processName + " -i").setTty(tty)
                        .setUserName("root").setParent(ParentProcess.newBuilder().setName("runc").build()).build())
                .build();
    }

    @Test
    void shouldEmitFindingWhenShellSpawnsInContainerWithTerminal() {
        events.pipeInput("container/c1", shellEvent("e1", "c1", "bash", 34816L));

        List<Finding> emitted = findings.readValuesToList();
        assertThat(emitted).hasSize(1);
        Finding finding = emitted.get(0);
        assertThat(finding.getRule().getId()).isEqualTo(InteractiveShellInContainerDetector.RULE_ID);
        assertThat(finding.getSeverity()).isEqualTo("high");
        assertThat(finding.getTenant()).isEqualTo("acme");
        assertThat(finding.getNamespace()).isEqualTo("payments");
        assertThat(finding.getContainerId()).isEqualTo("c1");
        assertThat(finding.getFirstSeen()).isEqualTo(1_685_022_245_478L);
        assertThat(finding.getMitre().getTechniques()).contains("T1059.004");
        assertThat(finding.getEvidence().getEventIds()).containsExactly("e1");
        assertThat(finding.getEvidence().getFields()).containsEntry("process.name", "bash")
                .containsEntry("process.parent.name", "runc");
        assertThat(finding.getSummary()).contains("bash").contains("payments/api-7d9");
        assertThat(metrics.counter("bulwark.detect.findings", "detector", "interactive-shell-in-container").count())
                .isEqualTo(1.0);
    }

    @Test
    void shouldGiveTheSameFindingIdWhenTheSameEventIsReplayed() {
        events.pipeInput("container/c1", shellEvent("e1", "c1", "sh", 1L));
        events.pipeInput("container/c1", shellEvent("e1", "c1", "sh", 1L));
        List<Finding> emitted = findings.readValuesToList();
        assertThat(emitted).hasSize(2);
        assertThat(emitted.get(0).getId()).isEqualTo(emitted.get(1).getId());
    }

    @Test
    void shouldIgnoreNonInteractiveShellsHostProcessesAndOtherPrograms() {
        events.pipeInput("k", shellEvent("e1", "c1", "bash", 0L));
        events.pipeInput("k", shellEvent("e2", "c1", "bash", null));
        events.pipeInput("k", shellEvent("e3", "host", "bash", 34816L));
        events.pipeInput("k", shellEvent("e4", "c1", "nginx", 34816L));
        assertThat(findings.isEmpty()).isTrue();
    }

    @Test
    void shouldAttributeUnknownNamespacesToUnattributed() {
        SecurityEvent event = shellEvent("e1", "c1", "sh", 1L);
        event.getKubernetes().setNamespace("elsewhere");
        events.pipeInput("k", event);
        assertThat(findings.isEmpty()).as("the event waits a moment for the namespace's context").isTrue();
        driver.advanceWallClockTime(java.time.Duration.ofSeconds(3));
        assertThat(findings.readValue().getTenant()).isEqualTo(TenantResolver.UNATTRIBUTED);
    }

    @Test
    void shouldDeadLetterUndecodableRecordsAndKeepProcessing() {
        byte[] garbage = "not avro".getBytes(StandardCharsets.UTF_8);
        rawEvents.pipeInput("k", garbage);
        events.pipeInput("container/c1", shellEvent("e1", "c1", "bash", 34816L));

        DeadLetter letter = deadLetters.readValue();
        assertThat(letter.getStage()).isEqualTo("detect");
        assertThat(letter.getError()).contains("not an Avro single-object encoded SecurityEvent");
        assertThat(letter.getOrigin()).isEqualTo("bulwark.events-0@0");
        assertThat(StandardCharsets.UTF_8.decode(letter.getOriginal()).toString()).isEqualTo("not avro");
        assertThat(findings.readValuesToList()).hasSize(1);
        assertThat(metrics.counter("bulwark.detect.dead.letters").count()).isEqualTo(1.0);
        assertThat(metrics.counter("bulwark.detect.events.in").count()).isEqualTo(1.0);
    }
}
