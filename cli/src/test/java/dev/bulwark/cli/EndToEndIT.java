package dev.bulwark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import co.elastic.clients.elasticsearch.ElasticsearchClient;

import dev.bulwark.deploy.LocalStack;
import dev.bulwark.deploy.RealStack;
import dev.bulwark.ingest.IngestStats;
import dev.bulwark.ingest.Parsers;
import dev.bulwark.samples.Samples;
import dev.bulwark.sink.ElasticsearchClients;
import dev.bulwark.sink.FindingDocument;
import dev.bulwark.sink.FindingIndex;
import dev.bulwark.sink.FindingSearch;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/** A real Falco alert through the real broker, the detection topology and the sink into the real Elasticsearch. */
class EndToEndIT {

    @TempDir
    Path state;

    @Test
    void shouldTurnAFalcoTerminalShellAlertIntoASearchableFinding() throws Exception {
        LocalStack stack = RealStack.get();
        String prefix = RealStack.uniquePrefix("endtoend");
        BulwarkConfig config = config(stack, prefix);
        config.tenants.put("kubecon-team", List.of("default"));

        // The first line of the real Falco sample: a terminal shell in pod default/kubecon, plus one broken record.
        String alert = Files.readAllLines(Samples.path("falco/falco_alerts_real.ndjson")).get(0);
        byte[] input = (alert + "\n{\"rule\":\"broken\"\n").getBytes(StandardCharsets.UTF_8);

        ElasticsearchClient client = ElasticsearchClients.create(stack.elasticsearchUrl());
        FindingIndex index = new FindingIndex(config.elasticsearch.indexPrefix);
        new KafkaClients(config).ensureTopics();
        try (Pipeline pipeline = Pipeline.start(config, state, new SimpleMeterRegistry())) {
            assertThat(pipeline.awaitRunning(Duration.ofSeconds(60))).isTrue();
            IngestStats stats = Ingestion.ingest(config, Parsers.forFormat("falco"),
                    List.of(new Ingestion.Source("e2e", () -> new ByteArrayInputStream(input))), 1 << 20, false);
            assertThat(stats.eventsOut()).isEqualTo(1);
            assertThat(stats.deadLettered()).isEqualTo(1);
            assertThat(stats.balanced()).isTrue();

            List<FindingDocument> docs = List.of();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (docs.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(300);
                try {
                    docs = new FindingSearch("kubecon-team", "high", "bulwark.container.interactive_shell",
                            Instant.parse("2023-05-25T00:00:00Z"), "shell", 10).run(client, index);
                } catch (java.io.IOException | RuntimeException e) {
                    // a daily index that was just created answers 503 until its shard is active
                }
            }
            assertThat(docs).hasSize(1);
            FindingDocument finding = docs.get(0);
            assertThat(finding.rule().name()).isEqualTo("Interactive shell spawned in a container");
            assertThat(finding.finding().detector()).isEqualTo("interactive-shell-in-container");
            assertThat(finding.finding().severity()).isEqualTo("high");
            assertThat(finding.tenant().name()).isEqualTo("kubecon-team");
            assertThat(finding.timestamp()).isEqualTo("2023-05-25T13:44:05.478Z");
            assertThat(finding.kubernetes().namespace()).isEqualTo("default");
            assertThat(finding.kubernetes().pod()).isEqualTo("kubecon");
            assertThat(finding.container().id()).isEqualTo("ee97d9c4186f");
            assertThat(finding.container().image().name()).isEqualTo("docker.io/library/alpine");
            assertThat(finding.threat().technique().id()).contains("T1059.004");
            assertThat(finding.evidence().fields()).containsEntry("process.command_line", "sh -c clear; (bash || ash || sh)")
                    .containsEntry("process.parent.name", "runc")
                    .containsEntry("source.rule", "Terminal shell in container");
            assertThat(finding.message()).contains("pod default/kubecon");
        } finally {
            index.deleteAll(client);
            client._transport().close();
        }
    }

