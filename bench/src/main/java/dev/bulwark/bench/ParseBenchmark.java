package dev.bulwark.bench;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

import dev.bulwark.ingest.Normalized;
import dev.bulwark.ingest.ParseException;
import dev.bulwark.ingest.Parsers;
import dev.bulwark.ingest.SourceParser;
import dev.bulwark.schemas.SecurityEvent;

/**
 * Records per second per thread of each ingest parser ({@code SourceParser.normalize}) on the bundled workload of its
 * format.
 *
 * <p>Why: every record read by {@code bulwark ingest} and the HTTP receiver goes through a parser before anything
 * else, so a parser slower than the broker caps the whole pipeline; a figure per format shows which one would. The
 * score counts source records; one record may yield several outputs (a Trivy report one event per finding, a
 * Kubernetes audit list one event per item, a Kubernetes object list context updates instead of events), so
 * {@link Batch#eventsPerRecord()} tells how to turn records/s into events/s.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class ParseBenchmark {

    /** Records normalized per benchmark invocation (the format's workload records, cycled). */
    static final int RECORDS = 256;

    /** A 64-hex container id for the container-log origins. */
    private static final String CONTAINER_ID = "ab".repeat(32);

    /** Input format, as accepted by {@code Parsers.forFormat}. */
    @Param({"falco", "tetragon", "k8s-audit", "cri", "docker", "trivy", "k8s-objects"})
    public String format;

    private SourceParser parser;
    private String origin;
    private byte[][] records;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        parser = Parsers.forFormat(format);
        origin = origin(format);
        records = cycle(Workloads.records(format), RECORDS);
    }

    /** Normalizes one batch of records; the score is records per second. Returns the outputs of the batch. */
    @Benchmark
    @OperationsPerInvocation(RECORDS)
    public int normalize(Blackhole blackhole) throws ParseException {
        int outputs = 0;
        for (byte[] record : records) {
            Normalized normalized = parser.normalize(record, origin);
            outputs += normalized.size();
            blackhole.consume(normalized);
        }
        return outputs;
    }

    /**
     * The origin a record of this format would carry when read from its usual place: container-log parsers take pod,
     * namespace, container and container id from the file name, so {@code cri} gets a {@code /var/log/containers}
     * name and {@code docker} a {@code /var/lib/docker/containers} name; the other parsers only quote the origin in
     * error messages.
     */
    static String origin(String format) {
        return switch (format) {
            case "cri" -> "/var/log/containers/bench-workload-7d9c_bench-ns_app-" + CONTAINER_ID + ".log:1";
            case "docker" -> "/var/lib/docker/containers/" + CONTAINER_ID + "/" + CONTAINER_ID + "-json.log:1";
            default -> "bench/" + format + ":1";
        };
    }

    /** {@code count} entries cycling through {@code templates}. */
    static <T> List<T> cycleList(List<T> templates, int count) {
        List<T> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(templates.get(i % templates.size()));
        }
        return out;
    }

    private static byte[][] cycle(List<byte[]> templates, int count) {
        return cycleList(templates, count).toArray(byte[][]::new);
    }

    /** The events each bundled record of a format normalizes into, parsed with that format's usual origin. */
    static List<SecurityEvent> events(String format) throws IOException {
        SourceParser parser = Parsers.forFormat(format);
        List<SecurityEvent> events = new ArrayList<>();
        for (byte[] record : Workloads.records(format)) {
            try {
                events.addAll(parser.normalize(record, origin(format)).events());
            } catch (ParseException e) {
                throw new IOException(format + " workload record stopped normalizing: " + e.getMessage(), e);
            }
        }
        return events;
    }

    /**
     * What one benchmark invocation of a format parses and yields.
     *
     * @param templates distinct workload records
     * @param records records per invocation
     * @param events events they yield
     * @param contextUpdates context updates they yield
     * @param bytes bytes they hold
     */
    record Batch(int templates, int records, long events, long contextUpdates, long bytes) {

        /** The batch of one format. */
        static Batch of(String format) throws IOException {
            SourceParser parser = Parsers.forFormat(format);
            List<byte[]> templates = Workloads.records(format);
            long events = 0;
            long updates = 0;
            long bytes = 0;
            for (byte[] record : cycleList(templates, RECORDS)) {
                try {
                    Normalized normalized = parser.normalize(record, origin(format));
                    events += normalized.events().size();
                    updates += normalized.contextUpdates().size();
                } catch (ParseException e) {
                    throw new IOException(format + " workload record stopped normalizing: " + e.getMessage(), e);
                }
                bytes += record.length;
            }
            return new Batch(templates.size(), RECORDS, events, updates, bytes);
        }

        double eventsPerRecord() {
            return events / (double) records;
        }

        double contextUpdatesPerRecord() {
            return contextUpdates / (double) records;
        }

        /** For the summary: records, outputs per record, and events/s (or updates/s) at a records/s score. */
        String describe(double recordsPerSecond) {
            String perRecord = contextUpdates == 0
                    ? String.format(Locale.ROOT, "%.2f events/record = %,.0f events/s", eventsPerRecord(),
                            recordsPerSecond * eventsPerRecord())
                    : String.format(Locale.ROOT, "%.2f events + %.2f context updates/record = %,.0f outputs/s",
                            eventsPerRecord(), contextUpdatesPerRecord(),
                            recordsPerSecond * (eventsPerRecord() + contextUpdatesPerRecord()));
            return String.format(Locale.ROOT, "%2d records, %,6.0f B/record, %s", templates,
                    bytes / (double) records, perRecord);
        }
    }
}
