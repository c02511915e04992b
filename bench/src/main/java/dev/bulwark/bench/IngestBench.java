package dev.bulwark.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;

import dev.bulwark.deploy.LocalStack;
import dev.bulwark.ingest.EventPublisher;
import dev.bulwark.ingest.IngestStats;
import dev.bulwark.ingest.Normalized;
import dev.bulwark.ingest.ParseException;
import dev.bulwark.ingest.Parsers;
import dev.bulwark.ingest.SourceParser;
import dev.bulwark.ingest.StreamIngestor;
import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.schemas.TopicAdmin;
import dev.bulwark.schemas.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * File ingest throughput of each format into the real broker, beside Kafka's {@code ProducerPerformance} sending records
 * of the same size with the same producer settings to the same broker in the same run.
 *
 * <p>Why: the ingest path must keep up with what the broker takes; the ratio says how much parsing, normalization and
 * Avro encoding cost against the broker's own limit.
 */
@Command(name = "ingest", mixinStandardHelpOptions = true,
        description = "File ingest events/s per format vs. Kafka's ProducerPerformance with the same record size.")
final class IngestBench implements Callable<Integer> {

    private static final Pattern PERF_SUMMARY = Pattern.compile(
            "(\\d+) records sent, ([\\d.]+) records/sec \\(([\\d.]+) MB/sec\\), ([\\d.]+) ms avg latency");

    @Option(names = "--events", description = "Events per format (default ${DEFAULT-VALUE}).", defaultValue = "300000")
    int events;

    @Option(names = "--quick", description = "Fewer events (50,000 per format) for a run of about a minute.")
    boolean quick;

    @Option(names = "--formats", split = ",", description = "Formats to measure (default: every format with a bundled workload).")
    List<String> formats;

    @Option(names = "--parallelism", description = "Normalizing threads (default: cores - 1, at most 4).")
    int parallelism = StreamIngestor.defaultParallelism();

    @Option(names = "--compression", description = "Producer compression for both sides (default ${DEFAULT-VALUE}: "
            + "ProducerPerformance's random payload barely compresses while a cycled workload compresses very well, so "
            + "compression would flatter Bulwark).", defaultValue = "none")
    String compression;

    @Option(names = "--bootstrap", description = "Kafka bootstrap servers (default: the local stack, started if needed).")
    String bootstrap;

    @Option(names = "--rounds", description = "Interleaved rounds; medians are compared (default ${DEFAULT-VALUE}).",
            defaultValue = "3")
    int rounds = 3;

    /** The headline figures of the last run. */
    final Summary summary = new Summary();

    /** One measured row. */
    record Row(String format, long records, long events, double seconds, double eventBytes, double baselinePerSecond,
            double baselineMbPerSecond) {
        double eventsPerSecond() {
            return events / seconds;
        }

        double ratio() {
            return eventsPerSecond() / baselinePerSecond;
        }
    }

