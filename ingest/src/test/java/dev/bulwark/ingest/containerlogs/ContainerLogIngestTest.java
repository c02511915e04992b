package dev.bulwark.ingest.containerlogs;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.util.List;

import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import dev.bulwark.ingest.EventPublisher;
import dev.bulwark.ingest.IngestStats;
import dev.bulwark.ingest.SourceParser;
import dev.bulwark.ingest.StreamIngestor;
import dev.bulwark.samples.Samples;
import dev.bulwark.schemas.DeadLetter;
import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.schemas.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/** Container log files through the real reader, framer and publisher, with Kafka mocked. */
class ContainerLogIngestTest {

    private static final String ID = "aeeccc7a9f00f6e4e066aeff0434cf80621215071f1b20a51e8340aa7c35eac6";
    private static final String FILE = "/var/log/containers/apache-logs-annotated_default_apache-" + ID + ".log";

    private final Topics topics = Topics.withPrefix("test.");
    private final MockProducer<String, byte[]> producer =
            new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());

    private IngestStats ingest(SourceParser parser, byte[] input, int maxRecordBytes) throws Exception {
        IngestStats stats = new IngestStats(new SimpleMeterRegistry(), parser.format());
        EventPublisher publisher = new EventPublisher(producer, topics, stats);
        new StreamIngestor(publisher, maxRecordBytes).ingest(new ByteArrayInputStream(input), FILE, parser, n -> { });
        publisher.flush();
        return stats;
    }

    private List<SecurityEvent> events() {
        return producer.history().stream().filter(r -> r.topic().equals(topics.events().name()))
                .map(r -> topics.events().valueSerde().deserializer().deserialize(r.topic(), r.value())).toList();
    }

    private List<DeadLetter> deadLetters() {
        return producer.history().stream().filter(r -> r.topic().equals(topics.deadLetters().name()))
                .map(r -> topics.deadLetters().valueSerde().deserializer().deserialize(r.topic(), r.value())).toList();
    }

    @Test
    void shouldAccountForEveryCriRecordAndKeyEventsByContainer() throws Exception {
        String sample = Files.readString(Samples.path("container_logs/cri_log_lines.log"), UTF_8);
        String t = "2024-03-01T10:00:00.000000001Z stderr F ";
        String trace = t + "java.lang.IllegalStateException: boom\n" + t + "\tat a.B.c(B.java:1)\n" + t + "Caused by: x\n";
        String oversized = t + "z".repeat(5000) + "\n";
        byte[] input = (sample + trace + oversized + t + "after\n").getBytes(UTF_8);

        IngestStats stats = ingest(new CriParser(), input, 4096);

        // 9 records from the sample (8 events, 1 truncated line), the trace, the cut line, the last line.
        assertThat(stats.recordsIn()).isEqualTo(12);
        assertThat(stats.recordsNormalized()).isEqualTo(10);
        assertThat(stats.deadLettered()).isEqualTo(2);
        assertThat(stats.eventsOut()).isEqualTo(10);
        assertThat(stats.balanced()).isTrue();

        List<SecurityEvent> events = events();
        assertThat(events).extracting(e -> e.getLog().getMessage())
                .contains("java.lang.IllegalStateException: boom\n\tat a.B.c(B.java:1)\nCaused by: x", "after");
        assertThat(producer.history()).filteredOn(r -> r.topic().equals(topics.events().name()))
                .extracting(ProducerRecord::key).containsOnly("container/" + ID);

        List<DeadLetter> letters = deadLetters();
        DeadLetter truncated = letters.stream().filter(d -> d.getOrigin().equals(FILE + ":12")).findFirst().orElseThrow();
        assertThat(truncated.getError()).contains("truncated CRI log line");
        assertThat(UTF_8.decode(truncated.getOriginal()).toString()).isEqualTo("2017-09-12T22:32:21.212861448Z stdout");
        DeadLetter cut = letters.stream().filter(DeadLetter::getTruncated).findFirst().orElseThrow();
        assertThat(cut.getOrigin()).isEqualTo(FILE + ":16");
        assertThat(cut.getError()).contains("exceeds the limit of 4096 bytes");
    }

    @Test
    void shouldAccountForEveryDockerRecord() throws Exception {
        byte[] input = Files.readAllBytes(Samples.path("container_logs/docker_json_file_lines.log"));
        IngestStats stats = ingest(new DockerJsonParser(), input, 1 << 20);
        assertThat(stats.recordsIn()).isEqualTo(11);
        assertThat(stats.recordsNormalized()).isEqualTo(10);
        assertThat(stats.deadLettered()).isEqualTo(1);
        assertThat(stats.balanced()).isTrue();
        assertThat(deadLetters()).singleElement().satisfies(d -> {
            assertThat(d.getOrigin()).isEqualTo(FILE + ":10");
            assertThat(d.getError()).isEqualTo("missing required field 'time'");
        });
        assertThat(events()).filteredOn(e -> e.getAttributes().containsKey("log.partial")).singleElement()
                .satisfies(e -> assertThat(e.getLog().getStream()).isEqualTo("stderr"));
    }

    @Test
    void shouldNeverPutAGroupOverTheLimitSoNoGoodLineIsDeadLettered() throws Exception {
        StringBuilder input = new StringBuilder();
        String t = "2024-03-01T10:00:00Z stdout ";
        for (int i = 0; i < 200; i++) {
            input.append(t).append("P ").append("chunk-").append(i).append("-").append("q".repeat(50)).append('\n');
        }
        input.append(t).append("F end\n");
        IngestStats stats = ingest(new CriParser(), input.toString().getBytes(UTF_8), 1024);
        assertThat(stats.deadLettered()).isZero();
        assertThat(stats.balanced()).isTrue();
        String joined = String.join("", events().stream().map(e -> e.getLog().getMessage()).toList());
        assertThat(joined).startsWith("chunk-0-").endsWith("end").contains("chunk-199-");
        assertThat(events()).hasSizeGreaterThan(10)
                .allSatisfy(e -> assertThat(e.getOriginal().getBytes(UTF_8).length).isLessThanOrEqualTo(1024));
    }

    @Test
    void aJoinedLineTooLargeForKafkaIsDeadLetteredWithTheReasonInsteadOfFailingDelivery() throws Exception {
        // A partial stderr line that never completes: the group grows to the record limit; its event (joined message
        // plus the original lines) would be about twice that, beyond what the broker accepts.
        StringBuilder input = new StringBuilder();
        for (int i = 0; i < 3000; i++) {
            input.append("{\"log\":\"").append("x".repeat(300)).append("\",\"stream\":\"stderr\",")
                    .append("\"time\":\"2024-03-01T10:00:00.000000001Z\"}\n");
        }
        input.append("{\"log\":\"done\\n\",\"stream\":\"stderr\",\"time\":\"2024-03-01T10:00:01Z\"}\n");
        IngestStats stats = ingest(new DockerJsonParser(), input.toString().getBytes(UTF_8), 1 << 20);
        assertThat(stats.balanced()).isTrue();
        assertThat(stats.failed()).isZero();
        assertThat(deadLetters()).isNotEmpty().allSatisfy(letter ->
                assertThat(letter.getError()).contains("above Kafka's message limit"));
        assertThat(producer.history()).allSatisfy(record ->
                assertThat(record.value().length).isLessThanOrEqualTo(EventPublisher.MAX_MESSAGE_BYTES));
    }
}
