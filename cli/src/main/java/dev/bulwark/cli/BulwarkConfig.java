package dev.bulwark.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

/**
 * Bulwark's configuration: one YAML file (see {@code bulwark.example.yaml}) with environment variables on top.
 *
 * <p>Why: every command reads settings the same way, with defaults that fit the local stack, so a quick start needs no
 * file at all. Precedence: environment variable, then the file, then the default. Unknown keys in the file are errors,
 * so a typo never silently falls back to a default.
 */
public final class BulwarkConfig {

    /** Kafka connection and topics. */
    public static final class Kafka {
        @JsonProperty public String bootstrap = "127.0.0.1:9092";
        @JsonProperty public String topicPrefix = "bulwark.";
        @JsonProperty public int partitions = 3;
        @JsonProperty public short replicationFactor = 1;
        /**
         * How long the group waits for a member that stopped without leaving (crash, kill -9, network cut) before
         * handing its partitions to others: the bound on the detection gap after a crash. Kafka brokers accept
         * 6,000 to 1,800,000 ms by default.
         */
        @JsonProperty public int sessionTimeoutMs = 10_000;
        /** Any Kafka client setting for every client (security.protocol, sasl.*, ssl.*, client.rack, ...). */
        @JsonProperty public Map<String, String> properties = new LinkedHashMap<>();
    }

    /** Elasticsearch connection and index names. */
    public static final class Elasticsearch {
        @JsonProperty public String url = "http://127.0.0.1:9200";
        @JsonProperty public String username;
        @JsonProperty public String password;
        @JsonProperty public String apiKey;
        @JsonProperty public String indexPrefix = "bulwark-findings";
    }

    /** Detection topology settings. */
    public static final class Detection {
        @JsonProperty public String applicationId = "bulwark-detectors";
        /**
         * Stable identity of this instance in its consumer groups (static membership); by default the host name and a
         * digest of the state folder. Set it to the pod name in a StatefulSet.
         */
        @JsonProperty public String instanceId;
        @JsonProperty public boolean exactlyOnce = false;
        @JsonProperty public List<String> disabled = List.of();
        /** Detector plugin jars, or directories of jars, added to the class path (see docs/writing-a-detector.md). */
        @JsonProperty public List<String> plugins = List.of();
        /** How long an event whose namespace has no tenant context yet waits for it before going on unattributed. */
        @JsonProperty public long contextWaitMs = 2000;
        /** Most events waiting for context at once (per stream task); beyond it they go on unattributed at once. */
        @JsonProperty public int maxPendingEvents = 10_000;
        /** Kafka Streams threads of the detection topology (num.stream.threads); at most one per input partition works. */
        @JsonProperty public int streamThreads = 1;
        /** Per-detector settings, by detector name. */
        @JsonProperty public Map<String, Map<String, String>> detectors = new LinkedHashMap<>();
    }

    /** Ingest settings: the HTTP receiver and followed files. */
    public static final class Ingest {
        /** Address the HTTP receiver binds to; loopback by default. */
        @JsonProperty public String host = "127.0.0.1";
        /** Port of the HTTP receiver; 0 turns it off in {@code bulwark run}. */
        @JsonProperty public int port = 8088;
        /** Bearer tokens accepted by the receiver; empty means no authentication (keep it on loopback then). */
        @JsonProperty public List<String> tokens = List.of();
        /** Largest request body accepted. */
        @JsonProperty public int maxBodyBytes = 16 << 20;
        /** Largest single record accepted (Kafka's default message limit is 1 MiB). */
        @JsonProperty public int maxRecordBytes = 1 << 20;
        /** Label and annotation keys that name a namespace's tenant, first present wins. */
        @JsonProperty public List<String> tenantKeys = List.of("bulwark.io/tenant", "capsule.clastix.io/tenant", "tenant");
    }

    /** One query API token: the secret, its role ({@code soc} or {@code tenant:<name>}) and an optional name. */
    public static final class ApiToken {
        @JsonProperty public String token;
        @JsonProperty public String role;
        @JsonProperty public String name;
    }

    /** The findings query API and console. */
    public static final class Api {
        /** Address the API binds to; loopback by default. */
        @JsonProperty public String host = "127.0.0.1";
        /** Port of the API; 0 turns it off in {@code bulwark run}. */
        @JsonProperty public int port = 8080;
        /** Bearer tokens and the principals they stand for. */
        @JsonProperty public List<ApiToken> tokens = List.of();
        /** Request threads. */
        @JsonProperty public int threads = 8;
    }

