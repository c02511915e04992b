package dev.bulwark.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import dev.bulwark.config.Field;
import dev.bulwark.config.Fields;
import dev.bulwark.config.Settings;
import dev.bulwark.config.Type;
import dev.bulwark.config.Validator;

/**
 * Bulwark's configuration: one YAML file with environment variables on top, every key declared once below with its
 * type, default, environment variable, documentation and validator ({@link #FIELDS}).
 *
 * <p>Why: the README's table and {@code bulwark.example.yaml} are generated from these declarations (a test fails
 * when either is stale), so the code, the docs and the example cannot drift. Precedence: environment variable, then
 * the file, then the default. Unknown keys are errors listing the valid ones, so a typo never silently falls back to a
 * default. Durations are written one way everywhere ({@code 500ms}, {@code 30s}, {@code 10m}, {@code 1h30m}).
 */
public final class BulwarkConfig {

    /** Kafka connection and topics. */
    public static final class Kafka {
        public String bootstrap;
        public String topicPrefix;
        public int partitions;
        public short replicationFactor;
        public Duration sessionTimeout;
        public Map<String, String> properties = Map.of();
        /** How clients reach a secured cluster; see {@link KafkaSecurity}. */
        public final Security security = new Security();
    }

    /** Kafka transport security and credentials. */
    public static final class Security {
        public String protocol;
        public java.nio.file.Path caFile;
        public java.nio.file.Path certFile;
        public java.nio.file.Path keyFile;
        public String mechanism;
        public String username;
        public String password;
        public java.nio.file.Path passwordFile;
        public java.nio.file.Path credentialsFile;
    }

    /** Elasticsearch connection and index names. */
    public static final class Elasticsearch {
        public String url;
        public String username;
        public String password;
        public String apiKey;
        public String indexPrefix;
        public String refresh;
        public java.nio.file.Path caFile;
        public String caFingerprint;
        public java.nio.file.Path passwordFile;
        public java.nio.file.Path credentialsFile;
    }

    /** Who connects to Elasticsearch: each with its own user when elasticsearch.credentialsFile names one. */
    public enum EsUser {
        /** Creates roles and users ({@code bulwark security es-setup}). */
        ADMIN,
        /** Writes findings, manages their index template and aliases. */
        SINK,
        /** Reads findings and records triage (the query API, {@code findings}, the demo's check). */
        API;

        String key() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Detection topology settings. */
    public static final class Detection {
        public String applicationId;
        public String instanceId;
        public boolean exactlyOnce;
        public List<String> disabled = List.of();
        public List<String> plugins = List.of();
        public Duration contextWait;
        public Duration sessionGrace;
        public Duration sessionWait;
        public Duration sessionIdle;
        public int sessionMaxProcesses;
        public Duration sessionRetention;
        public boolean risk;
        public Duration riskHalfLife;
        public boolean incidents;
        public double incidentThreshold;
        public Duration incidentWindow;
        public Duration incidentIdle;
        public int maxPendingEvents;
        public int streamThreads;
        public int maxFindingBytes;
        public int ruleTelemetry;
        public Duration ruleStatsInterval;
        public boolean compliance;
        public Duration complianceInterval;
        /** Per-detector settings, by detector name; checked against each detector's declared settings at start. */
        public Map<String, Map<String, Object>> detectors = new LinkedHashMap<>();
    }

    /** Ingest settings: the HTTP receiver. */
    public static final class Ingest {
        public String host;
        public int port;
        public List<String> tokens = List.of();
        public int maxBodyBytes;
        public int maxRecordBytes;
        public List<String> tenantKeys = List.of();
        public IngestOidc oidc = new IngestOidc();
    }

    /** One query API token: the secret, its role ({@code soc} or {@code tenant:<name>}) and an optional name. */
    public static final class ApiToken {
        public String token;
        public String role;
        public String name;
    }

    /** The findings query API and console. */
    public static final class Api {
        public String host;
        public int port;
        public List<ApiToken> tokens = List.of();
        public int threads;
        public String publicUrl;
        public ApiOidc oidc = new ApiOidc();
    }

    /** The bounds of event time. */
    public static final class EventTime {
        public Duration maxFuture;
        public Duration maxAge;
        public String outOfRange;
    }

    /** Limits of the HTTP servers (receiver, API, metrics). */
    public static final class Http {
        public Duration idleTimeout;
        public Duration headerTimeout;
        public Duration bodyTimeout;
        public Duration responseTimeout;
        public int maxConnections;
        public int maxRequestsPerConnection;
        public int maxHeaderBytes;
        public HttpTls tls = new HttpTls();
    }

    // --- HTTPS and OIDC of the HTTP servers -------------------------------------------------------------------------

    /** The certificate the HTTP servers (receiver, API, metrics) serve HTTPS with; none set = plain HTTP. */
    public static final class HttpTls {
        public String certFile;
        public String keyFile;
        public String keystoreFile;
        public String keystorePassword;
        public String keystorePasswordFile;
    }

    /** OIDC bearer tokens of the query API. */
    public static final class ApiOidc {
        public String issuer;
        public List<String> audience = List.of();
        public String rolesClaim;
        public List<String> socGroups = List.of();
        public String tenantGroupPrefix;
        public Duration clockSkew;
        public String clientId;
        public Path clientSecretFile;
        public String redirectUri;
        public List<String> scopes = List.of();
        public Duration sessionTtl;
    }

    /** OIDC bearer tokens of the ingest receiver. */
    public static final class IngestOidc {
        public String issuer;
        public List<String> audience = List.of();
        public String rolesClaim;
        public List<String> senderGroups = List.of();
        public Duration clockSkew;
    }

    /** Notifications: the routes to webhooks, Slack and Alertmanager (docs/notifications.md). */
    public static final class Notify {
        public List<dev.bulwark.notify.Route> routes = List.of();
        public boolean allowPlainHttp;
    }

    /** Metrics and health endpoints. */
    public static final class Metrics {
        public String host;
        public int port;
    }

    public Kafka kafka = new Kafka();
    public Elasticsearch elasticsearch = new Elasticsearch();
    public Detection detection = new Detection();
    public Metrics metrics = new Metrics();
    public Ingest ingest = new Ingest();
    public Api api = new Api();
    public Notify notify = new Notify();
    public EventTime eventTime = new EventTime();
    public Http http = new Http();
    /** Tenant name to the namespaces it owns. */
    public Map<String, List<String>> tenants = new LinkedHashMap<>();
    /** State folder; see {@link #homeDir()}. */
    public String home;

    // ---------------------------------------------------------------------------------------------------------------
    // The declarations. Order here is the order of the README table and of bulwark.example.yaml.
    // ---------------------------------------------------------------------------------------------------------------

    /** A declaration and where its value goes. */
    private record Bound<T>(Field<T> field, BiConsumer<BulwarkConfig, T> setter) {
        void apply(BulwarkConfig config, Settings settings) {
            T value = settings.get(field);
            if (value != null) {
                setter.accept(config, value);
            }
        }
    }

    private static final List<Bound<?>> BOUND = new ArrayList<>();

    private static <T> Field<T> bind(Field<T> field, BiConsumer<BulwarkConfig, T> setter) {
        BOUND.add(new Bound<>(field, setter));
        return field;
    }

