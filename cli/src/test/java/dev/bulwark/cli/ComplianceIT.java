package dev.bulwark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import co.elastic.clients.elasticsearch._types.FieldValue;
import co.elastic.clients.elasticsearch._types.SortOrder;
import co.elastic.clients.elasticsearch._types.query_dsl.Query;
import dev.bulwark.deploy.LocalStack;
import dev.bulwark.deploy.RealStack;
import dev.bulwark.ingest.IngestStats;
import dev.bulwark.ingest.Parsers;
import dev.bulwark.api.ApiServer;
import dev.bulwark.api.ApiTokens;
import dev.bulwark.api.FindingsService;
import dev.bulwark.compliance.ControlCatalogue;
import dev.bulwark.compliance.report.ComplianceReport;
import dev.bulwark.compliance.report.ReportRenderer;
import dev.bulwark.sink.ComplianceIndex;
import dev.bulwark.sink.ComplianceQuery;
import dev.bulwark.sink.ElasticsearchClients;
import dev.bulwark.sink.FindingIndex;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * The posture on the real stack: Kubernetes objects in, snapshots of every control in {@code bulwark-compliance-*}
 * out; removing the privileged pod turns its control to pass in the next snapshot, and both states stay queryable.
 */
class ComplianceIT {

    @TempDir
    Path state;

    private static final String OBJECTS = """
            {"apiVersion": "v1", "kind": "List", "items": [
              {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "labels": {"bulwark.io/tenant": "acme"}}},
              {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ledger", "labels": {"bulwark.io/tenant": "globex"}}},
              {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "debug", "namespace": "shop"},
               "spec": {"containers": [{"name": "c", "image": "busybox", "securityContext": {"privileged": true}}]}},
              {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "shop"},
               "spec": {"containers": [{"name": "c", "image": "nginx"}]}},
              {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "api", "namespace": "ledger"},
               "spec": {"containers": [{"name": "c", "image": "nginx"}]}}]}
            """;

    private static final String DEBUG_DELETED = """
            {"type": "DELETED", "object": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "debug", "namespace": "shop"},
             "spec": {"containers": [{"name": "c", "image": "busybox", "securityContext": {"privileged": true}}]}}}
            """;

    @Test
    void theRemovedPrivilegedPodTurnsItsControlToPassAndTheTrendKeepsBothStates() throws Exception {
        LocalStack stack = RealStack.get();
        String prefix = RealStack.uniquePrefix("compliance");
        BulwarkConfig config = EndToEndIT.config(stack, prefix);
        config.detection.complianceInterval = Duration.ofSeconds(1);
        ElasticsearchClient client = ElasticsearchClients.create(stack.elasticsearchUrl());
        ComplianceIndex index = ComplianceIndex.forFindings(new FindingIndex(config.elasticsearch.indexPrefix));
        new KafkaClients(config).ensureTopics();
        try (Pipeline pipeline = Pipeline.start(config, state, new SimpleMeterRegistry())) {
            assertThat(pipeline.awaitRunning(Duration.ofSeconds(60))).isTrue();
            ingest(config, OBJECTS);

            List<Map<String, Object>> fail = awaitResults(client, index, "shop", "fail");
            Map<String, Object> first = fail.get(0);
            assertThat(field(first, "tenant", "name")).isEqualTo("acme");
            assertThat(field(first, "compliance", "failing")).isEqualTo(List.of("pod/shop/debug"));
            assertThat(field(first, "compliance", "checked")).isEqualTo(2);
            assertThat(awaitResults(client, index, "ledger", "pass")).isNotEmpty();

            ingest(config, DEBUG_DELETED);
            List<Map<String, Object>> pass = awaitResults(client, index, "shop", "pass");
            assertThat(((Number) pass.get(0).get("@timestamp")).longValue())
                    .isGreaterThan(((Number) first.get("@timestamp")).longValue());
            assertThat(field(pass.get(0), "snapshot", "reason")).isEqualTo("change");

            // The trend is a query: the control's states in time order, both of them.
            List<String> trend = new ArrayList<>();
            for (Map<String, Object> doc : search(client, index, "shop", null)) {
                String status = (String) field(doc, "compliance", "status");
                if (trend.isEmpty() || !trend.get(trend.size() - 1).equals(status)) {
                    trend.add(status);
                }
            }
            assertThat(trend).containsExactly("fail", "pass");
            // A tenant's view of the same control holds only its own namespaces.
            assertThat(searchTenant(client, index, "globex")).isNotEmpty()
                    .allSatisfy(doc -> assertThat(field(doc, "kubernetes", "namespace")).isEqualTo("ledger"));

            reportFromTheSnapshots(client, index);
            apiServesEachTenantItsOwnPosture(client, config);
        } finally {
            client.indices().delete(d -> d.index(index.prefix() + "-*").allowNoIndices(true));
            client._transport().close();
        }
    }

