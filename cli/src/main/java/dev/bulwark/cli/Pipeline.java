package dev.bulwark.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;

import co.elastic.clients.elasticsearch.ElasticsearchClient;

import dev.bulwark.detection.DetectionTopology;
import dev.bulwark.detection.Detectors;
import dev.bulwark.detection.TenantResolver;
import dev.bulwark.detectors.api.Detector;
import dev.bulwark.schemas.Topics;
import dev.bulwark.sink.ComplianceIndex;
import dev.bulwark.sink.DocumentSink;
import dev.bulwark.sink.EntityIndex;
import dev.bulwark.sink.FindingIndex;
import dev.bulwark.sink.FindingSink;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;

/**
 * The pipeline's processing components in one JVM: the detection topology (Kafka Streams) and the Elasticsearch sink,
 * either or both.
 *
 * <p>Why: on a single machine one process is the simplest thing to run ({@code ./bulwark run}, the demo and the
 * end-to-end test); each component talks to the others only through Kafka, so {@code bulwark run --components} can
 * also run each in its own process and scale them apart.
 */
public final class Pipeline implements AutoCloseable {

    /** The components {@link #start} can run. */
    public enum Component { DETECTORS, SINK }

    private final KafkaStreams streams;
    private final FindingSink sink;
    private final Thread sinkThread;
    /** The sinks of posture snapshots, entity risk and incidents, each on a thread of its own. */
    private final List<DocumentSink<?>> documentSinks;
    private final List<Thread> documentThreads;
    private final ElasticsearchClient client;
    private final KafkaStreamsMetrics streamsMetrics;
    private final List<Detector> detectors;
    private final CountDownLatch running = new CountDownLatch(1);

    private final KafkaProducer<String, byte[]> deadLetterProducer;

    /** Publishes this instance's per-rule telemetry, or null without detectors or telemetry. */
    private RuleStatsPublisher ruleStats;

    private Pipeline(KafkaStreams streams, FindingSink sink, List<DocumentSink<?>> documentSinks, ElasticsearchClient client,
                     KafkaStreamsMetrics streamsMetrics, List<Detector> detectors,
                     KafkaProducer<String, byte[]> deadLetterProducer) {
        this.streams = streams;
        this.documentSinks = documentSinks;
        this.documentThreads = new java.util.ArrayList<>();
        for (DocumentSink<?> documentSink : documentSinks) {
            documentThreads.add(new Thread(documentSink, "bulwark-" + documentSink.name() + "-sink"));
        }
        this.deadLetterProducer = deadLetterProducer;
        this.sink = sink;
        this.client = client;
        this.streamsMetrics = streamsMetrics;
        this.detectors = detectors;
        this.sinkThread = sink == null ? null : new Thread(sink, "bulwark-sink");
    }

    /** Starts detection and the sink; the topics must exist ({@link KafkaClients#ensureTopics}). */
    public static Pipeline start(BulwarkConfig config, Path stateDir, MeterRegistry metrics) throws InterruptedException, java.io.IOException {
        return start(config, stateDir, metrics, java.util.EnumSet.allOf(Component.class));
    }