    static final Field<String> KAFKA_BOOTSTRAP = bind(Field.of("kafka.bootstrap", Type.STRING)
            .withDefault("127.0.0.1:9092").withEnv("BULWARK_KAFKA_BOOTSTRAP").withValidator(Validator.nonBlank())
            .withDoc("Kafka bootstrap servers, host:port[,host:port...]."), (c, v) -> c.kafka.bootstrap = v);
    static final Field<String> KAFKA_TOPIC_PREFIX = bind(Field.of("kafka.topicPrefix", Type.STRING)
            .withDefault("bulwark.").withEnv("BULWARK_TOPIC_PREFIX")
            .withValidator(Validator.of((String s) -> s.matches("[a-zA-Z0-9._-]*"), "letters, digits, '.', '_', '-'"))
            .withDoc("Topics are <prefix>events, context, context-directory, context-history, exec-sessions, rules, "
                    + "findings, dlq, compliance, rule-overrides and rule-stats."),
            (c, v) -> c.kafka.topicPrefix = v);
    static final Field<Integer> KAFKA_PARTITIONS = bind(Field.of("kafka.partitions", Type.INT).withDefault(3)
            .withEnv("BULWARK_TOPIC_PARTITIONS").withValidator(Validator.range(1, 10_000))
            .withDoc("Partitions of the topics Bulwark creates (existing topics are left as they are)."),
            (c, v) -> c.kafka.partitions = v);
    static final Field<Integer> KAFKA_REPLICATION = bind(Field.of("kafka.replicationFactor", Type.INT).withDefault(1)
            .withEnv("BULWARK_TOPIC_REPLICATION").withValidator(Validator.range(1, 32))
            .withDoc("Replication factor of the topics Bulwark creates; 3 on a production cluster."),
            (c, v) -> c.kafka.replicationFactor = v.shortValue());
    static final Field<Duration> KAFKA_SESSION_TIMEOUT = bind(Field.of("kafka.sessionTimeout", Type.DURATION)
            .withDefault(Duration.ofSeconds(10)).withEnv("BULWARK_KAFKA_SESSION_TIMEOUT")
            .withValidator(Validator.between(Duration.ofSeconds(6), Duration.ofMinutes(30)))
            .withDoc("How long a consumer group waits for a member that stopped without leaving (crash, kill -9) before "
                    + "moving its partitions: the bound on the detection gap when an instance dies for good."),
            (c, v) -> c.kafka.sessionTimeout = v);
    static final Field<String> KAFKA_SECURITY_PROTOCOL = bind(Field.of("kafka.security.protocol", Type.STRING)
            .withDefault("PLAINTEXT").withEnv("BULWARK_KAFKA_SECURITY_PROTOCOL")
            .withValidator(Validator.oneOf("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"))
            .withDoc("How every Kafka client connects: SASL_SSL (TLS and a SCRAM user) on a secured cluster, SSL for TLS "
                    + "alone or mutual TLS."), (c, v) -> c.kafka.security.protocol = v);
    static final Field<java.nio.file.Path> KAFKA_CA_FILE = bind(Field.of("kafka.security.caFile", Type.PATH)
            .withEnv("BULWARK_KAFKA_CA_FILE").withExample("/etc/bulwark/kafka-ca.pem")
            .withDoc("PEM certificates of the CA that signed the brokers' certificates; unset, the JDK's trusted CAs."),
            (c, v) -> c.kafka.security.caFile = v);
    static final Field<java.nio.file.Path> KAFKA_CERT_FILE = bind(Field.of("kafka.security.certFile", Type.PATH)
            .withEnv("BULWARK_KAFKA_CERT_FILE").withExample("/etc/bulwark/kafka-client.pem")
            .withDoc("Mutual TLS: the client's PEM certificate chain (with kafka.security.keyFile)."),
            (c, v) -> c.kafka.security.certFile = v);
    static final Field<java.nio.file.Path> KAFKA_KEY_FILE = bind(Field.of("kafka.security.keyFile", Type.PATH)
            .withEnv("BULWARK_KAFKA_KEY_FILE").withExample("/etc/bulwark/kafka-client.key")
            .withDoc("Mutual TLS: the client's unencrypted PKCS#8 PEM private key; keep it readable by its owner only."),
            (c, v) -> c.kafka.security.keyFile = v);
    static final Field<String> KAFKA_SASL_MECHANISM = bind(Field.of("kafka.security.mechanism", Type.STRING)
            .withDefault("SCRAM-SHA-512").withEnv("BULWARK_KAFKA_SASL_MECHANISM")
            .withValidator(Validator.oneOf("SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"))
            .withDoc("SASL mechanism of the SASL protocols."), (c, v) -> c.kafka.security.mechanism = v);
    static final Field<String> KAFKA_USERNAME = bind(Field.of("kafka.security.username", Type.STRING)
            .withEnv("BULWARK_KAFKA_USERNAME").withExample("bulwark-detectors")
            .withDoc("SASL user of every component without an entry in kafka.security.credentialsFile."),
            (c, v) -> c.kafka.security.username = v);
    static final Field<String> KAFKA_PASSWORD = bind(Field.of("kafka.security.password", Type.PASSWORD)
            .withEnv("BULWARK_KAFKA_PASSWORD")
            .withDoc("Password of kafka.security.username; prefer the variable or kafka.security.passwordFile to the "
                    + "configuration file."), (c, v) -> c.kafka.security.password = v);
    static final Field<java.nio.file.Path> KAFKA_PASSWORD_FILE = bind(Field.of("kafka.security.passwordFile", Type.PATH)
            .withEnv("BULWARK_KAFKA_PASSWORD_FILE").withExample("/run/secrets/kafka-password")
            .withDoc("A file holding the password of kafka.security.username (its first line)."),
            (c, v) -> c.kafka.security.passwordFile = v);
    static final Field<java.nio.file.Path> KAFKA_CREDENTIALS_FILE = bind(Field.of("kafka.security.credentialsFile",
                    Type.PATH).withEnv("BULWARK_KAFKA_CREDENTIALS_FILE").withExample("/etc/bulwark/kafka-credentials.properties")
            .withDoc("One identity per component, for processes that run several: lines <component>.username= and "
                    + "<component>.password= (SASL), or <component>.certFile= and <component>.keyFile= (mutual TLS, "
                    + "paths relative to the file), for ingest, detectors, sink, rules, context, api, notify and admin (docs/security.md)."),
            (c, v) -> c.kafka.security.credentialsFile = v);
    static final Field<Map<String, String>> KAFKA_PROPERTIES = bind(Field.of("kafka.properties", Type.STRING_MAP)
            .withDefault(Map.of())
            .withDoc("Any other Kafka client setting, passed to every client Bulwark creates (client.rack, compression, "
                    + "a SASL mechanism kafka.security does not offer, ...), applied after kafka.security.*. Settings "
                    + "Bulwark owns (acks, group.id, ...) are refused.")
            .withExample("\n  client.rack: eu-west-1a\n  compression.type: zstd"),
            (c, v) -> {
                KafkaClients.validate(v);
                c.kafka.properties = v;
            });

    static final Field<String> ES_URL = bind(Field.of("elasticsearch.url", Type.STRING)
            .withDefault("http://127.0.0.1:9200").withEnv("BULWARK_ES_URL")
            .withValidator(Validator.of((String s) -> s.matches("https?://.+"), "an http:// or https:// URL"))
            .withDoc("Elasticsearch URL."), (c, v) -> c.elasticsearch.url = v);
    static final Field<String> ES_USERNAME = bind(Field.of("elasticsearch.username", Type.STRING)
            .withEnv("BULWARK_ES_USERNAME").withExample("bulwark").withDoc("Basic-auth user."),
            (c, v) -> c.elasticsearch.username = v);
    static final Field<String> ES_PASSWORD = bind(Field.of("elasticsearch.password", Type.PASSWORD)
            .withEnv("BULWARK_ES_PASSWORD").withExample("changeme").withDoc("Basic-auth password."),
            (c, v) -> c.elasticsearch.password = v);
    static final Field<String> ES_API_KEY = bind(Field.of("elasticsearch.apiKey", Type.PASSWORD)
            .withEnv("BULWARK_ES_API_KEY").withExample("base64(id:key)")
            .withDoc("API key; takes precedence over username and password."), (c, v) -> c.elasticsearch.apiKey = v);
    static final Field<java.nio.file.Path> ES_PASSWORD_FILE = bind(Field.of("elasticsearch.passwordFile", Type.PATH)
            .withEnv("BULWARK_ES_PASSWORD_FILE").withExample("/run/secrets/es-password")
            .withDoc("A file holding the basic-auth password (its first line), instead of elasticsearch.password."),
            (c, v) -> c.elasticsearch.passwordFile = v);
    static final Field<java.nio.file.Path> ES_CREDENTIALS_FILE = bind(Field.of("elasticsearch.credentialsFile", Type.PATH)
            .withEnv("BULWARK_ES_CREDENTIALS_FILE").withExample("/etc/bulwark/es-credentials.properties")
            .withDoc("One identity per role, for processes that run several: lines <role>.username= and "
                    + "<role>.password=, or <role>.apiKey=, for sink, api and admin (bulwark security es-setup writes "
                    + "them; docs/security.md)."),
            (c, v) -> c.elasticsearch.credentialsFile = v);
    static final Field<java.nio.file.Path> ES_CA_FILE = bind(Field.of("elasticsearch.caFile", Type.PATH)
            .withEnv("BULWARK_ES_CA_FILE").withExample("/etc/bulwark/es-http-ca.crt")
            .withDoc("HTTPS: PEM certificate of the CA that signed the nodes' HTTP certificates (Elasticsearch's "
                    + "config/certs/http_ca.crt)."), (c, v) -> c.elasticsearch.caFile = v);
    static final Field<String> ES_CA_FINGERPRINT = bind(Field.of("elasticsearch.caFingerprint", Type.STRING)
            .withEnv("BULWARK_ES_CA_FINGERPRINT").withExample("a1b2c3...")
            .withValidator(Validator.of((String s) -> s.replace(":", "").matches("[0-9a-fA-F]{64}"), "64 hex digits (SHA-256)"))
            .withDoc("HTTPS: the SHA-256 fingerprint of that CA certificate, instead of elasticsearch.caFile."),
            (c, v) -> c.elasticsearch.caFingerprint = v);
    static final Field<String> ES_REFRESH = bind(Field.of("elasticsearch.refresh", Type.STRING)
            .withDefault("false").withEnv("BULWARK_ES_REFRESH")
            .withValidator(Validator.of((String s) -> s.equals("false") || s.equals("wait_for"), "false or wait_for"))
            .withDoc("false: a finding is searchable at the index's next refresh (1 s), and the sink moves on at once; "
                    + "wait_for: each bulk request returns once its findings are searchable (read-after-write), which "
                    + "costs sink throughput (docs/benchmarks.md)."),
            (c, v) -> c.elasticsearch.refresh = v);
    static final Field<String> ES_INDEX_PREFIX = bind(Field.of("elasticsearch.indexPrefix", Type.STRING)
            .withDefault("bulwark-findings").withEnv("BULWARK_INDEX_PREFIX")
            .withValidator(Validator.of((String s) -> s.matches("[a-z0-9][a-z0-9._-]*"), "lower-case letters, digits, '.', '_', '-'"))
            .withDoc("Daily indices <prefix>-YYYY.MM.DD behind the alias <prefix>."), (c, v) -> c.elasticsearch.indexPrefix = v);

