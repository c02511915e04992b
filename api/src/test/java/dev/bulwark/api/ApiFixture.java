package dev.bulwark.api;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

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

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import dev.bulwark.deploy.LocalStack;
import dev.bulwark.deploy.RealStack;
import dev.bulwark.schemas.Evidence;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.RuleOverride;
import dev.bulwark.schemas.FindingRule;
import dev.bulwark.schemas.MitreAttack;
import dev.bulwark.schemas.TopicAdmin;
import dev.bulwark.schemas.Topics;
import dev.bulwark.sink.ElasticsearchClients;
import dev.bulwark.schemas.ComplianceResult;
import dev.bulwark.sink.ComplianceIndex;
import dev.bulwark.sink.FindingIndex;
import dev.bulwark.sink.FindingSink;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * Two tenants' findings indexed through the real sink on the real stack, and the query API in front of them.
 *
 * <p>Why: the isolation and browser tests must attack what production runs: documents written by the sink (with its
 * tenant aliases) and the real HTTP server, with one token per role.
 */
final class ApiFixture {

    static final String SOC_TOKEN = "soc-token-for-tests-0123456789";
    static final String ACME_TOKEN = "acme-token-for-tests-0123456789";
    static final String GLOBEX_TOKEN = "globex-token-for-tests-0123456789";
    static final String INITECH_TOKEN = "initech-token-for-tests-0123456789";
    /** A string only a globex finding holds: it must never reach an acme response. */
    static final String GLOBEX_CANARY = "canary-globex-7731";
    static final String SHADOW_CANARY = "shadow-canary-4411";
    static final String SHADOW_RULE = "shadow-candidate-rule";
    static final String XSS_SUMMARY = "<img src=x onerror=\"document.title='pwned'\">";
    static final String XSS_FIELD = "<script>document.title='pwned'</script>";

    final LocalStack stack = RealStack.get();
    final String prefix = RealStack.uniquePrefix("api");
    final Topics topics = Topics.withPrefix(prefix);
    final FindingIndex index = new FindingIndex(prefix.replace(".", "") + "-findings");
    final ElasticsearchClient client = ElasticsearchClients.create(stack.elasticsearchUrl());
    final ObjectMapper json = new ObjectMapper();
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final KafkaProducer<String, byte[]> producer;
    private final FindingSink sink;
    private final Thread sinkThread;
    final ApiServer server;
    final long now = Instant.now().toEpochMilli();

