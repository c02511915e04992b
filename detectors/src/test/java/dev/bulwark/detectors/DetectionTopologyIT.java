package dev.bulwark.detectors;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulwark.deploy.LocalStack;
import dev.bulwark.deploy.RealStack;
import dev.bulwark.detection.DeadLetterHandlers;
import dev.bulwark.detection.DetectionTopology;
import dev.bulwark.detection.Detectors;
import dev.bulwark.detection.TenantResolver;
import dev.bulwark.detectors.api.Detector;
import dev.bulwark.detectors.api.FindingBounds;
import dev.bulwark.detectors.container.InteractiveShellInContainerDetectorTest;
import dev.bulwark.schemas.DeadLetter;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.TopicAdmin;
import dev.bulwark.schemas.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

class DetectionTopologyIT {

    @TempDir
    Path state;

    @Test
    void shouldEmitFindingsAndDeadLettersThroughARealBroker() throws Exception {
        LocalStack stack = RealStack.get();
        String prefix = RealStack.uniquePrefix("detection");
        Topics topics = Topics.withPrefix(prefix);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap()))) {
            TopicAdmin.ensureTopics(admin, topics, 2, (short) 1);
        }
        var topology = DetectionTopology.build(topics, Detectors.discover(), new TenantResolver(Map.of("payments", "acme")),
                Map.of(), new SimpleMeterRegistry());
        try (KafkaStreams streams = new KafkaStreams(topology, DetectionTopology.streamsConfig(topics, stack.kafkaBootstrap(),
                prefix + "app", state.toString(), true));
             KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                     ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap()), new StringSerializer(), new ByteArraySerializer())) {
            streams.start();
            var shell = InteractiveShellInContainerDetectorTest.shellEvent("e1", "c1", "bash", 34816L);
            var quiet = InteractiveShellInContainerDetectorTest.shellEvent("e2", "c2", "nginx", 34816L);
            producer.send(new ProducerRecord<>(topics.events().name(), "container/c1",
                    topics.events().valueSerde().serializer().serialize("t", shell))).get();
            producer.send(new ProducerRecord<>(topics.events().name(), "container/c2",
                    topics.events().valueSerde().serializer().serialize("t", quiet))).get();
            producer.send(new ProducerRecord<>(topics.events().name(), "bad", new byte[] {1, 2, 3})).get();

            List<Finding> findings = new ArrayList<>();
            consume(stack, topics.findings().name(), 1, bytes -> findings.add(topics.findings().valueSerde().deserializer().deserialize("t", bytes)));
            assertThat(findings).hasSize(1);
            assertThat(findings.get(0).getTenant()).isEqualTo("acme");
            assertThat(findings.get(0).getContainerId()).isEqualTo("c1");

            List<DeadLetter> letters = new ArrayList<>();
            consume(stack, topics.deadLetters().name(), 1, bytes -> letters.add(topics.deadLetters().valueSerde().deserializer().deserialize("t", bytes)));
            assertThat(letters).hasSize(1);
            assertThat(letters.get(0).getStage()).isEqualTo("detect");
            assertThat(letters.get(0).getOriginal().remaining()).isEqualTo(3);
        }
    }

    @Test
    void shouldDeadLetterARecordThatBreaksOneDetectorOnceAndKeepEveryDetectorFindingOnARealBroker() throws Exception {
        LocalStack stack = RealStack.get();
        String prefix = RealStack.uniquePrefix("poison");
        Topics topics = Topics.withPrefix(prefix);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap()))) {
            TopicAdmin.ensureTopics(admin, topics, 1, (short) 1);
        }
        List<Detector> detectors = new ArrayList<>(Detectors.discover());
        detectors.add(new PoisonDetector());
        var topology = DetectionTopology.build(topics, detectors, new TenantResolver(Map.of("payments", "acme")),
                Map.of(), new SimpleMeterRegistry());
        var props = DetectionTopology.streamsConfig(topics, stack.kafkaBootstrap(), prefix + "app", state.toString(), false);
        props.put(DeadLetterHandlers.DETECTORS_CONFIG, detectors.stream().map(Detector::name).toList());
        try (KafkaStreams streams = new KafkaStreams(topology, props);
             KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                     ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap()), new StringSerializer(), new ByteArraySerializer())) {
            streams.start();
            var serializer = topics.events().valueSerde().serializer();
            producer.send(new ProducerRecord<>(topics.events().name(), "container/c1", serializer.serialize("t",
                    InteractiveShellInContainerDetectorTest.shellEvent("e1", "c1", "bash", 34816L)))).get();
            producer.send(new ProducerRecord<>(topics.events().name(), "container/c2", serializer.serialize("t",
                    DeadLetterHandlersTest.poisoned("e2", "c2")))).get();
            for (int i = 3; i <= 5; i++) {
                producer.send(new ProducerRecord<>(topics.events().name(), "container/c" + i, serializer.serialize("t",
                        InteractiveShellInContainerDetectorTest.shellEvent("e" + i, "c" + i, "bash", 34816L)))).get();
            }

            List<Finding> findings = new ArrayList<>();
            // e1, e3, e4, e5: both detectors; e2: the shell detector only.
            consume(stack, topics.findings().name(), 9, bytes -> findings.add(topics.findings().valueSerde().deserializer().deserialize("t", bytes)));
            assertThat(findings).extracting(f -> f.getRule().getId() + "/" + f.getContainerId()).containsExactlyInAnyOrder(
                    PoisonDetector.RULE_ID + "/c1", "bulwark.container.interactive_shell/c1",
                    "bulwark.container.interactive_shell/c2",
                    PoisonDetector.RULE_ID + "/c3", "bulwark.container.interactive_shell/c3",
                    PoisonDetector.RULE_ID + "/c4", "bulwark.container.interactive_shell/c4",
                    PoisonDetector.RULE_ID + "/c5", "bulwark.container.interactive_shell/c5");

            List<DeadLetter> letters = new ArrayList<>();
            consume(stack, topics.deadLetters().name(), 1, bytes -> letters.add(topics.deadLetters().valueSerde().deserializer().deserialize("t", bytes)));
            assertThat(letters).singleElement().satisfies(letter -> {
                assertThat(letter.getError()).contains("(detector poison-detector)", "cannot handle event e2");
                assertThat(letter.getOrigin()).isEqualTo(topics.events().name() + "-0@1");
            });
            // No thread died on it: the one stream thread is still the first one.
            assertThat(streams.state()).isEqualTo(KafkaStreams.State.RUNNING);
            assertThat(streams.metadataForLocalThreads()).singleElement()
                    .satisfies(thread -> assertThat(thread.threadName()).endsWith("StreamThread-1"));
        }
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "exactly-once: {0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void eventsThatWouldMakeOversizedFindingsAreCutAndTheGoodOnesAfterThemAllBecomeFindings(boolean exactlyOnce)
            throws Exception {
        LocalStack stack = RealStack.get();
        String prefix = RealStack.uniquePrefix("oversized" + exactlyOnce);
        Topics topics = Topics.withPrefix(prefix);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap()))) {
            TopicAdmin.ensureTopics(admin, topics, 1, (short) 1);
        }
        List<Detector> detectors = Detectors.discover();
        var topology = DetectionTopology.build(topics, detectors, new TenantResolver(Map.of("payments", "acme")),
                Map.of(), new SimpleMeterRegistry());
        var props = DetectionTopology.streamsConfig(topics, stack.kafkaBootstrap(), prefix + "app",
                state.resolve("oversized-" + exactlyOnce).toString(), exactlyOnce);
        props.put(DeadLetterHandlers.DETECTORS_CONFIG, detectors.stream().map(Detector::name).toList());
        String huge = "A".repeat(900 * 1024);
        try (KafkaStreams streams = new KafkaStreams(topology, props);
             KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                     ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap(),
                     ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 1_000_000), new StringSerializer(), new ByteArraySerializer())) {
            streams.start();
            var serializer = topics.events().valueSerde().serializer();
            var longCommand = InteractiveShellInContainerDetectorTest.shellEvent("huge-cmd", "c-huge-cmd", "bash", 34816L);
            longCommand.getProcess().setCommandLine("bash -c " + huge);
            var longNamespace = InteractiveShellInContainerDetectorTest.shellEvent("huge-ns", "c-huge-ns", "bash", 34816L);
            longNamespace.getKubernetes().setNamespace("ns-" + huge);
            for (var event : List.of(longCommand, longNamespace)) {
                byte[] bytes = serializer.serialize("t", event);
                assertThat(bytes.length).isGreaterThan(900 * 1024);
                producer.send(new ProducerRecord<>(topics.events().name(), "container/" + event.getContainer().getId(),
                        bytes)).get();
            }
            for (int i = 0; i < 100; i++) {
                producer.send(new ProducerRecord<>(topics.events().name(), "container/good-" + i, serializer.serialize("t",
                        InteractiveShellInContainerDetectorTest.shellEvent("good-" + i, "good-" + i, "bash", 34816L)))).get();
            }

            List<Finding> findings = new ArrayList<>();
            consume(stack, topics.findings().name(), 102, bytes -> findings.add(topics.findings().valueSerde().deserializer().deserialize("t", bytes)));
            var shellFindings = findings.stream().filter(f -> "bulwark.container.interactive_shell".equals(f.getRule().getId())).toList();
            long notCut = List.of("c-huge-cmd", "c-huge-ns").stream().filter(id -> shellFindings.stream()
                    .noneMatch(f -> id.equals(f.getContainerId()) && f.getEvidence().getTruncated())).count();
            List<DeadLetter> letters = new ArrayList<>();
            if (notCut > 0) { // then they must be on the dead-letter topic
                consume(stack, topics.deadLetters().name(), (int) notCut,
                        bytes -> letters.add(topics.deadLetters().valueSerde().deserializer().deserialize("t", bytes)));
            }
            assertThat(shellFindings).extracting(Finding::getContainerId).as("every good event after the huge ones")
                    .containsAll(java.util.stream.IntStream.range(0, 100).mapToObj(i -> "good-" + i).toList());
            List<String> huge1 = List.of("c-huge-cmd", "c-huge-ns"); // at offsets 0 and 1 of the events topic
            for (int offset = 0; offset < huge1.size(); offset++) {
                String id = huge1.get(offset);
                String origin = topics.events().name() + "-0@" + offset;
                boolean truncated = shellFindings.stream().anyMatch(f -> id.equals(f.getContainerId())
                        && f.getEvidence().getTruncated());
                boolean deadLettered = letters.stream().anyMatch(l -> origin.equals(l.getOrigin()));
                assertThat(truncated || deadLettered).as(id + " is cut or dead-lettered").isTrue();
            }
            for (Finding finding : findings) {
                assertThat(topics.findings().valueSerde().serializer().serialize("t", finding).length)
                        .isLessThanOrEqualTo(FindingBounds.DEFAULT_MAX_BYTES);
            }
            assertThat(streams.state()).isEqualTo(KafkaStreams.State.RUNNING);
            assertThat(streams.metadataForLocalThreads()).singleElement()
                    .satisfies(thread -> assertThat(thread.threadName()).endsWith("StreamThread-1"));
        }
    }

    private static void consume(LocalStack stack, String topic, int expected, java.util.function.Consumer<byte[]> sink) {
        try (var consumer = new KafkaConsumer<>(Map.<String, Object>of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap(),
                ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            int seen = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (seen < expected && System.nanoTime() < deadline) {
                for (var record : consumer.poll(Duration.ofMillis(500))) {
                    sink.accept(record.value());
                    seen++;
                }
            }
            for (var record : consumer.poll(Duration.ofSeconds(1))) {
                sink.accept(record.value());
            }
        }
    }
}
