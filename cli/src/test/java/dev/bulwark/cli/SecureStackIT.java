package dev.bulwark.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.acl.AccessControlEntryFilter;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePatternFilter;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import dev.bulwark.deploy.LocalStack;
import dev.bulwark.deploy.Probes;
import dev.bulwark.deploy.RealStack;
import dev.bulwark.ingest.Parsers;
import dev.bulwark.sink.FindingIndex;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * Bulwark on a secured stack, started by {@code stack.sh up --secure}: a broker with TLS only, one SCRAM user per
 * component and the StandardAuthorizer denying everything no ACL allows; Elasticsearch with security on, HTTPS, and a
 * user per role ({@code bulwark security es-roles}). Every component runs as its own user with exactly the ACLs
 * {@code bulwark security acls} gives it; one missing ACL stops a component at start with the permission named; a
 * component cannot write where it must not; plaintext clients get nowhere; and no password reaches a log.
 */
class SecureStackIT {

    private static LocalStack secure;
    private static Path home;
    private static int mtlsPort;

    @TempDir
    Path state;

    @BeforeAll
    static void startSecuredBroker() throws Exception {
        LocalStack test = RealStack.get(); // for the repository root
        home = Files.createTempDirectory("bulwark-secure-stack-");
        secure = new LocalStack(test.repoRoot(), home, Probes.freePort(), Probes.freePort(), Probes.freePort(),
                Probes.freePort());
        mtlsPort = Probes.freePort();
        assertThat(secure.run(Map.of("BULWARK_KAFKA_MTLS_PORT", Integer.toString(mtlsPort)), "up", "--secure"))
                .as("stack.sh up --secure").isZero();
    }

    @AfterAll
    static void stopSecuredBroker() throws Exception {
        if (secure != null) {
            secure.run("down", "--purge");
        }
    }

    private static Path credentials() {
        return home.resolve("secure/kafka-credentials.properties");
    }

    /** A configuration for the secured broker with the credentials file of every component. */
    private BulwarkConfig config(String prefix) throws Exception {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("BULWARK_KAFKA_BOOTSTRAP", secure.kafkaBootstrap());
        env.put("BULWARK_KAFKA_SECURITY_PROTOCOL", "SASL_SSL");
        env.put("BULWARK_KAFKA_CA_FILE", home.resolve("secure/ca.pem").toString());
        env.put("BULWARK_KAFKA_CREDENTIALS_FILE", credentials().toString());
        env.put("BULWARK_ES_URL", "https://127.0.0.1:" + secure.elasticsearchPort());
        env.put("BULWARK_ES_CA_FILE", home.resolve("secure/ca.pem").toString());
        env.put("BULWARK_ES_CREDENTIALS_FILE", home.resolve("secure/es-credentials.properties").toString());
        env.put("BULWARK_TOPIC_PREFIX", prefix);
        env.put("BULWARK_INDEX_PREFIX", prefix.replace(".", "") + "-findings");
        BulwarkConfig config = BulwarkConfig.load(null, env);
        config.detection.applicationId = prefix + "detectors";
        DemoCommand.SCENARIO_TENANTS.forEach(config.tenants::putIfAbsent);
        return config;
    }

    /** As the admin: the topics, and every component's ACLs. */
    private static void setUp(BulwarkConfig config) throws Exception {
        new KafkaClients(config).ensureTopics();
        KafkaAcls.grantAll(config);
    }