    static final Field<String> DETECTION_APPLICATION_ID = bind(Field.of("detection.applicationId", Type.STRING)
            .withDefault("bulwark-detectors").withEnv("BULWARK_APPLICATION_ID").withValidator(Validator.nonBlank())
            .withDoc("Kafka Streams application id: consumer group and internal topic prefix of the detectors; the sink's "
                    + "group is <applicationId>-sink."), (c, v) -> c.detection.applicationId = v);
    static final Field<String> DETECTION_INSTANCE_ID = bind(Field.of("detection.instanceId", Type.STRING)
            .withEnv("BULWARK_INSTANCE_ID").withExample("bulwark-detectors-0")
            .withDoc("Stable identity of this instance in its consumer groups (static membership), e.g. the pod name of a "
                    + "StatefulSet; by default the host name and a digest of home."), (c, v) -> c.detection.instanceId = v);
    static final Field<Boolean> DETECTION_EXACTLY_ONCE = bind(Field.of("detection.exactlyOnce", Type.BOOLEAN)
            .withDefault(false).withEnv("BULWARK_EXACTLY_ONCE")
            .withDoc("exactly_once_v2 instead of at-least-once (findings have deterministic ids either way)."),
            (c, v) -> c.detection.exactlyOnce = v);
    static final Field<List<String>> DETECTION_DISABLED = bind(Field.of("detection.disabled", Type.LIST)
            .withDefault(List.of()).withEnv("BULWARK_DISABLED_DETECTORS").withDoc("Detector names to switch off."),
            (c, v) -> c.detection.disabled = v);
    static final Field<List<String>> DETECTION_PLUGINS = bind(Field.of("detection.plugins", Type.LIST)
            .withDefault(List.of()).withEnv("BULWARK_PLUGINS")
            .withDoc("Detector plugin jars, or folders of jars (comma-separated in the variable)."),
            (c, v) -> c.detection.plugins = v);
    static final Field<Duration> DETECTION_CONTEXT_WAIT = bind(Field.of("detection.contextWait", Type.DURATION)
            .withDefault(Duration.ofSeconds(2)).withValidator(Validator.between(Duration.ZERO, Duration.ofMinutes(10)))
            .withDoc("How long an event of a namespace without tenant context waits for it before going on unattributed."),
            (c, v) -> c.detection.contextWait = v);
    static final Field<Duration> DETECTION_SESSION_GRACE = bind(Field.of("detection.sessionGrace", Type.DURATION)
            .withDefault(Duration.ofSeconds(10)).withValidator(Validator.between(Duration.ZERO, Duration.ofMinutes(10)))
            .withDoc("How far apart a kubectl exec's audit event and the process the container runtime started for it "
                    + "may be (event time) (docs/sessions.md)."),
            (c, v) -> c.detection.sessionGrace = v);
    static final Field<Duration> DETECTION_SESSION_WAIT = bind(Field.of("detection.sessionWait", Type.DURATION)
            .withDefault(Duration.ofSeconds(2)).withValidator(Validator.between(Duration.ZERO, Duration.ofMinutes(10)))
            .withDoc("How long (wall clock) a process that looks exec'd (runc exec, or a terminal) waits for its audit "
                    + "event when the audit log lags the runtime sensor; its findings wait with it. 0s: never wait, "
                    + "attribute only when the audit event came first."),
            (c, v) -> c.detection.sessionWait = v);
    static final Field<Duration> DETECTION_SESSION_IDLE = bind(Field.of("detection.sessionIdle", Type.DURATION)
            .withDefault(Duration.ofHours(12)).withValidator(Validator.between(Duration.ofMinutes(1), Duration.ofDays(30)))
            .withDoc("How long a process of an exec session is followed (to its children) after it was last seen."),
            (c, v) -> c.detection.sessionIdle = v);
    static final Field<Integer> DETECTION_SESSION_MAX_PROCESSES = bind(Field.of("detection.sessionMaxProcesses",
                    Type.INT)
            .withDefault(100_000).withValidator(Validator.range(0, 10_000_000))
            .withDoc("Most processes of exec sessions followed at once (per task); beyond it, new ones are attributed "
                    + "but not followed to their children."),
            (c, v) -> c.detection.sessionMaxProcesses = v);
    static final Field<Duration> DETECTION_SESSION_RETENTION = bind(Field.of("detection.sessionRetention",
                    Type.DURATION)
            .withDefault(Duration.ofHours(24)).withValidator(Validator.between(Duration.ofMinutes(1), Duration.ofDays(30)))
            .withDoc("How long an exec session stays known (on every detector instance) for processes to join it."),
            (c, v) -> c.detection.sessionRetention = v);
    static final Field<Boolean> DETECTION_RISK = bind(Field.of("detection.risk", Type.BOOLEAN).withDefault(true)
            .withDoc("Score entity risk from findings (pods, controllers, images, identities, tenants) onto the "
                    + "entity-risk topic, which the sink indexes and GET /api/entities serves (docs/risk.md)."),
            (c, v) -> c.detection.risk = v);
    static final Field<Duration> DETECTION_RISK_HALF_LIFE = bind(Field.of("detection.riskHalfLife", Type.DURATION)
            .withDefault(Duration.ofHours(4)).withValidator(Validator.between(Duration.ofMinutes(1), Duration.ofDays(365)))
            .withDoc("How long an entity's risk takes to halve, in event time."),
            (c, v) -> c.detection.riskHalfLife = v);
    static final Field<Boolean> DETECTION_INCIDENTS = bind(Field.of("detection.incidents", Type.BOOLEAN)
            .withDefault(true)
            .withDoc("Group related findings into incidents on the incidents topic (docs/incidents.md)."),
            (c, v) -> c.detection.incidents = v);
    static final Field<Integer> DETECTION_INCIDENT_THRESHOLD = bind(Field.of("detection.incidentThreshold", Type.INT)
            .withDefault(300).withValidator(Validator.range(1, 1_000_000))
            .withDoc("The risk of one entity (pod, identity, exec session) that opens an incident."),
            (c, v) -> c.detection.incidentThreshold = v);
    static final Field<Duration> DETECTION_INCIDENT_WINDOW = bind(Field.of("detection.incidentWindow", Type.DURATION)
            .withDefault(Duration.ofMinutes(30)).withValidator(Validator.between(Duration.ofMinutes(1), Duration.ofDays(1)))
            .withDoc("How far apart (event time) findings of two detectors on one entity open an incident."),
            (c, v) -> c.detection.incidentWindow = v);
    static final Field<Duration> DETECTION_INCIDENT_IDLE = bind(Field.of("detection.incidentIdle", Type.DURATION)
            .withDefault(Duration.ofHours(1)).withValidator(Validator.between(Duration.ofMinutes(1), Duration.ofDays(30)))
            .withDoc("How long after its latest finding (event time) an incident is still joined; later, a new one opens."),
            (c, v) -> c.detection.incidentIdle = v);
    static final Field<Boolean> DETECTION_COMPLIANCE = bind(Field.of("detection.compliance", Type.BOOLEAN)
            .withDefault(true)
            .withDoc("Keep the compliance posture (docs/compliance.md): judge the control catalogue against the tenant "
                    + "context and ingested reports, and publish a snapshot to the compliance topic when it changes and "
                    + "daily."),
            (c, v) -> c.detection.compliance = v);
    static final Field<Duration> DETECTION_COMPLIANCE_INTERVAL = bind(Field.of("detection.complianceInterval",
                    Type.DURATION)
            .withDefault(Duration.ofSeconds(30)).withValidator(Validator.between(Duration.ofSeconds(1), Duration.ofHours(1)))
            .withDoc("How often the posture is judged; a snapshot is published only when a result changed, and on the "
                    + "first judgement of each UTC day."),
            (c, v) -> c.detection.complianceInterval = v);
    static final Field<Integer> DETECTION_MAX_PENDING = bind(Field.of("detection.maxPendingEvents", Type.INT)
            .withDefault(10_000).withValidator(Validator.range(0, 10_000_000))
            .withDoc("Events held waiting for context at once (per task); beyond it they go on at once."),
            (c, v) -> c.detection.maxPendingEvents = v);
    static final Field<Integer> DETECTION_THREADS = bind(Field.of("detection.streamThreads", Type.INT).withDefault(1)
            .withEnv("BULWARK_DETECTION_THREADS").withValidator(Validator.range(1, 64))
            .withDoc("Kafka Streams threads of the detectors (useful up to one per input partition)."),
            (c, v) -> c.detection.streamThreads = v);
    static final Field<Integer> DETECTION_MAX_FINDING_BYTES = bind(Field.of("detection.maxFindingBytes", Type.INT)
            .withDefault(dev.bulwark.detectors.api.FindingBounds.DEFAULT_MAX_BYTES)
            .withValidator(Validator.range(dev.bulwark.detectors.api.FindingBounds.MIN_MAX_BYTES, 900 * 1024))
            .withDoc("Largest finding, serialized: longer texts in it (command lines, paths, evidence) are cut and "
                    + "evidence.truncated is set, so no event can make a finding Kafka refuses."),
            (c, v) -> c.detection.maxFindingBytes = v);
    static final Field<Integer> DETECTION_RULE_LABELS = bind(Field.of("detection.ruleTelemetry", Type.INT)
            .withDefault(dev.bulwark.detection.RuleTelemetryRegistry.DEFAULT_MAX_RULES)
            .withValidator(Validator.range(0, 100_000))
            .withDoc("Rules with a series of their own on the metrics endpoint (bulwark_rule_*{detector, rule}: "
                    + "evaluations, time, matches, findings, folded, latency, last match); later rules count under "
                    + "rule=\"other\" there, while GET /api/rules and 'rules list --stats' still rank every rule; "
                    + "0 turns per-rule telemetry off."),
            (c, v) -> c.detection.ruleTelemetry = v);
    static final Field<Duration> DETECTION_RULE_STATS_INTERVAL = bind(Field.of("detection.ruleStatsInterval",
                    Type.DURATION).withDefault(Duration.ofSeconds(15))
            .withValidator(Validator.between(Duration.ofSeconds(1), Duration.ofHours(1)))
            .withDoc("How often each detector instance publishes its per-rule telemetry to the rule-stats topic, "
                    + "for GET /api/rules and 'bulwark rules list --stats'."),
            (c, v) -> c.detection.ruleStatsInterval = v);
    static final Field<Map<String, Map<String, Object>>> DETECTION_DETECTORS = bind(Field.of("detection.detectors",
                    Type.of("map", BulwarkConfig::detectorSettings, Object::toString)).withDefault(Map.of())
            .withDoc("Per-detector settings, by detector name; each detector declares its own (docs/configuration.md).")
            .withExample("\n  interactive-shell-in-container:\n    shells: [sh, bash, zsh]\n  sigma:\n    fold-window: 10m"),
            (c, v) -> c.detection.detectors = new LinkedHashMap<>(v));