    @Override
    public Integer call() throws Exception {
        int target = quick ? Math.min(events, 50_000) : events;
        if (rounds < 1 || target < 1) {
            throw new IllegalArgumentException("--rounds and --events must be at least 1");
        }
        LocalStack stack = LocalStack.defaults(LocalStack.findRepoRoot());
        if (bootstrap == null) {
            if (!stack.healthy()) {
                BenchCommand.say("starting the local stack...");
                if (stack.run("up") != 0) {
                    throw new IllegalStateException("the local stack did not start; see ./bulwark local logs");
                }
            }
            bootstrap = stack.kafkaBootstrap();
        }
        List<String> measured = formats != null ? formats : Workloads.formats();
        String prefix = "bench-" + System.currentTimeMillis() + ".";
        Path dir = Files.createTempDirectory("bulwark-bench-");
        List<Row> rows = new ArrayList<>();
        try {
            for (String format : measured) {
                // Topics of their own per format, deleted after it: a full run writes gigabytes.
                String formatPrefix = prefix + format + ".";
                Topics topics = Topics.withPrefix(formatPrefix);
                try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
                    TopicAdmin.ensureTopics(admin, topics, 3, (short) 1);
                    // The broker does not auto-create topics; the baseline gets the same partitioning as the events topic.
                    admin.createTopics(List.of(new NewTopic(formatPrefix + "baseline", 3, (short) 1))).all().get();
                }
                SourceParser parser = Parsers.forFormat(format);
                List<byte[]> templates = Workloads.records(format);
                double eventsPerRecord = eventsPerRecord(parser, templates);
                long records = Math.max(1, Math.round(target / eventsPerRecord));
                // Container logs carry their pod, namespace and container in the file name, as under /var/log/containers.
                Path file = dir.resolve(format.equals("cri") || format.equals("docker")
                        ? "bench-7d9c_bench-ns_app-" + "0123456789abcdef".repeat(4) + ".log" : format + ".input");
                Workloads.write(file, templates, records);
                double eventBytes = meanEventBytes(parser, templates, topics);
                BenchCommand.say(String.format(Locale.ROOT, "%s: %,d records (%.1f MB) -> ~%,d events of %.0f bytes; warming up...",
                        format, records, Files.size(file) / 1e6, Math.round(records * eventsPerRecord), eventBytes));
                // Warm-up long enough for the JIT to finish compiling the ingest path (measured: with a tenth of the records,
                // compilation took a third of the CPU of the first measured round; ProducerPerformance's path is tiny).
                ingest(parser, file, topics, Math.min(records, 100_000), true);
                // Interleaved rounds, median of each: the two share a noisy machine, so neither gets the quiet minute.
                double[] ours = new double[rounds];
                double[][] theirs = new double[rounds][];
                long eventsOut = 0;
                long recordsIn = 0;
                for (int round = 0; round < rounds; round++) {
                    long start = System.nanoTime();
                    IngestStats stats = ingest(parser, file, topics, records, false);
                    double seconds = (System.nanoTime() - start) / 1e9;
                    if (!stats.balanced() || stats.deadLettered() > 0) {
                        throw new IllegalStateException(format + " workload did not ingest cleanly: " + stats);
                    }
                    eventsOut = stats.eventsOut() + stats.contextUpdatesOut();
                    recordsIn = stats.recordsIn();
                    ours[round] = eventsOut / seconds;
                    theirs[round] = producerPerformance(stack, bootstrap, formatPrefix + "baseline", eventsOut,
                            (int) Math.round(eventBytes));
                    BenchCommand.say(String.format(Locale.ROOT, "%s round %d/%d: Bulwark %,.0f events/s, "
                            + "ProducerPerformance (%d-byte records) %,.0f records/s", format, round + 1, rounds, ours[round],
                            Math.round(eventBytes), theirs[round][0]));
                }
                double seconds = eventsOut / median(ours);
                double[] baseline = {median(java.util.Arrays.stream(theirs).mapToDouble(t -> t[0]).toArray()),
                        median(java.util.Arrays.stream(theirs).mapToDouble(t -> t[1]).toArray())};
                Row row = new Row(format, recordsIn, eventsOut, seconds, eventBytes, baseline[0], baseline[1]);
                rows.add(row);
                summary.add("ingest", String.format(Locale.ROOT, "%s file → Kafka, %,d events of %.0f B, median of %d",
                        format, eventsOut, eventBytes, rounds), Summary.perSecond(row.eventsPerSecond(), "events"),
                        Summary.perSecond(baseline[0], "records") + " (ProducerPerformance)", row.ratio(),
                        Summary.atLeast(row.ratio(), 0.70));
                BenchCommand.say(String.format(Locale.ROOT, "%s: baseline %,.0f records/s, ratio %.2f", format, baseline[0],
                        rows.get(rows.size() - 1).ratio()));
                Files.deleteIfExists(file);
                BenchTopics.deleteStartingWith(bootstrap, formatPrefix);
            }
        } finally {
            BenchTopics.deleteStartingWith(bootstrap, prefix);
            try (var files = Files.list(dir)) {
                for (Path path : files.toList()) {
                    Files.deleteIfExists(path);
                }
            }
            Files.deleteIfExists(dir);
        }
        System.out.println();
        System.out.println(table(rows, bootstrap));
        return 0;
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        java.util.Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    String table(List<Row> rows, String bootstrap) {
        StringBuilder out = new StringBuilder();
        out.append("File ingest into Kafka (").append(bootstrap).append("), ")
                .append(Runtime.getRuntime().availableProcessors()).append(" cores, Java ")
                .append(System.getProperty("java.version")).append("\n\n");
        out.append("Median of " + rounds + " interleaved rounds; same producer settings (idempotent, acks=all, compression "
                + compression + ", linger 5 ms, 128 KiB batches) and the same record count and size for both.\n\n");
        out.append("| format | records | events | event size (B) | Bulwark events/s | ProducerPerformance records/s | ratio |\n");
        out.append("|---|---:|---:|---:|---:|---:|---:|\n");
        for (Row row : rows) {
            out.append(String.format(Locale.ROOT, "| %s | %,d | %,d | %.0f | %,.0f | %,.0f | %.2f |%n", row.format(), row.records(),
                    row.events(), row.eventBytes(), row.eventsPerSecond(), row.baselinePerSecond(), row.ratio()));
        }
        return out.toString();
    }