    /** Starts the given components; the topics must exist ({@link KafkaClients#ensureTopics}). */
    public static Pipeline start(BulwarkConfig config, Path stateDir, MeterRegistry metrics, java.util.Set<Component> components)
            throws InterruptedException, java.io.IOException {
        if (components.isEmpty()) {
            throw new IllegalArgumentException("no pipeline component to start");
        }
        KafkaClients kafka = new KafkaClients(config);
        Topics topics = kafka.topics();
        String instanceId = kafka.instanceId(stateDir);
        KafkaStreams streams = null;
        KafkaStreamsMetrics streamsMetrics = null;
        List<Detector> detectors = List.of();
        dev.bulwark.detection.RuleTelemetryRegistry telemetry = null;
        RuleStatsPublisher ruleStats = null;
        if (components.contains(Component.DETECTORS)) {
            List<Detector> available = Detectors.discover(Detectors.withPlugins(
                    config.detection.plugins.stream().map(java.nio.file.Path::of).toList()));
            Detectors.settings(available, config.detection.detectors); // every block, a disabled detector's too
            detectors = Detectors.enabled(available, config.detection.disabled);
            Map<String, Map<String, Object>> enabledSettings = new java.util.LinkedHashMap<>(config.detection.detectors);
            enabledSettings.keySet().removeIf(config.detection.disabled::contains);
            telemetry = new dev.bulwark.detection.RuleTelemetryRegistry(metrics, config.detection.ruleTelemetry);
            Topology topology = DetectionTopology.build(topics, detectors, new TenantResolver(config.tenantByNamespace()),
                    enabledSettings, metrics, new DetectionTopology.EnrichmentSettings(
                            config.detection.contextWait, config.detection.maxPendingEvents,
                            config.detection.maxFindingBytes, false, config.sessionSettings()),
                    new DetectionTopology.PostureSettings(config.detection.compliance,
                            config.detection.complianceInterval),
                    telemetry, new DetectionTopology.RiskSettings(config.detection.risk, config.detection.riskHalfLife,
                            config.detection.incidents, config.detection.incidentThreshold,
                            config.detection.incidentWindow, config.detection.incidentIdle));
            KafkaClients detection = kafka.as(KafkaSecurity.Component.DETECTORS);
            if (StateFolder.claim(stateDir.resolve("streams"), config.kafka.topicPrefix, config.detection.applicationId,
                    detection.clusterId())) {
                BulwarkCommand.say("the detectors' state under " + stateDir.resolve("streams") + " was made with "
                        + "another Kafka cluster: emptied, and rebuilt from this cluster's topics");
            }
            detection.checkAccess();
            detection.checkRecordRoom(config.detection.maxFindingBytes);
            Properties props = detection.streams(stateDir.resolve("streams"), instanceId + "-detectors");
            props.put(dev.bulwark.detection.DeadLetterHandlers.DETECTORS_CONFIG, detectors.stream().map(Detector::name).toList());
            props.put(dev.bulwark.detection.DeadLetterHandlers.METRICS_CONFIG, metrics);
            streams = new KafkaStreams(topology, props);
            if (config.detection.ruleTelemetry > 0) {
                ruleStats = new RuleStatsPublisher(telemetry, detection.producer("bulwark-rule-stats"), topics,
                        instanceId, config.detection.ruleStatsInterval);
            }
            streamsMetrics = new KafkaStreamsMetrics(streams);
            streamsMetrics.bindTo(metrics);
            streams.setUncaughtExceptionHandler(e -> {
                System.err.println("bulwark: detection stopped on an error: " + e);
                return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
            });
        }
        ElasticsearchClient client = null;
        FindingSink sink = null;
        List<DocumentSink<?>> documentSinks = new java.util.ArrayList<>();
        KafkaProducer<String, byte[]> deadLetters = null;
        if (components.contains(Component.SINK)) {
            client = config.elasticsearchClient(BulwarkConfig.EsUser.SINK);
            kafka.as(KafkaSecurity.Component.SINK).checkAccess();
            Map<String, Object> consumerProps = kafka.as(KafkaSecurity.Component.SINK).groupConsumer(config.detection.applicationId + "-sink",
                    instanceId + "-sink");
            consumerProps.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
            KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(consumerProps, new StringDeserializer(),
                    new ByteArrayDeserializer());
            deadLetters = new KafkaProducer<>(kafka.as(KafkaSecurity.Component.SINK).producer("bulwark-sink-dlq"), new StringSerializer(), new ByteArraySerializer());
            FindingIndex findingIndex = new FindingIndex(config.elasticsearch.indexPrefix);
            sink = new FindingSink(consumer, deadLetters, client, topics, findingIndex, metrics)
                    .withIndexTimeBounds(config.eventTime.maxFuture, config.eventTime.maxAge)
                    .withRefreshWaitFor("wait_for".equals(config.elasticsearch.refresh));
            Map<String, Object> complianceProps = kafka.as(KafkaSecurity.Component.SINK).groupConsumer(
                    config.detection.applicationId + "-compliance-sink", instanceId + "-compliance-sink");
            documentSinks.add(DocumentSink.compliance(new KafkaConsumer<>(complianceProps, new StringDeserializer(),
                    new ByteArrayDeserializer()), deadLetters, client, topics, ComplianceIndex.forFindings(findingIndex),
                    metrics));
            Map<String, Object> entityProps = kafka.as(KafkaSecurity.Component.SINK).groupConsumer(
                    config.detection.applicationId + "-entity-sink", instanceId + "-entity-sink");
            documentSinks.add(DocumentSink.entities(new KafkaConsumer<>(entityProps, new StringDeserializer(),
                    new ByteArrayDeserializer()), deadLetters, client, topics, EntityIndex.forFindings(findingIndex),
                    metrics));
            Map<String, Object> incidentProps = kafka.as(KafkaSecurity.Component.SINK).groupConsumer(
                    config.detection.applicationId + "-incident-sink", instanceId + "-incident-sink");
            documentSinks.add(DocumentSink.incidents(new KafkaConsumer<>(incidentProps, new StringDeserializer(),
                    new ByteArrayDeserializer()), deadLetters, client, topics,
                    dev.bulwark.sink.IncidentIndex.forFindings(findingIndex), metrics));
        }

        Pipeline pipeline = new Pipeline(streams, sink, documentSinks, client, streamsMetrics, detectors, deadLetters);
        pipeline.ruleStats = ruleStats;
        if (streams != null) {
            streams.start();
        }
        if (pipeline.sinkThread != null) {
            pipeline.sinkThread.start();
        }
        pipeline.documentThreads.forEach(Thread::start);
        return pipeline;
    }

