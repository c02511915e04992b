package dev.bulwark.cli;

import java.io.IOException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.HexFormat;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import dev.bulwark.api.ApiServer;
import dev.bulwark.ingest.http.IngestReceiver;
import dev.bulwark.api.ApiTokens;
import dev.bulwark.api.FindingsService;
import dev.bulwark.api.ConsoleLogin;
import dev.bulwark.api.OidcPrincipals;
import dev.bulwark.schemas.Topics;
import dev.bulwark.sink.FindingIndex;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The composition layer: starts the components a process runs (ingest receiver, detectors, sink, notifier, query API) from the
 * configuration, in order, registers their health checks, and stops them in reverse order.
 *
 * <p>Why: commands only parse their arguments and call this; Kafka clients come from {@link KafkaClients} (one place,
 * with the user's {@code kafka.properties}), topics are created or verified once, and state lives under
 * {@code home}, never in a checkout. Downstream components start first and the receiver last, so nothing is accepted
 * before it can be processed; on stop the receiver closes first, so nothing is accepted that cannot be delivered.
 */
public final class BulwarkRuntime implements AutoCloseable {

    /** What a process can run. */
    public enum Component { ingest, detectors, sink, api, notify }

    private final Deque<AutoCloseable> started = new ArrayDeque<>();
    private final Pipeline pipeline;
    private final IngestReceiver receiver;
    private final ApiServer api;

    private BulwarkRuntime(Pipeline pipeline, IngestReceiver receiver, ApiServer api, Deque<AutoCloseable> started) {
        this.pipeline = pipeline;
        this.receiver = receiver;
        this.api = api;
        this.started.addAll(started);
    }

    /**
     * Starts {@code components} (an ingest or API port of 0 leaves that component out) and adds their checks to
     * {@code metrics}' {@code /readyz} and {@code /livez}.
     */
    public static BulwarkRuntime start(BulwarkConfig config, Set<Component> components, MetricsServer metrics)
            throws IOException, InterruptedException {
        KafkaClients kafka = new KafkaClients(config);
        Deque<AutoCloseable> opened = new ArrayDeque<>();
        try {
            boolean notifies = components.contains(Component.notify) && !config.notify.routes.isEmpty();
            boolean usesKafka = components.contains(Component.ingest) && config.ingest.port != 0
                    || components.contains(Component.detectors) || components.contains(Component.sink) || notifies;
            Supplier<String> kafkaCheck = null;
            if (usesKafka) { // the query API alone needs only Elasticsearch
                // On a secured cluster each component has its own principal; the health check uses the first one's.
                KafkaClients own = kafka.as(components.contains(Component.detectors) ? KafkaSecurity.Component.DETECTORS
                        : components.contains(Component.sink) ? KafkaSecurity.Component.SINK
                        : components.contains(Component.ingest) && config.ingest.port != 0
                                ? KafkaSecurity.Component.INGEST : KafkaSecurity.Component.NOTIFY);
                KafkaClients creator = kafka.hasUser() ? kafka : own;
                createTopicsWhereAllowed(() -> ensureTopics(creator), creator.principal());
                Admin admin = own.admin();
                opened.push(admin);
                kafkaCheck = HealthChecks.kafka(admin, config.kafka.bootstrap);
            }

            EnumSet<Pipeline.Component> processing = EnumSet.noneOf(Pipeline.Component.class);
            if (components.contains(Component.detectors)) {
                processing.add(Pipeline.Component.DETECTORS);
            }
            if (components.contains(Component.sink)) {
                processing.add(Pipeline.Component.SINK);
            }
            Pipeline pipeline = null;
            if (!processing.isEmpty()) {
                pipeline = Pipeline.start(config, config.homeDir(), metrics.registry(), processing);
                opened.push(pipeline);
                Pipeline running = pipeline;
                if (processing.contains(Pipeline.Component.DETECTORS)) {
                    BulwarkCommand.say("running detectors " + pipeline.detectorNames() + " on " + config.kafka.bootstrap);
                    metrics.readiness("detectors", running::detectorsNotReadyReason);
                    metrics.liveness("detectors", running::detectorsBrokenReason);
                }
                if (processing.contains(Pipeline.Component.SINK)) {
                    BulwarkCommand.say("indexing findings into " + config.elasticsearch.url + "/" + config.elasticsearch.indexPrefix);
                    Supplier<String> elasticsearch = HealthChecks.elasticsearch(pipeline.sinkClient(), config.elasticsearch.url);
                    metrics.readiness("sink", HealthChecks.all(running::sinkNotReadyReason, elasticsearch));
                }
            }

            if (notifies) {
                Notifications notifications = Notifications.start(config, config.homeDir(), metrics.registry());
                opened.push(notifications);
                BulwarkCommand.say("notifying along " + config.notify.routes.size() + " route(s): "
                        + config.notify.routes.stream().map(dev.bulwark.notify.Route::name).toList());
                metrics.readiness("notify", HealthChecks.all(notifications::notReadyReason, kafkaCheck));
            }

            ApiServer api = null;
            if (components.contains(Component.api) && config.api.port != 0) {
                ElasticsearchClient client = config.elasticsearchClient(BulwarkConfig.EsUser.API);
                opened.push(() -> client._transport().close());
                api = startApi(config, client);
                opened.push(api);
                try {
                    KafkaRuleOverrideStore overrides = new KafkaRuleOverrideStore(config);
                    opened.push(overrides);
                    api.withRuleOverrides(overrides);
                    api.withRuleStats(new KafkaRuleStatsStore(config, KafkaSecurity.Component.API));
                } catch (IllegalArgumentException e) {
                    // Findings, triage and compliance need no Kafka: serve them, and say why overrides answer 503.
                    BulwarkCommand.say("rule overrides are off in the query API (they answer 503): " + e.getMessage()
                            + "; give the api component a Kafka user (a credentials file made before this release: "
                            + "add api.username and api.password, or recreate the local stack with local down --purge)");
                }
                metrics.readiness("api", HealthChecks.elasticsearch(client, config.elasticsearch.url));
            }

            IngestReceiver receiver = null;
            if (components.contains(Component.ingest) && config.ingest.port != 0) {
                KafkaClients ingest = kafka.as(KafkaSecurity.Component.INGEST);
                ingest.checkAccess();
                Map<String, Object> producerProps = ingest.receiverProducer();
                KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerProps, new StringSerializer(),
                        new ByteArraySerializer());
                opened.push(() -> producer.close(Duration.ofSeconds(30)));
                receiver = startReceiver(config, producer, metrics.registry(), receiverAckTimeout(producerProps));
                opened.push(receiver);
                metrics.readiness("ingest", kafkaCheck);
            }
            metrics.started();
            if (metrics.healthUrl() != null) {
                BulwarkCommand.say("metrics: " + metrics.url() + "; health: " + metrics.healthUrl() + "/readyz, /livez");
            }
            return new BulwarkRuntime(pipeline, receiver, api, opened);
        } catch (IOException | InterruptedException | RuntimeException e) {
            closeAll(opened);
            throw e;
        }
    }

    /**
     * How long the receiver waits for Kafka's acknowledgement before answering 503: longer than the producer's
     * {@code delivery.timeout.ms}, so a 503 means the producer gave the records up, never that they may still arrive.
     */
    static Duration receiverAckTimeout(Map<String, Object> producerProps) {
        Object delivery = producerProps.get(org.apache.kafka.clients.producer.ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG);
        return Duration.ofMillis(Long.parseLong(String.valueOf(delivery))).plusSeconds(10);
    }

    /** Creates the configured topics that are missing, and says which. */
    static void ensureTopics(BulwarkConfig config) throws InterruptedException {
        ensureTopics(new KafkaClients(config));
    }

    private static void ensureTopics(KafkaClients kafka) throws InterruptedException {
        List<String> created = kafka.ensureTopics();
        String prefix = kafka.topics().prefix();
        String names = kafka.topics().all().stream().map(topic -> topic.name().substring(prefix.length()))
                .collect(java.util.stream.Collectors.joining(","));
        BulwarkCommand.say(created.isEmpty() ? "topics present: " + prefix + "{" + names + "}" : "created topics " + created);
    }

    /** Something that creates the missing topics. */
    @FunctionalInterface
    interface TopicCreation {
        void run() throws InterruptedException;
    }

    /**
     * Creates the missing topics, unless this process's Kafka user may not: then says so and leaves them to the admin.
     *
     * <p>Why: a component that runs as its own user (one process per component, {@code kafka.security.username}, as on
     * Kubernetes) holds only its own ACLs. It sees only its own topics, so the others look missing, and it may create
     * none; creating topics is the admin's job (KafkaTopic resources, {@code bulwark local up}). Each component checks
     * at start that its user can use the topics it needs and names any it cannot, so nothing is lost by going on.
     *
     * @return whether the topics were checked (and created where missing)
     */
    static boolean createTopicsWhereAllowed(TopicCreation creation, String principal) throws InterruptedException {
        try {
            creation.run();
            return true;
        } catch (IllegalStateException e) {
            if (!(e.getCause() instanceof org.apache.kafka.common.errors.AuthorizationException)) {
                throw e;
            }
            BulwarkCommand.say("topics left to the admin: the Kafka user " + principal + " may not create topics or see "
                    + "them all (" + e.getCause().getMessage() + "); the access check names any this component lacks");
            return false;
        }
    }

    /** Blocks until SIGTERM or Ctrl-C; the callers' try-with-resources then stops the components in order. */
    static void awaitSignal() throws InterruptedException {
        awaitSignal(new java.util.concurrent.CompletableFuture<>());
    }

    /** Blocks until SIGTERM or Ctrl-C, or until {@code failed} completes (a component that cannot go on). */
    static void awaitSignal(java.util.concurrent.CompletableFuture<?> failed) throws InterruptedException {
        CountDownLatch signal = new CountDownLatch(1);
        failed.whenComplete((x, e) -> signal.countDown());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            signal.countDown();
            try {
                stopped.await(60, TimeUnit.SECONDS); // let the caller close everything before the JVM exits
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "bulwark-shutdown"));
        BulwarkCommand.say("press Ctrl-C to stop");
        try {
            signal.await();
        } finally {
            STOPPED.set(stopped);
        }
    }

    /** Set when a signal arrived; counted down once the runtime is closed, so the shutdown hook may return. */
    private static final java.util.concurrent.atomic.AtomicReference<CountDownLatch> STOPPED =
            new java.util.concurrent.atomic.AtomicReference<>();

    /**
     * Starts the API described by the configuration and says where it listens. With no token configured on a loopback
     * address, a SOC token is generated for this process and printed once; beyond loopback, tokens are required.
     */
    static ApiServer startApi(BulwarkConfig config, ElasticsearchClient client) throws IOException {
        ApiTokens tokens = config.apiTokens();
        OidcPrincipals oidc = config.apiOidc();
        String generated = null;
        if (tokens.isEmpty() && oidc == null) {
            if (!isLoopback(config.api.host)) {
                throw new IllegalArgumentException("the query API on " + config.api.host + " needs tokens: set "
                        + "api.oidc.issuer, api.tokens or BULWARK_API_TOKENS=<token>=soc,<token>=tenant:<name> (tokens: openssl rand -hex 24)");
            }
            byte[] random = new byte[24];
            new SecureRandom().nextBytes(random);
            generated = HexFormat.of().formatHex(random);
            tokens = ApiTokens.of(List.of(new ApiTokens.Entry(generated, "soc", "local-soc")));
        }
        ConsoleLogin.Settings login = config.consoleLogin();
        ApiServer server = new ApiServer(new ApiServer.Settings(config.api.host, config.api.port, config.api.threads,
                        config.httpLimits(), config.tls()),
                tokens, oidc, login,
                new FindingsService(client, new FindingIndex(config.elasticsearch.indexPrefix), Clock.systemUTC()));
        BulwarkCommand.say("query API and console on " + server.url() + "/ (OpenAPI: " + server.url() + "/openapi.json)"
                + (oidc == null ? "" : "; OIDC tokens from " + config.api.oidc.issuer)
                + (login == null ? "" : "; the console signs in at " + login.publicUrl() + "/auth/login as client "
                        + login.clientId()));
        if (generated != null) {
            BulwarkCommand.say("no API tokens configured: this run accepts the SOC token " + generated
                    + " (set BULWARK_API_TOKENS to choose your own)");
        }
        return server;
    }

    private static boolean isLoopback(String host) {
        return "127.0.0.1".equals(host) || "localhost".equals(host) || "::1".equals(host) || host.startsWith("127.");
    }

    /** Starts the receiver described by the configuration and says where it listens. */
    static IngestReceiver startReceiver(BulwarkConfig config, KafkaProducer<String, byte[]> producer, MeterRegistry registry,
                                        Duration ackTimeout) throws java.io.IOException {
        IngestReceiver.Settings settings = new IngestReceiver.Settings(config.ingest.host, config.ingest.port,
                config.ingest.maxBodyBytes, config.ingest.maxRecordBytes, config.ingest.tokens, 8, ackTimeout,
                config.httpLimits()).withTls(config.tls()).withOidc(config.ingestOidc());
        IngestReceiver receiver = new IngestReceiver(settings, producer, Topics.withPrefix(config.kafka.topicPrefix), registry,
                config.ingest.tenantKeys, config.eventTimePolicy());
        BulwarkCommand.say("ingest receiver on " + receiver.url() + " (POST /v1/falco, /v1/k8s-audit, /v1/ingest/{format})"
                + (settings.authenticates() ? "; bearer token required" : "; no token required"));
        if (!settings.authenticates() && !"127.0.0.1".equals(config.ingest.host) && !"localhost".equals(config.ingest.host)) {
            BulwarkCommand.say("WARNING: listening beyond loopback without tokens; set BULWARK_INGEST_TOKENS");
        }
        return receiver;
    }

    /** The detectors and sink of this process, or null when it runs neither. */
    public Pipeline pipeline() {
        return pipeline;
    }

    /** The ingest receiver, or null. */
    public IngestReceiver receiver() {
        return receiver;
    }

    /** The query API, or null. */
    public ApiServer api() {
        return api;
    }

    /** Stops every component in the reverse order of their start: the receiver first, the sink and detectors last. */
    @Override
    public void close() {
        closeAll(started);
        CountDownLatch stopped = STOPPED.getAndSet(null);
        if (stopped != null) {
            stopped.countDown();
        }
    }

    private static void closeAll(Deque<AutoCloseable> opened) {
        while (!opened.isEmpty()) {
            AutoCloseable next = opened.pop();
            try {
                next.close();
            } catch (Exception e) {
                System.err.println("bulwark: error while stopping " + next.getClass().getSimpleName() + ": " + e);
            }
        }
    }

    /** Health checks shared by the components: each says why something cannot work, or returns null. */
    static final class HealthChecks {

        private HealthChecks() {
        }

        /** The first failing check's reason, or null. */
        @SafeVarargs
        static Supplier<String> all(Supplier<String>... checks) {
            return () -> {
                for (Supplier<String> check : checks) {
                    String reason = check.get();
                    if (reason != null) {
                        return reason;
                    }
                }
                return null;
            };
        }

        /** Elasticsearch answers a cluster-health request and is not red (checked at most once a second). */
        static Supplier<String> elasticsearch(ElasticsearchClient client, String url) {
            return cached(() -> {
                try {
                    var health = client.cluster().health(h -> h.timeout(t -> t.time("2s")));
                    return health.status() == co.elastic.clients.elasticsearch._types.HealthStatus.Red
                            ? "Elasticsearch at " + url + " reports status red" : null;
                } catch (IOException | RuntimeException e) {
                    return "Elasticsearch at " + url + " is unreachable: " + e.getMessage();
                }
            });
        }

        /** The Kafka cluster answers a describe-cluster request within 5 s (checked at most once a second). */
        static Supplier<String> kafka(Admin admin, String bootstrap) {
            return cached(() -> {
                try {
                    int nodes = admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).size();
                    return nodes > 0 ? null : "Kafka at " + bootstrap + " reports no broker";
                } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                    return "Kafka at " + bootstrap + " is unreachable: " + e;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return "interrupted";
                }
            });
        }

        /** {@code check}, re-run at most once a second so probes cannot hammer the backends. */
        static Supplier<String> cached(Supplier<String> check) {
            return new Supplier<>() {
                private long checkedAt = Long.MIN_VALUE;
                private String last;

                @Override
                public synchronized String get() {
                    long now = System.nanoTime();
                    if (checkedAt == Long.MIN_VALUE || now - checkedAt > TimeUnit.SECONDS.toNanos(1)) {
                        last = check.get();
                        checkedAt = now;
                    }
                    return last;
                }
            };
        }
    }
}
