package dev.bulwark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import co.elastic.clients.elasticsearch._types.FieldValue;
import dev.bulwark.deploy.LocalStack;
import dev.bulwark.deploy.RealStack;
import dev.bulwark.detectors.container.InteractiveShellInContainerDetector;
import dev.bulwark.ingest.Parsers;
import dev.bulwark.samples.Samples;
import dev.bulwark.sink.ElasticsearchClients;
import dev.bulwark.sink.FindingDocument;
import dev.bulwark.sink.FindingIndex;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * Per-tenant tuning on the real stack, through the command line: disabling the interactive-shell rule for acme stops
 * acme's new findings within seconds while globex's keep coming, and removing the override brings acme's back; no
 * detector restarts.
 */
class RuleOverridesIT {

    private static final String RULE = InteractiveShellInContainerDetector.RULE_ID;

    @TempDir
    Path state;

    @TempDir
    Path files;

    @Test
    void disablingARuleForAcmeStopsAcmesFindingsWithinSecondsWhileGlobexsContinue() throws Exception {
        LocalStack stack = RealStack.get();
        String prefix = RealStack.uniquePrefix("overrides");
        BulwarkConfig config = EndToEndIT.config(stack, prefix);
        config.tenants.put("acme", List.of("shop"));
        config.tenants.put("globex", List.of("ledger"));
        config.detection.ruleStatsInterval = Duration.ofSeconds(1);
        InProcessCli cli = InProcessCli.of(files, stack, config);
        ElasticsearchClient client = ElasticsearchClients.create(stack.elasticsearchUrl());
        FindingIndex index = new FindingIndex(config.elasticsearch.indexPrefix);
        new KafkaClients(config).ensureTopics();
        try (Pipeline pipeline = Pipeline.start(config, state, new SimpleMeterRegistry())) {
            assertThat(pipeline.awaitRunning(Duration.ofSeconds(60))).isTrue();
            shell(config, "shop", "c-acme-1");
            shell(config, "ledger", "c-globex-1");
            awaitFinding(client, index, "c-acme-1");
            awaitFinding(client, index, "c-globex-1");

            InProcessCli.Output disable = cli.run("rules", "override", RULE, "--tenant", "acme", "--disable", "--note",
                    "acme's CI opens shells on purpose");
            assertThat(disable.code()).as(disable.text()).isZero();
            InProcessCli.Output list = cli.run("rules", "overrides", "--tenant", "acme");
            assertThat(list.text()).contains("acme", RULE, "disabled", "acme's CI opens shells on purpose",
                    "1 override(s)");
            // Within seconds: keep sending until acme's shells stop producing findings while globex's go on.
            long start = System.nanoTime();
            String lastAcme = null;
            for (int round = 2; ; round++) {
                lastAcme = "c-acme-" + round;
                shell(config, "shop", lastAcme);
                shell(config, "ledger", "c-globex-" + round);
                awaitFinding(client, index, "c-globex-" + round);
                Thread.sleep(1500); // acme's shell was sent first: had it produced a finding, it would be there now
                if (findingsOf(client, index, lastAcme).isEmpty()) {
                    break;
                }
                assertThat(System.nanoTime() - start).as("the override applies within seconds")
                        .isLessThan(Duration.ofSeconds(30).toNanos());
            }
            System.out.printf("[overrides] acme's findings stopped %d ms after the override was written%n",
                    (System.nanoTime() - start) / 1_000_000);
            shell(config, "shop", "c-acme-quiet");
            shell(config, "ledger", "c-globex-busy");
            awaitFinding(client, index, "c-globex-busy");
            Thread.sleep(1500);
            assertThat(findingsOf(client, index, "c-acme-quiet")).as("acme stays quiet").isEmpty();

            assertThat(cli.run("rules", "override", RULE, "--tenant", "acme", "--remove").code()).isZero();
            throughTheApi(config, client, index);
            long lifted = System.nanoTime();
            for (int round = 1; ; round++) {
                String container = "c-acme-back-" + round;
                shell(config, "shop", container);
                Thread.sleep(1500);
                if (!findingsOf(client, index, container).isEmpty()) {
                    break;
                }
                assertThat(System.nanoTime() - lifted).as("removing the override applies within seconds")
                        .isLessThan(Duration.ofSeconds(30).toNanos());
            }
        } finally {
            index.deleteAll(client);
            client._transport().close();
        }
    }