    static final Field<String> INGEST_HOST = bind(Field.of("ingest.host", Type.STRING).withDefault("127.0.0.1")
            .withEnv("BULWARK_INGEST_HOST").withValidator(Validator.nonBlank())
            .withDoc("Address of the HTTP receiver; beyond loopback only with ingest.tokens or ingest.oidc.issuer set."), (c, v) -> c.ingest.host = v);
    static final Field<Integer> INGEST_PORT = bind(Field.of("ingest.port", Type.INT).withDefault(8088)
            .withEnv("BULWARK_INGEST_PORT").withValidator(Validator.portOrOff())
            .withDoc("Port of the HTTP receiver (POST /v1/falco, /v1/k8s-audit, /v1/ingest/{format}); 0 = off in run."),
            (c, v) -> c.ingest.port = v);
    static final Field<List<String>> INGEST_TOKENS = bind(Field.of("ingest.tokens", Type.PASSWORDS)
            .withDefault(List.of()).withEnv("BULWARK_INGEST_TOKENS")
            .withValidator(Validator.of((List<String> l) -> l.stream().allMatch(t -> t.length() >= 16),
                    "tokens of at least 16 characters (openssl rand -hex 24)"))
            .withDoc("Bearer tokens the receiver accepts (comma-separated in the variable); empty = no authentication."),
            (c, v) -> c.ingest.tokens = v);
    static final Field<Integer> INGEST_MAX_BODY = bind(Field.of("ingest.maxBodyBytes", Type.INT).withDefault(16 << 20)
            .withValidator(Validator.range(1024, Integer.MAX_VALUE))
            .withDoc("Largest request body; a larger one gets 413 and its start is dead-lettered."),
            (c, v) -> c.ingest.maxBodyBytes = v);
    static final Field<Integer> INGEST_MAX_RECORD = bind(Field.of("ingest.maxRecordBytes", Type.INT).withDefault(1 << 20)
            .withValidator(Validator.range(1024, Integer.MAX_VALUE))
            .withDoc("Largest single record (line or JSON document); at most ingest.maxBodyBytes."),
            (c, v) -> c.ingest.maxRecordBytes = v);
    static final Field<List<String>> INGEST_TENANT_KEYS = bind(Field.of("ingest.tenantKeys", Type.LIST)
            .withDefault(List.of("bulwark.io/tenant", "capsule.clastix.io/tenant", "tenant"))
            .withDoc("Namespace label or annotation keys that name its tenant; the first present wins."),
            (c, v) -> c.ingest.tenantKeys = v);

    static final Field<String> API_HOST = bind(Field.of("api.host", Type.STRING).withDefault("127.0.0.1")
            .withEnv("BULWARK_API_HOST").withValidator(Validator.nonBlank())
            .withDoc("Address of the query API and console; beyond loopback only with api.tokens or api.oidc.issuer set."), (c, v) -> c.api.host = v);
    static final Field<Integer> API_PORT = bind(Field.of("api.port", Type.INT).withDefault(8080)
            .withEnv("BULWARK_API_PORT").withValidator(Validator.portOrOff())
            .withDoc("Port of the query API and console; 0 = off in run."), (c, v) -> c.api.port = v);
    static final Field<Integer> API_THREADS = bind(Field.of("api.threads", Type.INT).withDefault(8)
            .withValidator(Validator.range(1, 256)).withDoc("Request threads of the query API."), (c, v) -> c.api.threads = v);
    static final Field<List<ApiToken>> API_TOKENS = bind(Field.of("api.tokens",
                    Type.secret("list of tokens", BulwarkConfig::apiTokens, v -> "******** x" + v.size()))
            .withDefault(List.of()).withEnv("BULWARK_API_TOKENS")
            .withDoc("Bearer tokens and whom they stand for: role soc (all tenants, may triage) or tenant:<name> (that "
                    + "tenant's findings, read-only); tokens of at least 16 characters. The variable takes "
                    + "<token>=<role>[@name],... and replaces the file's list.")
            .withExample("\n  - {token: <openssl rand -hex 24>, role: soc, name: alice}\n"
                    + "  - {token: <openssl rand -hex 24>, role: \"tenant:acme\", name: acme}"),
            (c, v) -> c.api.tokens = v);
    static final Field<String> API_PUBLIC_URL = bind(Field.of("api.publicUrl", Type.STRING)
            .withEnv("BULWARK_API_PUBLIC_URL").withExample("https://bulwark.example.com")
            .withDoc("Where browsers reach the console (scheme://host[:port], no path), behind any proxy; required with "
                    + "api.oidc.clientId. The sign-in's redirect URI and cookies are derived from it, never from a "
                    + "request's Host header. http:// only on loopback (development: the cookies then lose Secure and "
                    + "the __Host- prefix)."),
            (c, v) -> c.api.publicUrl = v);