    ApiFixture() throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap()))) {
            TopicAdmin.ensureTopics(admin, topics, 1, (short) 1);
        }
        producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap(),
                ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new ByteArraySerializer());
        var consumer = new KafkaConsumer<>(Map.<String, Object>of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap(),
                ConsumerConfig.GROUP_ID_CONFIG, prefix + "sink",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false), new StringDeserializer(), new ByteArrayDeserializer());
        sink = new FindingSink(consumer, producer, client, topics, index, new SimpleMeterRegistry());
        sinkThread = new Thread(sink, "api-fixture-sink");
        sinkThread.start();

        List<Finding> findings = List.of(
                finding("a-shell", "acme", List.of(), "high", "bulwark.container.interactive_shell",
                        "Interactive shell 'bash' started in pod acme-web/api", "acme-web", "api", "acme/api:1.4",
                        Map.of("process.name", "bash", "user.name", "root"), now - 60_000),
                finding("a-iso", "acme", List.of("globex"), "critical", "bulwark.isolation.cross_tenant_secret_read",
                        "Workload of globex read a secret in namespace acme-payments", "acme-payments", "ledger",
                        "acme/ledger:2.0", Map.of("source.ip", "10.20.0.7"), now - 120_000),
                finding("a-low", "acme", List.of(), "low", "bulwark.container.package_manager",
                        "Package manager apk ran in pod acme-web/api", "acme-web", "api", "acme/api:1.4",
                        Map.of("process.name", "apk"), now - 180_000),
                finding("g-secret", "globex", List.of(), "high", "bulwark.container.interactive_shell",
                        "Interactive shell in pod globex-data/db " + GLOBEX_CANARY, "globex-data", "db", "globex/db:9",
                        Map.of("process.command_line", "cat /secrets/" + GLOBEX_CANARY), now - 90_000),
                finding("g-xss", "globex", List.of(), "medium", "bulwark.container.interactive_shell",
                        XSS_SUMMARY, "globex-data", "web", "globex/web:1",
                        Map.of("process.command_line", XSS_FIELD, XSS_FIELD, "key-is-hostile-too"), now - 30_000));
        // A shadow rule's finding about acme's workload: the SOC's shadow list only, never a findings view.
        Finding shadow = finding("a-shadow", "acme", List.of(), "high", SHADOW_RULE, "Shadow rule matched "
                + SHADOW_CANARY, "acme-web", "api", "acme/api:1.4", Map.of("process.name", "sh"), now - 45_000);
        shadow.setShadow(true);
        shadow.setCount(3);
        List<Finding> sent = new java.util.ArrayList<>(findings);
        sent.add(shadow);
        for (Finding finding : sent) {
            producer.send(new ProducerRecord<>(topics.findings().name(), finding.getId(),
                    topics.findings().valueSerde().serializer().serialize(topics.findings().name(), finding))).get();
        }
        awaitIndexed(findings.size());
        awaitShadowIndexed();
        indexPosture();
        indexEntities();
        startIncidentSink();

        ApiTokens tokens = ApiTokens.of(ApiTokens.parseEnvironment(SOC_TOKEN + "=soc@alice," + ACME_TOKEN
                + "=tenant:acme@acme-viewer," + GLOBEX_TOKEN + "=tenant:globex," + INITECH_TOKEN + "=tenant:initech"));
        server = new ApiServer(new ApiServer.Settings("127.0.0.1", 0, 4), tokens,
                new FindingsService(client, index, Clock.systemUTC()));
        server.withRuleOverrides(overrides);
        server.withRuleStats(() -> ruleStats);
    }

    /** The overrides the API writes, kept in memory as the compacted topic would keep them. */
    final MemoryOverrides overrides = new MemoryOverrides();

    /** Per-rule telemetry of two detector instances, as the rule-stats topic would hold it. */
    final List<dev.bulwark.schemas.RuleStats> ruleStats = List.of(
            stats("detectors-0", "sigma", "7f734ed0-4f47-46c0-837f-6ee62505abd9", 1000, 3_000_000, 40, 12, 30),
            stats("detectors-1", "sigma", "7f734ed0-4f47-46c0-837f-6ee62505abd9", 500, 1_000_000, 10, 3, 7),
            stats("detectors-0", "sigma", "whoami_run", 9000, 90_000_000, 2, 1, 1),
            stats("detectors-0", "interactive-shell-in-container", "bulwark.container.interactive_shell", 0, 0, 0, 50,
                    0));

    static dev.bulwark.schemas.RuleStats stats(String instance, String detector, String rule, long evaluations,
                                              long nanos, long matches, long findings, long folded) {
        return dev.bulwark.schemas.RuleStats.newBuilder().setInstance(instance).setDetector(detector).setRule(rule)
                .setSince(1_767_225_600_000L).setAt(1_767_225_660_000L).setEvaluations(evaluations)
                .setEvaluationNanos(nanos).setMatches(matches).setFindings(findings).setFolded(folded)
                .setLatencyCount(findings).setLatencyMillis(findings * 40).setLastMatch(matches == 0 ? 0 : 1_767_225_650_000L)
                .setLastFinding(findings == 0 ? 0 : 1_767_225_655_000L).build();
    }

    static final class MemoryOverrides implements RuleOverrideStore {
        final Map<String, RuleOverride> held = new java.util.concurrent.ConcurrentHashMap<>();

        @Override
        public List<RuleOverride> all() {
            return List.copyOf(held.values());
        }

        /** Refuses an exception that says so, as the real store refuses one the detectors cannot apply. */
        @Override
        public void check(RuleOverride override) {
            if (override.getException() != null && override.getException().contains("refuse me")) {
                throw new IllegalArgumentException("the exception is not a Sigma filter document: refused \u001b[2J");
            }
        }

        @Override
        public void put(RuleOverride override) {
            held.put(Topics.overrideKey(override.getTenant(), override.getTarget()), override);
        }

        @Override
        public void delete(String tenant, String target) {
            held.remove(Topics.overrideKey(tenant, target));
        }
    }

    static Finding finding(String id, String tenant, List<String> others, String severity, String rule, String summary,
                           String namespace, String pod, String image, Map<String, String> fields, long seen) {
        return Finding.newBuilder()
                .setId(id).setDetector(rule.startsWith("bulwark.isolation.") ? "isolation-secrets" : "container-exec")
                .setRule(FindingRule.newBuilder().setId(rule).setName(rule.substring(rule.lastIndexOf('.') + 1)
                        .replace('_', ' ')).setVersion("1").build())
                .setSeverity(severity).setRiskScore(switch (severity) {
                    case "critical" -> 99;
                    case "high" -> 73;
                    case "medium" -> 47;
                    default -> 21;
                })
                .setMitre(MitreAttack.newBuilder().setTactics(List.of("execution")).setTechniques(List.of("T1059")).build())
                .setTenant(tenant).setOtherTenants(others)
                .setSummary(summary).setFirstSeen(seen).setLastSeen(seen).setCount(1)
                .setNamespace(namespace).setPod(pod).setContainerId("c-" + id).setImage(image)
                .setEvidence(Evidence.newBuilder().setEventIds(List.of("e-" + id)).setFields(fields).build())
                .build();
    }

    private void awaitIndexed(int expected) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            try {
                client.indices().refresh(r -> r.index(index.alias()).ignoreUnavailable(true).allowNoIndices(true));
                long count = client.count(c -> c.index(index.alias()).ignoreUnavailable(true).allowNoIndices(true)).count();
                boolean aliases = client.indices().existsAlias(e -> e.name(index.tenantAlias("acme"))).value()
                        && client.indices().existsAlias(e -> e.name(index.tenantAlias("globex"))).value();
                if (count >= expected && aliases) {
                    return;
                }
            } catch (co.elastic.clients.elasticsearch._types.ElasticsearchException | java.io.IOException e) {
                // a daily index that was just created answers 503 until its shard is active (an Elasticsearch error,
                // or a ResponseException from the low-level client)
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("the sink did not index the fixture findings in time");
    }

    private void awaitShadowIndexed() throws Exception {
        FindingIndex shadowIndex = index.shadow();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            try {
                client.indices().refresh(r -> r.index(shadowIndex.alias()).ignoreUnavailable(true).allowNoIndices(true));
                if (client.count(c -> c.index(shadowIndex.alias()).ignoreUnavailable(true).allowNoIndices(true))
                        .count() >= 1) {
                    return;
                }
            } catch (co.elastic.clients.elasticsearch._types.ElasticsearchException | java.io.IOException e) {
                // the shadow index was just created
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("the sink did not index the shadow finding in time");
    }

    /** URL-encodes a query parameter value. */
    static String enc(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    HttpResponse<String> get(String token, String pathAndQuery) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(server.url() + pathAndQuery))
                .timeout(Duration.ofSeconds(30));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> patch(String token, String path, String body) throws Exception {
        return send(token, "PATCH", path, body);
    }

    /** A request with a JSON body (or none, for a null {@code body}). */
    HttpResponse<String> send(String token, String method, String path, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(server.url() + path))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    JsonNode body(HttpResponse<String> response) throws Exception {
        return json.readTree(response.body());
    }

    /** Stops the server and the sink and deletes the test's indices. */
    /** The compliance index that goes with {@link #index}. */
    final ComplianceIndex compliance = ComplianceIndex.forFindings(index);

    /**
     * Two posture snapshots, a day apart: acme's namespace fails privileged-containers through a pod with a hostile
     * name, globex's through one named with the canary, and a cluster-wide result carries the canary too.
     */
    private void indexPosture() throws Exception {
        compliance.installTemplate(client);
        long[] times = {now - 86_400_000L, now - 60_000};
        for (long at : times) {
            String id = Long.toString(at);
            List<ComplianceResult> results = List.of(
                    posture(id, at, "acme", "acme-web", "fail", List.of("pod/acme-web/" + XSS_SUMMARY)),
                    posture(id, at, "acme", "acme-payments", "pass", List.of()),
                    posture(id, at, "globex", "globex-data", "fail", List.of("pod/globex-data/" + GLOBEX_CANARY)),
                    posture(id, at, null, null, "fail", List.of("node/" + GLOBEX_CANARY)));
            for (ComplianceResult result : results) {
                client.index(i -> i.index(compliance.indexFor(result.getSnapshotAt()))
                        .id(ComplianceIndex.documentId(result)).document(ComplianceIndex.document(result)));
            }
        }
        client.indices().refresh(r -> r.index(compliance.alias()));
    }

    private static ComplianceResult posture(String snapshot, long at, String tenant, String namespace, String status,
                                            List<String> failing) {
        return ComplianceResult.newBuilder().setSnapshotId(snapshot).setSnapshotAt(at).setReason("change")
                .setFramework("pss-baseline").setControlId("privileged-containers").setTitle("Privileged Containers")
                .setTenant(tenant).setNamespace(namespace).setStatus(status).setChecked(2).setFailing(failing)
                .setFailingTotal(failing.size()).setSources(List.of("bulwark")).build();
    }

    /** The entity index that goes with {@link #index}. */
    final dev.bulwark.sink.EntityIndex entities = dev.bulwark.sink.EntityIndex.forFindings(index);

    /**
     * Entity risk: acme's pod scored 100 an hour ago and its identity 60 just now (with a half-life of an hour, the pod
     * is at 50 now, below the identity); globex's pod, named with the canary, at 500.
     */
    private void indexEntities() throws Exception {
        entities.installTemplate(client);
        long hour = 3_600_000L;
        List<dev.bulwark.schemas.EntityRisk> risks = List.of(
                risk("acme", "pod", "acme-web/web-1", 100, now - hour, hour),
                risk("acme", "identity", "alice", 60, now, hour),
                risk("globex", "pod", "globex-data/" + GLOBEX_CANARY, 500, now, hour));
        for (dev.bulwark.schemas.EntityRisk risk : risks) {
            client.index(i -> i.index(entities.prefix()).id(dev.bulwark.sink.EntityIndex.documentId(risk))
                    .document(dev.bulwark.sink.EntityIndex.document(risk)));
        }
        client.indices().refresh(r -> r.index(entities.prefix()));
    }

    private static dev.bulwark.schemas.EntityRisk risk(String tenant, String type, String id, double risk, long at,
                                                       long halfLife) {
        return dev.bulwark.schemas.EntityRisk.newBuilder().setKey(tenant + "|" + type + "|" + id).setType(type).setId(id)
                .setTenant(tenant).setRisk(risk).setRiskAt(at).setHalfLifeMs(halfLife).setFirstSeen(at).setLastSeen(at)
                .setFindings(2).setTactics(List.of("execution")).setDetectors(List.of("sigma"))
                .setLastFinding("f-" + id).setLastRule("rule").build();
    }

    /** The incident index that goes with {@link #index}. */
    final dev.bulwark.sink.IncidentIndex incidents = dev.bulwark.sink.IncidentIndex.forFindings(index);
    static final String EXEC_USER = "eve-exec";
    static final String GLOBEX_ADMIN = "globex-admin-" + GLOBEX_CANARY;
    private dev.bulwark.sink.DocumentSink<dev.bulwark.schemas.Incident> incidentSink;
    private Thread incidentThread;

    static dev.bulwark.schemas.IncidentFinding step(String id, long time, String tenant, List<String> others,
            String namespace, String pod, String user, String session, String tactic, List<String> entities) {
        return dev.bulwark.schemas.IncidentFinding.newBuilder().setFindingId(id).setTime(time).setLastSeen(time)
                .setRuleId("rule-" + id).setRuleName("Rule " + id).setDetector("det-" + id).setSeverity("high")
                .setRiskScore(73).setTenant(tenant).setOtherTenants(others).setNamespace(namespace).setPod(pod)
                .setUser(user).setSessionId(session).setTactics(List.of(tactic)).setEntities(entities).build();
    }

    /**
     * The cross-tenant incident: {@link #EXEC_USER} execs into acme's pod (session s-1), downloads, then connects into
     * globex's pod named with the canary; globex's own admin also acted there. {@code steps} of them (1-5) so far.
     */
    static dev.bulwark.schemas.Incident crossTenantIncident(long now, int steps) {
        List<String> acmeSide = List.of("pod:acme-web/api", "identity:" + EXEC_USER, "session:s-1");
        List<dev.bulwark.schemas.IncidentFinding> all = List.of(
                step("i-shell", now - 50_000, "acme", List.of(), "acme-web", "api", EXEC_USER, "s-1", "execution",
                        acmeSide),
                step("i-download", now - 40_000, "acme", List.of(), "acme-web", "api", EXEC_USER, "s-1",
                        "command-and-control", acmeSide),
                dev.bulwark.schemas.IncidentFinding.newBuilder(step("i-connect", now - 30_000, "globex",
                        List.of("acme"), "globex-data", GLOBEX_CANARY, EXEC_USER, "s-1", "lateral-movement",
                        List.of("pod:globex-data/" + GLOBEX_CANARY, "pod:acme-web/api", "identity:" + EXEC_USER,
                                "session:s-1")))
                        .setPodTenants(Map.of("pod:globex-data/" + GLOBEX_CANARY, "globex", "pod:acme-web/api",
                                "acme")).build(),
                step("i-globex-own", now - 20_000, "globex", List.of(), "globex-data", GLOBEX_CANARY, GLOBEX_ADMIN,
                        null, "discovery", List.of("pod:globex-data/" + GLOBEX_CANARY, "identity:" + GLOBEX_ADMIN)),
                step("i-later", now - 10_000, "acme", List.of(), "acme-web", "api", EXEC_USER, "s-1", "discovery",
                        acmeSide));
        return incidentOf("inc-cross", "pod:acme-web/api", all.subList(0, steps));
    }

    /** An incident of these findings, its entities, tactics, tenants and detectors those of its timeline. */
    static dev.bulwark.schemas.Incident incidentOf(String id, String openedBy,
            List<dev.bulwark.schemas.IncidentFinding> timeline) {
        java.util.Set<String> entities = new java.util.LinkedHashSet<>();
        java.util.Set<String> tactics = new java.util.LinkedHashSet<>();
        java.util.Set<String> tenants = new java.util.LinkedHashSet<>();
        java.util.Set<String> detectors = new java.util.LinkedHashSet<>();
        for (dev.bulwark.schemas.IncidentFinding f : timeline) {
            entities.addAll(f.getEntities());
            tactics.addAll(f.getTactics());
            tenants.add(f.getTenant());
            tenants.addAll(f.getOtherTenants());
            detectors.add(f.getDetector());
        }
        return incident(id, openedBy, timeline, entities, tactics, tenants, detectors);
    }

    private static dev.bulwark.schemas.Incident incident(String id, String openedBy,
            List<dev.bulwark.schemas.IncidentFinding> timeline, java.util.Collection<String> entities,
            java.util.Collection<String> tactics, java.util.Collection<String> tenants,
            java.util.Collection<String> detectors) {
        return dev.bulwark.schemas.Incident.newBuilder().setId(id).setReason("detectors").setOpenedBy(openedBy)
                .setOpenedAt(timeline.get(0).getTime()).setFirstSeen(timeline.get(0).getTime())
                .setLastSeen(timeline.get(timeline.size() - 1).getLastSeen()).setRisk(120.0 * timeline.size())
                .setTactics(List.copyOf(tactics)).setTenants(List.copyOf(tenants)).setEntities(List.copyOf(entities))
                .setDetectors(List.copyOf(detectors)).setFindingsTotal(timeline.size()).setTimeline(timeline).build();
    }

    /** A globex-only incident (the canary in its pod) and an initech-only one, beside the cross-tenant one. */
    private static List<dev.bulwark.schemas.Incident> singleTenantIncidents(long now) {
        var globex = step("i-g", now - 5_000, "globex", List.of(), "globex-data", GLOBEX_CANARY, GLOBEX_ADMIN, null,
                "execution", List.of("pod:globex-data/" + GLOBEX_CANARY));
        var initech = step("i-i", now - 7_000, "initech", List.of(), "initech-ops", "batch", "bob", null,
                "execution", List.of("pod:initech-ops/batch"));
        return List.of(
                incident("inc-globex", "pod:globex-data/" + GLOBEX_CANARY, List.of(globex), globex.getEntities(),
                        globex.getTactics(), List.of("globex"), List.of(globex.getDetector())),
                incident("inc-initech", "pod:initech-ops/batch", List.of(initech), initech.getEntities(),
                        initech.getTactics(), List.of("initech"), List.of(initech.getDetector())));
    }

    /** Runs the incident sink over the fixture's incidents topic and sends the first incidents through it. */
    private void startIncidentSink() throws Exception {
        var consumer = new KafkaConsumer<>(Map.<String, Object>of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap(),
                ConsumerConfig.GROUP_ID_CONFIG, prefix + "incident-sink",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false), new StringDeserializer(), new ByteArrayDeserializer());
        incidentSink = dev.bulwark.sink.DocumentSink.incidents(consumer, producer, client, topics, incidents,
                new SimpleMeterRegistry());
        incidentThread = new Thread(incidentSink, "api-fixture-incident-sink");
        incidentThread.start();
        List<dev.bulwark.schemas.Incident> first = new java.util.ArrayList<>(singleTenantIncidents(now));
        first.add(crossTenantIncident(now, 4));
        for (dev.bulwark.schemas.Incident incident : first) {
            sendIncident(incident);
        }
        awaitIncident("inc-cross", 4);
    }

    /** Sends an incident update to the incidents topic (the sink indexes it). */
    void sendIncident(dev.bulwark.schemas.Incident incident) throws Exception {
        producer.send(new ProducerRecord<>(topics.incidents().name(), incident.getId(),
                topics.incidents().valueSerde().serializer().serialize(topics.incidents().name(), incident))).get();
    }

    /** Waits until the incident's document holds {@code findings} findings. */
    void awaitIncident(String id, long findings) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            if (client.indices().exists(e -> e.index(incidents.prefix())).value()) {
                client.indices().refresh(r -> r.index(incidents.prefix()));
                var doc = client.get(g -> g.index(incidents.prefix()).id(id), Map.class);
                if (doc.found() && ((Number) ((Map<?, ?>) doc.source().get("incident")).get("findings_total"))
                        .longValue() == findings) {
                    return;
                }
            }
            Thread.sleep(200);
        }
        throw new AssertionError("incident " + id + " with " + findings + " findings was not indexed within 60 s");
    }

    void close() throws Exception {
        server.close();
        incidentSink.close();
        incidentThread.join(20_000);
        sink.close();
        sinkThread.join(20_000);
        producer.close();
        index.deleteAll(client);
        index.shadow().deleteAll(client);
        client.indices().delete(d -> d.index(compliance.prefix() + "-*").allowNoIndices(true));
        client.indices().delete(d -> d.index(entities.prefix()).ignoreUnavailable(true).allowNoIndices(true));
        client.indices().delete(d -> d.index(incidents.prefix()).ignoreUnavailable(true).allowNoIndices(true));
        client._transport().close();
    }
}