    private IngestStats ingest(SourceParser parser, Path file, Topics topics, long maxRecords, boolean warmup)
            throws IOException {
        Map<String, Object> config = new HashMap<>();
        EventPublisher.producerConfig(bootstrap, "bulwark-bench").forEach((k, v) -> config.put((String) k, v));
        config.put("compression.type", compression);
        IngestStats stats = new IngestStats(new SimpleMeterRegistry(), parser.format());
        try (EventPublisher publisher = new EventPublisher(config, topics, stats);
                InputStream in = warmup ? Workloads.firstRecords(file, maxRecords) : Files.newInputStream(file)) {
            try (StreamIngestor ingestor = new StreamIngestor(publisher, StreamIngestor.DEFAULT_MAX_RECORD_BYTES, parallelism)) {
                ingestor.ingest(in, file.getFileName().toString(), parser, n -> { });
            }
            publisher.flush();
        }
        return stats;
    }

    private static double eventsPerRecord(SourceParser parser, List<byte[]> templates) throws ParseException {
        long events = 0;
        for (byte[] template : templates) {
            events += parser.normalize(template, "template").size();
        }
        return (double) events / templates.size();
    }

    private static double meanEventBytes(SourceParser parser, List<byte[]> templates, Topics topics) throws ParseException {
        long bytes = 0;
        long count = 0;
        for (byte[] template : templates) {
            Normalized normalized = parser.normalize(template, "template");
            for (SecurityEvent event : normalized.events()) {
                bytes += topics.events().valueSerde().serializer().serialize(topics.events().name(), event).length;
                count++;
            }
            for (var update : normalized.contextUpdates()) {
                if (update.value() != null) {
                    bytes += topics.context().valueSerde().serializer().serialize(topics.context().name(), update.value()).length;
                }
                count++;
            }
        }
        return (double) bytes / count;
    }

    /** Runs Kafka's ProducerPerformance from the broker's own distribution; returns records/s and MB/s. */
    private double[] producerPerformance(LocalStack stack, String bootstrap, String topic, long records, int recordSize)
            throws IOException, InterruptedException {
        Map<Object, Object> props = new HashMap<>(EventPublisher.producerConfig(bootstrap, "bulwark-bench-baseline"));
        props.put("compression.type", compression);
        List<String> args = new ArrayList<>(List.of("org.apache.kafka.tools.ProducerPerformance", "--topic", topic,
                "--num-records", Long.toString(records), "--record-size", Integer.toString(recordSize),
                "--throughput", "-1", "--producer-props"));
        props.forEach((k, v) -> args.add(k + "=" + v));
        String output = stack.runCapturing("kafka-tool", args.toArray(String[]::new));
        Matcher last = null;
        for (Matcher m = PERF_SUMMARY.matcher(output); m.find(); ) {
            last = PERF_SUMMARY.matcher(m.group());
            last.find();
        }
        if (last == null) {
            throw new IOException("no summary line in ProducerPerformance output:\n" + output);
        }
        return new double[] {Double.parseDouble(last.group(2)), Double.parseDouble(last.group(3))};
    }
}