    static final Field<List<dev.bulwark.notify.Route>> NOTIFY_ROUTES = bind(Field.of("notify.routes",
                    Type.secret("list of routes", raw -> dev.bulwark.notify.Routes.parse("notify.routes", raw, true),
                            v -> v.isEmpty() ? "" : "******** x" + v.size()))
            .withDefault(List.of())
            .withDoc("Where findings and incidents are notified: each route {name, kind: findings|incidents, format: "
                    + "webhook|slack|alertmanager, url, secret, tenant, minSeverity, ratePerMinute, deadLetterAfter, "
                    + "generatorUrl}; run's notify component delivers them, committing only after delivery "
                    + "(docs/notifications.md).")
            .withExample("\n  - {name: soc, kind: incidents, format: webhook, url: \"https://hooks.example.com/x\", "
                    + "secret: <openssl rand -hex 32>}"),
            (c, v) -> c.notify.routes = v);
    static final Field<Boolean> NOTIFY_ALLOW_PLAIN_HTTP = bind(Field.of("notify.allowPlainHttp", Type.BOOLEAN)
            .withDefault(false)
            .withDoc("Allow plain http:// receivers beyond loopback (a trusted network only: signatures and Slack URLs "
                    + "then travel in the clear)."), (c, v) -> c.notify.allowPlainHttp = v);
    static final Field<Duration> EVENT_TIME_MAX_FUTURE = bind(Field.of("eventTime.maxFuture", Type.DURATION)
            .withDefault(Duration.ofMinutes(10)).withEnv("BULWARK_EVENT_TIME_MAX_FUTURE")
            .withValidator(Validator.between(Duration.ZERO, Duration.ofDays(365)))
            .withDoc("How far ahead of now an event's time may be (clock skew); later ones are clamped or dead-lettered "
                    + "at ingest (eventTime.outOfRange), and the sink never names an index after such a time."),
            (c, v) -> c.eventTime.maxFuture = v);
    static final Field<Duration> EVENT_TIME_MAX_AGE = bind(Field.of("eventTime.maxAge", Type.DURATION)
            .withDefault(Duration.ofDays(30)).withEnv("BULWARK_EVENT_TIME_MAX_AGE")
            .withValidator(Validator.between(Duration.ofHours(1), Duration.ofDays(365L * 200)))
            .withDoc("How old an event may be (keep it at most the findings' retention); older ones are clamped or "
                    + "dead-lettered at ingest. Raise it to replay archives."),
            (c, v) -> c.eventTime.maxAge = v);
    static final Field<String> EVENT_TIME_OUT_OF_RANGE = bind(Field.of("eventTime.outOfRange", Type.STRING)
            .withDefault("clamp").withEnv("BULWARK_EVENT_TIME_OUT_OF_RANGE").withValidator(Validator.oneOf("clamp", "dead-letter"))
            .withDoc("clamp: such an event gets the ingest time, its own time kept in attributes bulwark.original_time "
                    + "and bulwark.time_clamped; dead-letter: the record goes to the dead-letter topic with the reason."),
            (c, v) -> c.eventTime.outOfRange = v);

    static final Field<Duration> HTTP_IDLE_TIMEOUT = bind(Field.of("http.idleTimeout", Type.DURATION)
            .withDefault(Duration.ofSeconds(10)).withValidator(Validator.between(Duration.ofSeconds(1), Duration.ofHours(1)))
            .withDoc("The HTTP servers (receiver, API, metrics) close a connection on which nothing moves for this long."),
            (c, v) -> c.http.idleTimeout = v);
    static final Field<Duration> HTTP_HEADER_TIMEOUT = bind(Field.of("http.headerTimeout", Type.DURATION)
            .withDefault(Duration.ofSeconds(10)).withValidator(Validator.between(Duration.ofSeconds(1), Duration.ofHours(1)))
            .withDoc("A request's line and headers must arrive completely within this time, however slowly they trickle."),
            (c, v) -> c.http.headerTimeout = v);
    static final Field<Duration> HTTP_BODY_TIMEOUT = bind(Field.of("http.bodyTimeout", Type.DURATION)
            .withDefault(Duration.ofSeconds(60)).withValidator(Validator.between(Duration.ofSeconds(1), Duration.ofHours(1)))
            .withDoc("A request's whole body must arrive within this time after its headers."),
            (c, v) -> c.http.bodyTimeout = v);
    static final Field<Duration> HTTP_RESPONSE_TIMEOUT = bind(Field.of("http.responseTimeout", Type.DURATION)
            .withDefault(Duration.ofSeconds(60)).withValidator(Validator.between(Duration.ofSeconds(1), Duration.ofHours(1)))
            .withDoc("A client must take a whole response within this time, however slowly it reads; then the "
                    + "connection is closed."),
            (c, v) -> c.http.responseTimeout = v);
    static final Field<Integer> HTTP_MAX_CONNECTIONS = bind(Field.of("http.maxConnections", Type.INT).withDefault(1000)
            .withValidator(Validator.range(1, 1_000_000)).withDoc("Connections open at once, per server."),
            (c, v) -> c.http.maxConnections = v);
    static final Field<Integer> HTTP_MAX_REQUESTS = bind(Field.of("http.maxRequestsPerConnection", Type.INT)
            .withDefault(1000).withValidator(Validator.range(1, 1_000_000))
            .withDoc("After this many requests a connection is closed."), (c, v) -> c.http.maxRequestsPerConnection = v);
    static final Field<Integer> HTTP_MAX_HEADER_BYTES = bind(Field.of("http.maxHeaderBytes", Type.INT)
            .withDefault(16 * 1024).withValidator(Validator.range(1024, 1 << 20))
            .withDoc("Largest request line and headers together; larger ones get 431."),
            (c, v) -> c.http.maxHeaderBytes = v);

    // --- HTTPS and OIDC of the HTTP servers (docs/security.md) -----------------------------------------------------

    static final Field<String> HTTP_TLS_CERT_FILE = bind(Field.of("http.tls.certFile", Type.STRING)
            .withEnv("BULWARK_TLS_CERT_FILE").withExample("/etc/bulwark/tls/tls.crt")
            .withDoc("PEM certificate chain (server certificate first) for HTTPS on the receiver, the API and the "
                    + "metrics endpoint; with http.tls.keyFile. Set = HTTPS only, no plaintext listener."),
            (c, v) -> c.http.tls.certFile = v);
    static final Field<String> HTTP_TLS_KEY_FILE = bind(Field.of("http.tls.keyFile", Type.STRING)
            .withEnv("BULWARK_TLS_KEY_FILE").withExample("/etc/bulwark/tls/tls.key")
            .withDoc("PEM private key (unencrypted PKCS#8, BEGIN PRIVATE KEY) of http.tls.certFile."),
            (c, v) -> c.http.tls.keyFile = v);
    static final Field<String> HTTP_TLS_KEYSTORE_FILE = bind(Field.of("http.tls.keystoreFile", Type.STRING)
            .withEnv("BULWARK_TLS_KEYSTORE_FILE").withExample("/etc/bulwark/tls/server.p12")
            .withDoc("Instead of the PEM files: a PKCS#12 keystore holding one private key and its chain."),
            (c, v) -> c.http.tls.keystoreFile = v);
    static final Field<String> HTTP_TLS_KEYSTORE_PASSWORD = bind(Field.of("http.tls.keystorePassword", Type.PASSWORD)
            .withEnv("BULWARK_TLS_KEYSTORE_PASSWORD").withExample("changeme")
            .withDoc("Password of http.tls.keystoreFile (or use http.tls.keystorePasswordFile); never a command-line "
                    + "argument."),
            (c, v) -> c.http.tls.keystorePassword = v);
    static final Field<String> HTTP_TLS_KEYSTORE_PASSWORD_FILE = bind(Field.of("http.tls.keystorePasswordFile",
                    Type.STRING).withEnv("BULWARK_TLS_KEYSTORE_PASSWORD_FILE")
            .withExample("/etc/bulwark/tls/keystore-password")
            .withDoc("File holding the keystore password (one line; e.g. a mounted Kubernetes secret)."),
            (c, v) -> c.http.tls.keystorePasswordFile = v);