    /** The report the command prints: JSON with both states in the trend, and a PDF with its text. */
    private static void reportFromTheSnapshots(ElasticsearchClient client, ComplianceIndex index) throws Exception {
        java.time.Instant now = java.time.Instant.now();
        ComplianceQuery.History history = new ComplianceQuery("pss-baseline", null, null, 31).run(client, index, now);
        ComplianceReport report = ComplianceReport.of(ControlCatalogue.shipped(), "pss-baseline", null,
                history.latest(), history.daily(), now);
        var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(ReportRenderer.json(report));
        var privileged = java.util.stream.StreamSupport.stream(json.get("controls").spliterator(), false)
                .filter(c -> c.get("id").asText().equals("privileged-containers")).findFirst().orElseThrow();
        assertThat(privileged.get("status").asText()).isEqualTo("pass");
        assertThat(privileged.get("passing").asInt()).isEqualTo(2);

        byte[] pdf = ReportRenderer.pdf(report);
        try (var document = org.apache.pdfbox.Loader.loadPDF(pdf)) {
            assertThat(document.getNumberOfPages()).isPositive();
            String text = new org.apache.pdfbox.text.PDFTextStripper().getText(document);
            assertThat(text).contains("privileged-containers").contains("Pod Security Standards");
        }

        ComplianceReport acme = ComplianceReport.of(ControlCatalogue.shipped(), "pss-baseline", "acme",
                new ComplianceQuery("pss-baseline", Query.of(q -> q.term(t -> t.field("tenant.name")
                        .value(FieldValue.of("acme")))), null, 31).run(client, index, now).latest(),
                List.of(), now);
        assertThat(ReportRenderer.html(acme)).contains("(tenant acme)").doesNotContain("ledger").doesNotContain("globex");
    }

