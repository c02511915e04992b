package dev.bulwark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import dev.bulwark.deploy.LocalStack;
import dev.bulwark.deploy.RealStack;
import dev.bulwark.detectors.api.FindingBuilder;
import dev.bulwark.ingest.Parsers;
import dev.bulwark.samples.Samples;
import dev.bulwark.schemas.Incident;
import dev.bulwark.schemas.IncidentFinding;
import dev.bulwark.sink.ElasticsearchClients;
import dev.bulwark.sink.EntityIndex;
import dev.bulwark.sink.FindingDocument;
import dev.bulwark.sink.FindingIndex;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * Exec-session attribution on the real stack, from real-shaped inputs through the real parsers: a Falco shell alert
 * (parent {@code runc}) reaches Kafka before the Kubernetes audit event of the {@code kubectl exec} that started it;
 * the finding it causes in Elasticsearch names the session's user and audit id, scores the user and the pod in the
 * entity index, and with the built-in detector's finding on the same pod opens an incident.
 */
class ExecSessionIT {

    private static final String RULE_ID = "6a1f0c44-8d0e-4a55-9b1e-3f7c2d9e5a61";

    @TempDir
    Path state;

    @TempDir
    Path files;

    @Test
    @SuppressWarnings("unchecked")
    void theFindingOfAnExecedShellNamesWhoRanItThoughTheAuditEventCameLater() throws Exception {
        LocalStack stack = RealStack.get();
        BulwarkConfig config = EndToEndIT.config(stack, RealStack.uniquePrefix("sessions"));
        config.detection.detectors.put("sigma", Map.of("emit-interval", "0s"));
        config.tenants.put("acme", List.of("default"));
        config.detection.sessionWait = Duration.ofSeconds(10); // the audit event comes 1.5 s later, plus ingest: room
        InProcessCli cli = InProcessCli.of(files, stack, config);
        Path rules = Files.createDirectories(files.resolve("rules"));
        Files.writeString(rules.resolve("shell-fallback.yml"), ShadowRulesIT.shellFallbackRule(RULE_ID,
                "Shell fallback chain (sessions)"));
        ElasticsearchClient client = ElasticsearchClients.create(stack.elasticsearchUrl());
        FindingIndex index = new FindingIndex(config.elasticsearch.indexPrefix);
        new KafkaClients(config).ensureTopics();
        assertThat(cli.run("rules", "push", rules.toString()).code()).isZero();
        try (Pipeline pipeline = Pipeline.start(config, state, new SimpleMeterRegistry())) {
            assertThat(pipeline.awaitRunning(Duration.ofSeconds(60))).isTrue();
            Instant now = Instant.now();
            // An earlier exec elsewhere: the audit log is connected, so a shell without its session waits for it.
            ingest(config, "k8s-audit", List.of(audit(now.minusSeconds(120), "b7e1c0de-0000-4000-8000-000000000001",
                    "db-0", "psql")));
            Thread.sleep(1000);
            ingest(config, "falco", List.of(BacktestIT.alert(now.plusMillis(300), "default", "kubecon", "ee97d9c4186f",
                    "root", true)));
            Thread.sleep(1500);
            String auditId = "ca1ed9f4-7bf4-4c85-81a8-1b11253d1ba6"; // the sample's
            ingest(config, "k8s-audit", List.of(audit(now, auditId, "kubecon", "sh", "-c",
                    "clear; (bash || ash || sh)")));

            FindingDocument finding = await(client, index);
            assertThat(finding.evidence().fields()).containsEntry(FindingBuilder.SESSION_USER, "minikube-user")
                    .containsEntry(FindingBuilder.SESSION_AUDIT_ID, auditId)
                    .containsKey(FindingBuilder.SESSION_ID);
            assertThat(finding.tenant().name()).isEqualTo("acme");

            // The finding scores its entities, the exec's user among them, into the entity index.
            EntityIndex entities = EntityIndex.forFindings(index);
            Map<String, Object> identity = awaitEntity(client, entities, "acme|identity|minikube-user", 1);
            assertThat(((Number) ((Map<?, ?>) identity.get("risk")).get("score")).doubleValue())
                    .as("a high-severity finding's risk, its tactics weighed").isGreaterThan(0);
            // The shell is found twice, by the Sigma rule and by the built-in detector: two detectors, one pod.
            assertThat((List<String>) awaitEntity(client, entities, "acme|pod|default/kubecon", 2).get("detectors"))
                    .contains("sigma", "interactive-shell-in-container");

            // Two detectors on one pod open an incident, attributed to the exec's user.
            Incident incident = awaitIncident(config);
            assertThat(incident.getReason()).isEqualTo("detectors");
            assertThat(incident.getDetectors()).contains("sigma", "interactive-shell-in-container");
            assertThat(incident.getEntities()).contains("pod:default/kubecon", "identity:minikube-user");
            assertThat(incident.getTimeline()).extracting(IncidentFinding::getUser).containsOnly("minikube-user");
        } finally {
            index.deleteAll(client);
            client.indices().delete(d -> d.index(EntityIndex.forFindings(index).prefix()).ignoreUnavailable(true)
                    .allowNoIndices(true));
            client._transport().close();
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> awaitEntity(ElasticsearchClient client, EntityIndex entities, String key,
                                                   int findings) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            try {
                var doc = client.get(g -> g.index(entities.prefix()).id(key), Map.class);
                if (doc.found() && ((Number) doc.source().get("findings")).intValue() >= findings) {
                    return (Map<String, Object>) doc.source();
                }
            } catch (co.elastic.clients.elasticsearch._types.ElasticsearchException | java.io.IOException e) {
                // no index yet
            }
            Thread.sleep(300);
        }
        throw new AssertionError("no entity " + key + " with " + findings + " finding(s) in " + entities.prefix());
    }