    static final Field<String> API_OIDC_ISSUER = bind(Field.of("api.oidc.issuer", Type.STRING)
            .withEnv("BULWARK_API_OIDC_ISSUER").withExample("https://login.example.com/realms/bulwark")
            .withDoc("OIDC issuer whose bearer JWTs the API accepts beside api.tokens (its "
                    + "/.well-known/openid-configuration is read); unset = static tokens only."),
            (c, v) -> c.api.oidc.issuer = v);
    static final Field<List<String>> API_OIDC_AUDIENCE = bind(Field.of("api.oidc.audience", Type.LIST)
            .withDefault(List.of()).withEnv("BULWARK_API_OIDC_AUDIENCE").withExample("[bulwark-api]")
            .withDoc("A token's aud must hold one of these; required with api.oidc.issuer."),
            (c, v) -> c.api.oidc.audience = v);
    static final Field<String> API_OIDC_ROLES_CLAIM = bind(Field.of("api.oidc.rolesClaim", Type.STRING)
            .withDefault("groups").withValidator(Validator.nonBlank())
            .withDoc("Claim holding the caller's groups or roles (a dotted path reaches nested claims, e.g. "
                    + "realm_access.roles); no other claim grants a role."),
            (c, v) -> c.api.oidc.rolesClaim = v);
    static final Field<List<String>> API_OIDC_SOC_GROUPS = bind(Field.of("api.oidc.socGroups", Type.LIST)
            .withDefault(List.of("soc"))
            .withDoc("Values of the roles claim that grant role soc (all tenants, may triage)."),
            (c, v) -> c.api.oidc.socGroups = v);
    static final Field<String> API_OIDC_TENANT_PREFIX = bind(Field.of("api.oidc.tenantGroupPrefix", Type.STRING)
            .withDefault("tenant:")
            .withDoc("A roles-claim value <prefix><name> grants tenant:<name>; a token must grant exactly one role "
                    + "(none, two tenants, or soc and a tenant are refused). Empty = no tenant roles from tokens."),
            (c, v) -> c.api.oidc.tenantGroupPrefix = v);
    static final Field<Duration> API_OIDC_CLOCK_SKEW = bind(Field.of("api.oidc.clockSkew", Type.DURATION)
            .withDefault(Duration.ofSeconds(60)).withValidator(Validator.between(Duration.ZERO, Duration.ofMinutes(5)))
            .withDoc("How far a token's exp and nbf may be off this host's clock."),
            (c, v) -> c.api.oidc.clockSkew = v);

    static final Field<String> API_OIDC_CLIENT_ID = bind(Field.of("api.oidc.clientId", Type.STRING)
            .withEnv("BULWARK_API_OIDC_CLIENT_ID").withExample("bulwark-console")
            .withDoc("The console's client id at api.oidc.issuer; set = the console signs in through the provider "
                    + "(authorization code with PKCE, run by the server; the browser gets a session cookie, never a "
                    + "token)."),
            (c, v) -> c.api.oidc.clientId = v);
    static final Field<java.nio.file.Path> API_OIDC_CLIENT_SECRET_FILE = bind(Field.of("api.oidc.clientSecretFile",
                    Type.PATH).withEnv("BULWARK_API_OIDC_CLIENT_SECRET_FILE").withExample("/run/secrets/console-client-secret")
            .withDoc("File holding the client secret (first line) of a confidential client; unset = a public client "
                    + "(PKCE only). Sent to the token endpoint only, never logged."),
            (c, v) -> c.api.oidc.clientSecretFile = v);
    static final Field<String> API_OIDC_REDIRECT_URI = bind(Field.of("api.oidc.redirectUri", Type.STRING)
            .withExample("https://bulwark.example.com/auth/callback")
            .withDoc("The redirect URI registered at the provider; default <api.publicUrl>/auth/callback; must be on "
                    + "the origin of api.publicUrl."),
            (c, v) -> c.api.oidc.redirectUri = v);
    static final Field<List<String>> API_OIDC_SCOPES = bind(Field.of("api.oidc.scopes", Type.LIST)
            .withDefault(List.of("openid")).withEnv("BULWARK_API_OIDC_SCOPES").withExample("[openid, bulwark-api]")
            .withDoc("Scopes the console's sign-in asks for; must hold openid. Add what makes the provider issue an "
                    + "access token with api.oidc.audience and the roles claim."),
            (c, v) -> c.api.oidc.scopes = v);
    static final Field<Duration> API_OIDC_SESSION_TTL = bind(Field.of("api.oidc.sessionTtl", Type.DURATION)
            .withDefault(Duration.ofHours(8)).withValidator(Validator.between(Duration.ofMinutes(1), Duration.ofHours(24)))
            .withDoc("A console session ends when its access token expires, and at most this long after sign-in."),
            (c, v) -> c.api.oidc.sessionTtl = v);

    static final Field<String> INGEST_OIDC_ISSUER = bind(Field.of("ingest.oidc.issuer", Type.STRING)
            .withEnv("BULWARK_INGEST_OIDC_ISSUER").withExample("https://login.example.com/realms/bulwark")
            .withDoc("OIDC issuer whose bearer JWTs the receiver accepts beside ingest.tokens; separate from "
                    + "api.oidc.* so that a token for one server is never accepted by the other."),
            (c, v) -> c.ingest.oidc.issuer = v);
    static final Field<List<String>> INGEST_OIDC_AUDIENCE = bind(Field.of("ingest.oidc.audience", Type.LIST)
            .withDefault(List.of()).withEnv("BULWARK_INGEST_OIDC_AUDIENCE").withExample("[bulwark-ingest]")
            .withDoc("A token's aud must hold one of these; required with ingest.oidc.issuer; must differ from "
                    + "api.oidc.audience."),
            (c, v) -> c.ingest.oidc.audience = v);
    static final Field<String> INGEST_OIDC_ROLES_CLAIM = bind(Field.of("ingest.oidc.rolesClaim", Type.STRING)
            .withDefault("groups").withValidator(Validator.nonBlank())
            .withDoc("Claim holding the sender's groups or roles."),
            (c, v) -> c.ingest.oidc.rolesClaim = v);
    static final Field<List<String>> INGEST_OIDC_SENDER_GROUPS = bind(Field.of("ingest.oidc.senderGroups", Type.LIST)
            .withDefault(List.of("bulwark-ingest"))
            .withDoc("A token must hold one of these values in ingest.oidc.rolesClaim to post events."),
            (c, v) -> c.ingest.oidc.senderGroups = v);
    static final Field<Duration> INGEST_OIDC_CLOCK_SKEW = bind(Field.of("ingest.oidc.clockSkew", Type.DURATION)
            .withDefault(Duration.ofSeconds(60)).withValidator(Validator.between(Duration.ZERO, Duration.ofMinutes(5)))
            .withDoc("How far a token's exp and nbf may be off this host's clock."),
            (c, v) -> c.ingest.oidc.clockSkew = v);

    static final Field<String> METRICS_HOST = bind(Field.of("metrics.host", Type.STRING).withDefault("127.0.0.1")
            .withEnv("BULWARK_METRICS_HOST").withValidator(Validator.nonBlank())
            .withDoc("Address of /metrics, /livez and /readyz; 0.0.0.0 in a container, so that probes and Prometheus "
                    + "reach them on the pod's address (they need no token: keep the port behind a NetworkPolicy)."),
            (c, v) -> c.metrics.host = v);
    static final Field<Integer> METRICS_PORT = bind(Field.of("metrics.port", Type.INT).withDefault(9464)
            .withEnv("BULWARK_METRICS_PORT").withValidator(Validator.portOrOff())
            .withDoc("Port of /metrics (Prometheus), /livez and /readyz on metrics.host; 0 = off."), (c, v) -> c.metrics.port = v);

