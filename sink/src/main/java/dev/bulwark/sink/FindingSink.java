package dev.bulwark.sink;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import co.elastic.clients.elasticsearch._types.ElasticsearchException;
import co.elastic.clients.elasticsearch.core.BulkResponse;
import co.elastic.clients.elasticsearch.core.bulk.BulkOperation;
import co.elastic.clients.elasticsearch.core.bulk.BulkResponseItem;
import dev.bulwark.schemas.DeadLetter;
import dev.bulwark.schemas.DeadLetters;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.Topics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * Consumes findings from Kafka and indexes them into Elasticsearch, one document per finding id.
 *
 * <p>Why: findings must become searchable exactly once. The document id is the finding id, so a replay overwrites
 * instead of duplicating. Offsets are committed only after Elasticsearch confirmed every document of the batch (or the
 * document was dead-lettered because Elasticsearch rejected it for good). While Elasticsearch is down or pushing back
 * (429, 5xx), the sink pauses its partitions, keeps its group membership, retries with exponential backoff, and Kafka
 * holds the backlog.
 */
public final class FindingSink implements Runnable, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(FindingSink.class);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    private final Consumer<String, byte[]> consumer;
    private final Producer<String, byte[]> deadLetterProducer;
    private final ElasticsearchClient client;
    private final Topics topics;
    private final FindingIndex index;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Counter indexed;
    private final Counter deadLettered;
    private final Counter retries;
    private final Timer bulkLatency;
    private final Timer endToEndLatency;

    public FindingSink(Consumer<String, byte[]> consumer, Producer<String, byte[]> deadLetterProducer,
                       ElasticsearchClient client, Topics topics, FindingIndex index, MeterRegistry metrics) {
        this.consumer = consumer;
        this.deadLetterProducer = deadLetterProducer;
        this.client = client;
        this.topics = topics;
        this.index = index;
        this.indexed = Counter.builder("bulwark.sink.findings.indexed").description("findings Elasticsearch confirmed")
                .register(metrics);
        this.deadLettered = Counter.builder("bulwark.sink.dead.letters")
                .description("findings dead-lettered (undecodable or rejected by Elasticsearch)").register(metrics);
        this.retries = Counter.builder("bulwark.sink.retries").description("bulk attempts that must be retried")
                .register(metrics);
        this.bulkLatency = Timer.builder("bulwark.sink.bulk.latency").description("duration of one bulk request")
                .publishPercentiles(0.5, 0.99).register(metrics);
        this.endToEndLatency = Timer.builder("bulwark.sink.indexing.lag")
                .description("time from a finding's last event to Elasticsearch confirming it")
                .publishPercentiles(0.5, 0.99).register(metrics);
    }

    /** Installs the index template, then consumes until {@link #close()} is called. */
    @Override
    public void run() {
        try {
            installTemplateWithRetry();
            consumer.subscribe(List.of(topics.findings().name()));
            while (running.get()) {
                ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofMillis(500));
                if (!records.isEmpty()) {
                    processBatch(records);
                }
            }
        } catch (WakeupException e) {
            if (running.get()) {
                throw e;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            consumer.close(Duration.ofSeconds(10));
        }
    }

    private void installTemplateWithRetry() throws InterruptedException {
        Duration backoff = Duration.ofMillis(500);
        while (running.get()) {
            try {
                index.installTemplate(client);
                return;
            } catch (IOException | ElasticsearchException e) {
                LOG.warn("cannot install the index template in Elasticsearch ({}); retrying in {} ms", e.getMessage(),
                        backoff.toMillis());
                Thread.sleep(backoff.toMillis());
                backoff = next(backoff);
            }
        }
    }

    private record Pending(ConsumerRecord<String, byte[]> record, Finding finding) {
    }

    private void processBatch(ConsumerRecords<String, byte[]> records) throws InterruptedException {
        List<Future<RecordMetadata>> deadLetterAcks = new ArrayList<>();
        List<Pending> pending = new ArrayList<>();
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (ConsumerRecord<String, byte[]> record : records) {
            offsets.put(new TopicPartition(record.topic(), record.partition()), new OffsetAndMetadata(record.offset() + 1));
            try {
                Finding finding = topics.findings().valueSerde().deserializer().deserialize(record.topic(), record.value());
                if (finding == null) {
                    throw new IllegalArgumentException("record has no value (null)");
                }
                pending.add(new Pending(record, finding));
            } catch (RuntimeException e) {
                deadLetterAcks.add(deadLetter(record, "avro:Finding", e.getMessage()));
            }
        }

        Duration backoff = Duration.ofMillis(200);
        while (!pending.isEmpty() && running.get()) {
            List<Pending> retry = bulkIndex(pending, deadLetterAcks);
            if (!retry.isEmpty()) {
                retries.increment();
                waitPaused(backoff);
                backoff = next(backoff);
            }
            pending = retry;
        }
        if (!pending.isEmpty()) {
            return; // shutting down: leave offsets uncommitted, the batch is redone on restart
        }
        for (Future<RecordMetadata> ack : deadLetterAcks) {
            try {
                ack.get();
            } catch (ExecutionException e) {
                throw new IllegalStateException("cannot write to the dead-letter topic, so offsets are not committed: "
                        + e.getCause().getMessage(), e.getCause());
            }
        }
        try {
            consumer.commitSync(offsets);
        } catch (CommitFailedException | RebalanceInProgressException e) {
            // Partitions moved while we waited; the new owner redoes the batch and ids keep it idempotent.
            LOG.info("offsets not committed after a rebalance ({}); the batch will be indexed again", e.getMessage());
        }
    }

    /** One bulk attempt; returns what must be retried. Permanent rejections are dead-lettered. */
    private List<Pending> bulkIndex(List<Pending> pending, List<Future<RecordMetadata>> deadLetterAcks) {
        List<BulkOperation> operations = new ArrayList<>(pending.size());
        for (Pending p : pending) {
            FindingDocument document = FindingDocument.of(p.finding());
            operations.add(BulkOperation.of(b -> b.index(i -> i
                    .index(index.indexFor(p.finding().getFirstSeen()))
                    .id(p.finding().getId())
                    .document(document))));
        }
        BulkResponse response;
        long start = System.nanoTime();
        try {
            response = client.bulk(b -> b.operations(operations));
        } catch (IOException | RuntimeException e) {
            LOG.warn("Elasticsearch bulk request failed ({}); {} findings wait in Kafka and will be retried",
                    e.getMessage(), pending.size());
            return pending;
        } finally {
            bulkLatency.record(Duration.ofNanos(System.nanoTime() - start));
        }
        List<Pending> retry = new ArrayList<>();
        List<BulkResponseItem> items = response.items();
        long now = System.currentTimeMillis();
        for (int i = 0; i < items.size(); i++) {
            BulkResponseItem item = items.get(i);
            Pending p = pending.get(i);
            if (item.error() == null) {
                indexed.increment();
                endToEndLatency.record(Duration.ofMillis(Math.max(0, now - p.finding().getLastSeen())));
            } else if (item.status() == 429 || item.status() >= 500) {
                retry.add(p);
            } else {
                String reason = "Elasticsearch rejected the document (" + item.status() + " " + item.error().type() + "): "
                        + item.error().reason();
                LOG.warn("finding {} dead-lettered: {}", p.finding().getId(), reason);
                deadLetterAcks.add(deadLetter(p.record(), "avro:Finding", reason));
            }
        }
        return retry;
    }

    private Future<RecordMetadata> deadLetter(ConsumerRecord<String, byte[]> record, String format, String reason) {
        deadLettered.increment();
        String origin = record.topic() + "-" + record.partition() + "@" + record.offset();
        DeadLetter letter = DeadLetters.of(record.value(), format, origin, "sink", reason);
        return deadLetterProducer.send(new ProducerRecord<>(topics.deadLetters().name(), record.key(),
                topics.deadLetters().valueSerde().serializer().serialize(topics.deadLetters().name(), letter)));
    }

    /** Waits while staying in the consumer group: partitions are paused, so polls return nothing. */
    private void waitPaused(Duration backoff) {
        var paused = consumer.assignment();
        consumer.pause(paused);
        try {
            long deadline = System.nanoTime() + backoff.toNanos();
            while (running.get() && System.nanoTime() < deadline) {
                ConsumerRecords<String, byte[]> unexpected = consumer.poll(Duration.ofMillis(
                        Math.max(1, Math.min(500, (deadline - System.nanoTime()) / 1_000_000))));
                // Partitions assigned during the wait are not paused; rewind them so nothing is skipped.
                for (TopicPartition partition : unexpected.partitions()) {
                    consumer.seek(partition, unexpected.records(partition).get(0).offset());
                    consumer.pause(List.of(partition));
                }
            }
        } finally {
            consumer.resume(consumer.assignment());
        }
    }

    private static Duration next(Duration backoff) {
        Duration doubled = backoff.multipliedBy(2);
        return doubled.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : doubled;
    }

    /** Stops consuming; a batch in flight is either finished or left uncommitted. */
    @Override
    public void close() {
        running.set(false);
        consumer.wakeup();
    }
}
