package dev.bulwark.sigma;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;

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
import dev.bulwark.detection.DetectionTopology;
import dev.bulwark.detection.TenantResolver;
import dev.bulwark.schemas.DeadLetter;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.schemas.TopicAdmin;
import dev.bulwark.schemas.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * The Sigma detector on the real broker with KafkaStreams: a rule pushed to the rules topic while events flow fires
 * without a restart, a changed rule fires in its new form, a deleted rule stops, and a bad record is dead-lettered.
 * Every wait is "until it happened", bounded only so a broken build fails instead of hanging.
 */
class SigmaDetectorIT {

    private static final Duration PATIENCE = Duration.ofSeconds(90);
    private static final String WHOAMI_KEY = "11111111-0000-4000-8000-000000000001";

    @TempDir
    Path state;

    @TempDir
    Path rulesDir;

    private final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    private Topics topics;
    private KafkaProducer<String, byte[]> producer;
    private int sequence;

    @Test
    void shouldApplyRulePushedChangedAndDeletedOnTheTopicWithoutRestart() throws Exception {
        LocalStack stack = RealStack.get();
        String prefix = RealStack.uniquePrefix("sigma");
        topics = Topics.withPrefix(prefix);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap()))) {
            TopicAdmin.ensureTopics(admin, topics, 2, (short) 1);
        }
        Files.writeString(rulesDir.resolve("id.yml"), SigmaDetectorTest.ID);
        var topology = DetectionTopology.build(topics, List.of(new SigmaDetector()),
                new TenantResolver(Map.of("payments", "acme")),
                Map.of("sigma", Map.of("bundled", "false", "rules", rulesDir.toString(), "fold-window", "1s")), metrics);
        try (KafkaStreams streams = new KafkaStreams(topology, DetectionTopology.streamsConfig(topics, stack.kafkaBootstrap(),
                prefix + "app", state.toString(), false));
             KafkaProducer<String, byte[]> events = new KafkaProducer<>(Map.of(
                     ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap()), new StringSerializer(),
                     new ByteArraySerializer());
             KafkaProducer<String, String> rules = new KafkaProducer<>(Map.of(
                     ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap()), new StringSerializer(),
                     new StringSerializer());
             KafkaConsumer<String, byte[]> findings = consumer(stack, topics.findings().name());
             KafkaConsumer<String, byte[]> deadLetters = consumer(stack, topics.deadLetters().name())) {
            this.producer = events;
            streams.start();

            // the file rule works from the start; no whoami rule yet
            String c0 = container();
            send(c0, "/usr/bin/whoami");
            send(c0, "/usr/bin/id");
            List<Finding> first = awaitFinding(findings, f -> f.getContainerId().equals(c0) && named(f, "Id run"));
            assertThat(first).noneMatch(f -> named(f, "Whoami run"));

            // pushed while events flow: fires without a restart
            rules.send(new ProducerRecord<>(topics.rules().name(), WHOAMI_KEY, SigmaDetectorTest.WHOAMI)).get();
            awaitFindingWhileSending(findings, "/usr/bin/whoami", f -> named(f, "Whoami run"));

            // changed: the new version fires
            rules.send(new ProducerRecord<>(topics.rules().name(), WHOAMI_KEY,
                    SigmaDetectorTest.WHOAMI.replace("title: Whoami run", "title: Whoami run v2"))).get();
            awaitFindingWhileSending(findings, "/usr/bin/whoami", f -> named(f, "Whoami run v2"));

            // deleted: once the detector holds only the file rule again, whoami no longer fires
            rules.send(new ProducerRecord<>(topics.rules().name(), WHOAMI_KEY, null)).get();
            awaitUntil(() -> metrics.get("bulwark.detect.sigma.rules").gauge().value() == 1.0, "the rule to be deleted");
            double matchesBefore = metrics.counter("bulwark.detect.sigma.matches").count();
            String c1 = container();
            send(c1, "/usr/bin/whoami");
            send(c1, "/usr/bin/id");
            List<Finding> after = awaitFinding(findings, f -> f.getContainerId().equals(c1) && named(f, "Id run"));
            assertThat(after).filteredOn(f -> f.getContainerId().equals(c1))
                    .extracting(f -> f.getRule().getName()).containsExactly("Id run");
            assertThat(metrics.counter("bulwark.detect.sigma.matches").count() - matchesBefore)
                    .as("the whoami event before the id event in the same partition matched nothing").isEqualTo(1.0);

            // a bad record is dead-lettered and the rules keep working
            rules.send(new ProducerRecord<>(topics.rules().name(), "broken", "title: [unclosed")).get();
            DeadLetter letter = awaitDeadLetter(deadLetters);
            assertThat(letter.getStage()).isEqualTo("rules");
            assertThat(letter.getOrigin()).isEqualTo(topics.rules().name() + ":broken");
            assertThat(letter.getError()).startsWith("broken:1");
            String c2 = container();
            send(c2, "/usr/bin/id");
            awaitFinding(findings, f -> f.getContainerId().equals(c2) && named(f, "Id run"));
        }
    }

    private static boolean named(Finding finding, String name) {
        return finding.getRule().getName().equals(name);
    }

    private String container() {
        return "c" + UUID.randomUUID().toString().substring(0, 8);
    }

    private void send(String container, String executable) throws Exception {
        String id = "it-" + (++sequence);
        SecurityEvent event = SigmaDetectorTest.exec(id, 0, container, executable, executable.substring(
                executable.lastIndexOf('/') + 1));
        event.setTimestamp(System.currentTimeMillis() * 1_000_000L);
        producer.send(new ProducerRecord<>(topics.events().name(), "container/" + container,
                topics.events().valueSerde().serializer().serialize("t", event))).get();
    }

    /** Polls findings until one satisfies {@code wanted}; returns everything read. */
    private List<Finding> awaitFinding(KafkaConsumer<String, byte[]> consumer, Predicate<Finding> wanted) {
        List<Finding> seen = new ArrayList<>();
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (System.nanoTime() < deadline) {
            for (var record : consumer.poll(Duration.ofMillis(500))) {
                Finding finding = topics.findings().valueSerde().deserializer().deserialize("t", record.value());
                seen.add(finding);
                if (wanted.test(finding)) {
                    return seen;
                }
            }
        }
        throw new AssertionError("no wanted finding within " + PATIENCE + "; saw " + seen);
    }

    /** Keeps sending events of {@code executable} in fresh containers until a finding satisfies {@code wanted}. */
    private void awaitFindingWhileSending(KafkaConsumer<String, byte[]> consumer, String executable,
                                          Predicate<Finding> wanted) throws Exception {
        List<Finding> seen = new ArrayList<>();
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (System.nanoTime() < deadline) {
            send(container(), executable);
            for (var record : consumer.poll(Duration.ofMillis(500))) {
                Finding finding = topics.findings().valueSerde().deserializer().deserialize("t", record.value());
                seen.add(finding);
                if (wanted.test(finding)) {
                    return;
                }
            }
        }
        throw new AssertionError("no wanted finding within " + PATIENCE + "; saw " + seen);
    }

    private DeadLetter awaitDeadLetter(KafkaConsumer<String, byte[]> consumer) {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (System.nanoTime() < deadline) {
            for (var record : consumer.poll(Duration.ofMillis(500))) {
                return topics.deadLetters().valueSerde().deserializer().deserialize("t", record.value());
            }
        }
        throw new AssertionError("no dead letter within " + PATIENCE);
    }

    private static void awaitUntil(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(100);
        }
    }

    private static KafkaConsumer<String, byte[]> consumer(LocalStack stack, String topic) {
        KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.<String, Object>of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap(),
                ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), new ByteArrayDeserializer());
        consumer.subscribe(List.of(topic));
        return consumer;
    }
}
