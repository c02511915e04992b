package dev.bulwark.sink;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringReader;
import java.time.Duration;
import java.time.Instant;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import dev.bulwark.deploy.LocalStack;
import dev.bulwark.deploy.RealStack;
import dev.bulwark.schemas.DeadLetter;
import dev.bulwark.schemas.Evidence;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.FindingRule;
import dev.bulwark.schemas.MitreAttack;
import dev.bulwark.schemas.TopicAdmin;
import dev.bulwark.schemas.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

class FindingSinkIT {

    private LocalStack stack;
    private Topics topics;
    private FindingIndex index;
    private ElasticsearchClient client;
    private KafkaProducer<String, byte[]> producer;
    private FindingSink sink;
    private Thread sinkThread;
    private SimpleMeterRegistry metrics;

    @BeforeEach
    void setUp() throws Exception {
        stack = RealStack.get();
        String prefix = RealStack.uniquePrefix("findingsink");
        topics = Topics.withPrefix(prefix);
        index = new FindingIndex(prefix.replace(".", "") + "-findings");
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap()))) {
            TopicAdmin.ensureTopics(admin, topics, 2, (short) 1);
        }
        client = ElasticsearchClients.create(stack.elasticsearchUrl());
        producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap(),
                ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new ByteArraySerializer());
        metrics = new SimpleMeterRegistry();
        var consumer = new KafkaConsumer<>(Map.<String, Object>of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap(),
                ConsumerConfig.GROUP_ID_CONFIG, prefix + "sink",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false), new StringDeserializer(), new ByteArrayDeserializer());
        sink = new FindingSink(consumer, producer, client, topics, index, metrics);
        sinkThread = new Thread(sink, "sink-it");
        sinkThread.start();
    }

    @AfterEach
    void tearDown() throws Exception {
        sink.close();
        sinkThread.join(20_000);
        producer.close();
        client.indices().delete(d -> d.index(index.prefix() + "-*"));
        client.indices().deleteIndexTemplate(d -> d.name(index.prefix()));
        client._transport().close();
    }

    static Finding finding(String id, String tenant, String severity, long firstSeen) {
        return Finding.newBuilder()
                .setId(id).setDetector("interactive-shell-in-container")
                .setRule(FindingRule.newBuilder().setId("bulwark.container.interactive_shell")
                        .setName("Interactive shell spawned in a container").setVersion("1").build())
                .setSeverity(severity).setRiskScore(73)
                .setMitre(MitreAttack.newBuilder().setTactics(List.of("execution")).setTechniques(List.of("T1059.004")).build())
                .setTenant(tenant).setOtherTenants(List.of())
                .setSummary("Interactive shell 'bash' started in pod payments/api").setFirstSeen(firstSeen).setLastSeen(firstSeen)
                .setCount(1).setNamespace("payments").setPod("api").setContainerId("c1").setImage("alpine")
                .setEvidence(Evidence.newBuilder().setEventIds(List.of("e1")).setFields(Map.of("process.name", "bash")).build())
                .build();
    }

    private void send(Finding finding) throws Exception {
        producer.send(new ProducerRecord<>(topics.findings().name(), finding.getId(),
                topics.findings().valueSerde().serializer().serialize(topics.findings().name(), finding))).get();
    }

    private List<FindingDocument> search(FindingSearch search, int expected) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        List<FindingDocument> docs = List.of();
        while (System.nanoTime() < deadline) {
            client.indices().refresh(r -> r.index(index.alias()).ignoreUnavailable(true).allowNoIndices(true));
            docs = search.run(client, index);
            if (docs.size() >= expected) {
                break;
            }
            Thread.sleep(200);
        }
        return docs;
    }

    @Test
    void shouldIndexFindingsOnceEachWhenReplayedAndSearchByRuleSeverityTenantAndTime() throws Exception {
        long now = Instant.now().toEpochMilli();
        Finding acme = finding("f-acme", "acme", "high", now);
        Finding globex = finding("f-globex", "globex", "medium", now - 1000);
        send(acme);
        send(globex);
        send(acme); // replay
        send(globex);

        List<FindingDocument> all = search(new FindingSearch(null, null, null, null, null, 100), 2);
        Thread.sleep(1500); // give duplicates a chance to show up if ids were not deterministic
        all = search(new FindingSearch(null, null, null, null, null, 100), 2);
        assertThat(all).extracting(d -> d.finding().id()).containsExactlyInAnyOrder("f-acme", "f-globex");

        FindingDocument doc = search(new FindingSearch("acme", null, null, null, null, 10), 1).get(0);
        assertThat(doc.rule().id()).isEqualTo("bulwark.container.interactive_shell");
        assertThat(doc.finding().severity()).isEqualTo("high");
        assertThat(doc.tenant().name()).isEqualTo("acme");
        assertThat(doc.kubernetes().namespace()).isEqualTo("payments");
        assertThat(doc.threat().technique().id()).containsExactly("T1059.004");
        assertThat(doc.evidence().fields()).containsEntry("process.name", "bash");
        assertThat(doc.timestamp()).isEqualTo(Instant.ofEpochMilli(now).toString());

        assertThat(search(new FindingSearch(null, "medium", null, null, null, 10), 1))
                .extracting(d -> d.finding().id()).containsExactly("f-globex");
        assertThat(search(new FindingSearch(null, null, "Interactive shell spawned in a container", null, null, 10), 2))
                .hasSize(2);
        assertThat(search(new FindingSearch(null, null, null, Instant.ofEpochMilli(now - 500), null, 10), 1))
                .extracting(d -> d.finding().id()).containsExactly("f-acme");
        assertThat(search(new FindingSearch("nobody", null, null, null, null, 10), 0)).isEmpty();
        assertThat(metrics.counter("bulwark.sink.findings.indexed").count()).isGreaterThanOrEqualTo(2.0);
    }

    @Test
    void shouldDeadLetterDocumentsElasticsearchRejectsAndUndecodableRecords() throws Exception {
        long day = Instant.parse("2001-02-03T04:05:06Z").toEpochMilli();
        // An index for that day whose mapping conflicts with the finding document: 'message' as a number.
        client.indices().create(c -> c.index(index.indexFor(day))
                .withJson(new StringReader("{\"mappings\":{\"properties\":{\"message\":{\"type\":\"long\"}}}}")));
        send(finding("f-rejected", "acme", "high", day));
        producer.send(new ProducerRecord<>(topics.findings().name(), "garbage", "not avro".getBytes())).get();
        send(finding("f-ok", "acme", "low", Instant.now().toEpochMilli()));

        List<DeadLetter> letters = new ArrayList<>();
        try (var consumer = new KafkaConsumer<>(Map.<String, Object>of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap(),
                ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topics.deadLetters().name()));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (letters.size() < 2 && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(500)).forEach(r -> letters.add(
                        topics.deadLetters().valueSerde().deserializer().deserialize(r.topic(), r.value())));
            }
        }
        assertThat(letters).hasSize(2);
        assertThat(letters).extracting(DeadLetter::getStage).containsOnly("sink");
        assertThat(letters).extracting(DeadLetter::getError)
                .anySatisfy(e -> assertThat(e).contains("Elasticsearch rejected the document (400"))
                .anySatisfy(e -> assertThat(e).contains("not an Avro single-object encoded Finding"));
        assertThat(search(new FindingSearch(null, "low", null, null, null, 10), 1))
                .extracting(d -> d.finding().id()).containsExactly("f-ok");
    }
}
