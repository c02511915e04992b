package dev.bulwark.cli;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.bulwark.contextwatch.ClusterContextWatcher;
import dev.bulwark.contextwatch.ContextSink;
import dev.bulwark.contextwatch.RejectedObject;
import dev.bulwark.ingest.ContextUpdate;
import dev.bulwark.ingest.EventPublisher;
import dev.bulwark.ingest.IngestStats;
import dev.bulwark.ingest.k8sobjects.KubernetesObjectsParser;
import dev.bulwark.schemas.Topics;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * {@code bulwark context watch} at run time: a {@link ClusterContextWatcher} on one cluster, publishing onto the context
 * topic as the {@code context} Kafka principal, with the file ingest's ledger and dead letters.
 *
 * <p>At start it reads the context topic up to its current end to learn which keys are live (the restart reconcile
 * needs them: an object deleted while nothing watched gets its tombstone). A record Kafka does not acknowledge is a
 * lost update that no later event repairs, so it stops the watch ({@link #failed}); a restart lists the cluster again
 * and republishes everything.
 */
final class ContextWatch implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ContextWatch.class);

    private final ClusterContextWatcher watcher;
    private final EventPublisher publisher;
    private final IngestStats stats;
    private final CompletableFuture<Void> synced;
    private final CompletableFuture<String> failed = new CompletableFuture<>();
    private final AtomicReference<String> failure = new AtomicReference<>();
    private final int previouslyPublished;

    private ContextWatch(BulwarkConfig config, KubernetesClient client, MeterRegistry registry) throws InterruptedException {
        KafkaClients kafka = new KafkaClients(config).as(KafkaSecurity.Component.CONTEXT);
        kafka.checkAccess();
        Set<String> published = liveKeys(kafka, kafka.topics().context().name());
        previouslyPublished = published.size();
        stats = new IngestStats(registry, RejectedObject.FORMAT);
        publisher = new EventPublisher(kafka.producer("bulwark-context-watch"), Topics.withPrefix(config.kafka.topicPrefix),
                stats);
        List<String> tenantKeys = config.ingest.tenantKeys.isEmpty() ? KubernetesObjectsParser.DEFAULT_TENANT_KEYS
                : config.ingest.tenantKeys;
        watcher = new ClusterContextWatcher(client, tenantKeys, new ContextSink() {
            @Override
            public void publish(ContextUpdate update) {
                publisher.publishContext(update).whenComplete((outcome, e) -> {
                    if (e != null) {
                        fail("Kafka did not acknowledge the context update " + update.key() + ": " + e.getMessage());
                    }
                });
            }

            @Override
            public void reject(RejectedObject rejected) {
                publisher.deadLetter(rejected.json(), rejected.json().length, RejectedObject.FORMAT, rejected.origin(),
                        rejected.reason()).whenComplete((outcome, e) -> {
                            if (e != null) {
                                fail("Kafka did not acknowledge the dead letter of " + rejected.origin() + ": " + e.getMessage());
                            }
                        });
            }
        }, registry);
        synced = watcher.start(published);
        synced.whenComplete((x, e) -> {
            if (e != null) {
                fail("the watch could not list the cluster: " + (e.getCause() != null ? e.getCause() : e).getMessage()
                        + " (does its service account have the ClusterRole deploy/kubernetes/base/"
                        + "context-watch-clusterrole.yaml?)");
            }
        });
    }

    /** Starts watching; returns before the first list finishes ({@link #synced}). */
    static ContextWatch start(BulwarkConfig config, KubernetesClient client, MeterRegistry registry)
            throws InterruptedException {
        BulwarkRuntime.createTopicsWhereAllowed(() -> BulwarkRuntime.ensureTopics(config),
                new KafkaClients(config).principal());
        return new ContextWatch(config, client, registry);
    }

    /** Completes when every informer listed the cluster and the restart reconcile is published. */
    CompletableFuture<Void> synced() {
        return synced;
    }

    /** Completes with the reason when the watch cannot go on. */
    CompletableFuture<String> failed() {
        return failed;
    }

    /** Why the watch is broken (for {@code /livez}), or null. */
    String failure() {
        return failure.get();
    }

    /** Why it is not ready yet (for {@code /readyz}), or null. */
    String notReadyReason() {
        return failure.get() != null ? failure.get() : watcher.isSynced() ? null : "listing the cluster";
    }

    /** Keys live in the context topic before the start. */
    int previouslyPublished() {
        return previouslyPublished;
    }

    /** The ledger: context updates and dead letters acknowledged so far. */
    IngestStats stats() {
        return stats;
    }

    private void fail(String reason) {
        if (failure.compareAndSet(null, reason)) {
            LOG.error("context watch stopped: {}", reason);
            failed.complete(reason);
        }
    }

    /** Reads the context topic to its end offsets of now: each key whose latest record is not a tombstone. */
    static Set<String> liveKeys(KafkaClients kafka, String topic) {
        Map<String, Boolean> live = new HashMap<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(kafka.reader(), new StringDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read " + topic + " to its end within 5 minutes");
                }
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    if (record.key() != null) {
                        live.put(record.key(), record.value() != null);
                    }
                }
            }
        }
        return live.entrySet().stream().filter(Map.Entry::getValue).map(Map.Entry::getKey)
                .filter(ClusterContextWatcher::owns).collect(Collectors.toUnmodifiableSet());
    }

    @Override
    public void close() {
        watcher.stop();
        try {
            publisher.flush();
        } finally {
            publisher.close();
        }
    }
}
