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

/** The sink on the real broker and the real Elasticsearch node: idempotence, merges, aliases, dead letters. */
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
        index.deleteAll(client);
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
            try {
                client.indices().refresh(r -> r.index(index.alias()).ignoreUnavailable(true).allowNoIndices(true));
                docs = search.run(client, index);
            } catch (co.elastic.clients.elasticsearch._types.ElasticsearchException | java.io.IOException e) {
                // A daily index that was just created answers 503 until its shard is active (as an Elasticsearch error
                // or, from the low-level client, as a ResponseException).
                Thread.sleep(200);
                continue;
            }
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
    void withRefreshWaitForACommittedFindingIsSearchableWithoutARefresh() throws Exception {
        long now = Instant.now().toEpochMilli();
        send(finding("f-first", "acme", "high", now));
        assertThat(search(new FindingSearch(null, null, null, null, null, 10), 1)).hasSize(1);
        // A slow refresh, so a finding is searchable soon after its bulk only when the bulk waited for a refresh.
        client.indices().putSettings(p -> p.index(index.alias()).settings(x -> x.refreshInterval(t -> t.time("5s"))));
        sink.close();
        sinkThread.join(20_000);
        String group = topics.prefix() + "sink-wait-for";
        var consumer = new KafkaConsumer<>(Map.<String, Object>of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap(),
                ConsumerConfig.GROUP_ID_CONFIG, group,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false), new StringDeserializer(), new ByteArrayDeserializer());
        sink = new FindingSink(consumer, producer, client, topics, index, metrics).withRefreshWaitFor(true);
        sinkThread = new Thread(sink, "sink-it-wait-for");
        sinkThread.start();
        send(finding("f-second", "acme", "high", now));
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap()))) {
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            long committed = 0;
            while (committed < 2) { // both records, the first again and the second
                assertThat(System.nanoTime()).as("the sink commits the findings").isLessThan(deadline);
                try {
                    committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get().values()
                            .stream().filter(java.util.Objects::nonNull).mapToLong(o -> o.offset()).sum();
                } catch (java.util.concurrent.ExecutionException e) {
                    committed = 0; // the group does not exist yet
                }
                Thread.sleep(20);
            }
        }
        // Committed, so searchable: no refresh asked, and the index's own refresh is up to 5 s away.
        assertThat(new FindingSearch(null, null, null, null, null, 10).run(client, index))
                .extracting(d -> d.finding().id()).contains("f-second");
    }

    @Test
    void shouldMergeOccurrenceUpdatesWithoutTouchingFirstSeenOrTriage() throws Exception {
        long first = Instant.parse("2026-03-01T10:00:00Z").toEpochMilli();
        Finding original = finding("f-merge", "acme", "high", first);
        send(original);
        FindingDocument created = awaitDocument("f-merge", d -> d.finding().count() == 1);
        assertThat(created.triage().status()).isEqualTo("open");
        assertThat(created.finding().firstSeen()).isEqualTo("2026-03-01T10:00:00Z");

        // An analyst triages it.
        String concrete = index.indexFor(first);
        client.update(u -> u.index(concrete).id("f-merge").doc(Map.of("triage", Map.of("status", "acknowledged",
                "updated_by", "alice", "updated_at", "2026-03-01T11:00:00Z", "note", "looking"))), Void.class);

        // The detector reports it again: more occurrences, later, with new evidence.
        Finding again = Finding.newBuilder(original).setCount(5).setLastSeen(first + 3_600_000L)
                .setEvidence(Evidence.newBuilder().setEventIds(List.of("e1", "e2")).setFields(Map.of("process.name", "sh",
                        "source.ip", "10.1.2.3", "destination.ip", "not-an-ip")).build()).build();
        send(again);
        FindingDocument merged = awaitDocument("f-merge", d -> d.finding().count() == 5);
        assertThat(merged.finding().firstSeen()).isEqualTo("2026-03-01T10:00:00Z");
        assertThat(merged.finding().lastSeen()).isEqualTo("2026-03-01T11:00:00Z");
        assertThat(merged.timestamp()).isEqualTo("2026-03-01T11:00:00Z");
        assertThat(merged.evidence().eventIds()).containsExactly("e1", "e2");
        assertThat(merged.source().ip()).isEqualTo("10.1.2.3");
        assertThat(merged.destination()).isNull();
        assertThat(merged.triage()).isEqualTo(new FindingDocument.Triage("acknowledged", "alice",
                "2026-03-01T11:00:00Z", "looking"));

        // Replaying the older occurrence and the newer one again, in order, ends in the same state: still one document.
        send(original);
        send(again);
        FindingDocument replayed = awaitDocument("f-merge", d -> d.finding().count() == 5);
        assertThat(replayed.triage().status()).isEqualTo("acknowledged");
        client.indices().refresh(r -> r.index(index.alias()));
        assertThat(client.count(c -> c.index(index.alias()).query(q -> q.ids(i -> i.values("f-merge")))).count())
                .isEqualTo(1);
        // The IP went into an ip-typed field: a CIDR query finds it.
        assertThat(client.count(c -> c.index(index.alias()).query(q -> q.term(t -> t.field("source.ip")
                .value("10.0.0.0/8")))).count()).isEqualTo(1);
    }

    @Test
    void shouldCreateAFilteredAliasPerTenantWhenTheTenantFirstAppears() throws Exception {
        long now = Instant.now().toEpochMilli();
        send(finding("f-a1", "acme", "high", now));
        send(finding("f-g1", "globex", "high", now));
        send(finding("f-bad", "Not A Valid/Alias*", "high", now));
        search(new FindingSearch(null, null, null, null, null, 100), 3);
        assertThat(awaitAlias(index.tenantAlias("acme"), 1)).containsExactly("f-a1");
        assertThat(awaitAlias(index.tenantAlias("globex"), 1)).containsExactly("f-g1");
        assertThat(client.indices().existsAlias(e -> e.name(index.prefix() + "-tenant-*")).value()).isTrue();
        // Aliases are handled after a batch is indexed: the documents can be searchable a moment before the count.
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (metrics.counter("bulwark.sink.invalid.tenant.names").count() < 1.0 && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertThat(metrics.counter("bulwark.sink.invalid.tenant.names").count()).isGreaterThanOrEqualTo(1.0);
    }

    private List<String> awaitAlias(String alias, int expected) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        List<String> ids = List.of();
        while (System.nanoTime() < deadline) {
            if (client.indices().existsAlias(e -> e.name(alias)).value()) {
                client.indices().refresh(r -> r.index(alias));
                ids = new FindingSearch(FindingFilter.all(), FindingSort.NEWEST, 100, List.of())
                        .page(client, alias, null).hits().stream().map(f -> f.document().finding().id()).toList();
                if (ids.size() >= expected) {
                    return ids;
                }
            }
            Thread.sleep(200);
        }
        return ids;
    }

    private FindingDocument awaitDocument(String id, java.util.function.Predicate<FindingDocument> condition)
            throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        FindingDocument last = null;
        while (System.nanoTime() < deadline) {
            try {
                client.indices().refresh(r -> r.index(index.alias()).ignoreUnavailable(true).allowNoIndices(true));
                var hits = client.search(s -> s.index(index.alias()).query(q -> q.ids(i -> i.values(id)))
                        .ignoreUnavailable(true).allowNoIndices(true), FindingDocument.class).hits().hits();
                if (!hits.isEmpty()) {
                    last = hits.get(0).source();
                    if (condition.test(last)) {
                        return last;
                    }
                }
            } catch (co.elastic.clients.elasticsearch._types.ElasticsearchException | java.io.IOException e) {
                // a daily index that was just created answers 503 until its shard is active
            }
            Thread.sleep(200);
        }
        throw new AssertionError("finding " + id + " did not reach the expected state; last seen: " + last);
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
        assertThat(letters).extracting(DeadLetter::getOrigin).allSatisfy(o -> assertThat(o).startsWith(topics.findings().name()));
        assertThat(letters).extracting(DeadLetter::getStage).containsOnly("sink");
        assertThat(letters).extracting(DeadLetter::getError)
                .anySatisfy(e -> assertThat(e).contains("Elasticsearch rejected the document (400"))
                .anySatisfy(e -> assertThat(e).contains("not an Avro single-object encoded Finding"));
        assertThat(search(new FindingSearch(null, "low", null, null, null, 10), 1))
                .extracting(d -> d.finding().id()).containsExactly("f-ok");
    }
}