    @Test
    void detectorsAndSinkStartedApartHandFindingsOverThroughKafkaOnly() throws Exception {
        LocalStack stack = RealStack.get();
        String prefix = RealStack.uniquePrefix("components");
        BulwarkConfig config = config(stack, prefix);
        config.tenants.put("kubecon-team", List.of("default"));
        byte[] alert = (Files.readAllLines(Samples.path("falco/falco_alerts_real.ndjson")).get(0) + "\n")
                .getBytes(StandardCharsets.UTF_8);
        ElasticsearchClient client = ElasticsearchClients.create(stack.elasticsearchUrl());
        FindingIndex index = new FindingIndex(config.elasticsearch.indexPrefix);
        SimpleMeterRegistry detectorMetrics = new SimpleMeterRegistry();
        new KafkaClients(config).ensureTopics();
        try (Pipeline detectors = Pipeline.start(config, state.resolve("detectors"), detectorMetrics,
                java.util.EnumSet.of(Pipeline.Component.DETECTORS))) {
            assertThat(detectors.awaitRunning(Duration.ofSeconds(60))).isTrue();
            Ingestion.ingest(config, Parsers.forFormat("falco"),
                    List.of(new Ingestion.Source("components", () -> new ByteArrayInputStream(alert))), 1 << 20, false);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (detectorMetrics.counter("bulwark.detect.events.in").count() < 1 && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            assertThat(detectorMetrics.counter("bulwark.detect.events.in").count()).isEqualTo(1);
            Thread.sleep(1500);
            assertThat(search(client, index, Duration.ofMillis(1))).as("no sink runs yet").isEmpty();

            try (Pipeline sink = Pipeline.start(config, state.resolve("sink"), new SimpleMeterRegistry(),
                    java.util.EnumSet.of(Pipeline.Component.SINK))) {
                assertThat(sink.detectorNames()).isEmpty();
                List<FindingDocument> docs = search(client, index, Duration.ofSeconds(60));
                assertThat(docs).singleElement().satisfies(doc -> {
                    assertThat(doc.finding().detector()).isEqualTo("interactive-shell-in-container");
                    assertThat(doc.tenant().name()).isEqualTo("kubecon-team");
                });
            }
        } finally {
            index.deleteAll(client);
            client._transport().close();
        }
    }

    @Test
    void theSinkNeverIndexesAFindingFromAnAbortedTransaction() throws Exception {
        LocalStack stack = RealStack.get();
        String prefix = RealStack.uniquePrefix("aborted");
        BulwarkConfig config = config(stack, prefix);
        new KafkaClients(config).ensureTopics();
        dev.bulwark.schemas.Topics topics = dev.bulwark.schemas.Topics.withPrefix(prefix);
        ElasticsearchClient client = ElasticsearchClients.create(stack.elasticsearchUrl());
        FindingIndex index = new FindingIndex(config.elasticsearch.indexPrefix);
        java.util.Properties transactional = new java.util.Properties();
        transactional.put("bootstrap.servers", stack.kafkaBootstrap());
        transactional.put("transactional.id", prefix + "tx");
        try (Pipeline sink = Pipeline.start(config, state.resolve("sink"), new SimpleMeterRegistry(),
                java.util.EnumSet.of(Pipeline.Component.SINK));
             var producer = new org.apache.kafka.clients.producer.KafkaProducer<String, byte[]>(transactional,
                     new org.apache.kafka.common.serialization.StringSerializer(),
                     new org.apache.kafka.common.serialization.ByteArraySerializer())) {
            producer.initTransactions();
            // What an exactly-once detector that failed mid-transaction leaves on the topic: written, then aborted.
            producer.beginTransaction();
            producer.send(finding(topics, "aborted-finding")).get();
            producer.flush();
            producer.abortTransaction();
            producer.beginTransaction();
            producer.send(finding(topics, "committed-finding")).get();
            producer.commitTransaction();

            assertThat(dev.bulwark.deploy.Probes.awaitSearchable(stack.elasticsearchUrl(), index.alias(), "finding.id",
                    "committed-finding", Duration.ofSeconds(60))).as("the committed finding").isTrue();
            // The aborted one came first on the same partition: had the sink read it, it would be there already.
            assertThat(dev.bulwark.deploy.Probes.awaitSearchable(stack.elasticsearchUrl(), index.alias(), "finding.id",
                    "aborted-finding", Duration.ofSeconds(2))).as("the aborted finding").isFalse();
        } finally {
            index.deleteAll(client);
            client._transport().close();
        }
    }

    @Test
    void alertsSpreadOverCenturiesOpenAtMostOneNewIndexAndAreAllAccountedFor() throws Exception {
        LocalStack stack = RealStack.get();
        String prefix = RealStack.uniquePrefix("eventtime");
        BulwarkConfig config = config(stack, prefix);
        config.eventTime.maxAge = Duration.ofDays(30); // the defaults: 30d back, 10m ahead, clamp
        config.eventTime.maxFuture = Duration.ofMinutes(10);
        config.tenants.put("acme", List.of("payments"));
        StringBuilder alerts = new StringBuilder();
        for (int i = 0; i < 30; i++) { // 1972 to 2210
            Instant time = Instant.parse("1972-01-01T00:00:00Z").plus(Duration.ofDays(i * 8 * 365L + i));
            alerts.append(("{\"output\":\"A shell was spawned\",\"priority\":\"Critical\",\"rule\":\"Terminal shell in "
                    + "container\",\"source\":\"syscall\",\"time\":\"%s\",\"output_fields\":{\"container.id\":\"t%02d\","
                    + "\"proc.name\":\"bash\",\"proc.tty\":34816,\"k8s.ns.name\":\"payments\",\"k8s.pod.name\":\"api-1\"}}\n")
                    .formatted(time, i));
        }
        byte[] input = alerts.toString().getBytes(StandardCharsets.UTF_8);
        ElasticsearchClient client = ElasticsearchClients.create(stack.elasticsearchUrl());
        FindingIndex index = new FindingIndex(config.elasticsearch.indexPrefix);
        new KafkaClients(config).ensureTopics();
        try (Pipeline pipeline = Pipeline.start(config, state, new SimpleMeterRegistry())) {
            assertThat(pipeline.awaitRunning(Duration.ofSeconds(60))).isTrue();
            IngestStats stats = Ingestion.ingest(config, Parsers.forFormat("falco"),
                    List.of(new Ingestion.Source("centuries", () -> new ByteArrayInputStream(input))), 1 << 20, false);
            assertThat(stats.recordsIn()).isEqualTo(30);
            assertThat(stats.eventsOut()).isEqualTo(30);
            assertThat(stats.deadLettered()).isZero();
            assertThat(stats.balanced()).isTrue();
            for (int i = 0; i < 30; i++) {
                assertThat(dev.bulwark.deploy.Probes.awaitSearchable(stack.elasticsearchUrl(), index.alias(), "container.id",
                        "t%02d".formatted(i), Duration.ofSeconds(60))).as("finding of alert %d", i).isTrue();
            }
            var indices = client.indices().get(g -> g.index(index.prefix() + "-*")).indices().keySet();
            assertThat(indices).as("daily indices").hasSize(1)
                    .containsExactly(index.indexFor(System.currentTimeMillis()));
        } finally {
            index.deleteAll(client);
            client._transport().close();
        }
    }

    @Test
    void aResentBatchChangesNoFindingAndNoCountInElasticsearch() throws Exception {
        LocalStack stack = RealStack.get();
        String prefix = RealStack.uniquePrefix("resend");
        BulwarkConfig config = config(stack, prefix);
        DemoCommand.SCENARIO_TENANTS.forEach(config.tenants::putIfAbsent);
        // Folded findings are re-emitted at once, so a repeat that were counted would show within the test.
        config.detection.detectors.put("sigma", Map.of("emit-interval", "0s"));
        // The demo's attack: shells, a cross-tenant exec, and a shipped Sigma rule's match (folded findings).
        byte[] alert;
        try (var in = DemoCommand.class.getResourceAsStream(DemoCommand.SCENARIO)) {
            alert = in.readAllBytes();
        }
        ElasticsearchClient client = ElasticsearchClients.create(stack.elasticsearchUrl());
        FindingIndex index = new FindingIndex(config.elasticsearch.indexPrefix);
        new KafkaClients(config).ensureTopics();
        try (Pipeline pipeline = Pipeline.start(config, state, new SimpleMeterRegistry())) {
            assertThat(pipeline.awaitRunning(Duration.ofSeconds(60))).isTrue();
            Ingestion.ingest(config, Parsers.forFormat("falco"),
                    List.of(new Ingestion.Source("first", () -> new ByteArrayInputStream(alert))), 1 << 20, false);
            List<FindingDocument> before = awaitStable(client, index);
            assertThat(before).as("findings of the scenario").hasSizeGreaterThanOrEqualTo(5)
                    .anyMatch(d -> "sigma".equals(d.finding().detector()));
            System.out.println("[resend] findings before the resend: " + before.stream().map(d -> d.finding().detector() + "/" + d.rule().name() + " x" + d.finding().count()).toList());

            // The sender resends the same batch (after a 503, say): same content, same event ids.
            Ingestion.ingest(config, Parsers.forFormat("falco"),
                    List.of(new Ingestion.Source("resent", () -> new ByteArrayInputStream(alert))), 1 << 20, false);
            Thread.sleep(3000); // time for detection, folding and indexing of the copy
            List<FindingDocument> after = awaitStable(client, index);
            assertThat(after).extracting(d -> d.finding().id() + " x" + d.finding().count())
                    .as("the same documents with the same counts")
                    .containsExactlyInAnyOrderElementsOf(before.stream().map(d -> d.finding().id() + " x" + d.finding().count()).toList());
        } finally {
            index.deleteAll(client);
            client._transport().close();
        }
    }

    @Test
    void detectionDoesNotStartWhenTheLargestFindingWouldNotFitTheFindingsTopic() throws Exception {
        LocalStack stack = RealStack.get();
        String prefix = RealStack.uniquePrefix("room");
        BulwarkConfig config = config(stack, prefix);
        KafkaClients kafka = new KafkaClients(config);
        kafka.ensureTopics();
        String findings = kafka.topics().findings().name();
        try (var admin = kafka.admin()) {
            var topic = new org.apache.kafka.common.config.ConfigResource(
                    org.apache.kafka.common.config.ConfigResource.Type.TOPIC, findings);
            admin.incrementalAlterConfigs(Map.of(topic, List.of(new org.apache.kafka.clients.admin.AlterConfigOp(
                    new org.apache.kafka.clients.admin.ConfigEntry("max.message.bytes", "100000"),
                    org.apache.kafka.clients.admin.AlterConfigOp.OpType.SET)))).all().get();
        }
        config.detection.maxFindingBytes = 256 * 1024;
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Pipeline.start(config, state, new SimpleMeterRegistry(),
                        java.util.EnumSet.of(Pipeline.Component.DETECTORS)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(findings + " accepts records of at most 100000 bytes")
                .hasMessageContaining("lower detection.maxFindingBytes to at most " + (100000 - KafkaClients.RECORD_OVERHEAD));

        // A bound that fits starts.
        config.detection.maxFindingBytes = 100000 - KafkaClients.RECORD_OVERHEAD;
        try (Pipeline pipeline = Pipeline.start(config, state, new SimpleMeterRegistry(),
                java.util.EnumSet.of(Pipeline.Component.DETECTORS))) {
            assertThat(pipeline.awaitRunning(Duration.ofSeconds(60))).isTrue();
        }
    }

    /** Every finding of the test's index, read until two reads a second apart agree. */
    private static List<FindingDocument> awaitStable(ElasticsearchClient client, FindingIndex index) throws Exception {
        List<FindingDocument> last = List.of();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            List<FindingDocument> now;
            try {
                now = new FindingSearch(null, null, null, Instant.parse("2020-01-01T00:00:00Z"), null, 100).run(client, index);
            } catch (java.io.IOException | RuntimeException e) {
                now = List.of(); // no index yet
            }
            if (!now.isEmpty() && now.stream().map(d -> d.finding().id() + d.finding().count()).sorted().toList()
                    .equals(last.stream().map(d -> d.finding().id() + d.finding().count()).sorted().toList())) {
                return now;
            }
            last = now;
            Thread.sleep(1000);
        }
        return last;
    }

    private static org.apache.kafka.clients.producer.ProducerRecord<String, byte[]> finding(
            dev.bulwark.schemas.Topics topics, String id) {
        var event = dev.bulwark.schemas.SecurityEvent.newBuilder().setId("e-" + id)
                .setTimestamp(System.currentTimeMillis() * 1_000_000L).setSourceFormat("falco")
                .setEvent(dev.bulwark.schemas.EventInfo.newBuilder().setKind("alert").build())
                .setContainer(dev.bulwark.schemas.ContainerInfo.newBuilder().setId(id).build()).build();
        var finding = dev.bulwark.schemas.Finding.newBuilder(new dev.bulwark.detectors.api.FindingBuilder(
                "interactive-shell-in-container", "1", namespace -> null, event).rule("test.rule", "Test")
                .severity(dev.bulwark.detectors.api.Severity.HIGH).summary("a finding").identity(id).build()).setId(id).build();
        return new org.apache.kafka.clients.producer.ProducerRecord<>(topics.findings().name(), 0, id,
                topics.findings().valueSerde().serializer().serialize(topics.findings().name(), finding));
    }

    /** The interactive-shell findings, polled until there is one or {@code wait} has passed. */
    private static List<FindingDocument> search(ElasticsearchClient client, FindingIndex index, Duration wait)
            throws InterruptedException {
        List<FindingDocument> docs = List.of();
        long deadline = System.nanoTime() + wait.toNanos();
        do {
            try {
                docs = new FindingSearch(null, null, "bulwark.container.interactive_shell",
                        Instant.parse("2023-05-25T00:00:00Z"), null, 10).run(client, index);
            } catch (java.io.IOException | RuntimeException e) {
                // no index yet, or a daily index that was just created answers 503 until its shard is active
            }
            if (docs.isEmpty()) {
                Thread.sleep(300);
            }
        } while (docs.isEmpty() && System.nanoTime() < deadline);
        return docs;
    }

    /** A configuration for the test stack with its own topics, indices and application id under {@code prefix}. */
    static BulwarkConfig config(LocalStack stack, String prefix) throws java.io.IOException {
        BulwarkConfig config = BulwarkConfig.load(null, Map.of(
                "BULWARK_KAFKA_BOOTSTRAP", stack.kafkaBootstrap(),
                "BULWARK_ES_URL", stack.elasticsearchUrl(),
                "BULWARK_TOPIC_PREFIX", prefix,
                "BULWARK_INDEX_PREFIX", prefix.replace(".", "") + "-findings"));
        config.detection.applicationId = prefix + "detectors";
        // These tests replay real samples from 2023: accept their times as an operator replaying archives would.
        config.eventTime.maxAge = Duration.ofDays(365L * 100);
        return config;
    }
}
