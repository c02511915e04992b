package dev.bulwark.sink;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import dev.bulwark.schemas.Evidence;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.FindingRule;
import dev.bulwark.schemas.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/** Daily indices are named only after times within the bounds, whatever a finding on the topic claims. */
class FindingSinkIndexTimeTest {

    private static Finding firstSeen(Instant time) {
        return Finding.newBuilder().setId("f").setDetector("d")
                .setRule(FindingRule.newBuilder().setId("r").setName("R").build()).setSeverity("high").setTenant("acme")
                .setSummary("s").setFirstSeen(time.toEpochMilli()).setLastSeen(time.toEpochMilli())
                .setEvidence(Evidence.newBuilder().setEventIds(List.of("e")).setFields(Map.of()).build()).build();
    }

    @Test
    void aFindingDatedOutsideTheBoundsNamesTheNearestDayInside() throws Exception {
        ElasticsearchClient client = ElasticsearchClients.create("http://127.0.0.1:1"); // never contacted
        try {
            FindingSink sink = new FindingSink(new MockConsumer<>("earliest"),
                    new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer()), client,
                    Topics.withPrefix("t."), new FindingIndex("t-findings"), new SimpleMeterRegistry());
            Instant now = Instant.now();
            Instant hourAgo = now.minus(Duration.ofHours(1));
            assertThat(sink.indexTime(firstSeen(Instant.parse("2210-01-01T00:00:00Z"))))
                    .as("unbounded by default").isEqualTo(Instant.parse("2210-01-01T00:00:00Z").toEpochMilli());

            sink.withIndexTimeBounds(Duration.ofMinutes(10), Duration.ofDays(30));
            assertThat(sink.indexTime(firstSeen(hourAgo))).isEqualTo(hourAgo.toEpochMilli());
            assertThat(sink.indexTime(firstSeen(Instant.parse("2210-01-01T00:00:00Z"))))
                    .isBetween(now.toEpochMilli(), now.plus(Duration.ofMinutes(11)).toEpochMilli());
            assertThat(sink.indexTime(firstSeen(Instant.parse("1972-01-01T00:00:00Z"))))
                    .isBetween(now.minus(Duration.ofDays(30)).toEpochMilli(), now.minus(Duration.ofDays(30)).plusSeconds(60).toEpochMilli());
        } finally {
            client._transport().close();
        }
    }
}
