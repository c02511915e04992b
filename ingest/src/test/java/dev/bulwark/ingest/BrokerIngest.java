package dev.bulwark.ingest;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import dev.bulwark.deploy.LocalStack;
import dev.bulwark.deploy.RealStack;
import dev.bulwark.schemas.DeadLetter;
import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.schemas.TopicAdmin;
import dev.bulwark.schemas.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/** Ingests files into fresh topics on the real test broker and reads back what landed there. */
final class BrokerIngest {

    final LocalStack stack;
    final Topics topics;

    private BrokerIngest(LocalStack stack, Topics topics) {
        this.stack = stack;
        this.topics = topics;
    }

    /** Fresh topics with a unique prefix on the test broker. */
    static BrokerIngest create(String testName) throws Exception {
        LocalStack stack = RealStack.get();
        Topics topics = Topics.withPrefix(RealStack.uniquePrefix(testName));
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap()))) {
            TopicAdmin.ensureTopics(admin, topics, 3, (short) 1);
        }
        return new BrokerIngest(stack, topics);
    }

    Map<String, Object> producerConfig() {
        Map<String, Object> config = new HashMap<>();
        EventPublisher.producerConfig(stack.kafkaBootstrap(), "ingest-it").forEach((k, v) -> config.put((String) k, v));
        return config;
    }

    /** Ingests files as the command line does (two normalizing threads), returning the ledger after Kafka's acks. */
    IngestStats ingest(String format, List<Path> files) throws IOException {
        SourceParser parser = Parsers.forFormat(format);
        IngestStats stats = new IngestStats(new SimpleMeterRegistry(), format);
        try (EventPublisher publisher = new EventPublisher(producerConfig(), topics, stats);
                StreamIngestor ingestor = new StreamIngestor(publisher, StreamIngestor.DEFAULT_MAX_RECORD_BYTES, 2)) {
            for (Path file : files) {
                try (InputStream in = Files.newInputStream(file)) {
                    ingestor.ingest(in, file.toString(), parser, n -> { });
                }
            }
            publisher.flush();
        }
        return stats;
    }

    List<SecurityEvent> events(long expected) {
        return consume(topics.events().name(), expected).stream()
                .map(r -> topics.events().valueSerde().deserializer().deserialize(r.topic(), r.value())).toList();
    }

    List<DeadLetter> deadLetters(long expected) {
        return consume(topics.deadLetters().name(), expected).stream()
                .map(r -> topics.deadLetters().valueSerde().deserializer().deserialize(r.topic(), r.value())).toList();
    }

    List<ConsumerRecord<String, byte[]>> context(long expected) {
        return consume(topics.context().name(), expected);
    }

    /** Reads a topic from the start until {@code expected} records arrived (or 30 s), then once more to catch extras. */
    List<ConsumerRecord<String, byte[]>> consume(String topic, long expected) {
        return consume(stack, topic, expected);
    }

    /** Reads a topic of the given stack from the start until {@code expected} records arrived (or 30 s). */
    static List<ConsumerRecord<String, byte[]>> consume(LocalStack stack, String topic, long expected) {
        Map<String, Object> config = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap(),
                ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (records.size() < expected && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(300)).forEach(records::add);
            }
            consumer.poll(Duration.ofMillis(300)).forEach(records::add);
        }
        return records;
    }
}
