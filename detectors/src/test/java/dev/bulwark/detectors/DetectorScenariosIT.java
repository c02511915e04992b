package dev.bulwark.detectors;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import dev.bulwark.deploy.LocalStack;
import dev.bulwark.deploy.RealStack;
import dev.bulwark.detection.ContextTenantDirectory;
import dev.bulwark.detection.DeadLetterHandlers;
import dev.bulwark.detection.DetectionTopology;
import dev.bulwark.detection.Detectors;
import dev.bulwark.detection.TenantResolver;
import dev.bulwark.detectors.api.Detector;
import dev.bulwark.detectors.testkit.Scenario;
import dev.bulwark.schemas.DeadLetter;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.TenantContext;
import dev.bulwark.schemas.TopicAdmin;
import dev.bulwark.schemas.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * Every detector's scenario replayed on the real stack: a real broker, one {@link KafkaStreams} instance per scenario
 * with the detector alone (its settings, default caching, at-least-once), topics of one partition.
 *
 * <p>Why: the {@code TopologyTestDriver} commits after every record and runs punctuations only when told; a real
 * broker coalesces updates in record caches, interleaves repartition topics and runs the global store on its own
 * thread. A scenario that holds on both is a detection that holds in production.
 *
 * <p>How the replay keeps the scenario's order: context is sent first, then the events; before the first event and at
 * every {@code advance}, the runner waits until the tenant directory (the global store) shows the context sent so far
 * and the application's committed offsets have reached the end of its input and repartition topics. Event times start
 * a minute plus the scenario's span before now, so no record is in the future. After the last record the findings are
 * read until the expected number arrived, then for a quiet period that catches extras.
 */
class DetectorScenariosIT {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final Duration QUIET = Duration.ofSeconds(2);

    @TempDir
    Path state;