    /** Metrics endpoint. */
    public static final class Metrics {
        /** Port of the Prometheus endpoint on 127.0.0.1; 0 turns it off. */
        @JsonProperty public int port = 9464;
    }

    @JsonProperty public Kafka kafka = new Kafka();
    @JsonProperty public Elasticsearch elasticsearch = new Elasticsearch();
    @JsonProperty public Detection detection = new Detection();
    @JsonProperty public Metrics metrics = new Metrics();
    @JsonProperty public Ingest ingest = new Ingest();
    @JsonProperty public Api api = new Api();
    /** Tenant name to the namespaces it owns. */
    @JsonProperty public Map<String, List<String>> tenants = new LinkedHashMap<>();
    /** State folder (Kafka Streams state, followed-file positions, local stack data); see {@link #homeDir()}. */
    @JsonProperty public String home;

    private static final ObjectMapper YAML = JsonMapper.builder(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    /**
     * Loads the configuration: {@code explicit} if given, else {@code $BULWARK_CONFIG}, else {@code bulwark.yaml} in the
     * working directory if present, else defaults; then applies environment overrides.
     */
    public static BulwarkConfig load(Path explicit, Map<String, String> env) throws IOException {
        Path file = explicit;
        if (file == null && env.get("BULWARK_CONFIG") != null) {
            file = Path.of(env.get("BULWARK_CONFIG"));
        }
        if (file == null && Files.isRegularFile(Path.of("bulwark.yaml"))) {
            file = Path.of("bulwark.yaml");
        }
        BulwarkConfig config = new BulwarkConfig();
        if (file != null) {
            if (!Files.isRegularFile(file)) {
                throw new IOException("configuration file " + file + " does not exist");
            }
            try {
                BulwarkConfig read = YAML.readValue(file.toFile(), BulwarkConfig.class);
                if (read != null) {
                    config = read;
                }
            } catch (IOException e) {
                throw new IOException("cannot read configuration " + file + ": " + e.getMessage().split("\n")[0], e);
            }
        }
        config.applyEnvironment(env);
        config.validate();
        return config;
    }

    void applyEnvironment(Map<String, String> env) {
        kafka.bootstrap = env.getOrDefault("BULWARK_KAFKA_BOOTSTRAP", kafka.bootstrap);
        kafka.topicPrefix = env.getOrDefault("BULWARK_TOPIC_PREFIX", kafka.topicPrefix);
        if (env.containsKey("BULWARK_TOPIC_PARTITIONS")) {
            kafka.partitions = parseInt("BULWARK_TOPIC_PARTITIONS", env.get("BULWARK_TOPIC_PARTITIONS"));
        }
        elasticsearch.url = env.getOrDefault("BULWARK_ES_URL", elasticsearch.url);
        elasticsearch.username = env.getOrDefault("BULWARK_ES_USERNAME", elasticsearch.username);
        elasticsearch.password = env.getOrDefault("BULWARK_ES_PASSWORD", elasticsearch.password);
        elasticsearch.apiKey = env.getOrDefault("BULWARK_ES_API_KEY", elasticsearch.apiKey);
        elasticsearch.indexPrefix = env.getOrDefault("BULWARK_INDEX_PREFIX", elasticsearch.indexPrefix);
        if (env.containsKey("BULWARK_METRICS_PORT")) {
            metrics.port = parseInt("BULWARK_METRICS_PORT", env.get("BULWARK_METRICS_PORT"));
        }
        if (env.containsKey("BULWARK_DETECTION_THREADS")) {
            detection.streamThreads = parseInt("BULWARK_DETECTION_THREADS", env.get("BULWARK_DETECTION_THREADS"));
        }
        if (env.containsKey("BULWARK_EXACTLY_ONCE")) {
            detection.exactlyOnce = Boolean.parseBoolean(env.get("BULWARK_EXACTLY_ONCE"));
        }
        home = env.getOrDefault("BULWARK_HOME", home);
        detection.instanceId = env.getOrDefault("BULWARK_INSTANCE_ID", detection.instanceId);
        if (env.containsKey("BULWARK_KAFKA_SESSION_TIMEOUT_MS")) {
            kafka.sessionTimeoutMs = parseInt("BULWARK_KAFKA_SESSION_TIMEOUT_MS", env.get("BULWARK_KAFKA_SESSION_TIMEOUT_MS"));
        }
        if (env.containsKey("BULWARK_PLUGINS")) {
            detection.plugins = java.util.Arrays.stream(env.get("BULWARK_PLUGINS").split(java.io.File.pathSeparator))
                    .map(String::strip).filter(p -> !p.isEmpty()).toList();
        }
        ingest.host = env.getOrDefault("BULWARK_INGEST_HOST", ingest.host);
        if (env.containsKey("BULWARK_INGEST_PORT")) {
            ingest.port = parseInt("BULWARK_INGEST_PORT", env.get("BULWARK_INGEST_PORT"));
        }
        api.host = env.getOrDefault("BULWARK_API_HOST", api.host);
        if (env.containsKey("BULWARK_API_PORT")) {
            api.port = parseInt("BULWARK_API_PORT", env.get("BULWARK_API_PORT"));
        }
        if (env.containsKey("BULWARK_API_TOKENS")) {
            List<ApiToken> fromEnv = new java.util.ArrayList<>();
            for (dev.bulwark.api.ApiTokens.Entry entry : dev.bulwark.api.ApiTokens.parseEnvironment(env.get("BULWARK_API_TOKENS"))) {
                ApiToken token = new ApiToken();
                token.token = entry.token();
                token.role = entry.role();
                token.name = entry.name();
                fromEnv.add(token);
            }
            List<ApiToken> all = new java.util.ArrayList<>(api.tokens);
            all.addAll(fromEnv);
            api.tokens = all;
        }
        if (env.containsKey("BULWARK_INGEST_TOKENS")) {
            ingest.tokens = java.util.Arrays.stream(env.get("BULWARK_INGEST_TOKENS").split(","))
                    .map(String::strip).filter(t -> !t.isEmpty()).toList();
        }
    }

    private void validate() {
        if (kafka.partitions < 1) {
            throw new IllegalArgumentException("kafka.partitions must be at least 1, got " + kafka.partitions);
        }
        if (kafka.sessionTimeoutMs < 6_000 || kafka.sessionTimeoutMs > 1_800_000) {
            throw new IllegalArgumentException("kafka.sessionTimeoutMs must be 6000-1800000 (the broker's default bounds), got "
                    + kafka.sessionTimeoutMs);
        }
        KafkaClients.validate(kafka.properties);
        if (ingest.port < 0 || ingest.port > 65535) {
            throw new IllegalArgumentException("ingest.port must be 0-65535, got " + ingest.port);
        }
        if (ingest.maxRecordBytes < 1024 || ingest.maxBodyBytes < ingest.maxRecordBytes) {
            throw new IllegalArgumentException("ingest.maxRecordBytes must be at least 1024 and ingest.maxBodyBytes at "
                    + "least ingest.maxRecordBytes");
        }
        for (String token : ingest.tokens) {
            if (token.length() < 16) {
                throw new IllegalArgumentException("ingest tokens must be at least 16 characters (got one of "
                        + token.length() + "); generate one with: openssl rand -hex 24");
            }
        }
        if (detection.contextWaitMs < 0 || detection.maxPendingEvents < 0) {
            throw new IllegalArgumentException("detection.contextWaitMs and detection.maxPendingEvents must not be negative");
        }
        if (api.port < 0 || api.port > 65535) {
            throw new IllegalArgumentException("api.port must be 0-65535, got " + api.port);
        }
        if (detection.streamThreads < 1 || detection.streamThreads > 64) {
            throw new IllegalArgumentException("detection.streamThreads must be 1-64, got " + detection.streamThreads);
        }
        if (api.threads < 1 || api.threads > 256) {
            throw new IllegalArgumentException("api.threads must be 1-256, got " + api.threads);
        }
        apiTokens(); // validates roles, lengths and duplicates now rather than at first use
        if (metrics.port < 0 || metrics.port > 65535) {
            throw new IllegalArgumentException("metrics.port must be 0-65535, got " + metrics.port);
        }
    }

    private static int parseInt(String name, String value) {
        try {
            return Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a whole number, got \"" + value + "\"");
        }
    }

    /** The query API's tokens, validated. */
    public dev.bulwark.api.ApiTokens apiTokens() {
        return dev.bulwark.api.ApiTokens.of(api.tokens.stream()
                .map(t -> new dev.bulwark.api.ApiTokens.Entry(t.token, t.role, t.name)).toList());
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
     * The state folder ({@code home}, {@code BULWARK_HOME}): Kafka Streams state, followed-file positions, the local
     * stack's data. A relative path is taken from the working directory; unset, it is {@code ~/.bulwark}. The checkout
     * launcher sets {@code BULWARK_HOME} to the checkout's {@code .bulwark}.
     */
    public Path homeDir() {
        return home == null ? Path.of(System.getProperty("user.home"), ".bulwark").toAbsolutePath()
                : Path.of(home).toAbsolutePath().normalize();
    }
}