    /**
     * The query API as the SOC and a tenant use it, on the same topic: a tenant token cannot write an override (403);
     * the SOC disables the rule for globex, globex sees its override and its findings stop while acme's go on.
     */
    private static void throughTheApi(BulwarkConfig config, ElasticsearchClient client, FindingIndex index)
            throws Exception {
        config.api.port = dev.bulwark.deploy.Probes.freePort();
        config.metrics.port = 0;
        config.api.tokens = List.of(token("soc-token-for-overrides-0123", "soc", "alice"),
                token("globex-token-for-overrides-0123", "tenant:globex", "globex-viewer"));
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        String base = "http://127.0.0.1:" + config.api.port;
        String path = "/api/rules/" + RULE + "/overrides/globex";
        try (MetricsServer metrics = new MetricsServer(0);
             BulwarkRuntime runtime = BulwarkRuntime.start(config, java.util.EnumSet.of(BulwarkRuntime.Component.api),
                     metrics)) {
            assertThat(request(http, base + path, "PUT", "globex-token-for-overrides-0123", "{\"disabled\": true}")
                    .statusCode()).as("a tenant cannot change its own tuning").isEqualTo(403);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            HttpResponse<String> put;
            do { // 503 until the API has read the topic once
                put = request(http, base + path, "PUT", "soc-token-for-overrides-0123",
                        "{\"disabled\": true, \"note\": \"globex asked\"}");
                assertThat(System.nanoTime()).as(put.body()).isLessThan(deadline);
            } while (put.statusCode() == 503 && sleep());
            assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
            assertThat(request(http, base + "/api/rules/overrides", "GET", "globex-token-for-overrides-0123", null)
                    .body()).contains("\"tenant\":\"globex\"", "globex asked").doesNotContain("\"tenant\":\"acme\"");
            for (int round = 1; ; round++) {
                shell(config, "ledger", "c-globex-api-" + round);
                shell(config, "shop", "c-acme-api-" + round);
                awaitFinding(client, index, "c-acme-api-" + round);
                Thread.sleep(1500);
                if (findingsOf(client, index, "c-globex-api-" + round).isEmpty()) {
                    break;
                }
                assertThat(round).as("globex's findings stop within seconds of the API's override").isLessThan(15);
            }
            assertThat(request(http, base + path, "DELETE", "soc-token-for-overrides-0123", null).statusCode())
                    .isEqualTo(200);

            // Per-rule telemetry, published by the running detectors to the rule-stats topic: the SOC's, not a tenant's.
            assertThat(request(http, base + "/api/rules", "GET", "globex-token-for-overrides-0123", null).statusCode())
                    .isEqualTo(403);
            HttpResponse<String> stats = request(http, base + "/api/rules?sort=noise", "GET",
                    "soc-token-for-overrides-0123", null);
            assertThat(stats.statusCode()).as(stats.body()).isEqualTo(200);
            var row = new com.fasterxml.jackson.databind.ObjectMapper().readTree(stats.body()).at("/rules/0");
            assertThat(row.get("rule").asText()).as(stats.body()).isEqualTo(RULE);
            assertThat(row.get("findings").asLong()).isPositive();
            assertThat(row.get("latency_mean_ms").isNumber()).isTrue();
        }
    }

    private static boolean sleep() throws InterruptedException {
        Thread.sleep(500);
        return true;
    }

    private static BulwarkConfig.ApiToken token(String value, String role, String name) {
        BulwarkConfig.ApiToken token = new BulwarkConfig.ApiToken();
        token.token = value;
        token.role = role;
        token.name = name;
        return token;
    }

    private static HttpResponse<String> request(HttpClient http, String url, String method, String token, String body)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The sample Falco terminal-shell alert, dated now, in {@code namespace} and container {@code container}. */
    private static void shell(BulwarkConfig config, String namespace, String container) throws Exception {
        String line = Files.readAllLines(Samples.path("falco/falco_alerts_real.ndjson")).get(0);
        Instant now = Instant.now();
        String alert = line.replace("2023-05-25T13:44:05.478445995Z", now.toString())
                .replace("1685022245478445995", Long.toString(now.toEpochMilli() * 1_000_000L + System.nanoTime() % 1_000_000))
                .replace("k8s.ns=default", "k8s.ns=" + namespace).replace("\"k8s.ns.name\":\"default\"",
                        "\"k8s.ns.name\":\"" + namespace + "\"")
                .replace("ee97d9c4186f", container) + "\n";
        byte[] bytes = alert.getBytes(StandardCharsets.UTF_8);
        Ingestion.ingest(config, Parsers.forFormat("falco"),
                List.of(new Ingestion.Source("shell", () -> new ByteArrayInputStream(bytes))), 1 << 20, false);
    }

    private static void awaitFinding(ElasticsearchClient client, FindingIndex index, String container) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (findingsOf(client, index, container).isEmpty()) {
            assertThat(System.nanoTime()).as("a finding for container %s", container).isLessThan(deadline);
            Thread.sleep(300);
        }
    }

    private static List<FindingDocument> findingsOf(ElasticsearchClient client, FindingIndex index, String container)
            throws Exception {
        try {
            client.indices().refresh(r -> r.index(index.alias()).ignoreUnavailable(true).allowNoIndices(true));
            var response = client.search(s -> s.index(index.alias()).ignoreUnavailable(true).allowNoIndices(true)
                    .query(q -> q.bool(b -> b
                            .filter(f -> f.term(t -> t.field("rule.id").value(FieldValue.of(RULE))))
                            .filter(f -> f.term(t -> t.field("container.id").value(FieldValue.of(container)))))),
                    FindingDocument.class);
            List<FindingDocument> docs = new ArrayList<>();
            response.hits().hits().forEach(hit -> docs.add(hit.source()));
            return docs;
        } catch (co.elastic.clients.elasticsearch._types.ElasticsearchException | java.io.IOException e) {
            return List.of(); // the daily index is being created
        }
    }
}