    /**
     * Why detection cannot work right now, or {@code null} when it can: Kafka Streams is RUNNING and this instance owns
     * at least one task (partitions of the events topic). Null also when detection is not part of this pipeline.
     */
    public String detectorsNotReadyReason() {
        if (streams == null) {
            return null;
        }
        KafkaStreams.State state = streams.state();
        if (state != KafkaStreams.State.RUNNING) {
            return "Kafka Streams is " + state;
        }
        boolean owns = streams.metadataForLocalThreads().stream().anyMatch(thread -> !thread.activeTasks().isEmpty());
        return owns ? null : "no partition assigned to this instance";
    }

    /** Why the sink cannot index right now, or {@code null} when it can (or when the sink is not part of this pipeline). */
    public String sinkNotReadyReason() {
        return sink == null ? null : sink.notReadyReason();
    }

    /**
     * Why detection is broken beyond what it repairs itself (Kafka Streams in ERROR: every thread died), or null. A
     * liveness probe that fails restarts the process.
     */
    public String detectorsBrokenReason() {
        if (streams == null) {
            return null;
        }
        KafkaStreams.State state = streams.state();
        return state == KafkaStreams.State.ERROR || state == KafkaStreams.State.PENDING_ERROR
                ? "Kafka Streams is " + state + " (every stream thread stopped)" : null;
    }

    /** The Elasticsearch client of the sink, or null. */
    ElasticsearchClient sinkClient() {
        return client;
    }

    /** Names of the detectors running. */
    public List<String> detectorNames() {
        return detectors.stream().map(Detector::name).toList();
    }

    /** Waits until detection is processing (state RUNNING), up to {@code timeout}. */
    public boolean awaitRunning(Duration timeout) throws InterruptedException {
        if (streams == null) {
            return true;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (streams.state() == KafkaStreams.State.RUNNING) {
                return true;
            }
            Thread.sleep(100);
        }
        return false;
    }

    /** Blocks until {@link #close()}. */
    public void awaitShutdown() throws InterruptedException {
        running.await();
    }

    @Override
    public void close() {
        if (ruleStats != null) {
            ruleStats.close();
        }
        documentSinks.forEach(DocumentSink::close);
        for (Thread thread : documentThreads) {
            try {
                thread.join(TimeUnit.SECONDS.toMillis(15));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (sink != null) {
            sink.close();
            try {
                sinkThread.join(TimeUnit.SECONDS.toMillis(15));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (streams != null) {
            // Leave the group now: the partitions move to the other instances, or straight back to this one when it
            // restarts, instead of waiting for the session to time out.
            streams.close(org.apache.kafka.streams.CloseOptions.groupMembershipOperation(
                    org.apache.kafka.streams.CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                    .withTimeout(Duration.ofSeconds(15)));
            streamsMetrics.close();
        }
        if (deadLetterProducer != null) {
            deadLetterProducer.close(Duration.ofSeconds(10));
        }
        if (client != null) {
            try {
                client._transport().close();
            } catch (java.io.IOException e) {
                // closing anyway
            }
        }
        running.countDown();
    }
}
