package dev.bulwark.cli;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

import dev.bulwark.detection.DetectionTopology;
import dev.bulwark.ingest.EventPublisher;
import dev.bulwark.schemas.TopicAdmin;
import dev.bulwark.schemas.Topics;

/**
 * The one place that builds Kafka client settings (admin, producers, consumers, Kafka Streams) from the configuration:
 * {@code kafka.bootstrap}, Bulwark's own settings for each client, then the user's {@code kafka.properties} on top.
 *
 * <p>Why: every component must reach a secured cluster the same way ({@code security.protocol}, {@code sasl.*},
 * {@code ssl.*}, {@code client.rack}, ...). A pass-through block set once reaches every client; settings that would
 * break Bulwark's guarantees (no loss, committed offsets only after delivery) are refused, and so are names no Kafka
 * client knows, so a typo is an error instead of a silent default.
 */
public final class KafkaClients {

    /** Settings Bulwark owns: overriding them would lose or duplicate data, or mix up consumer groups. */
    static final Set<String> RESERVED = Set.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, ProducerConfig.ACKS_CONFIG, ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
            ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
            ProducerConfig.TRANSACTIONAL_ID_CONFIG, ConsumerConfig.GROUP_ID_CONFIG, ConsumerConfig.GROUP_INSTANCE_ID_CONFIG,
            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
            ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ConsumerConfig.ISOLATION_LEVEL_CONFIG,
            StreamsConfig.APPLICATION_ID_CONFIG, StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.STATE_DIR_CONFIG,
            ConsumerConfig.GROUP_PROTOCOL_CONFIG);

    private final BulwarkConfig config;
    private final Topics topics;
    private final KafkaSecurity.Component component;

    /** Clients of the admin principal (topic creation, ACLs); {@link #as} gives a component's. */
    public KafkaClients(BulwarkConfig config) {
        this(config, KafkaSecurity.Component.ADMIN);
    }

    private KafkaClients(BulwarkConfig config, KafkaSecurity.Component component) {
        this.config = config;
        this.topics = Topics.withPrefix(config.kafka.topicPrefix);
        this.component = component;
        validate(config.kafka.properties);
    }

    /** The same clients, connecting as {@code component}'s principal ({@link KafkaSecurity}). */
    KafkaClients as(KafkaSecurity.Component component) {
        return new KafkaClients(config, component);
    }

    /** False when SASL is on and no user is configured for this component (nor a default user). */
    boolean hasUser() {
        return KafkaSecurity.hasUser(config.kafka.security, component);
    }

    /** The SASL user these clients connect as, or null without SASL (for messages). */
    String principal() {
        return KafkaSecurity.principal(config.kafka.security, component);
    }

    /** Security settings, then the pass-through block: the last two things every client's settings get. */
    private void finish(Map<String, Object> props) {
        props.putAll(KafkaSecurity.clientSettings(config.kafka.security, component));
        props.putAll(config.kafka.properties);
    }

    /** Checks the pass-through block: known client settings only, none that Bulwark owns. */
    static void validate(Map<String, String> properties) {
        Set<String> known = new TreeSet<>();
        known.addAll(ProducerConfig.configNames());
        known.addAll(ConsumerConfig.configNames());
        known.addAll(AdminClientConfig.configNames());
        known.addAll(StreamsConfig.configDef().names());
        for (String key : properties.keySet()) {
            if (RESERVED.contains(key)) {
                throw new IllegalArgumentException("kafka.properties must not set " + key + ": Bulwark sets it itself"
                        + (key.equals("bootstrap.servers") ? " from kafka.bootstrap"
                        : key.equals("group.protocol") ? " (the classic protocol with static membership restarts fastest; "
                                + "see docs/operating.md)" : " to keep its delivery guarantees"));
            }
            if (!known.contains(key)) {
                String near = known.stream().filter(k -> k.startsWith(key.split("\\.")[0] + ".")).limit(8).toList().toString();
                throw new IllegalArgumentException("kafka.properties: '" + key + "' is not a Kafka client setting"
                        + (near.equals("[]") ? "" : "; settings starting alike: " + near));
            }
        }
    }

    /** The topics under the configured prefix. */
    public Topics topics() {
        return topics;
    }

    /** Bootstrap servers and the pass-through block: what every client gets. */
    public Map<String, Object> common() {
        Map<String, Object> props = new LinkedHashMap<>();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.kafka.bootstrap);
        finish(props);
        return props;
    }

    /** An admin client. */
    public Admin admin() {
        return Admin.create(common());
    }

    /** The Kafka cluster's id, or null when it cannot be had within ten seconds (then nothing depends on it). */
    String clusterId() {
        try (Admin admin = admin()) {
            return admin.describeCluster().clusterId().get(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            return null;
        }
    }

    /** Creates the topics that are missing (with the configured partitions and replication); returns those created. */
    public List<String> ensureTopics() throws InterruptedException {
        try (Admin admin = admin()) {
            return TopicAdmin.ensureTopics(admin, topics, config.kafka.partitions, config.kafka.replicationFactor);
        } catch (IllegalStateException e) {
            if (e.getCause() instanceof org.apache.kafka.common.errors.AuthorizationException) {
                throw new IllegalStateException("the Kafka user " + principal() + " may not see or create Bulwark's topics ("
                        + e.getCause().getMessage() + "): the admin creates them and grants each component its ACLs "
                        + "(./bulwark security acls --apply, docs/security.md)", e.getCause());
            }
            throw e;
        }
    }

    /**
     * On a secured cluster, checks before a component starts that its user holds every topic permission the component
     * needs ({@link KafkaAcls}), as the broker reports them for this user ({@code includeAuthorizedOperations}).
     *
     * <p>Why: a missing ACL otherwise shows up later as a stream thread dying over and over, or as records failing one
     * by one; this names the user, the operation and the topic, and how to grant it.
     *
     * @throws IllegalStateException listing every missing permission
     */
    void checkAccess() throws InterruptedException {
        String protocol = config.kafka.security.protocol;
        if (protocol == null || "PLAINTEXT".equals(protocol)) {
            return;
        }
        List<KafkaAcls.Grant> needed = KafkaAcls.grants(config).stream()
                .filter(grant -> grant.component() == component && grant.type() == org.apache.kafka.common.resource.ResourceType.TOPIC
                        && grant.pattern() == org.apache.kafka.common.resource.PatternType.LITERAL)
                .toList();
        if (needed.isEmpty()) {
            return;
        }
        List<String> missing = new java.util.ArrayList<>();
        try (Admin admin = admin()) {
            var described = admin.describeTopics(needed.stream().map(KafkaAcls.Grant::name).distinct().toList(),
                    new org.apache.kafka.clients.admin.DescribeTopicsOptions().includeAuthorizedOperations(true)).topicNameValues();
            for (KafkaAcls.Grant grant : needed) {
                Set<org.apache.kafka.common.acl.AclOperation> allowed;
                try {
                    allowed = described.get(grant.name()).get(30, java.util.concurrent.TimeUnit.SECONDS).authorizedOperations();
                } catch (java.util.concurrent.ExecutionException e) {
                    if (!(e.getCause() instanceof org.apache.kafka.common.errors.AuthorizationException)) {
                        throw new IllegalStateException("cannot check the Kafka permissions of " + principal() + " on "
                                + grant.name() + ": " + e.getCause().getMessage(), e.getCause());
                    }
                    allowed = Set.of();
                } catch (java.util.concurrent.TimeoutException e) {
                    throw new IllegalStateException("cannot check the Kafka permissions of " + principal()
                            + ": no answer from " + config.kafka.bootstrap + " in 30 s", e);
                }
                for (var operation : grant.operations()) {
                    if (allowed == null || !allowed.contains(operation)) {
                        missing.add(KafkaAcls.camel(operation.name()) + " on topic " + grant.name() + " (" + grant.why() + ")");
                    }
                }
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalStateException("the Kafka user " + principal() + " (" + component.key() + ") lacks "
                    + String.join("; ", missing) + ". Grant them as the admin: ./bulwark security acls --apply, or see "
                    + "./bulwark security acls --format kafka|strimzi");
        }
    }

    /** Room a record needs beyond its value: key, headers, record and batch framing. */
    static final int RECORD_OVERHEAD = 16 * 1024;

    /**
     * Checks, before detection starts, that the largest finding ({@code maxFindingBytes}) and the largest dead letter
     * fit both the producer's {@code max.request.size} and the {@code max.message.bytes} of the findings and
     * dead-letter topics.
     *
     * <p>Why: under exactly-once, a record the broker refuses aborts the whole transaction, and the dead letter written
     * for it goes down with it; Kafka Streams then retries the same records and fails again. So no finding may ever be
     * too large for its topic: {@link dev.bulwark.detectors.api.FindingBounds} cuts findings to the bound, and this check
     * makes sure the bound fits the topics as they are configured on this cluster.
     *
     * @throws IllegalStateException naming the topic or setting, and what to change
     */
    public void checkRecordRoom(int maxFindingBytes) throws InterruptedException {
        int deadLetterBytes = dev.bulwark.schemas.DeadLetters.MAX_ORIGINAL_BYTES + RECORD_OVERHEAD;
        int findingBytes = maxFindingBytes + RECORD_OVERHEAD;
        Object configuredRequest = config.kafka.properties.get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG);
        int maxRequest = configuredRequest == null ? 1024 * 1024 : Integer.parseInt(configuredRequest.toString());
        if (maxRequest < Math.max(findingBytes, deadLetterBytes)) {
            throw new IllegalStateException("kafka.properties sets " + ProducerConfig.MAX_REQUEST_SIZE_CONFIG + "="
                    + maxRequest + ", too small for a finding of detection.maxFindingBytes (" + maxFindingBytes
                    + ") or a dead letter (" + dev.bulwark.schemas.DeadLetters.MAX_ORIGINAL_BYTES + " bytes of the original) "
                    + "plus " + RECORD_OVERHEAD + " bytes of framing: set it to at least "
                    + Math.max(findingBytes, deadLetterBytes) + " or lower detection.maxFindingBytes");
        }
        Map<String, Integer> needs = new LinkedHashMap<>();
        needs.put(topics.findings().name(), findingBytes);
        needs.put(topics.deadLetters().name(), deadLetterBytes);
        Map<String, Integer> limits;
        try (Admin admin = admin()) {
            limits = TopicAdmin.maxMessageBytes(admin, needs.keySet());
        }
        for (var need : needs.entrySet()) {
            Integer limit = limits.get(need.getKey());
            if (limit != null && limit < need.getValue()) {
                boolean findings = need.getKey().equals(topics.findings().name());
                throw new IllegalStateException("the topic " + need.getKey() + " accepts records of at most " + limit
                        + " bytes (max.message.bytes), but " + (findings
                        ? "a finding may take detection.maxFindingBytes (" + maxFindingBytes + ")"
                        : "a dead letter may take " + dev.bulwark.schemas.DeadLetters.MAX_ORIGINAL_BYTES + " bytes of its original")
                        + " plus " + RECORD_OVERHEAD + " bytes of framing. Raise the topic's limit (kafka-configs.sh "
                        + "--alter --entity-type topics --entity-name " + need.getKey() + " --add-config max.message.bytes="
                        + need.getValue() + ")" + (findings ? " or lower detection.maxFindingBytes to at most "
                        + Math.max(0, limit - RECORD_OVERHEAD) : "") + ". Under exactly-once a refused record would "
                        + "abort every transaction that carries it, so detection does not start.");
            }
        }
    }

    /** A lossless producer's settings ({@link EventPublisher#producerConfig}), with the pass-through block on top. */
    public Map<String, Object> producer(String clientId) {
        Map<String, Object> props = new LinkedHashMap<>();
        EventPublisher.producerConfig(config.kafka.bootstrap, clientId).forEach((k, v) -> props.put((String) k, v));
        finish(props);
        return props;
    }

    /**
     * The HTTP receiver's producer: {@link #producer} with a delivery timeout short enough for HTTP senders (45 s,
     * unless {@code kafka.properties} sets one); the receiver waits longer than that before answering 503.
     */
    public Map<String, Object> receiverProducer() {
        Map<String, Object> props = producer("bulwark-ingest");
        if (!config.kafka.properties.containsKey(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG)) {
            props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 45_000);
        }
        return props;
    }

    /**
     * A group member's settings: manual commits, earliest reset, static membership under {@code instanceId} (when not
     * null) and the configured session timeout.
     */
    public Map<String, Object> groupConsumer(String groupId, String instanceId) {
        Map<String, Object> props = new LinkedHashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.kafka.bootstrap);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        // Never what an aborted transaction wrote (exactly-once detectors abort on failure); with at-least-once
        // producers this changes nothing, since their records are visible at once.
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, (int) config.kafka.sessionTimeout.toMillis());
        props.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, heartbeatMs());
        if (instanceId != null) {
            props.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, instanceId);
        }
        finish(props);
        return props;
    }

    /** A reader outside any group (it assigns partitions itself and never commits). */
    public Map<String, Object> reader() {
        Map<String, Object> props = new LinkedHashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.kafka.bootstrap);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        finish(props);
        return props;
    }

    /**
     * The detection application's Kafka Streams settings: {@link DetectionTopology#streamsConfig}, threads, static
     * membership (each stream thread joins as {@code <instanceId>-<n>}) and the session timeout, with the pass-through
     * block applied to all of Streams' clients.
     */
    public Properties streams(Path stateDir, String instanceId) {
        Properties props = streams(topics, config.detection.applicationId, stateDir, config.detection.streamThreads,
                config.detection.exactlyOnce);
        if (instanceId != null) {
            props.put(StreamsConfig.mainConsumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG), instanceId);
        }
        return props;
    }

    /**
     * Kafka Streams settings of another detection application over {@code topics} (a backtest's): at-least-once, no
     * static membership, the pass-through block applied.
     */
    Properties streams(Topics topics, String applicationId, Path stateDir, int threads) {
        return streams(topics, applicationId, stateDir, threads, false);
    }

    private Properties streams(Topics topics, String applicationId, Path stateDir, int threads, boolean exactlyOnce) {
        Properties props = DetectionTopology.streamsConfig(topics, config.kafka.bootstrap, applicationId,
                stateDir.toString(), exactlyOnce);
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, threads);
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), (int) config.kafka.sessionTimeout.toMillis());
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG), heartbeatMs());
        // Restoring the stores after a restart reads each changelog to its end; with the consumer's default 500 ms
        // fetch wait every empty round costs half a second, and a restart takes one round per store group.
        props.put(StreamsConfig.restoreConsumerPrefix(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG), 100);
        Map<String, Object> rest = new LinkedHashMap<>();
        finish(rest);
        props.putAll(rest);
        return props;
    }

    /** A third of the session timeout, as Kafka advises, and never more than Kafka's default of 3 s. */
    private int heartbeatMs() {
        return (int) Math.max(500, Math.min(3000, config.kafka.sessionTimeout.toMillis() / 3));
    }

    /**
     * This instance's stable identity for static group membership: {@code detection.instanceId} when set (a StatefulSet
     * pod name, say), else the host name and a digest of the state folder, which two instances on one host never share
     * (Kafka Streams locks it). The same instance restarted gets the same identity, so the group hands its partitions
     * straight back instead of waiting for the session to time out.
     */
    public String instanceId(Path home) {
        if (config.detection.instanceId != null && !config.detection.instanceId.isBlank()) {
            return config.detection.instanceId.strip();
        }
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            host = "localhost";
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(home.toAbsolutePath().normalize().toString().getBytes(StandardCharsets.UTF_8));
            return host.replaceAll("[^A-Za-z0-9._-]", "_") + "-" + HexFormat.of().formatHex(digest, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
