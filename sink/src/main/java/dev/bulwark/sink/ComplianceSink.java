package dev.bulwark.sink;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import co.elastic.clients.elasticsearch.core.BulkResponse;
import co.elastic.clients.elasticsearch.core.bulk.BulkOperation;
import co.elastic.clients.elasticsearch.core.bulk.BulkResponseItem;
import dev.bulwark.schemas.ComplianceResult;
import dev.bulwark.schemas.DeadLetter;
import dev.bulwark.schemas.DeadLetters;
import dev.bulwark.schemas.Topics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Consumes posture snapshots ({@link ComplianceResult}) and indexes each result as one immutable document
 * ({@link ComplianceIndex}).
 *
 * <p>Why a loop of its own: snapshots are history written once, unlike findings, which are updated in place; they need
 * no upsert and no tenant aliases. The guarantees are the finding sink's: offsets are committed only after
 * Elasticsearch confirmed every document of the batch or the record went to the dead-letter topic with the reason
 * (undecodable, or refused for good by Elasticsearch), and while Elasticsearch is down or pushing back (429, 5xx, no
 * connection) the partitions are paused and the batch retried with exponential backoff, in the consumer group all the
 * while. The document id is the snapshot's and the result's, so a replay overwrites the same documents.
 */
public final class ComplianceSink implements Runnable, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ComplianceSink.class);

    private final Consumer<String, byte[]> consumer;
    private final Producer<String, byte[]> deadLetters;
    private final ElasticsearchClient client;
    private final Topics topics;
    private final ComplianceIndex index;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Counter indexed;
    private final Counter deadLettered;
    private final Counter retries;
    private volatile boolean templateInstalled;

    public ComplianceSink(Consumer<String, byte[]> consumer, Producer<String, byte[]> deadLetters,
                          ElasticsearchClient client, Topics topics, ComplianceIndex index, MeterRegistry metrics) {
        this.consumer = consumer;
        this.deadLetters = deadLetters;
        this.client = client;
        this.topics = topics;
        this.index = index;
        this.indexed = Counter.builder("bulwark.sink.compliance.indexed")
                .description("posture snapshot results Elasticsearch confirmed").register(metrics);
        this.deadLettered = Counter.builder("bulwark.sink.compliance.dead.letters")
                .description("posture snapshot records dead-lettered (undecodable or refused by Elasticsearch)")
                .register(metrics);
        this.retries = Counter.builder("bulwark.sink.compliance.retries")
                .description("compliance bulk attempts that must be retried").register(metrics);
    }

    /** Whether the compliance index template is in place (for readiness). */
    public boolean templateInstalled() {
        return templateInstalled;
    }

    @Override
    public void run() {
        Duration backoff = Duration.ofMillis(200);
        while (running.get() && !templateInstalled) {
            try {
                index.installTemplate(client);
                templateInstalled = true;
            } catch (Exception e) {
                LOG.warn("Cannot install the compliance index template yet ({}); retrying in {} ms", e.getMessage(),
                        backoff.toMillis());
                sleep(backoff);
                backoff = Backoff.next(backoff);
            }
        }
        try {
            consumer.subscribe(List.of(topics.compliance().name()));
            while (running.get()) {
                ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofSeconds(1));
                if (!records.isEmpty()) {
                    handle(records);
                }
            }
        } catch (org.apache.kafka.common.errors.WakeupException e) {
            if (running.get()) {
                throw e;
            }
        } finally {
            consumer.close();
        }
    }

    /** Indexes one batch, dead-letters what cannot be indexed, then commits. */
    void handle(ConsumerRecords<String, byte[]> records) {
        List<ConsumerRecord<String, byte[]>> batch = new ArrayList<>();
        List<ComplianceResult> results = new ArrayList<>();
        List<Future<RecordMetadata>> letters = new ArrayList<>();
        for (ConsumerRecord<String, byte[]> record : records) {
            ComplianceResult result;
            try {
                result = topics.compliance().valueSerde().deserializer().deserialize(record.topic(), record.value());
            } catch (RuntimeException e) {
                result = null;
            }
            if (result == null) {
                letters.add(deadLetter(record, "not a readable ComplianceResult"));
            } else {
                batch.add(record);
                results.add(result);
            }
        }
        Duration backoff = Duration.ofMillis(200);
        while (running.get() && !batch.isEmpty()) {
            List<BulkOperation> operations = new ArrayList<>();
            for (ComplianceResult result : results) {
                operations.add(BulkOperation.of(o -> o.index(i -> i.index(index.indexFor(result.getSnapshotAt()))
                        .id(ComplianceIndex.documentId(result)).document(ComplianceIndex.document(result)))));
            }
            try {
                BulkResponse response = client.bulk(b -> b.operations(operations));
                List<ConsumerRecord<String, byte[]>> retry = new ArrayList<>();
                List<ComplianceResult> retryResults = new ArrayList<>();
                for (int i = 0; i < response.items().size(); i++) {
                    BulkResponseItem item = response.items().get(i);
                    if (item.error() == null) {
                        indexed.increment();
                    } else if (item.status() == 429 || item.status() >= 500) {
                        retry.add(batch.get(i));
                        retryResults.add(results.get(i));
                    } else {
                        letters.add(deadLetter(batch.get(i), "Elasticsearch refused the document: "
                                + item.error().type() + ": " + item.error().reason()));
                    }
                }
                batch = retry;
                results = retryResults;
            } catch (Exception e) {
                LOG.warn("Cannot index {} compliance results ({}); retrying in {} ms", batch.size(), e.getMessage(),
                        backoff.toMillis());
            }
            if (!batch.isEmpty()) {
                retries.increment();
                Backoff.waitPaused(consumer, backoff, running::get);
                backoff = Backoff.next(backoff);
            }
        }
        if (!running.get()) {
            return;
        }
        for (Future<RecordMetadata> letter : letters) {
            try {
                letter.get();
            } catch (Exception e) {
                throw new IllegalStateException("the dead-letter topic did not take a compliance record: " + e, e);
            }
        }
        consumer.commitSync();
    }

    private Future<RecordMetadata> deadLetter(ConsumerRecord<String, byte[]> record, String reason) {
        deadLettered.increment();
        String origin = record.topic() + "-" + record.partition() + "@" + record.offset();
        DeadLetter letter = DeadLetters.of(record.value(), "avro:ComplianceResult", origin, "sink", reason);
        return deadLetters.send(new ProducerRecord<>(topics.deadLetters().name(), record.key(),
                topics.deadLetters().valueSerde().serializer().serialize(topics.deadLetters().name(), letter)));
    }

    private void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running.set(false);
        }
    }

    @Override
    public void close() {
        running.set(false);
        consumer.wakeup();
    }
}