    @Test
    void everyComponentWorksAsItsOwnUserWithExactlyItsAcls() throws Exception {
        BulwarkConfig config = config(RealStack.uniquePrefix("secure"));
        setUp(config);
        byte[] scenario;
        try (var in = DemoCommand.class.getResourceAsStream(DemoCommand.SCENARIO)) {
            scenario = in.readAllBytes();
        }
        ElasticsearchClient client = config.elasticsearchClient(BulwarkConfig.EsUser.API);
        FindingIndex index = new FindingIndex(config.elasticsearch.indexPrefix);
        // The notifier, as bulwark-notify: findings to a local webhook.
        List<String> notified = new java.util.concurrent.CopyOnWriteArrayList<>();
        com.sun.net.httpserver.HttpServer receiver = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/", exchange -> {
            notified.add(new String(exchange.getRequestBody().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        receiver.start();
        config.notify.routes = dev.bulwark.notify.Routes.parse("notify.routes", List.of(java.util.Map.of("name", "soc",
                "kind", "findings", "format", "webhook", "url", "http://127.0.0.1:" + receiver.getAddress().getPort(),
                "secret", "secure-stack-webhook-secret-0123")), false);
        try (Pipeline pipeline = Pipeline.start(config, state, new SimpleMeterRegistry());
             Notifications notifications = Notifications.start(config, state, new SimpleMeterRegistry())) {
            assertThat(pipeline.awaitRunning(Duration.ofSeconds(90))).as("detectors running as bulwark-detectors").isTrue();
            var stats = Ingestion.ingest(config, Parsers.forFormat("falco"),
                    List.of(new Ingestion.Source("scenario", () -> new ByteArrayInputStream(scenario))), 1 << 20, false);
            assertThat(stats.eventsOut()).as("published as bulwark-ingest").isEqualTo(7);
            assertThat(stats.failed()).isZero();
            List<dev.bulwark.sink.FindingDocument> found = List.of();
            String lastError = null;
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (found.isEmpty() && System.nanoTime() < deadline) {
                try {
                    found = new dev.bulwark.sink.FindingSearch(null, null, "bulwark.container.interactive_shell",
                            Instant.parse("2020-01-01T00:00:00Z"), null, 10).run(client, index);
                } catch (java.io.IOException | RuntimeException e) {
                    lastError = e.toString(); // no index yet
                }
                Thread.sleep(500);
            }
            assertThat(found).as("findings indexed by bulwark-sink over HTTPS, read by bulwark-api (last error: %s; "
                    + "sink: %s)", lastError, pipeline.sinkNotReadyReason()).isNotEmpty();
            long notifyDeadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (notified.stream().noneMatch(n -> n.contains("bulwark.container.interactive_shell"))
                    && System.nanoTime() < notifyDeadline) {
                Thread.sleep(200);
            }
            assertThat(notified).as("notified by bulwark-notify with its ACLs (%s)", notifications.notReadyReason())
                    .anyMatch(n -> n.contains("bulwark.container.interactive_shell"));
            // The API's user reads and triages, but cannot drop an index.
            assertThatThrownBy(() -> client.indices().delete(d -> d.index(index.prefix() + "-*")))
                    .as("bulwark-api deleting the findings").isInstanceOfSatisfying(
                            co.elastic.clients.elasticsearch._types.ElasticsearchException.class,
                            e -> assertThat(e.status()).isEqualTo(403));
        } finally {
            receiver.stop(0);
            ElasticsearchClient sink = config.elasticsearchClient(BulwarkConfig.EsUser.SINK);
            try {
                index.deleteAll(sink);
            } catch (RuntimeException e) {
                // the sink's role may not delete indices either: the stack is purged after the class anyway
            }
            sink._transport().close();
            client._transport().close();
        }
    }

    @Test
    void theRulesUserBacktestsWithExactlyItsAcls() throws Exception {
        BulwarkConfig config = config(RealStack.uniquePrefix("secureb"));
        setUp(config);
        byte[] scenario;
        try (var in = DemoCommand.class.getResourceAsStream(DemoCommand.SCENARIO)) {
            scenario = in.readAllBytes();
        }
        Instant from = Instant.now().minusSeconds(5);
        Ingestion.ingest(config, Parsers.forFormat("falco"),
                List.of(new Ingestion.Source("scenario", () -> new ByteArrayInputStream(scenario))), 1 << 20, false);
        String rule = ShadowRulesIT.shellFallbackRule("7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d", "Shell fallback chain");
        Backtest backtest = new Backtest(config, "secure1", 1, line -> System.out.println("[backtest] " + line));
        Backtest.Result result = backtest.run(List.of(new dev.bulwark.sigma.RuleDirectory.RuleRecord(
                "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d", null, rule)), from, Instant.now(), state);
        assertThat(result.replay().events()).as("the scenario's events, replayed as bulwark-rules").isEqualTo(7);
        try (var admin = new KafkaClients(config).admin()) {
            assertThat(admin.listTopics().names().get()).as("its scratch and internal topics are gone")
                    .noneMatch(t -> t.startsWith(Backtest.scratchPrefix(config))
                            || t.startsWith(Backtest.applicationPrefix(config)));
        }
    }

    @Test
    void aComponentCannotWriteWhereItMustNot() throws Exception {
        BulwarkConfig config = config(RealStack.uniquePrefix("securew"));
        setUp(config);
        KafkaClients kafka = new KafkaClients(config);
        try (KafkaProducer<String, byte[]> ingest = new KafkaProducer<>(producer(kafka.as(KafkaSecurity.Component.INGEST)),
                new StringSerializer(), new ByteArraySerializer())) {
            assertThatThrownBy(() -> ingest.send(new ProducerRecord<>(kafka.topics().findings().name(), "k",
                    "forged".getBytes(StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS))
                    .as("the ingest user forging a finding").isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(TopicAuthorizationException.class);
        }
        try (KafkaProducer<String, byte[]> sink = new KafkaProducer<>(producer(kafka.as(KafkaSecurity.Component.SINK)),
                new StringSerializer(), new ByteArraySerializer())) {
            assertThatThrownBy(() -> sink.send(new ProducerRecord<>(kafka.topics().rules().name(), "rule",
                    "title: x".getBytes(StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS))
                    .as("the sink user pushing a rule").hasCauseInstanceOf(TopicAuthorizationException.class);
        }
        Map<String, Object> reader = kafka.as(KafkaSecurity.Component.SINK).reader();
        try (KafkaConsumer<String, byte[]> sink = new KafkaConsumer<>(reader, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            var partition = new org.apache.kafka.common.TopicPartition(kafka.topics().events().name(), 0);
            sink.assign(List.of(partition));
            sink.seekToBeginning(List.of(partition));
            assertThatThrownBy(() -> sink.poll(Duration.ofSeconds(10))).as("the sink user reading raw events")
                    .isInstanceOf(TopicAuthorizationException.class);
        }
    }

    private static Map<String, Object> producer(KafkaClients clients) {
        Map<String, Object> props = clients.producer("secure-it");
        props.put("delivery.timeout.ms", 20_000);
        props.put("request.timeout.ms", 10_000);
        props.put("max.block.ms", 20_000);
        return props;
    }

    @Test
    void aMissingAclStopsTheComponentAtStartNamingTheUserOperationAndTopic() throws Exception {
        BulwarkConfig config = config(RealStack.uniquePrefix("securem"));
        setUp(config);
        String rules = new KafkaClients(config).topics().rules().name();
        try (Admin admin = new KafkaClients(config).admin()) {
            admin.deleteAcls(List.of(new AclBindingFilter(
                    new ResourcePatternFilter(ResourceType.TOPIC, rules, PatternType.LITERAL),
                    new AccessControlEntryFilter("User:bulwark-detectors", null, AclOperation.READ, AclPermissionType.ALLOW))))
                    .all().get(30, TimeUnit.SECONDS);
        }
        assertThatThrownBy(() -> Pipeline.start(config, state, new SimpleMeterRegistry(),
                java.util.EnumSet.of(Pipeline.Component.DETECTORS)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("the Kafka user bulwark-detectors (detectors) lacks Read on topic " + rules)
                .hasMessageContaining("./bulwark security acls --apply");
    }

    @Test
    void plainHttpAndAnonymousRequestsToElasticsearchAreRefused() throws Exception {
        var http = java.net.http.HttpClient.newHttpClient();
        assertThatThrownBy(() -> http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                "http://127.0.0.1:" + secure.elasticsearchPort() + "/_cluster/health")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString())).as("plain http to the HTTPS port")
                .isInstanceOf(java.io.IOException.class);
        BulwarkConfig config = config(RealStack.uniquePrefix("securea"));
        config.elasticsearch.credentialsFile = null; // no user at all
        ElasticsearchClient anonymous = config.elasticsearchClient(BulwarkConfig.EsUser.API);
        try {
            assertThatThrownBy(() -> anonymous.cluster().health()).as("HTTPS without credentials")
                    .isInstanceOfSatisfying(co.elastic.clients.elasticsearch._types.ElasticsearchException.class,
                            e -> assertThat(e.status()).isEqualTo(401));
        } finally {
            anonymous._transport().close();
        }
    }

    @Test
    void withMutualTlsEachComponentIsItsCertificatesPrincipalWithExactlyItsAcls() throws Exception {
        String prefix = RealStack.uniquePrefix("securet");
        setUp(config(prefix)); // the ACLs name User:bulwark-<component>, the CN of each component's certificate
        BulwarkConfig config = config(prefix);
        config.kafka.bootstrap = "127.0.0.1:" + mtlsPort;
        config.kafka.security.protocol = "SSL";
        config.kafka.security.credentialsFile = home.resolve("secure/kafka-mtls-credentials.properties");
        KafkaClients kafka = new KafkaClients(config);
        assertThat(kafka.as(KafkaSecurity.Component.INGEST).principal()).isEqualTo("bulwark-ingest");
        kafka.as(KafkaSecurity.Component.INGEST).checkAccess();
        byte[] scenario;
        try (var in = DemoCommand.class.getResourceAsStream(DemoCommand.SCENARIO)) {
            scenario = in.readAllBytes();
        }
        var stats = Ingestion.ingest(config, Parsers.forFormat("falco"),
                List.of(new Ingestion.Source("scenario", () -> new ByteArrayInputStream(scenario))), 1 << 20, false);
        assertThat(stats.eventsOut()).as("published with the ingest certificate").isEqualTo(7);
        try (KafkaProducer<String, byte[]> ingest = new KafkaProducer<>(producer(kafka.as(KafkaSecurity.Component.INGEST)),
                new StringSerializer(), new ByteArraySerializer())) {
            assertThatThrownBy(() -> ingest.send(new ProducerRecord<>(kafka.topics().findings().name(), "k",
                    "forged".getBytes(StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS))
                    .as("the ingest certificate forging a finding").hasCauseInstanceOf(TopicAuthorizationException.class);
        }
        kafka.as(KafkaSecurity.Component.SINK).checkAccess(); // its certificate is the principal its ACLs name
    }

    @Test
    void esSetupCreatesTheRolesAndAUserOrApiKeyPerComponentThroughTheSecurityApi() throws Exception {
        String prefix = RealStack.uniquePrefix("secures");
        BulwarkConfig config = config(prefix);
        Properties stackUsers = new Properties();
        try (var in = Files.newBufferedReader(home.resolve("secure/es-credentials.properties"))) {
            stackUsers.load(in);
        }
        Path adminOnly = state.resolve("admin.properties");
        Files.writeString(adminOnly, "admin.username=" + stackUsers.getProperty("admin.username") + "\nadmin.password="
                + stackUsers.getProperty("admin.password") + "\n");
        config.elasticsearch.credentialsFile = adminOnly;
        String names = prefix.replaceAll("[^a-z0-9]", "");
        String indexPrefix = config.elasticsearch.indexPrefix;
        for (boolean apiKeys : new boolean[] {false, true}) {
            Path written = state.resolve(apiKeys ? "keys.properties" : "users.properties");
            ElasticsearchClient admin = config.elasticsearchClient(BulwarkConfig.EsUser.ADMIN);
            ElasticsearchSetup.Result result;
            try {
                result = ElasticsearchSetup.run(admin, names + (apiKeys ? "k" : "u"), indexPrefix, apiKeys, written);
            } finally {
                admin._transport().close();
            }
            assertThat(result.roles()).hasSize(2);
            assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(written)))
                    .isEqualTo("rw-------");
            String text = Files.readString(written);
            assertThat(text).doesNotContain(stackUsers.getProperty("admin.password"))
                    .contains(apiKeys ? "sink.apiKey=" : "sink.password=").doesNotContain("admin.");
            config.elasticsearch.credentialsFile = written;
            ElasticsearchClient sink = config.elasticsearchClient(BulwarkConfig.EsUser.SINK);
            ElasticsearchClient api = config.elasticsearchClient(BulwarkConfig.EsUser.API);
            String index = indexPrefix + (apiKeys ? "-keys" : "-users");
            try {
                sink.indices().create(c -> c.index(index));
                sink.index(i -> i.index(index).id("1").document(Map.of("rule", "x")).refresh(
                        co.elastic.clients.elasticsearch._types.Refresh.True));
                assertThat(api.get(g -> g.index(index).id("1"), Map.class).found()).as("the API reads findings").isTrue();
                assertThatThrownBy(() -> sink.indices().create(c -> c.index("other-" + names + (apiKeys ? "k" : "u"))))
                        .as("the sink creating an index outside its prefix").isInstanceOfSatisfying(
                                co.elastic.clients.elasticsearch._types.ElasticsearchException.class,
                                e -> assertThat(e.status()).isEqualTo(403));
                assertThatThrownBy(() -> api.indices().delete(d -> d.index(index))).as("the API dropping the findings")
                        .isInstanceOfSatisfying(co.elastic.clients.elasticsearch._types.ElasticsearchException.class,
                                e -> assertThat(e.status()).isEqualTo(403));
                assertThatThrownBy(() -> api.security().getUser(u -> u.username("elastic")))
                        .as("the API reading the users").isInstanceOfSatisfying(
                                co.elastic.clients.elasticsearch._types.ElasticsearchException.class,
                                e -> assertThat(e.status()).isEqualTo(403));
            } finally {
                sink.indices().delete(d -> d.index(index));
                sink._transport().close();
                api._transport().close();
            }
            config.elasticsearch.credentialsFile = adminOnly;
        }
        config.elasticsearch.credentialsFile = state.resolve("users.properties");
        ElasticsearchClient sink = config.elasticsearchClient(BulwarkConfig.EsUser.SINK);
        try {
            assertThatThrownBy(() -> ElasticsearchSetup.run(sink, names + "x", indexPrefix, false,
                    state.resolve("never.properties"))).as("es-setup as the sink's user")
                    .hasMessageContaining("needs a user with the manage_security privilege");
            assertThat(state.resolve("never.properties")).doesNotExist();
        } finally {
            sink._transport().close();
        }
    }

    @Test
    void theContextWatcherPublishesAsItsOwnUserAndCanWriteNothingElse() throws Exception {
        BulwarkConfig config = config(RealStack.uniquePrefix("securec"));
        setUp(config);
        try (dev.bulwark.contextwatch.MockCluster cluster = new dev.bulwark.contextwatch.MockCluster()) {
            cluster.client.namespaces().resource(new io.fabric8.kubernetes.api.model.NamespaceBuilder().withNewMetadata()
                    .withName("shop").addToLabels("bulwark.io/tenant", "acme").endMetadata().build()).create();
            try (ContextWatch watch = ContextWatch.start(config, cluster.client, new SimpleMeterRegistry())) {
                watch.synced().get(60, TimeUnit.SECONDS);
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (watch.stats().contextUpdatesOut() < 1 && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                }
                assertThat(watch.stats().contextUpdatesOut()).as("published as bulwark-context").isEqualTo(1);
                assertThat(watch.failure()).isNull();
            }
        }
        KafkaClients kafka = new KafkaClients(config);
        assertThat(ContextWatch.liveKeys(kafka.as(KafkaSecurity.Component.CONTEXT), kafka.topics().context().name()))
                .containsExactly("namespace/shop");
        try (KafkaProducer<String, byte[]> context = new KafkaProducer<>(producer(kafka.as(KafkaSecurity.Component.CONTEXT)),
                new StringSerializer(), new ByteArraySerializer())) {
            assertThatThrownBy(() -> context.send(new ProducerRecord<>(kafka.topics().events().name(), "k",
                    "forged".getBytes(StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS))
                    .as("the context user forging an event").hasCauseInstanceOf(TopicAuthorizationException.class);
        }
    }

    @Test
    void aTlsClientWithoutACertificateIsRefusedByTheMutualTlsListener() {
        Properties props = new Properties();
        props.put("bootstrap.servers", "127.0.0.1:" + mtlsPort);
        props.put("security.protocol", "SSL");
        props.put("ssl.truststore.type", "PEM");
        props.put("ssl.truststore.location", home.resolve("secure/ca.pem").toString());
        props.put("default.api.timeout.ms", 8000);
        props.put("request.timeout.ms", 4000);
        try (Admin admin = Admin.create(props)) {
            assertThatThrownBy(() -> admin.listTopics().names().get(15, TimeUnit.SECONDS))
                    .as("TLS without a client certificate").isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(org.apache.kafka.common.errors.SslAuthenticationException.class);
        }
    }

    @Test
    void aPlaintextClientGetsNowhere() {
        Properties props = new Properties();
        props.put("bootstrap.servers", secure.kafkaBootstrap());
        props.put("default.api.timeout.ms", 6000);
        props.put("request.timeout.ms", 3000);
        try (Admin admin = Admin.create(props)) {
            assertThatThrownBy(() -> admin.listTopics().names().get(10, TimeUnit.SECONDS))
                    .as("a PLAINTEXT client on the TLS listener")
                    .isInstanceOfAny(ExecutionException.class, java.util.concurrent.TimeoutException.class);
        }
    }

    @Test
    void aBulwarkProcessOnTheSecuredStackPutsNoSecretInItsLogMetersFindingsOrDeadLetters(@TempDir Path work) throws Exception {
        String prefix = RealStack.uniquePrefix("securel");
        BulwarkConfig config = config(prefix);
        setUp(config);
        String yaml = """
                kafka:
                  bootstrap: "%s"
                  topicPrefix: "%s"
                  security:
                    protocol: SASL_SSL
                    caFile: "%s"
                    credentialsFile: "%s"
                elasticsearch:
                  url: "%s"
                  indexPrefix: "%s"
                  caFile: "%s"
                  credentialsFile: "%s"
                detection:
                  applicationId: "%s"
                """.formatted(config.kafka.bootstrap, prefix, config.kafka.security.caFile, credentials(),
                config.elasticsearch.url, config.elasticsearch.indexPrefix, config.elasticsearch.caFile,
                config.elasticsearch.credentialsFile, config.detection.applicationId);
        List<String> secrets = new java.util.ArrayList<>(secrets(credentials()));
        secrets.addAll(secrets(home.resolve("secure/es-credentials.properties")));
        secrets.add(Files.readString(home.resolve("secure/store.password")).strip());
        try (RunProcess run = new RunProcess(work, "run", "detectors,sink", yaml)) {
            run.start().awaitReady(Duration.ofSeconds(120));
            // The demo's attack, with its two unreadable records: findings, dead letters and meters to look through.
            byte[] scenario;
            try (var in = DemoCommand.class.getResourceAsStream(DemoCommand.SCENARIO)) {
                scenario = in.readAllBytes();
            }
            var stats = Ingestion.ingest(config, Parsers.forFormat("falco"),
                    List.of(new Ingestion.Source("scenario", () -> new ByteArrayInputStream(scenario))), 1 << 20, false);
            assertThat(stats.deadLettered()).isEqualTo(2);
            ElasticsearchClient api = config.elasticsearchClient(BulwarkConfig.EsUser.API);
            FindingIndex index = new FindingIndex(config.elasticsearch.indexPrefix);
            StringBuilder findings = new StringBuilder();
            try {
                long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
                while (findings.isEmpty() && System.nanoTime() < deadline) {
                    try {
                        api.search(q -> q.index(index.alias()).size(100), Map.class).hits().hits()
                                .forEach(hit -> findings.append(hit.source()));
                    } catch (java.io.IOException | RuntimeException e) {
                        // no index yet
                    }
                    Thread.sleep(500);
                }
            } finally {
                api._transport().close();
            }
            assertThat(findings).as("findings in Elasticsearch").isNotEmpty();
            String metrics = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("http://127.0.0.1:" + run.metricsPort() + "/metrics")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            assertThat(metrics).contains("bulwark_detect_findings_total");
            // Per-rule telemetry: each rule's series, labelled by detector and rule.
            assertThat(metrics).containsPattern("bulwark_rule_findings_total\\{detector=\"interactive-shell-in-container\","
                            + "rule=\"bulwark.container.interactive_shell\",?} [1-9]")
                    .containsPattern("bulwark_rule_evaluations_total\\{detector=\"sigma\",rule=\"[^\"]+\",?} [1-9]")
                    .contains("bulwark_rule_evaluation_seconds_total{", "bulwark_rule_latency_seconds_count{",
                            "bulwark_rule_last_match_timestamp_seconds{");
            String deadLetters = deadLetters(config);
            assertThat(deadLetters).as("the dead letters' reasons").isNotEmpty();
            run.stop();
            String log = Files.readString(run.log());
            assertThat(log).contains("running detectors").contains("indexing findings into https://");
            for (String secret : secrets) {
                assertThat(log).as("the run's log").doesNotContain(secret);
                assertThat(metrics).as("the meters, names and labels").doesNotContain(secret);
                assertThat(findings.toString()).as("the findings").doesNotContain(secret);
                assertThat(deadLetters).as("the dead letters").doesNotContain(secret);
            }
        }
    }

    /** Every dead letter on the topic, read as the admin, with its reason and original bytes as text. */
    private static String deadLetters(BulwarkConfig config) {
        KafkaClients admin = new KafkaClients(config);
        StringBuilder text = new StringBuilder();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(admin.reader(), new StringDeserializer(),
                new ByteArrayDeserializer())) {
            String topic = admin.topics().deadLetters().name();
            var partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new org.apache.kafka.common.TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (System.nanoTime() < deadline && text.length() == 0) {
                for (var record : consumer.poll(Duration.ofMillis(500))) {
                    var letter = admin.topics().deadLetters().valueSerde().deserializer().deserialize(topic, record.value());
                    text.append(letter).append('\n');
                }
            }
        }
        return text.toString();
    }

    private static List<String> secrets(Path properties) throws java.io.IOException {
        Properties values = new Properties();
        try (var reader = Files.newBufferedReader(properties)) {
            values.load(reader);
        }
        return values.stringPropertyNames().stream().filter(k -> k.endsWith(".password")).map(values::getProperty).toList();
    }

    @Test
    void noPasswordReachesTheServersLogsOrAnErrorMessage() throws Exception {
        Properties credentials = new Properties();
        try (var reader = Files.newBufferedReader(credentials())) {
            credentials.load(reader);
        }
        List<String> passwords = credentials.stringPropertyNames().stream().filter(k -> k.endsWith(".password"))
                .map(credentials::getProperty).toList();
        assertThat(passwords).hasSize(KafkaSecurity.Component.values().length).allMatch(p -> p.length() >= 20);
        String brokerLog = Files.readString(home.resolve("kafka/kafka.log"));
        Properties esCredentials = new Properties();
        try (var reader = Files.newBufferedReader(home.resolve("secure/es-credentials.properties"))) {
            esCredentials.load(reader);
        }
        List<String> esPasswords = esCredentials.stringPropertyNames().stream().filter(k -> k.endsWith(".password"))
                .map(esCredentials::getProperty).toList();
        assertThat(esPasswords).hasSize(3);
        String esLogs;
        try (var logs = Files.walk(home.resolve("elasticsearch/logs"))) {
            StringBuilder all = new StringBuilder();
            for (Path log : logs.filter(Files::isRegularFile).toList()) {
                all.append(Files.readString(log, StandardCharsets.ISO_8859_1));
            }
            esLogs = all.toString();
        }
        for (String password : esPasswords) {
            assertThat(esLogs).as("Elasticsearch's logs").doesNotContain(password);
        }
        // An error about a wrong password names the user, never a password.
        BulwarkConfig config = config(RealStack.uniquePrefix("securep"));
        Path wrong = state.resolve("wrong.properties");
        Files.writeString(wrong, "ingest.username=bulwark-ingest\ningest.password=not-" + passwords.get(0) + "\n");
        wrong.toFile().setReadable(false, false);
        wrong.toFile().setReadable(true, true);
        config.kafka.security.credentialsFile = wrong;
        String message = "";
        try {
            new KafkaClients(config).as(KafkaSecurity.Component.INGEST).checkAccess();
        } catch (RuntimeException e) {
            message = String.valueOf(e.getMessage()) + e.getCause();
        }
        assertThat(message).as("a refused login is an error").isNotEmpty();
        for (String password : passwords) {
            assertThat(brokerLog).doesNotContain(password);
            assertThat(message).doesNotContain(password);
        }
    }
}