    static final Field<Map<String, List<String>>> TENANTS = bind(Field.of("tenants",
                    Type.of("map", BulwarkConfig::tenantMap, Object::toString)).withDefault(Map.of())
            .withDoc("Tenant name to the namespaces it owns, for clusters without tenant labels; tenant context from "
                    + "Kubernetes objects (see ingest.tenantKeys) takes precedence.")
            .withExample("\n  acme: [acme-payments, acme-web]\n  globex: [globex-data]"),
            (c, v) -> c.tenants = new LinkedHashMap<>(v));
    static final Field<String> HOME = bind(Field.of("home", Type.STRING).withEnv("BULWARK_HOME").withExample("/var/lib/bulwark")
            .withDoc("State folder (Kafka Streams state, followed-file positions, local stack data); relative to the "
                    + "working folder; ~/.bulwark when unset (the checkout's launcher uses <checkout>/.bulwark)."),
            (c, v) -> c.home = v);

    /** Every key of the configuration file. */
    public static final Fields FIELDS = Fields.of("", BOUND.stream().<Field<?>>map(Bound::field).toList());

    private static final ObjectMapper YAML = JsonMapper.builder(new YAMLFactory()).build();

    /**
     * Loads the configuration: {@code explicit} if given, else {@code $BULWARK_CONFIG}, else {@code bulwark.yaml} in the
     * working directory if present, else defaults; then applies environment overrides.
     *
     * @throws IOException when the file cannot be read
     * @throws dev.bulwark.config.ConfigException listing every unknown key and bad value
     */
    public static BulwarkConfig load(Path explicit, Map<String, String> env) throws IOException {
        return from(readTree(explicit, env), env);
    }

    /** The settings in effect and where each came from (for {@code bulwark config show}); secrets mask themselves. */
    public static Settings settings(Path explicit, Map<String, String> env) throws IOException {
        Map<String, Object> tree = readTree(explicit, env);
        from(tree, env); // the same checks as a start
        return FIELDS.parse(tree, env);
    }

    /** The configuration file's tree: {@code explicit}, else {@code $BULWARK_CONFIG}, else ./bulwark.yaml, else empty. */
    static Map<String, Object> readTree(Path explicit, Map<String, String> env) throws IOException {
        Path file = explicit;
        if (file == null && env.get("BULWARK_CONFIG") != null) {
            file = Path.of(env.get("BULWARK_CONFIG"));
        }
        if (file == null && Files.isRegularFile(Path.of("bulwark.yaml"))) {
            file = Path.of("bulwark.yaml");
        }
        if (file == null) {
            return Map.of();
        }
        if (!Files.isRegularFile(file)) {
            throw new IOException("configuration file " + file + " does not exist");
        }
        try {
            Object read = YAML.readValue(file.toFile(), Object.class);
            if (read == null) {
                return Map.of();
            }
            if (read instanceof Map<?, ?> map) {
                @SuppressWarnings("unchecked")
                Map<String, Object> typed = (Map<String, Object>) map;
                return typed;
            }
            throw new IOException("configuration " + file + " must be a YAML mapping of settings");
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new IOException("cannot read configuration " + file + ": " + e.getOriginalMessage(), e);
        }
    }

    /** The configuration from a parsed YAML tree and the environment. */
    static BulwarkConfig from(Map<String, ?> tree, Map<String, String> env) {
        Settings settings = FIELDS.parse(tree, env);
        BulwarkConfig config = new BulwarkConfig();
        for (Bound<?> bound : BOUND) {
            bound.apply(config, settings);
        }
        config.validate();
        config.validateHttpSecurity();
        return config;
    }

    // --- HTTPS and OIDC of the HTTP servers -------------------------------------------------------------------------

    /** Checks the TLS and OIDC settings now rather than when a server starts; reads no file. */
    private void validateHttpSecurity() {
        boolean pem = http.tls.certFile != null || http.tls.keyFile != null;
        if (pem && (http.tls.certFile == null || http.tls.keyFile == null)) {
            throw new IllegalArgumentException("set both http.tls.certFile and http.tls.keyFile");
        }
        if (pem && http.tls.keystoreFile != null) {
            throw new IllegalArgumentException("set http.tls.certFile and keyFile, or http.tls.keystoreFile, not both");
        }
        if (http.tls.keystoreFile != null && http.tls.keystorePassword == null && http.tls.keystorePasswordFile == null) {
            throw new IllegalArgumentException("http.tls.keystoreFile needs http.tls.keystorePasswordFile or "
                    + "BULWARK_TLS_KEYSTORE_PASSWORD");
        }
        apiOidc();
        consoleLogin(null);
        ingestOidc();
        if (api.oidc.issuer != null && ingest.oidc.issuer != null
                && api.oidc.audience.stream().anyMatch(ingest.oidc.audience::contains)) {
            throw new IllegalArgumentException("api.oidc.audience and ingest.oidc.audience share a value: a token for "
                    + "one server would be accepted by the other");
        }
    }

    /** The certificate the HTTP servers serve HTTPS with, or null for plain HTTP; reads the password file. */
    public dev.bulwark.http.Tls tls() throws IOException {
        if (http.tls.keystoreFile != null) {
            String password = http.tls.keystorePassword;
            if (password == null) {
                List<String> lines = Files.readAllLines(Path.of(http.tls.keystorePasswordFile));
                password = lines.isEmpty() ? "" : lines.get(0).strip();
            }
            return dev.bulwark.http.Tls.keystore(Path.of(http.tls.keystoreFile), password.toCharArray());
        }
        if (http.tls.certFile != null) {
            return dev.bulwark.http.Tls.pem(Path.of(http.tls.certFile), Path.of(http.tls.keyFile));
        }
        return null;
    }

    /** The query API's OIDC tokens, or null when api.oidc.issuer is unset. */
    public dev.bulwark.api.OidcPrincipals apiOidc() {
        if (api.oidc.issuer == null) {
            return null;
        }
        return new dev.bulwark.api.OidcPrincipals(new dev.bulwark.http.oidc.OidcVerifier(
                new dev.bulwark.http.oidc.OidcVerifier.Settings(api.oidc.issuer,
                        new java.util.LinkedHashSet<>(api.oidc.audience), api.oidc.clockSkew)),
                new dev.bulwark.api.OidcPrincipals.Mapping(api.oidc.rolesClaim,
                        new java.util.LinkedHashSet<>(api.oidc.socGroups), api.oidc.tenantGroupPrefix));
    }

