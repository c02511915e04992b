package dev.bulwark.detection;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;

import dev.bulwark.schemas.AvroSerde;
import dev.bulwark.schemas.DeadLetter;
import dev.bulwark.schemas.DeadLetters;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Kafka Streams exception handlers that dead-letter the record a processor, a deserializer or the producer failed on,
 * then let the stream go on.
 *
 * <p>Why: without them one record that makes a detector throw kills the stream thread; the replacement thread reads
 * the same record again and every detector stalls behind it for good. Each handler writes a {@link DeadLetter} (the
 * source record's original bytes, the processor and detector that failed, the exception) to the dead-letter topic in
 * the same transaction as the rest of the task's output, and resumes. Siblings of the failing processor still get the
 * record, so the other detectors' findings are not lost. Transient producer errors are retried, not dead-lettered.
 *
 * <p>Configured through {@link DetectionTopology#streamsConfig}: {@link #TOPIC_CONFIG} names the dead-letter topic,
 * {@link #DETECTORS_CONFIG} the detector names (to say which detector a processor belongs to) and
 * {@link #METRICS_CONFIG} an optional {@link MeterRegistry} for the {@code bulwark.detect.handler.dead.letters} count.
 */
public final class DeadLetterHandlers {

    /** Streams config key: the dead-letter topic. */
    public static final String TOPIC_CONFIG = "bulwark.dead.letter.topic";
    /** Streams config key: the running detectors' names (a collection or a comma-separated string). */
    public static final String DETECTORS_CONFIG = "bulwark.detector.names";
    /** Streams config key: a {@link MeterRegistry} to count into (an object, not a string). */
    public static final String METRICS_CONFIG = "bulwark.metrics.registry";

    /** Name of the counter, tagged {@code kind} (deserialization, processing, production) and {@code detector}. */
    public static final String COUNTER = "bulwark.detect.handler.dead.letters";

    private static final AvroSerde<DeadLetter> LETTERS = AvroSerde.of(DeadLetter.class);

    private DeadLetterHandlers() {
    }

    /** What every handler shares: where letters go, how they are counted, which detector a processor is. */
    abstract static class Base {
        private String topic;
        private List<String> detectors = List.of();
        private MeterRegistry metrics;

        public void configure(Map<String, ?> configs) {
            Object configured = configs.get(TOPIC_CONFIG);
            if (configured == null || configured.toString().isBlank()) {
                throw new IllegalArgumentException(TOPIC_CONFIG + " must name the dead-letter topic");
            }
            topic = configured.toString();
            Object names = configs.get(DETECTORS_CONFIG);
            if (names instanceof Collection<?> collection) {
                detectors = collection.stream().map(Object::toString).toList();
            } else if (names != null && !names.toString().isBlank()) {
                detectors = List.of(names.toString().split(","));
            }
            // Longest first, so "sigma-x" wins over "sigma" for a node named "sigma-x-finding".
            detectors = detectors.stream().map(String::strip).sorted(Comparator.comparingInt(String::length).reversed()).toList();
            if (configs.get(METRICS_CONFIG) instanceof MeterRegistry registry) {
                metrics = registry;
            }
        }

        /** The detector whose processor {@code nodeId} is, or {@code null} for the shared part of the topology. */
        String detectorOf(String nodeId) {
            if (nodeId == null) {
                return null;
            }
            for (String name : detectors) {
                if (nodeId.equals(name) || nodeId.startsWith(name + "-")) {
                    return name;
                }
            }
            return null;
        }

        /** The dead letter as a record for the dead-letter topic, keyed like the source record. */
        List<ProducerRecord<byte[], byte[]>> letter(String kind, ErrorHandlerContext context, byte[] key, byte[] original,
                                                   Exception exception) {
            String node = context == null ? null : context.processorNodeId();
            String detector = detectorOf(node);
            String origin = context == null || context.topic() == null ? null
                    : context.topic() + "-" + context.partition() + "@" + context.offset();
            String error = kind + " failed"
                    + (node == null ? "" : " in processor " + node)
                    + (detector == null ? "" : " (detector " + detector + ")")
                    + ": " + describe(exception);
            DeadLetter letter = DeadLetters.of(original, context == null || context.topic() == null ? "unknown"
                    : "avro:" + context.topic(), origin, "detect", error);
            if (metrics != null) {
                Counter.builder(COUNTER).description("records dead-lettered by a Kafka Streams exception handler")
                        .tag("kind", kind).tag("detector", detector == null ? "none" : detector)
                        .register(metrics).increment();
            }
            List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>(1);
            records.add(new ProducerRecord<>(topic, key, LETTERS.serialize(topic, letter)));
            return records;
        }

        static String describe(Throwable exception) {
            StringBuilder text = new StringBuilder(exception.getClass().getName());
            if (exception.getMessage() != null) {
                text.append(": ").append(exception.getMessage());
            }
            Throwable cause = exception.getCause();
            for (int depth = 0; cause != null && cause != exception && depth < 3; depth++, cause = cause.getCause()) {
                text.append("; caused by ").append(cause.getClass().getName());
                if (cause.getMessage() != null) {
                    text.append(": ").append(cause.getMessage());
                }
            }
            return text.length() > 2000 ? text.substring(0, 2000) + "…" : text.toString();
        }
    }

    /** A processor (a detector, enrichment, decoding) threw: dead-letter the source record and go on. */
    public static final class Processing extends Base implements ProcessingExceptionHandler {
        @Override
        public Response handleError(ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
            return Response.resume(letter("processing", context, context == null ? null : context.sourceRawKey(),
                    context == null ? null : context.sourceRawValue(), exception));
        }
    }

    /** A record on a topic the topology reads with a typed serde could not be decoded: dead-letter it and go on. */
    public static final class Deserialization extends Base implements DeserializationExceptionHandler {
        @Override
        public Response handleError(ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception exception) {
            return Response.resume(letter("deserialization", context, record.key(), record.value(), exception));
        }
    }

    /**
     * A finding or store update could not be produced (too large, not serializable): dead-letter the source record that
     * led to it and go on. Transient errors are retried.
     *
     * <p>Under exactly-once this cannot save a record the broker refuses: Kafka's transactional producer aborts the
     * whole transaction, the dead letter included. There, refusals are prevented instead: {@link FindingBounds} keeps
     * every finding under {@code detection.maxFindingBytes}, and detection refuses to start when that bound, or a dead
     * letter's, does not fit the topics' {@code max.message.bytes} or the producer's {@code max.request.size}.
     */
    public static final class Production extends Base implements ProductionExceptionHandler {
        @Override
        public Response handleError(ErrorHandlerContext context, ProducerRecord<byte[], byte[]> record, Exception exception) {
            if (exception instanceof RetriableException) {
                return Response.retry();
            }
            return Response.resume(letter("production to " + record.topic(), context, sourceKey(context, record),
                    original(context, record), exception));
        }

        @Override
        public Response handleSerializationError(ErrorHandlerContext context, ProducerRecord record, Exception exception,
                                                 SerializationExceptionOrigin origin) {
            return Response.resume(letter("serialization of the " + origin.name().toLowerCase(java.util.Locale.ROOT)
                    + " for " + record.topic(), context, context == null ? null : context.sourceRawKey(),
                    context == null ? null : context.sourceRawValue(), exception));
        }

        private static byte[] sourceKey(ErrorHandlerContext context, ProducerRecord<byte[], byte[]> record) {
            return context != null && context.sourceRawKey() != null ? context.sourceRawKey() : record.key();
        }

        private static byte[] original(ErrorHandlerContext context, ProducerRecord<byte[], byte[]> record) {
            return context != null && context.sourceRawValue() != null ? context.sourceRawValue() : record.value();
        }
    }
}
