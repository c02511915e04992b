package dev.bulwark.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import dev.bulwark.deploy.LocalStack;
import dev.bulwark.deploy.RealStack;
import dev.bulwark.ingest.falco.FalcoParser;
import dev.bulwark.samples.Samples;
import dev.bulwark.schemas.DeadLetter;
import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.schemas.TopicAdmin;
import dev.bulwark.schemas.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

class FalcoIngestIT {

    @Test
    void shouldPublishRealFalcoAlertsAndDeadLetterMalformedOnesOnARealBroker() throws Exception {
        LocalStack stack = RealStack.get();
        Topics topics = Topics.withPrefix(RealStack.uniquePrefix("falcoingest"));
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap()))) {
            TopicAdmin.ensureTopics(admin, topics, 3, (short) 1);
        }

        String samples = Files.readString(Samples.path("falco/falco_alerts_real.ndjson"));
        String malformed = "{\"rule\":\"broken\",\"priority\":\"Critical\",\"time\":\n"   // truncated JSON
                + "[\"not\",\"an\",\"object\"]\n"                                           // wrong type
                + "{\"rule\":\"r\",\"priority\":\"Notice\",\"time\":\"2023-05-25T13:44:05Z\",\"x\":" + "[".repeat(500) + "\n";
        byte[] input = (samples + "\n" + malformed + "x".repeat(3000) + "\n").getBytes(StandardCharsets.UTF_8);

        Properties producerProps = EventPublisher.producerConfig(stack.kafkaBootstrap(), "falco-ingest-it");
        Map<String, Object> producerConfig = new HashMap<>();
        producerProps.forEach((k, v) -> producerConfig.put((String) k, v));
        IngestStats stats = new IngestStats(new SimpleMeterRegistry(), "falco");
        try (EventPublisher publisher = new EventPublisher(producerConfig, topics, stats)) {
            new StreamIngestor(publisher, 2048).ingest(new ByteArrayInputStream(input), "alerts.ndjson", new FalcoParser(), n -> { });
            publisher.flush();
        }

        assertThat(stats.recordsIn()).isEqualTo(18);
        assertThat(stats.recordsNormalized()).isEqualTo(14);
        assertThat(stats.eventsOut()).isEqualTo(14);
        assertThat(stats.deadLettered()).isEqualTo(4);
        assertThat(stats.balanced()).isTrue();

        List<ConsumerRecord<String, byte[]>> events = consume(stack, topics.events().name(), 14);
        assertThat(events).hasSize(14);
        List<SecurityEvent> decoded = events.stream()
                .map(r -> topics.events().valueSerde().deserializer().deserialize(r.topic(), r.value())).toList();
        SecurityEvent shell = decoded.stream().filter(e -> "ee97d9c4186f".equals(
                e.getContainer() == null ? null : e.getContainer().getId())).findFirst().orElseThrow();
        assertThat(shell.getTimestamp()).isEqualTo(1_685_022_245_478_445_995L);
        assertThat(shell.getProcess().getName()).isEqualTo("sh");
        ConsumerRecord<String, byte[]> shellRecord = events.stream()
                .filter(r -> "container/ee97d9c4186f".equals(r.key())).findFirst().orElseThrow();
        assertThat(shellRecord).isNotNull();

        List<ConsumerRecord<String, byte[]>> letters = consume(stack, topics.deadLetters().name(), 4);
        List<DeadLetter> dead = letters.stream()
                .map(r -> topics.deadLetters().valueSerde().deserializer().deserialize(r.topic(), r.value())).toList();
        assertThat(dead).extracting(DeadLetter::getStage).containsOnly("ingest");
        assertThat(dead).extracting(DeadLetter::getError).anySatisfy(e -> assertThat(e).contains("invalid JSON"))
                .anySatisfy(e -> assertThat(e).contains("expected a JSON object, got an array"))
                .anySatisfy(e -> assertThat(e).contains("exceeds the limit of 2048 bytes"));
        long sampleLines = samples.lines().count();
        DeadLetter truncatedJson = dead.stream().filter(d -> d.getError().contains("invalid JSON")).findFirst().orElseThrow();
        assertThat(truncatedJson.getOrigin()).isEqualTo("alerts.ndjson:" + (sampleLines + 2));
        assertThat(StandardCharsets.UTF_8.decode(truncatedJson.getOriginal()).toString())
                .isEqualTo("{\"rule\":\"broken\",\"priority\":\"Critical\",\"time\":");
        DeadLetter oversized = dead.stream().filter(DeadLetter::getTruncated).findFirst().orElseThrow();
        assertThat(oversized.getOriginalSize()).isEqualTo(3000);
    }

    static List<ConsumerRecord<String, byte[]>> consume(LocalStack stack, String topic, int expected) {
        return BrokerIngest.consume(stack, topic, expected);
    }
}
