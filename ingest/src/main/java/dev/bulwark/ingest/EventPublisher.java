package dev.bulwark.ingest;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import dev.bulwark.schemas.DeadLetter;
import dev.bulwark.schemas.DeadLetters;
import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.schemas.Topics;

/**
 * Normalizes records and publishes the events, context updates or dead letters to Kafka without losing any.
 *
 * <p>Why: this is the one place where input becomes durable. The producer is idempotent with {@code acks=all}; its
 * buffer is bounded, so when Kafka is slower than the reader, {@code send} blocks and the reader slows down instead of
 * dropping records or growing memory. Counts are taken from Kafka's acknowledgements, not from sends.
 */
public final class EventPublisher implements AutoCloseable {

    /** Producer settings that lose nothing; callers may add their own on top. */
    public static Properties producerConfig(String bootstrapServers, String clientId) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
        props.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 32L * 1024 * 1024);
        // Backpressure: a full buffer blocks send() (the reader waits) for up to this long before failing loudly.
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Long.toString(Duration.ofMinutes(5).toMillis()));
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Long.toString(Duration.ofMinutes(2).toMillis()));
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, 128 * 1024);
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 2 * 1024 * 1024);
        return props;
    }

    /**
     * Largest message published: safely below the broker's default {@code message.max.bytes} (1,048,588 bytes, batch
     * overhead included). A record that normalizes into a larger event (a huge log line, a partial container-log line
     * that never completed) is dead-lettered with the reason instead of failing its delivery.
     */
    public static final int MAX_MESSAGE_BYTES = 1_000_000;

    private final Producer<String, byte[]> producer;
    private final Topics topics;
    private final IngestStats stats;
    private final AtomicReference<Exception> firstFailure = new AtomicReference<>();
    private volatile EventTimePolicy eventTime = EventTimePolicy.ANY;

    public EventPublisher(Map<String, Object> producerConfig, Topics topics, IngestStats stats) {
        this(new KafkaProducer<>(producerConfig, new StringSerializer(), new ByteArraySerializer()), topics, stats);
    }

    /** For tests that bring their own producer. */
    public EventPublisher(Producer<String, byte[]> producer, Topics topics, IngestStats stats) {
        this.producer = producer;
        this.topics = topics;
        this.stats = stats;
    }

    /**
     * Bounds event time from now on ({@link EventTimePolicy}); without a call every time is accepted.
     *
     * @return this publisher
     */
    public EventPublisher withEventTime(EventTimePolicy policy) {
        this.eventTime = java.util.Objects.requireNonNull(policy, "policy");
        return this;
    }

    public IngestStats stats() {
        return stats;
    }

    /**
     * Normalizes one record and publishes its events and context updates, or a dead letter with the reason.
     *
     * @param record the raw bytes (cut to the size limit when {@code size} is larger)
     * @param size the record's full size (larger than {@code record.length} when the reader cut it)
     * @param origin where it came from, for the dead letter
     * @return completes when Kafka acknowledged every record this produced, or fails with Kafka's error; the
     *         {@link Outcome} says whether it was normalized or dead-lettered
     */
    public CompletableFuture<Outcome> publish(SourceParser parser, byte[] record, long size, String origin) {
        return send(prepare(parser, record, size, origin));
    }

    /**
     * The CPU-heavy half of {@link #publish}: normalizes and serializes one record without touching Kafka or the
     * ledger. Thread-safe, so several threads can prepare records that one thread then {@link #send}s in order.
     */
    public Prepared prepare(SourceParser parser, byte[] record, long size, String origin) {
        if (size > record.length) {
            return prepareDeadLetter(record, size, parser.format(), origin,
                    "record of " + size + " bytes exceeds the limit of " + record.length + " bytes");
        }
        Normalized normalized;
        try {
            normalized = parser.normalize(record, origin);
            if (normalized.isEmpty()) {
                throw new ParseException("record holds nothing to normalize");
            }
        } catch (ParseException e) {
            return prepareDeadLetter(record, size, parser.format(), origin, e.getMessage());
        } catch (RuntimeException e) {
            // A parser bug must not lose the record either.
            return prepareDeadLetter(record, size, parser.format(), origin, "parser failure: " + e);
        }
        Message[] messages = new Message[normalized.size()];
        int i = 0;
        EventTimePolicy policy = eventTime;
        java.time.Instant now = policy.clock().instant();
        for (SecurityEvent event : normalized.events()) {
            String problem = policy.problem(event, now);
            if (problem != null) {
                if (policy.deadLetter()) {
                    return prepareDeadLetter(record, size, parser.format(), origin, policy.reason(event, problem));
                }
                event = policy.clamp(event, problem, now);
            }
            messages[i++] = new Message(topics.events().name(), EventKeys.of(event), topics.events().valueSerde()
                    .serializer().serialize(topics.events().name(), event), Kind.EVENT);
        }
        for (ContextUpdate update : normalized.contextUpdates()) {
            byte[] value = update.isDeletion() ? null
                    : topics.context().valueSerde().serializer().serialize(topics.context().name(), update.value());
            messages[i++] = new Message(topics.context().name(), update.key(), value, Kind.CONTEXT);
        }
        for (Message message : messages) {
            long bytes = (message.value() == null ? 0 : message.value().length)
                    + (message.key() == null ? 0 : 4L * message.key().length());
            if (bytes > MAX_MESSAGE_BYTES) {
                return prepareDeadLetter(record, size, parser.format(), origin, "normalizes into a message of about "
                        + bytes + " bytes, above Kafka's message limit (" + MAX_MESSAGE_BYTES + " bytes published at most)");
            }
        }
        return new Prepared(List.of(messages),
                new Outcome(normalized.events().size(), normalized.contextUpdates().size(), null));
    }

    /**
     * Publishes a prepared record: counts it in the ledger and hands its messages to the producer, in order.
     *
     * @return completes when Kafka acknowledged every message
     */
    public CompletableFuture<Outcome> send(Prepared prepared) {
        stats.recordRead();
        if (!prepared.outcome().deadLettered()) {
            stats.recordNormalized();
        }
        List<Message> messages = prepared.messages();
        Outcome outcome = prepared.outcome();
        if (messages.size() == 1) {
            return send(messages.get(0)).thenApply(x -> outcome);
        }
        CompletableFuture<?>[] sends = new CompletableFuture<?>[messages.size()];
        for (int i = 0; i < sends.length; i++) {
            sends[i] = send(messages.get(i));
        }
        return CompletableFuture.allOf(sends).thenApply(x -> outcome);
    }

    /**
     * What became of one record.
     *
     * @param events events published
     * @param contextUpdates context updates (including tombstones) published
     * @param deadLetterReason the reason when the record was dead-lettered, else null
     */
    public record Outcome(int events, int contextUpdates, String deadLetterReason) {
        public boolean deadLettered() {
            return deadLetterReason != null;
        }
    }

    /** A record normalized and serialized, ready to {@link #send}. */
    public record Prepared(List<Message> messages, Outcome outcome) {
    }

    /** One Kafka message of a prepared record. */
    public record Message(String topic, String key, byte[] value, Kind kind) {
    }

    /** What a message is, for the ledger. */
    public enum Kind { EVENT, CONTEXT, DEAD_LETTER }

    /**
     * Publishes one context update that was normalized elsewhere (the live cluster watcher parses with the same
     * {@code k8s-objects} parser): counts one record read and normalized and one context message, as the file ingest
     * counts it.
     *
     * @return completes when Kafka acknowledged it
     */
    public CompletableFuture<Outcome> publishContext(ContextUpdate update) {
        byte[] value = update.isDeletion() ? null
                : topics.context().valueSerde().serializer().serialize(topics.context().name(), update.value());
        return send(new Prepared(List.of(new Message(topics.context().name(), update.key(), value, Kind.CONTEXT)),
                new Outcome(0, 1, null)));
    }

    /**
     * Publishes a dead letter for a record rejected before parsing (e.g. an HTTP body that is too large); it counts as
     * one record read.
     */
    public CompletableFuture<Outcome> deadLetter(byte[] record, long size, String format, String origin, String reason) {
        return send(prepareDeadLetter(record, size, format, origin, reason));
    }

    private Prepared prepareDeadLetter(byte[] record, long size, String format, String origin, String reason) {
        DeadLetter letter = DeadLetters.of(record, format, origin, "ingest", reason);
        if (size > record.length) {
            letter.setOriginalSize(size);
            letter.setTruncated(true);
        }
        return new Prepared(List.of(new Message(topics.deadLetters().name(), origin, topics.deadLetters().valueSerde()
                .serializer().serialize(topics.deadLetters().name(), letter), Kind.DEAD_LETTER)), new Outcome(0, 0, reason));
    }

    private CompletableFuture<Void> send(Message message) {
        return send(message.topic(), message.key(), message.value(), message.kind());
    }

    private CompletableFuture<Void> send(String topic, String key, byte[] value, Kind kind) {
        CompletableFuture<Void> acknowledged = new CompletableFuture<>();
        producer.send(new ProducerRecord<>(topic, key, value), (metadata, exception) -> {
            if (exception != null) {
                stats.deliveryFailed();
                firstFailure.compareAndSet(null, exception);
                acknowledged.completeExceptionally(exception);
                return;
            }
            switch (kind) {
                case EVENT -> stats.eventAcknowledged();
                case CONTEXT -> stats.contextUpdateAcknowledged();
                case DEAD_LETTER -> stats.deadLetterAcknowledged();
            }
            acknowledged.complete(null);
        });
        return acknowledged;
    }

    /**
     * Waits until Kafka acknowledged everything sent so far.
     *
     * @throws IllegalStateException when any record was not acknowledged, with Kafka's reason
     */
    public void flush() {
        producer.flush();
        Exception failure = firstFailure.get();
        if (failure != null) {
            throw new IllegalStateException(stats.failed() + " record(s) were not acknowledged by Kafka: "
                    + failure.getMessage() + " (check the broker with ./bulwark local status and ingest again)", failure);
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(30));
    }
}
