package dev.bulwark.detectors;

import java.io.File;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.streams.StreamsMetrics;
import org.apache.kafka.streams.processor.Cancellable;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.Punctuator;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.processor.api.InternalFixedKeyRecordFactory;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * A {@link FixedKeyProcessorContext} over kafka-streams-test-utils' {@link MockProcessorContext}, which has no
 * fixed-key variant (4.4): stores, punctuators, time and forwarded records are the mock's, so tests assert on
 * {@link #mock()} as for any processor.
 */
public final class MockFixedKeyProcessorContext<K, V> implements FixedKeyProcessorContext<K, V> {

    private final MockProcessorContext<K, V> mock;

    public MockFixedKeyProcessorContext(MockProcessorContext<K, V> mock) {
        this.mock = mock;
    }

    /** The context that records what the processor forwards and schedules. */
    public MockProcessorContext<K, V> mock() {
        return mock;
    }

    /** A fixed-key record, as Kafka Streams hands one to {@code process} (its constructor is not public). */
    public static <K, V> FixedKeyRecord<K, V> record(K key, V value, long timestamp) {
        return InternalFixedKeyRecordFactory.create(new Record<>(key, value, timestamp));
    }

    @Override
    public <K1 extends K, V1 extends V> void forward(FixedKeyRecord<K1, V1> record) {
        mock.forward(new Record<>(record.key(), record.value(), record.timestamp(), record.headers()));
    }

    @Override
    public <K1 extends K, V1 extends V> void forward(FixedKeyRecord<K1, V1> record, String childName) {
        mock.forward(new Record<>(record.key(), record.value(), record.timestamp(), record.headers()), childName);
    }

    @Override
    public String applicationId() {
        return mock.applicationId();
    }

    @Override
    public TaskId taskId() {
        return mock.taskId();
    }

    @Override
    public Optional<RecordMetadata> recordMetadata() {
        return mock.recordMetadata();
    }

    @Override
    public Serde<?> keySerde() {
        return mock.keySerde();
    }

    @Override
    public Serde<?> valueSerde() {
        return mock.valueSerde();
    }

    @Override
    public File stateDir() {
        return mock.stateDir();
    }

    @Override
    public StreamsMetrics metrics() {
        return mock.metrics();
    }

    @Override
    public <S extends StateStore> S getStateStore(String name) {
        return mock.getStateStore(name);
    }

    @Override
    public Cancellable schedule(Duration interval, PunctuationType type, Punctuator callback) {
        return mock.schedule(interval, type, callback);
    }

    @Override
    public Cancellable schedule(Instant startTime, Duration interval, PunctuationType type, Punctuator callback) {
        return mock.schedule(startTime, interval, type, callback);
    }

    @Override
    public void commit() {
        mock.commit();
    }

    @Override
    public Map<String, Object> appConfigs() {
        return mock.appConfigs();
    }

    @Override
    public Map<String, Object> appConfigsWithPrefix(String prefix) {
        return mock.appConfigsWithPrefix(prefix);
    }

    @Override
    public long currentSystemTimeMs() {
        return mock.currentSystemTimeMs();
    }

    @Override
    public long currentStreamTimeMs() {
        return mock.currentStreamTimeMs();
    }
}
