package dev.bulwark.sink;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import co.elastic.clients.elasticsearch._types.FieldValue;
import dev.bulwark.deploy.LocalStack;
import dev.bulwark.deploy.RealStack;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.TopicAdmin;
import dev.bulwark.schemas.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * Elasticsearch stops in the middle of a stream of findings and comes back: the sink pauses, Kafka keeps the backlog,
 * and afterwards every finding is in Elasticsearch exactly once.
 */
class FindingSinkOutageIT {

    private LocalStack stack;
    private ElasticsearchClient client;
    private FindingIndex index;
    private FindingSink sink;
    private Thread sinkThread;

    @Test
    void shouldIndexEveryFindingOnceWhenElasticsearchStopsMidStreamAndReturns() throws Exception {
        stack = RealStack.get();
        String prefix = RealStack.uniquePrefix("sinkoutage");
        Topics topics = Topics.withPrefix(prefix);
        index = new FindingIndex(prefix.replace(".", "") + "-findings");
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap()))) {
            TopicAdmin.ensureTopics(admin, topics, 3, (short) 1);
        }
        client = ElasticsearchClients.create(stack.elasticsearchUrl());
        SimpleMeterRegistry metrics = new SimpleMeterRegistry();
        var consumer = new KafkaConsumer<>(Map.<String, Object>of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap(),
                ConsumerConfig.GROUP_ID_CONFIG, prefix + "sink",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 50,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false), new StringDeserializer(), new ByteArrayDeserializer());
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap(), ProducerConfig.ACKS_CONFIG, "all"),
                new StringSerializer(), new ByteArraySerializer())) {
            sink = new FindingSink(consumer, producer, client, topics, index, metrics);
            sinkThread = new Thread(sink, "sink-outage-it");
            sinkThread.start();

            long base = Instant.now().minus(Duration.ofDays(2)).toEpochMilli();
            int total = 600;
            int beforeOutage = 200;
            for (int i = 0; i < beforeOutage; i++) {
                send(producer, topics, finding(i, base));
            }
            // Mid-stream: once part of the stream is in, Elasticsearch goes away.
            assertThat(awaitCount(50, Duration.ofSeconds(60))).isGreaterThanOrEqualTo(50);
            assertThat(stack.run("down", "es")).isZero();
            for (int i = beforeOutage; i < total; i++) {
                send(producer, topics, finding(i, base));
            }
            // The sink keeps failing and retrying while Elasticsearch is gone.
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (metrics.counter("bulwark.sink.retries").count() < 2 && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            assertThat(metrics.counter("bulwark.sink.retries").count()).isGreaterThanOrEqualTo(2.0);
            assertThat(stack.run("up", "es")).isZero();

            assertThat(awaitCount(total, Duration.ofSeconds(180))).isEqualTo(total);
            Set<String> ids = allIds();
            assertThat(ids).hasSize(total);
            assertThat(metrics.counter("bulwark.sink.dead.letters").count()).isZero();
        }
    }

    private static Finding finding(int i, long base) {
        // Spread over three days, so three daily indices are written.
        long firstSeen = base + (i % 3) * Duration.ofDays(1).toMillis() + i;
        return Finding.newBuilder(FindingSinkIT.finding("f-outage-" + i, i % 2 == 0 ? "acme" : "globex",
                i % 5 == 0 ? "critical" : "high", firstSeen)).build();
    }

    private static void send(KafkaProducer<String, byte[]> producer, Topics topics, Finding finding) throws Exception {
        producer.send(new ProducerRecord<>(topics.findings().name(), finding.getId(),
                topics.findings().valueSerde().serializer().serialize(topics.findings().name(), finding))).get();
    }

    /** Documents in the read alias once at least {@code expected} are there or the time is up. */
    private long awaitCount(long expected, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long count = 0;
        while (System.nanoTime() < deadline) {
            try {
                client.indices().refresh(r -> r.index(index.alias()).ignoreUnavailable(true).allowNoIndices(true));
                count = client.count(c -> c.index(index.alias()).ignoreUnavailable(true).allowNoIndices(true)).count();
                if (count >= expected) {
                    return count;
                }
            } catch (Exception e) {
                // Elasticsearch is restarting
            }
            Thread.sleep(500);
        }
        return count;
    }

    /** Every finding id in the read alias, paging with search_after; fails on a duplicate. */
    private Set<String> allIds() throws Exception {
        Set<String> ids = new HashSet<>();
        List<FieldValue> after = List.of();
        while (true) {
            var page = new FindingSearch(FindingFilter.all(), FindingSort.OLDEST, 250, after).page(client, index.alias(), null);
            for (var hit : page.hits()) {
                assertThat(ids.add(hit.document().finding().id())).as("duplicate %s", hit.document().finding().id()).isTrue();
            }
            after = page.nextSearchAfter(250);
            if (after.isEmpty()) {
                return ids;
            }
        }
    }

    @AfterEach
    void tearDown() throws Exception {
        if (sink != null) {
            sink.close();
            sinkThread.join(30_000);
        }
        if (client != null) {
            if (!stack.elasticsearchReachable()) {
                stack.run("up", "es");
            }
            index.deleteAll(client);
            client._transport().close();
        }
    }
}
