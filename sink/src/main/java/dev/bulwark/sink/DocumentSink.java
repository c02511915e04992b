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
import dev.bulwark.schemas.EntityRisk;
import dev.bulwark.schemas.Incident;
import dev.bulwark.schemas.Topic;
import dev.bulwark.schemas.Topics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Consumes one topic of records that become one Elasticsearch document each, and indexes them: posture snapshots
 * ({@link ComplianceIndex}, history written once), entity risk ({@link EntityIndex}, each entity's latest state
 * overwriting its document) and incidents ({@link IncidentIndex}, each update merged into its document, triage kept).
 *
 * <p>Why a loop of its own: unlike findings, these documents need no first-seen bookkeeping and no tenant aliases.
 * The guarantees are the finding sink's: offsets are committed only after Elasticsearch confirmed every document of
 * the batch or the record went to the dead-letter topic with the reason (undecodable, or refused for good by
 * Elasticsearch), and while Elasticsearch is down or pushing back (429, 5xx, no connection) the partitions are paused
 * and the batch retried with exponential backoff, in the consumer group all the while. Document ids come from the
 * records, so a replay overwrites the same documents.
 */
public final class DocumentSink<T> implements Runnable, AutoCloseable {

    /**
     * What one topic's records become in Elasticsearch.
     *
     * @param name a short name for metrics and messages: {@code bulwark.sink.<name>.indexed}, for example
     * @param recordType the Avro record type the topic holds, for dead letters
     * @param topic the topic read
     * @param template installs the index template (idempotent)
     * @param operation the bulk operation that writes one record's document
     */
    public record Documents<T>(String name, String recordType, Topic<String, T> topic, Template template,
                               java.util.function.Function<T, BulkOperation> operation) {
    }

    /** Installs an index template. */
    @FunctionalInterface
    public interface Template {
        void install(ElasticsearchClient client) throws java.io.IOException;
    }

    private static final Logger LOG = LoggerFactory.getLogger(DocumentSink.class);

    private final Consumer<String, byte[]> consumer;
    private final Producer<String, byte[]> deadLetters;
    private final ElasticsearchClient client;
    private final Topics topics;
    private final Documents<T> documents;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Counter indexed;
    private final Counter deadLettered;
    private final Counter retries;
    private volatile boolean templateInstalled;

    public DocumentSink(Consumer<String, byte[]> consumer, Producer<String, byte[]> deadLetters,
                        ElasticsearchClient client, Topics topics, Documents<T> documents, MeterRegistry metrics) {
        this.consumer = consumer;
        this.deadLetters = deadLetters;
        this.client = client;
        this.topics = topics;
        this.documents = documents;
        String name = documents.name();
        this.indexed = Counter.builder("bulwark.sink." + name + ".indexed")
                .description(name + " documents Elasticsearch confirmed").register(metrics);
        this.deadLettered = Counter.builder("bulwark.sink." + name + ".dead.letters")
                .description(name + " records dead-lettered (undecodable or refused by Elasticsearch)")
                .register(metrics);
        this.retries = Counter.builder("bulwark.sink." + name + ".retries")
                .description(name + " bulk attempts that must be retried").register(metrics);
    }

    /** Posture snapshots: one immutable document per result. */
    public static DocumentSink<ComplianceResult> compliance(Consumer<String, byte[]> consumer,
            Producer<String, byte[]> deadLetters, ElasticsearchClient client, Topics topics, ComplianceIndex index,
            MeterRegistry metrics) {
        return new DocumentSink<>(consumer, deadLetters, client, topics, new Documents<>("compliance",
                "ComplianceResult", topics.compliance(), index::installTemplate,
                result -> BulkOperation.of(o -> o.index(i -> i.index(index.indexFor(result.getSnapshotAt()))
                        .id(ComplianceIndex.documentId(result)).document(ComplianceIndex.document(result))))),
                metrics);
    }

    /** Entity risk: one document per entity, overwritten by its newer states. */
    public static DocumentSink<EntityRisk> entities(Consumer<String, byte[]> consumer,
            Producer<String, byte[]> deadLetters, ElasticsearchClient client, Topics topics, EntityIndex index,
            MeterRegistry metrics) {
        return new DocumentSink<>(consumer, deadLetters, client, topics, new Documents<>("entity", "EntityRisk",
                topics.entityRisk(), index::installTemplate, index::operation), metrics);
    }

    /** Incidents: one document per incident, updated as findings join it, triage kept. */
    public static DocumentSink<Incident> incidents(Consumer<String, byte[]> consumer,
            Producer<String, byte[]> deadLetters, ElasticsearchClient client, Topics topics, IncidentIndex index,
            MeterRegistry metrics) {
        return new DocumentSink<>(consumer, deadLetters, client, topics, new Documents<>("incident", "Incident",
                topics.incidents(), index::installTemplate, index::operation), metrics);
    }

    /** The short name of what it indexes ({@code compliance}, {@code entity}, {@code incident}). */
    public String name() {
        return documents.name();
    }

    /** Whether the index template is in place (for readiness). */
    public boolean templateInstalled() {
        return templateInstalled;
    }

    @Override
    public void run() {
        Duration backoff = Duration.ofMillis(200);
        while (running.get() && !templateInstalled) {
            try {
                documents.template().install(client);
                templateInstalled = true;
            } catch (Exception e) {
                LOG.warn("Cannot install the {} index template yet ({}); retrying in {} ms", documents.name(),
                        e.getMessage(), backoff.toMillis());
                sleep(backoff);
                backoff = Backoff.next(backoff);
            }
        }
        try {
            consumer.subscribe(List.of(documents.topic().name()));
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
        List<T> results = new ArrayList<>();
        List<Future<RecordMetadata>> letters = new ArrayList<>();
        for (ConsumerRecord<String, byte[]> record : records) {
            T result;
            try {
                result = documents.topic().valueSerde().deserializer().deserialize(record.topic(), record.value());
            } catch (RuntimeException e) {
                result = null;
            }
            if (result == null) {
                letters.add(deadLetter(record, "not a readable " + documents.recordType()));
            } else {
                batch.add(record);
                results.add(result);
            }
        }
        Duration backoff = Duration.ofMillis(200);
        while (running.get() && !batch.isEmpty()) {
            List<BulkOperation> operations = new ArrayList<>();
            for (T result : results) {
                operations.add(documents.operation().apply(result));
            }
            try {
                BulkResponse response = client.bulk(b -> b.operations(operations));
                List<ConsumerRecord<String, byte[]>> retry = new ArrayList<>();
                List<T> retryResults = new ArrayList<>();
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
                LOG.warn("Cannot index {} {} documents ({}); retrying in {} ms", batch.size(), documents.name(),
                        e.getMessage(), backoff.toMillis());
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
                throw new IllegalStateException("the dead-letter topic did not take a " + documents.name() + " record: "
                        + e, e);
            }
        }
        consumer.commitSync();
    }

    private Future<RecordMetadata> deadLetter(ConsumerRecord<String, byte[]> record, String reason) {
        deadLettered.increment();
        String origin = DeadLetters.origin(record.topic(), record.partition(), record.offset());
        DeadLetter letter = DeadLetters.of(record.value(), "avro:" + documents.recordType(), origin, "sink", reason);
        return DeadLetters.send(deadLetters, topics, record.key(), letter);
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
