package dev.bulwark.cli;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.bulwark.detection.RuleTelemetryRegistry;
import dev.bulwark.schemas.AvroSerde;
import dev.bulwark.schemas.RuleStats;
import dev.bulwark.schemas.Topics;

/**
 * Publishes this detector instance's per-rule telemetry to the compacted rule-stats topic every interval (and once
 * more on close), keyed {@code <instance>/<detector>/<rule>}, so the query API and {@code bulwark rules list --stats},
 * which run elsewhere, can add up every instance.
 *
 * <p>Why a topic: instances come and go behind a Service; Kafka already connects them all, keeps the latest snapshot
 * per key and needs no address of any instance. Only rules whose counters changed since the last snapshot are sent.
 */
final class RuleStatsPublisher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RuleStatsPublisher.class);
    private static final AvroSerde<RuleStats> SERDE = AvroSerde.of(RuleStats.class);

    private final RuleTelemetryRegistry telemetry;
    private final KafkaProducer<String, byte[]> producer;
    private final String topic;
    private final String instance;
    private final long since = System.currentTimeMillis();
    private final Map<String, RuleTelemetryRegistry.Snapshot> sent = new HashMap<>();
    private final ScheduledExecutorService timer;

    RuleStatsPublisher(RuleTelemetryRegistry telemetry, Map<String, Object> producerSettings, Topics topics,
                       String instance, Duration interval) {
        this.telemetry = telemetry;
        this.producer = new KafkaProducer<>(producerSettings, new StringSerializer(), new ByteArraySerializer());
        this.topic = topics.ruleStats().name();
        this.instance = instance;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "bulwark-rule-stats");
            thread.setDaemon(true);
            return thread;
        });
        timer.scheduleWithFixedDelay(this::publishQuietly, interval.toMillis(), interval.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /** Sends the snapshot of every rule whose counters changed; returns how many were sent. */
    synchronized int publish() {
        int count = 0;
        long now = System.currentTimeMillis();
        for (RuleTelemetryRegistry.Snapshot snapshot : telemetry.snapshot()) {
            String key = instance + "/" + snapshot.detector() + "/" + snapshot.rule();
            if (snapshot.equals(sent.get(key))) {
                continue;
            }
            RuleStats stats = RuleStats.newBuilder().setInstance(instance).setDetector(snapshot.detector())
                    .setRule(snapshot.rule()).setSince(since).setAt(now).setEvaluations(snapshot.evaluations())
                    .setEvaluationNanos(snapshot.evaluationNanos()).setMatches(snapshot.matches())
                    .setFindings(snapshot.findings()).setFolded(snapshot.folded())
                    .setLatencyCount(snapshot.latencyCount()).setLatencyMillis(snapshot.latencyMillis())
                    .setLastMatch(snapshot.lastMatch()).setLastFinding(snapshot.lastFinding())
                    .setStateGroups(snapshot.stateGroups()).setStateEntries(snapshot.stateEntries()).build();
            producer.send(new ProducerRecord<>(topic, key, SERDE.encode(stats)));
            sent.put(key, snapshot);
            count++;
        }
        producer.flush();
        return count;
    }

    private void publishQuietly() {
        try {
            publish();
        } catch (RuntimeException e) {
            LOG.warn("per-rule telemetry not published to {} ({}); trying again in a moment", topic, e.getMessage());
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        publishQuietly();
        producer.close(Duration.ofSeconds(5));
    }
}