    /** The newest state of the first incident on the incidents topic, once it holds two findings. */
    private static Incident awaitIncident(BulwarkConfig config) throws Exception {
        String topic = dev.bulwark.schemas.Topics.withPrefix(config.kafka.topicPrefix).incidents().name();
        var values = dev.bulwark.schemas.Topics.withPrefix(config.kafka.topicPrefix).incidents().valueSerde()
                .deserializer();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            Map<String, Incident> latest = new java.util.LinkedHashMap<>();
            RulesCommand.readToEnd(config, topic, values, KafkaSecurity.Component.DETECTORS, null,
                    record -> latest.put(record.key(), record.value()));
            for (Incident incident : latest.values()) {
                if (incident.getFindingsTotal() >= 2) {
                    assertThat(latest).as("one incident").hasSize(1);
                    return incident;
                }
            }
            Thread.sleep(500);
        }
        throw new AssertionError("no incident with two findings on " + topic);
    }

    /** The sample audit event of a {@code kubectl exec} (ResponseStarted), for this pod, id, time and command. */
    static String audit(Instant received, String auditId, String pod, String... command) throws Exception {
        String sample = Files.readString(Samples.path("k8s_audit/falco_trace_files/exec_pod.json")).strip();
        StringBuilder query = new StringBuilder();
        for (String part : command) {
            query.append("command=").append(java.net.URLEncoder.encode(part, StandardCharsets.UTF_8)
                    .replace("+", "%20")).append('&');
        }
        return sample.replace("ca1ed9f4-7bf4-4c85-81a8-1b11253d1ba6", auditId)
                .replace("nginx-deployment-7998647bdf-phvq7", pod)
                .replace("command=bash&", query.toString())
                .replace("2018-10-26T13:38:34.867116Z", received.toString())
                .replace("2018-10-26T13:38:34.902914Z", received.plusMillis(35).toString())
                .replace("\"2018-10-26T13:38:34Z\"", "\"" + received.toString() + "\"");
    }

    private static void ingest(BulwarkConfig config, String format, List<String> lines) throws Exception {
        byte[] bytes = (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8);
        var stats = Ingestion.ingest(config, Parsers.forFormat(format),
                List.of(new Ingestion.Source(format, () -> new ByteArrayInputStream(bytes))), 1 << 20, false);
        assertThat(stats.eventsOut()).as(format + " events in Kafka").isEqualTo(lines.size());
    }

    private static FindingDocument await(ElasticsearchClient client, FindingIndex index) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < deadline) {
            try {
                client.indices().refresh(r -> r.index(index.alias()).ignoreUnavailable(true).allowNoIndices(true));
                var response = client.search(s -> s.index(index.alias()).ignoreUnavailable(true).allowNoIndices(true)
                        .query(q -> q.term(t -> t.field("rule.id").value(RULE_ID))), FindingDocument.class);
                List<FindingDocument> docs = new ArrayList<>();
                response.hits().hits().forEach(hit -> docs.add(hit.source()));
                if (!docs.isEmpty()) {
                    assertThat(docs).hasSize(1);
                    return docs.get(0);
                }
            } catch (co.elastic.clients.elasticsearch._types.ElasticsearchException | java.io.IOException e) {
                // no index yet, or a just-created daily index answering 503 until its shard is active
            }
            Thread.sleep(300);
        }
        throw new AssertionError("no finding of the shell rule in " + index.alias());
    }
}