    /** GET /api/compliance: each tenant its own namespaces, another tenant's refused, SOC everything. */
    private static void apiServesEachTenantItsOwnPosture(ElasticsearchClient client, BulwarkConfig config)
            throws Exception {
        ApiTokens tokens = ApiTokens.of(ApiTokens.parseEnvironment("soc-token-0123456789abcdef=soc,"
                + "acme-token-0123456789abcdef=tenant:acme,globex-token-0123456789abcdef=tenant:globex"));
        try (ApiServer api = new ApiServer(new ApiServer.Settings("127.0.0.1", 0, 2), tokens,
                new FindingsService(client, new FindingIndex(config.elasticsearch.indexPrefix),
                        java.time.Clock.systemUTC()))) {
            java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
            java.util.function.BiFunction<String, String, java.net.http.HttpResponse<String>> get = (token, query) -> {
                try {
                    return http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(api.url()
                                    + "/api/compliance?" + query)).header("Authorization", "Bearer " + token).build(),
                            java.net.http.HttpResponse.BodyHandlers.ofString());
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            };
            var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
            java.util.function.Function<String, Integer> passing = body -> {
                try {
                    for (var control : mapper.readTree(body).get("controls")) {
                        if (control.get("id").asText().equals("privileged-containers")) {
                            return control.get("passing").asInt();
                        }
                    }
                } catch (java.io.IOException e) {
                    throw new IllegalStateException(e);
                }
                return -1;
            };
            var acme = get.apply("acme-token-0123456789abcdef", "framework=pss-baseline");
            assertThat(acme.statusCode()).isEqualTo(200);
            assertThat(mapper.readTree(acme.body()).get("tenant").asText()).isEqualTo("acme");
            assertThat(acme.body()).doesNotContain("ledger").doesNotContain("globex");
            assertThat(passing.apply(acme.body())).as("acme's one namespace").isEqualTo(1);
            var globex = get.apply("globex-token-0123456789abcdef", "framework=pss-baseline");
            assertThat(globex.statusCode()).isEqualTo(200);
            assertThat(globex.body()).doesNotContain("shop").doesNotContain("acme").doesNotContain("debug");
            assertThat(get.apply("acme-token-0123456789abcdef", "framework=pss-baseline&tenant=globex").statusCode())
                    .as("another tenant's posture").isEqualTo(403);
            var foreign = get.apply("acme-token-0123456789abcdef", "framework=pss-baseline&namespace=ledger");
            assertThat(foreign.statusCode()).as("another tenant's namespace is no posture of acme's").isEqualTo(404);
            assertThat(foreign.body()).doesNotContain("globex");
            assertThat(get.apply("acme-token-0123456789abcdef", "framework=bogus").statusCode()).isEqualTo(400);
            assertThat(get.apply("nobody-0123456789abcdef", "framework=pss-baseline").statusCode()).isEqualTo(401);
            var soc = get.apply("soc-token-0123456789abcdef", "framework=pss-baseline");
            assertThat(soc.statusCode()).isEqualTo(200);
            assertThat(passing.apply(soc.body())).as("both tenants' namespaces").isGreaterThanOrEqualTo(2);
        }
    }

    private static void ingest(BulwarkConfig config, String json) throws Exception {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        IngestStats stats = Ingestion.ingest(config, Parsers.forFormat("k8s-objects"),
                List.of(new Ingestion.Source("objects", () -> new ByteArrayInputStream(bytes))), 1 << 20, false);
        assertThat(stats.deadLettered()).isZero();
        assertThat(stats.balanced()).isTrue();
    }

    private static List<Map<String, Object>> awaitResults(ElasticsearchClient client, ComplianceIndex index,
                                                          String namespace, String status) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (true) {
            List<Map<String, Object>> docs;
            try {
                docs = search(client, index, namespace, status);
            } catch (java.io.IOException | RuntimeException e) {
                docs = List.of(); // the index does not exist yet, or its shard is not active yet
            }
            if (!docs.isEmpty()) {
                return docs;
            }
            assertThat(System.nanoTime()).as("a %s result of privileged-containers in %s", status, namespace)
                    .isLessThan(deadline);
            Thread.sleep(300);
        }
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> search(ElasticsearchClient client, ComplianceIndex index, String namespace,
                                                    String status) throws Exception {
        List<Query> filters = new ArrayList<>(List.of(
                Query.of(q -> q.term(t -> t.field("control.framework").value(FieldValue.of("pss-baseline")))),
                Query.of(q -> q.term(t -> t.field("control.id").value(FieldValue.of("privileged-containers")))),
                Query.of(q -> q.term(t -> t.field("kubernetes.namespace").value(FieldValue.of(namespace))))));
        if (status != null) {
            filters.add(Query.of(q -> q.term(t -> t.field("compliance.status").value(FieldValue.of(status)))));
        }
        var response = client.search(s -> s.index(index.alias()).query(q -> q.bool(b -> b.filter(filters)))
                .sort(o -> o.field(f -> f.field("@timestamp").order(SortOrder.Asc))).size(500), Map.class);
        List<Map<String, Object>> docs = new ArrayList<>();
        response.hits().hits().forEach(hit -> docs.add((Map<String, Object>) hit.source()));
        return docs;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> searchTenant(ElasticsearchClient client, ComplianceIndex index,
                                                          String tenant) throws Exception {
        var response = client.search(s -> s.index(index.alias())
                .query(q -> q.term(t -> t.field("tenant.name").value(FieldValue.of(tenant)))).size(500), Map.class);
        List<Map<String, Object>> docs = new ArrayList<>();
        response.hits().hits().forEach(hit -> docs.add((Map<String, Object>) hit.source()));
        return docs;
    }

    @SuppressWarnings("unchecked")
    private static Object field(Map<String, Object> doc, String group, String name) {
        return ((Map<String, Object>) doc.get(group)).get(name);
    }
}