    /**
     * The console's sign-in, or null when api.oidc.issuer or api.oidc.clientId is unset.
     *
     * @param clientSecret the secret read from api.oidc.clientSecretFile, or null (validation reads no file)
     */
    public dev.bulwark.api.ConsoleLogin.Settings consoleLogin(String clientSecret) {
        if (api.oidc.clientId == null) {
            if (api.oidc.clientSecretFile != null || api.oidc.redirectUri != null) {
                throw new IllegalArgumentException("api.oidc.clientSecretFile and api.oidc.redirectUri need "
                        + "api.oidc.clientId");
            }
            return null;
        }
        if (api.oidc.issuer == null) {
            throw new IllegalArgumentException("api.oidc.clientId needs api.oidc.issuer (and api.oidc.audience): the "
                    + "console signs in through that provider");
        }
        if (api.publicUrl == null) {
            throw new IllegalArgumentException("api.oidc.clientId needs api.publicUrl, where browsers reach the console "
                    + "(e.g. https://bulwark.example.com): the redirect URI and the cookies are derived from it");
        }
        java.net.URI publicUrl;
        java.net.URI redirectUri;
        try {
            publicUrl = java.net.URI.create(api.publicUrl.strip());
            redirectUri = api.oidc.redirectUri == null ? null : java.net.URI.create(api.oidc.redirectUri.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("api.publicUrl or api.oidc.redirectUri is not a URL: " + e.getMessage());
        }
        return new dev.bulwark.api.ConsoleLogin.Settings(publicUrl, redirectUri, api.oidc.clientId,
                clientSecret, api.oidc.scopes, api.oidc.sessionTtl);
    }

    /** The console's sign-in with its client secret read from api.oidc.clientSecretFile, or null. */
    public dev.bulwark.api.ConsoleLogin.Settings consoleLogin() {
        String secret = api.oidc.clientSecretFile == null ? null : SecretFiles.firstLine(api.oidc.clientSecretFile);
        if (secret != null && secret.isEmpty()) {
            throw new IllegalArgumentException("api.oidc.clientSecretFile " + api.oidc.clientSecretFile + " is empty");
        }
        return consoleLogin(secret);
    }

    /** The receiver's OIDC tokens, or null when ingest.oidc.issuer is unset. */
    public dev.bulwark.ingest.http.OidcSenders ingestOidc() {
        if (ingest.oidc.issuer == null) {
            return null;
        }
        return new dev.bulwark.ingest.http.OidcSenders(new dev.bulwark.http.oidc.OidcVerifier(
                new dev.bulwark.http.oidc.OidcVerifier.Settings(ingest.oidc.issuer,
                        new java.util.LinkedHashSet<>(ingest.oidc.audience), ingest.oidc.clockSkew)),
                ingest.oidc.rolesClaim, new java.util.LinkedHashSet<>(ingest.oidc.senderGroups));
    }

    /** Checks that span several keys. */
    private void validate() {
        if (ingest.maxBodyBytes < ingest.maxRecordBytes) {
            throw new IllegalArgumentException("ingest.maxRecordBytes (" + ingest.maxRecordBytes + ") must not exceed "
                    + "ingest.maxBodyBytes (" + ingest.maxBodyBytes + ")");
        }
        apiTokens(); // roles, lengths and duplicates, now rather than at first use
        KafkaSecurity.check(kafka.security); // files present, credentials complete
        tenantByNamespace(); // a namespace listed for two tenants
    }

    private static Map<String, Map<String, Object>> detectorSettings(Object raw) {
        if (!(raw instanceof Map<?, ?> map)) {
            throw new IllegalArgumentException("expected a mapping of detector names to their settings");
        }
        Map<String, Map<String, Object>> settings = new LinkedHashMap<>();
        map.forEach((name, block) -> {
            if (block == null) {
                settings.put(String.valueOf(name), Map.of());
            } else if (block instanceof Map<?, ?> values) {
                Map<String, Object> copy = new LinkedHashMap<>();
                values.forEach((k, v) -> copy.put(String.valueOf(k), v));
                settings.put(String.valueOf(name), copy);
            } else {
                throw new IllegalArgumentException("the settings of detector " + name + " must be a mapping");
            }
        });
        return settings;
    }

    private static Map<String, List<String>> tenantMap(Object raw) {
        if (!(raw instanceof Map<?, ?> map)) {
            throw new IllegalArgumentException("expected a mapping of tenant names to lists of namespaces");
        }
        Map<String, List<String>> tenants = new LinkedHashMap<>();
        map.forEach((tenant, namespaces) -> {
            List<String> list = new ArrayList<>();
            if (namespaces instanceof Collection<?> items) {
                items.forEach(item -> list.add(Type.scalar(item).strip()));
            } else if (namespaces != null) {
                for (String part : Type.scalar(namespaces).split(",")) {
                    if (!part.isBlank()) {
                        list.add(part.strip());
                    }
                }
            }
            tenants.put(String.valueOf(tenant), List.copyOf(list));
        });
        return tenants;
    }

    private static List<ApiToken> apiTokens(Object raw) {
        List<ApiToken> tokens = new ArrayList<>();
        if (raw instanceof String text) {
            for (dev.bulwark.api.ApiTokens.Entry entry : dev.bulwark.api.ApiTokens.parseEnvironment(text)) {
                ApiToken token = new ApiToken();
                token.token = entry.token();
                token.role = entry.role();
                token.name = entry.name();
                tokens.add(token);
            }
            return tokens;
        }
        if (!(raw instanceof Collection<?> items)) {
            throw new IllegalArgumentException("expected a list of {token, role, name} entries");
        }
        int n = 0;
        for (Object item : items) {
            n++;
            if (!(item instanceof Map<?, ?> entry)) {
                throw new IllegalArgumentException("entry " + n + " must be a mapping {token, role, name}");
            }
            for (Object key : entry.keySet()) {
                if (!List.of("token", "role", "name").contains(String.valueOf(key))) {
                    throw new IllegalArgumentException("entry " + n + ": unknown key " + key + "; valid: token, role, name");
                }
            }
            ApiToken token = new ApiToken();
            token.token = entry.get("token") == null ? null : Type.scalar(entry.get("token"));
            token.role = entry.get("role") == null ? null : Type.scalar(entry.get("role"));
            token.name = entry.get("name") == null ? null : Type.scalar(entry.get("name"));
            tokens.add(token);
        }
        return tokens;
    }

    /** The query API's tokens, validated. */
    public dev.bulwark.api.ApiTokens apiTokens() {
        return dev.bulwark.api.ApiTokens.of(api.tokens.stream()
                .map(t -> new dev.bulwark.api.ApiTokens.Entry(t.token, t.role, t.name)).toList());
    }

    /** How the detectors join process events to kubectl exec sessions. */
    public dev.bulwark.detection.DetectionTopology.SessionSettings sessionSettings() {
        return new dev.bulwark.detection.DetectionTopology.SessionSettings(detection.sessionGrace, detection.sessionWait,
                detection.sessionIdle,
                detection.sessionMaxProcesses, detection.sessionRetention);
    }

    /** Namespace to tenant, inverted from {@link #tenants}. */
    public Map<String, String> tenantByNamespace() {
        Map<String, String> byNamespace = new LinkedHashMap<>();
        tenants.forEach((tenant, namespaces) -> {
            for (String namespace : namespaces) {
                String previous = byNamespace.put(namespace, tenant);
                if (previous != null && !previous.equals(tenant)) {
                    throw new IllegalArgumentException("namespace " + namespace + " is listed for two tenants: "
                            + previous + " and " + tenant);
                }
            }
        });
        return byNamespace;
    }

    /**
     * An Elasticsearch client for {@code user} with every connection setting: URL, API key or basic auth (its entry
     * in {@code elasticsearch.credentialsFile}, {@code <user>.apiKey} or {@code <user>.username} and {@code .password},
     * else {@code elasticsearch.apiKey}, else {@code elasticsearch.username} with {@code elasticsearch.password}
     * or {@code elasticsearch.passwordFile}) and the CA of an HTTPS node.
     */
    public co.elastic.clients.elasticsearch.ElasticsearchClient elasticsearchClient(EsUser user) {
        String username = elasticsearch.username;
        String password = elasticsearch.password;
        String apiKey = elasticsearch.apiKey;
        if (elasticsearch.credentialsFile != null) {
            java.util.Properties credentials = SecretFiles.properties(elasticsearch.credentialsFile,
                    "elasticsearch.credentialsFile");
            if (credentials.getProperty(user.key() + ".apiKey") != null) {
                apiKey = credentials.getProperty(user.key() + ".apiKey");
            } else if (credentials.getProperty(user.key() + ".username") != null) {
                username = credentials.getProperty(user.key() + ".username");
                password = credentials.getProperty(user.key() + ".password");
                apiKey = null;
            }
        }
        if (password == null && apiKey == null) {
            password = SecretFiles.firstLine(elasticsearch.passwordFile);
        }
        return dev.bulwark.sink.ElasticsearchClients.create(elasticsearch.url, username, password,
                apiKey, elasticsearch.caFile, elasticsearch.caFingerprint);
    }

    /** The limits of every HTTP server. */
    public dev.bulwark.http.HttpLimits httpLimits() {
        return new dev.bulwark.http.HttpLimits(http.idleTimeout, http.headerTimeout, http.bodyTimeout, http.responseTimeout,
                http.maxConnections, http.maxRequestsPerConnection, http.maxHeaderBytes);
    }

    /** The bounds of event time as ingest applies them. */
    public dev.bulwark.ingest.EventTimePolicy eventTimePolicy() {
        return new dev.bulwark.ingest.EventTimePolicy(eventTime.maxFuture, eventTime.maxAge,
                "dead-letter".equals(eventTime.outOfRange), java.time.Clock.systemUTC());
    }

    /**
     * The state folder ({@code home}, {@code BULWARK_HOME}): Kafka Streams state, followed-file positions, the local
     * stack's data. A relative path is taken from the working directory; unset, it is {@code ~/.bulwark}. The checkout
     * launcher sets {@code BULWARK_HOME} to the checkout's {@code .bulwark}.
     */
    public Path homeDir() {
        return home == null ? Path.of(System.getProperty("user.home"), ".bulwark").toAbsolutePath()
                : Path.of(home).toAbsolutePath().normalize();
    }
}
