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

import dev.bulwark.detection.DeadLetterHandlers;
import dev.bulwark.detection.DetectionTopology;
import dev.bulwark.detection.TenantResolver;
import dev.bulwark.detectors.api.Detector;
import dev.bulwark.detectors.container.InteractiveShellInContainerDetector;
import dev.bulwark.detectors.container.InteractiveShellInContainerDetectorTest;
import dev.bulwark.schemas.DeadLetter;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.schemas.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/** A detector that throws dead-letters the record once and the stream, and every other detector, goes on. */
class DeadLetterHandlersTest {

    private final Topics topics = Topics.withPrefix("handlers.");
    private final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    private TopologyTestDriver driver;
    private TestInputTopic<String, SecurityEvent> events;
    private TestOutputTopic<String, Finding> findings;
    private TestOutputTopic<String, DeadLetter> deadLetters;

    @TempDir
    Path stateDir;

    @BeforeEach
    void setUp() {
        List<Detector> detectors = List.of(new PoisonDetector(), new InteractiveShellInContainerDetector());
        var topology = DetectionTopology.build(topics, detectors, new TenantResolver(Map.of("payments", "acme")), Map.of(),
                metrics);
        Properties props = DetectionTopology.streamsConfig(topics, "dummy:9092", "handlers", stateDir.toString(), false);
        props.put(DeadLetterHandlers.DETECTORS_CONFIG, detectors.stream().map(Detector::name).toList());
        props.put(DeadLetterHandlers.METRICS_CONFIG, metrics);
        driver = new TopologyTestDriver(topology, props);
        events = driver.createInputTopic(topics.events().name(), Serdes.String().serializer(),
                topics.events().valueSerde().serializer());
        findings = driver.createOutputTopic(topics.findings().name(), Serdes.String().deserializer(),
                topics.findings().valueSerde().deserializer());
        deadLetters = driver.createOutputTopic(topics.deadLetters().name(), Serdes.String().deserializer(),
                topics.deadLetters().valueSerde().deserializer());
    }

    @AfterEach
    void tearDown() {
        driver.close();
    }

    static SecurityEvent poisoned(String id, String containerId) {
        SecurityEvent event = InteractiveShellInContainerDetectorTest.shellEvent(id, containerId, "bash", 34816L);
        event.getProcess().setCommandLine("bash -c " + PoisonDetector.POISON);
        return event;
    }

    @Test
    void shouldDeadLetterTheRecordADetectorThrowsOnAndKeepDetecting() {
        events.pipeInput("container/c1", InteractiveShellInContainerDetectorTest.shellEvent("e1", "c1", "bash", 34816L));
        events.pipeInput("container/c2", poisoned("e2", "c2"));
        events.pipeInput("container/c3", InteractiveShellInContainerDetectorTest.shellEvent("e3", "c3", "bash", 34816L));

        List<DeadLetter> letters = deadLetters.readValuesToList();
        assertThat(letters).singleElement().satisfies(letter -> {
            assertThat(letter.getStage()).isEqualTo("detect");
            assertThat(letter.getError()).contains("processing failed in processor poison-detector-finding",
                    "(detector poison-detector)", "IllegalStateException", "cannot handle event e2");
            assertThat(letter.getOrigin()).startsWith(topics.events().name() + "-0@");
            SecurityEvent original = topics.events().valueSerde().deserializer().deserialize("t",
                    bytes(letter.getOriginal()));
            assertThat(original.getId()).isEqualTo("e2");
        });

        List<Finding> emitted = findings.readValuesToList();
        // e1 and e3 by both detectors; e2 by the shell detector only: a sibling's failure does not cost it the event.
        assertThat(emitted).extracting(f -> f.getRule().getId() + "/" + f.getContainerId()).containsExactlyInAnyOrder(
                PoisonDetector.RULE_ID + "/c1", InteractiveShellInContainerDetector.RULE_ID + "/c1",
                InteractiveShellInContainerDetector.RULE_ID + "/c2",
                PoisonDetector.RULE_ID + "/c3", InteractiveShellInContainerDetector.RULE_ID + "/c3");
        assertThat(metrics.get(DeadLetterHandlers.COUNTER).tag("kind", "processing").tag("detector", "poison-detector")
                .counter().count()).isEqualTo(1.0);
    }

    @Test
    void shouldDeadLetterEveryPoisonRecordOnceAsTheyCome() {
        for (int i = 0; i < 5; i++) {
            events.pipeInput("container/p" + i, poisoned("p" + i, "p" + i));
        }
        events.pipeInput("container/ok", InteractiveShellInContainerDetectorTest.shellEvent("ok", "ok", "bash", 34816L));

        assertThat(deadLetters.readValuesToList()).hasSize(5);
        assertThat(findings.readValuesToList()).extracting(f -> f.getRule().getId() + "/" + f.getContainerId())
                .contains(PoisonDetector.RULE_ID + "/ok", InteractiveShellInContainerDetector.RULE_ID + "/ok");
    }

    private static byte[] bytes(java.nio.ByteBuffer buffer) {
        byte[] copy = new byte[buffer.remaining()];
        buffer.duplicate().get(copy);
        return copy;
    }
}
