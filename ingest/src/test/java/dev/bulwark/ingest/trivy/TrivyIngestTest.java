package dev.bulwark.ingest.trivy;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.util.List;

import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import dev.bulwark.ingest.EventPublisher;
import dev.bulwark.ingest.IngestStats;
import dev.bulwark.ingest.StreamIngestor;
import dev.bulwark.samples.Samples;
import dev.bulwark.schemas.DeadLetter;
import dev.bulwark.schemas.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/** Pretty-printed Trivy reports through the real reader, JSON framer and publisher, with Kafka mocked. */
class TrivyIngestTest {

    @Test
    void shouldFrameEachPrettyPrintedReportAsOneRecordAndAccountForEveryOne() throws Exception {
        StringBuilder input = new StringBuilder();
        for (String name : List.of("alpine-310", "debian-buster", "spring4shell-jre11", "secrets")) {
            input.append(Files.readString(Samples.path("trivy/" + name + ".json.golden"), UTF_8)).append('\n');
        }
        input.append("{\n  \"SchemaVersion\": 1,\n  \"ArtifactName\": \"old\"\n}\n");

        Topics topics = Topics.withPrefix("test.");
        MockProducer<String, byte[]> producer = new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
        IngestStats stats = new IngestStats(new SimpleMeterRegistry(), "trivy");
        EventPublisher publisher = new EventPublisher(producer, topics, stats);
        new StreamIngestor(publisher, StreamIngestor.DEFAULT_MAX_RECORD_BYTES)
                .ingest(new ByteArrayInputStream(input.toString().getBytes(UTF_8)), "reports.json", new TrivyParser(), n -> { });
        publisher.flush();

        assertThat(stats.recordsIn()).isEqualTo(5);
        assertThat(stats.recordsNormalized()).isEqualTo(4);
        assertThat(stats.eventsOut()).isEqualTo(4 + 2 + 1 + 2);
        assertThat(stats.deadLettered()).isEqualTo(1);
        assertThat(stats.balanced()).isTrue();
        List<DeadLetter> letters = producer.history().stream().filter(r -> r.topic().equals(topics.deadLetters().name()))
                .map(r -> topics.deadLetters().valueSerde().deserializer().deserialize(r.topic(), r.value())).toList();
        assertThat(letters).singleElement().satisfies(letter -> {
            assertThat(letter.getError()).isEqualTo("unsupported Trivy SchemaVersion 1 (only SchemaVersion 2 is supported)");
            assertThat(letter.getOrigin()).endsWith("-" + input.toString().lines().count());
        });
    }
}
