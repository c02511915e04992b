package dev.bulwark.bench;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

import dev.bulwark.detection.TenantResolver;
import dev.bulwark.detectors.api.FindingBuilder;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.schemas.Topic;
import dev.bulwark.schemas.Topics;
import dev.bulwark.sigma.CompiledRuleSet;
import dev.bulwark.sigma.RuleMatch;
import dev.bulwark.sigma.SigmaDetector;
import dev.bulwark.sigma.SigmaEngine;
import dev.bulwark.sigma.SigmaFindings;

/**
 * Records per second per thread of the Kafka value serdes of the events and findings topics ({@code AvroSerde}, Avro
 * single-object encoding): {@code serializeEvent}, {@code deserializeEvent}, {@code serializeFinding},
 * {@code deserializeFinding}.
 *
 * <p>Why: every event is encoded once by ingest and decoded once by each consumer group (detectors, and the sink for
 * findings), so the serde is on the hot path of every stage. Events: everything the bundled workload records of every
 * format normalize into (the parsers' real output, with the container-log origins of {@link ParseBenchmark}).
 * Findings: what the shipped Sigma rules report on the events of {@link SigmaMatchBenchmark} (the attacks and the
 * audit records they match), built by the Sigma detector's own {@code SigmaFindings.ruleFinding}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class AvroSerdeBenchmark {

    /** Records encoded or decoded per benchmark invocation (the workload records, cycled). */
    static final int BATCH = 1024;

    /** Events through the events topic's value serde. */
    @State(Scope.Thread)
    public static class Events {
        Codec<SecurityEvent> codec;

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            codec = new Codec<>(Topics.defaults().events(), events());
        }
    }

    /** Findings through the findings topic's value serde. */
    @State(Scope.Thread)
    public static class Findings {
        Codec<Finding> codec;

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            codec = new Codec<>(Topics.defaults().findings(), findings());
        }
    }

    /** Encodes one batch of events; the score is events per second. Returns the bytes written. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long serializeEvent(Events state, Blackhole blackhole) {
        return state.codec.serialize(blackhole);
    }

    /** Decodes one batch of events; the score is events per second. Returns the last event decoded. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public SecurityEvent deserializeEvent(Events state, Blackhole blackhole) {
        return state.codec.deserialize(blackhole);
    }

    /** Encodes one batch of findings; the score is findings per second. Returns the bytes written. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long serializeFinding(Findings state, Blackhole blackhole) {
        return state.codec.serialize(blackhole);
    }

    /** Decodes one batch of findings; the score is findings per second. Returns the last finding decoded. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public Finding deserializeFinding(Findings state, Blackhole blackhole) {
        return state.codec.deserialize(blackhole);
    }

    /**
     * One topic's value serde with a batch of records and their encodings.
     *
     * @param <T> the record type
     */
    static final class Codec<T extends SpecificRecord> {
        final String topic;
        final Serializer<T> serializer;
        final Deserializer<T> deserializer;
        final int cycled;
        final List<T> records;
        final byte[][] encoded;

        Codec(Topic<String, T> topic, List<T> workload) {
            if (workload.isEmpty()) {
                throw new IllegalStateException("no records for " + topic.name());
            }
            this.topic = topic.name();
            this.serializer = topic.valueSerde().serializer();
            this.deserializer = topic.valueSerde().deserializer();
            this.cycled = Math.min(workload.size(), BATCH);
            this.records = ParseBenchmark.cycleList(workload, BATCH);
            this.encoded = new byte[BATCH][];
            for (int i = 0; i < BATCH; i++) {
                encoded[i] = serializer.serialize(this.topic, records.get(i));
            }
        }

        long serialize(Blackhole blackhole) {
            long bytes = 0;
            for (T record : records) {
                byte[] encoding = serializer.serialize(topic, record);
                bytes += encoding.length;
                blackhole.consume(encoding);
            }
            return bytes;
        }

        T deserialize(Blackhole blackhole) {
            T last = null;
            for (byte[] encoding : encoded) {
                last = deserializer.deserialize(topic, encoding);
                blackhole.consume(last);
            }
            return last;
        }

        /** Mean encoded size of the batch in bytes. */
        double meanBytes() {
            long bytes = 0;
            for (byte[] encoding : encoded) {
                bytes += encoding.length;
            }
            return bytes / (double) encoded.length;
        }

        /** For the summary: records cycled, mean size and the data rate at a records/s score. */
        String describe(String what, double recordsPerSecond) {
            return String.format(Locale.ROOT, "%4d %s cycled, mean %,5.0f B = %,.1f MB/s", cycled, what,
                    meanBytes(), recordsPerSecond * meanBytes() / 1e6);
        }
    }

    /** Every event the bundled workload records of every format normalize into. */
    static List<SecurityEvent> events() throws IOException {
        List<SecurityEvent> events = new ArrayList<>();
        for (String format : Workloads.formats()) {
            events.addAll(ParseBenchmark.events(format));
        }
        return events;
    }

    /** The findings of the shipped Sigma rules on the Sigma benchmark's events, one per rule match. */
    static List<Finding> findings() throws IOException {
        CompiledRuleSet rules = SigmaMatchBenchmark.ruleSet(SigmaEngine.create(), "all");
        SigmaDetector detector = new SigmaDetector();
        TenantResolver tenants = new TenantResolver(Map.of("default", "platform", "bench-ns", "tenant-a"));
        List<Finding> findings = new ArrayList<>();
        for (SecurityEvent event : SigmaMatchBenchmark.events(SigmaMatchBenchmark.EVENTS)) {
            for (RuleMatch match : rules.match(event)) {
                findings.add(SigmaFindings.ruleFinding(e -> new FindingBuilder(detector.name(), detector.version(),
                        tenants::tenantOf, e), match, event));
            }
        }
        return findings;
    }
}