    static Stream<String> registeredDetectors() {
        return DetectorScenariosTest.registeredDetectors();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("registeredDetectors")
    void theDetectorsScenarioProducesExactlyTheExpectedFindingsOnARealBroker(String name) throws Exception {
        long began = System.nanoTime();
        Scenario scenario = Scenario.load(Scenario.fileFor(DetectorScenariosTest.SCENARIOS, name));
        LocalStack stack = RealStack.get();
        String prefix = RealStack.uniquePrefix("scenario-" + name);
        Topics topics = Topics.withPrefix(prefix);
        String applicationId = prefix + "app";
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap()))) {
            TopicAdmin.ensureTopics(admin, topics, 1, (short) 1);
            try {
                Detector detector = DetectorScenariosTest.detector(name);
                var topology = DetectionTopology.build(topics, List.of(detector), new TenantResolver(scenario.tenants()),
                        Map.of(name, scenario.settings()), new SimpleMeterRegistry());
                Properties props = DetectionTopology.streamsConfig(topics, stack.kafkaBootstrap(), applicationId,
                        state.toString(), false);
                props.put(DeadLetterHandlers.DETECTORS_CONFIG, List.of(name));
                // Commits often so the replay's barriers are short; caches stay at their default size.
                props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
                List<Finding> findings;
                List<DeadLetter> deadLetters;
                try (KafkaStreams streams = new KafkaStreams(topology, props);
                     KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                             ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap(), ProducerConfig.ACKS_CONFIG, "all"),
                             new StringSerializer(), new ByteArraySerializer())) {
                    streams.start();
                    await("the application to run", () -> streams.state() == KafkaStreams.State.RUNNING);
                    Replay replay = new Replay(admin, streams, producer, topics, applicationId);
                    Instant start = Instant.now().minus(scenario.span()).minusSeconds(60).truncatedTo(ChronoUnit.SECONDS);
                    replay.send(scenario.inputs(start));
                    findings = read(stack, topics.findings().name(), scenario.expected().size(), QUIET,
                            bytes -> topics.findings().valueSerde().deserializer().deserialize("t", bytes));
                    // Anything dead-lettered was written before the findings went quiet.
                    deadLetters = read(stack, topics.deadLetters().name(), 0, Duration.ofMillis(500),
                            bytes -> topics.deadLetters().valueSerde().deserializer().deserialize("t", bytes));
                }
                System.out.printf("scenario %s on a real broker: %d findings (%d expected) in %d ms%n", name,
                        findings.size(), scenario.expected().size(), (System.nanoTime() - began) / 1_000_000);
                assertThat(deadLetters).as("dead letters of scenario %s", name).isEmpty();
                scenario.verify(findings);
            } finally {
                deleteTopics(admin, prefix);
            }
        }
    }

    @Test
    void theShippedTopologyGetsExactlyTheGoldenInternalTopicsOnARealBroker() throws Exception {
        LocalStack stack = RealStack.get();
        String prefix = RealStack.uniquePrefix("golden-topics");
        Topics topics = Topics.withPrefix(prefix);
        String applicationId = prefix + "app";
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap()))) {
            TopicAdmin.ensureTopics(admin, topics, 1, (short) 1);
            try {
                var topology = DetectionTopology.build(topics, Detectors.discover(), TenantResolver.none(), Map.of(),
                        new SimpleMeterRegistry());
                try (KafkaStreams streams = new KafkaStreams(topology, DetectionTopology.streamsConfig(topics,
                        stack.kafkaBootstrap(), applicationId, state.toString(), false))) {
                    streams.start();
                    await("the application to run", () -> streams.state() == KafkaStreams.State.RUNNING);
                    Set<String> internal = new TreeSet<>();
                    for (String topic : admin.listTopics().names().get()) {
                        if (topic.startsWith(applicationId + "-")) {
                            internal.add(topic.substring(applicationId.length() + 1));
                        }
                    }
                    Set<String> golden = new TreeSet<>(GoldenTopologyTest.REPARTITION_TOPICS);
                    GoldenTopologyTest.STATE_STORES.forEach(store -> golden.add(store + "-changelog"));
                    assertThat(internal).as("internal topics Kafka Streams created for " + applicationId)
                            .containsExactlyInAnyOrderElementsOf(golden);
                }
            } finally {
                deleteTopics(admin, prefix);
            }
        }
    }

    /** Sends a scenario's records in order, waiting at phase boundaries until what was sent is processed. */
    private static final class Replay {
        private final Admin admin;
        private final KafkaStreams streams;
        private final KafkaProducer<String, byte[]> producer;
        private final Topics topics;
        private final String applicationId;
        private final Map<String, TenantContext> context = new LinkedHashMap<>();

        Replay(Admin admin, KafkaStreams streams, KafkaProducer<String, byte[]> producer, Topics topics,
               String applicationId) {
            this.admin = admin;
            this.streams = streams;
            this.producer = producer;
            this.topics = topics;
            this.applicationId = applicationId;
        }

        void send(List<Scenario.Input> inputs) throws Exception {
            boolean events = false;
            for (Scenario.Input input : inputs) {
                if (input instanceof Scenario.ContextInput record) {
                    byte[] value = record.value() == null ? null
                            : topics.context().valueSerde().serializer().serialize(topics.context().name(), record.value());
                    producer.send(new ProducerRecord<>(topics.context().name(), null, record.time().toEpochMilli(),
                            record.key(), value));
                    context.put(record.key(), record.value());
                } else if (input instanceof Scenario.EventInput record) {
                    if (!events) {
                        processed();
                        events = true;
                    }
                    producer.send(new ProducerRecord<>(topics.events().name(), null, record.time().toEpochMilli(),
                            record.key(), topics.events().valueSerde().serializer().serialize(topics.events().name(),
                            record.event())));
                } else if (input instanceof Scenario.Advance) {
                    processed();
                }
            }
            processed();
        }

        /** Waits until the directory shows the context sent so far and the application committed all it was sent. */
        private void processed() throws Exception {
            producer.flush();
            ContextTenantDirectory directory = new ContextTenantDirectory(streams.store(StoreQueryParameters.fromNameAndType(
                    DetectionTopology.DIRECTORY_STORE, QueryableStoreTypes.<String, TenantContext>keyValueStore())),
                    TenantResolver.none());
            await("the tenant directory to show the context", () -> context.entrySet().stream().allMatch(entry -> {
                String key = entry.getKey();
                int slash = key.indexOf('/');
                return Objects.equals(directory.object(key.substring(0, slash), key.substring(slash + 1)), entry.getValue());
            }));
            int[] caughtUp = {0};
            await("the application to commit everything it was sent", () -> {
                caughtUp[0] = caughtUp() ? caughtUp[0] + 1 : 0;
                return caughtUp[0] >= 2; // twice in a row: a repartition record may have been written in between
            });
        }

        private boolean caughtUp() {
            try {
                List<String> inputs = new ArrayList<>(List.of(topics.events().name(), topics.context().name()));
                for (String topic : admin.listTopics().names().get()) {
                    if (topic.startsWith(applicationId + "-") && topic.endsWith("-repartition")) {
                        inputs.add(topic);
                    }
                }
                Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
                inputs.forEach(topic -> latest.put(new TopicPartition(topic, 0), OffsetSpec.latest()));
                var ends = admin.listOffsets(latest).all().get();
                Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(applicationId)
                        .partitionsToOffsetAndMetadata().get();
                return ends.entrySet().stream().allMatch(end -> end.getValue().offset() == 0
                        || committed.get(end.getKey()) != null
                        && committed.get(end.getKey()).offset() >= end.getValue().offset());
            } catch (Exception e) {
                return false;
            }
        }
    }

    /** Reads a topic from the start until {@code expected} records arrived, then until it stays {@code quiet}. */
    private static <T> List<T> read(LocalStack stack, String topic, int expected, Duration quiet,
                                    java.util.function.Function<byte[], T> decode) {
        List<T> records = new ArrayList<>();
        try (var consumer = new KafkaConsumer<>(Map.<String, Object>of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition partition = new TopicPartition(topic, 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long deadline = System.nanoTime() + WAIT.toNanos();
            long quietSince = System.nanoTime();
            while (System.nanoTime() < deadline) {
                var polled = consumer.poll(Duration.ofMillis(200));
                polled.forEach(record -> records.add(decode.apply(record.value())));
                if (!polled.isEmpty()) {
                    quietSince = System.nanoTime();
                } else if (records.size() >= expected && System.nanoTime() - quietSince >= quiet.toNanos()) {
                    break;
                }
            }
        }
        return records;
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + WAIT.toSeconds() + " s waiting for " + what);
            }
            Thread.sleep(50);
        }
    }

    /** Removes the test's topics (inputs, outputs and internal topics) so runs do not pile up on the shared broker. */
    private static void deleteTopics(Admin admin, String prefix) {
        try {
            List<String> mine = admin.listTopics().names().get().stream().filter(t -> t.startsWith(prefix)).toList();
            admin.deleteTopics(mine).all().get(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
            System.out.println("could not delete the topics of " + prefix + ": " + e);
        }
    }
}
