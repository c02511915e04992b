package dev.bulwark.ingest;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import dev.bulwark.schemas.DeadLetter;
import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.schemas.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * Runs the real ingest path (record reader, the parser's framing, {@link EventPublisher}) against an in-memory
 * producer and decodes what reached the events and dead-letter topics.
 *
 * <p>Why: parser tests need to show what becomes of a whole input file (pretty-printed documents, mixed or foreign
 * content) without a broker.
 */
public final class InMemoryIngest {

    /** What one input produced. */
    public record Result(List<SecurityEvent> events, List<DeadLetter> deadLetters, long recordsIn) {
    }

    private InMemoryIngest() {
    }

    /** Ingests {@code input} as the file {@code name} with {@code parser}. */
    public static Result run(byte[] input, String name, SourceParser parser) {
        return run(input, name, parser, EventTimePolicy.ANY);
    }

    /** Ingests {@code input} as the file {@code name} with {@code parser}, bounding event time by {@code eventTime}. */
    public static Result run(byte[] input, String name, SourceParser parser, EventTimePolicy eventTime) {
        MockProducer<String, byte[]> producer =
                new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
        Topics topics = Topics.defaults();
        IngestStats stats = new IngestStats(new SimpleMeterRegistry(), parser.format());
        EventPublisher publisher = new EventPublisher(producer, topics, stats).withEventTime(eventTime);
        try {
            new StreamIngestor(publisher, StreamIngestor.DEFAULT_MAX_RECORD_BYTES)
                    .ingest(new ByteArrayInputStream(input), name, parser, n -> { });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        publisher.flush();
        List<SecurityEvent> events = new ArrayList<>();
        List<DeadLetter> deadLetters = new ArrayList<>();
        for (ProducerRecord<String, byte[]> record : producer.history()) {
            if (record.topic().equals(topics.events().name())) {
                events.add(topics.events().valueSerde().deserializer().deserialize(record.topic(), record.value()));
            } else if (record.topic().equals(topics.deadLetters().name())) {
                deadLetters.add(topics.deadLetters().valueSerde().deserializer().deserialize(record.topic(), record.value()));
            }
        }
        return new Result(events, deadLetters, stats.recordsIn());
    }
}
