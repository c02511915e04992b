package dev.bulwark.cli;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import dev.bulwark.ingest.EventParser;
import dev.bulwark.ingest.EventPublisher;
import dev.bulwark.ingest.IngestStats;
import dev.bulwark.ingest.Parsers;
import dev.bulwark.ingest.StreamIngestor;
import dev.bulwark.schemas.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code bulwark ingest}: reads source files (or stdin) and publishes normalized events to Kafka. */
@Command(name = "ingest", mixinStandardHelpOptions = true,
        description = {"Normalize source records into SecurityEvents on the events topic.",
                "Records that cannot be parsed go to the dead-letter topic with the reason; the summary accounts for every record."})
final class IngestCommand implements Callable<Integer> {

    @ParentCommand
    BulwarkCommand parent;

    @Option(names = {"-f", "--format"}, required = true, description = "Input format: ${COMPLETION-CANDIDATES}",
            completionCandidates = Formats.class)
    String format;

    @Option(names = "--max-record-bytes", description = "Largest record accepted (default ${DEFAULT-VALUE}).",
            defaultValue = "1048576")
    int maxRecordBytes;

    @Parameters(paramLabel = "FILE", arity = "1..*", description = "Files to read, or - for standard input.")
    List<String> files;

    /** Format names for the help text. */
    static final class Formats implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return Parsers.formats().iterator();
        }
    }

    @Override
    public Integer call() throws Exception {
        BulwarkConfig config = parent.config();
        EventParser parser = Parsers.forFormat(format);
        for (String file : files) {
            if (!"-".equals(file) && !Files.isReadable(Path.of(file))) {
                throw new IllegalArgumentException("cannot read " + file + " (no such file or no permission)");
            }
        }
        IngestStats stats = ingest(config, parser, files, maxRecordBytes);
        System.out.println(stats);
        return stats.balanced() ? 0 : 1;
    }

    /** Publishes every record of {@code files}; returns the ledger after Kafka acknowledged everything. */
    static IngestStats ingest(BulwarkConfig config, EventParser parser, List<String> files, int maxRecordBytes)
            throws Exception {
        LocalCommand.createTopics(config);
        Map<String, Object> producerConfig = new HashMap<>();
        EventPublisher.producerConfig(config.kafka.bootstrap, "bulwark-ingest")
                .forEach((k, v) -> producerConfig.put((String) k, v));
        IngestStats stats = new IngestStats(new SimpleMeterRegistry(), parser.format());
        try (EventPublisher publisher = new EventPublisher(producerConfig, Topics.withPrefix(config.kafka.topicPrefix), stats)) {
            StreamIngestor ingestor = new StreamIngestor(publisher, maxRecordBytes);
            for (String file : files) {
                String origin = "-".equals(file) ? "stdin" : file;
                try (InputStream in = "-".equals(file) ? System.in : Files.newInputStream(Path.of(file))) {
                    ingestor.ingest(in, origin, parser, n -> BulwarkCommand.say(origin + ": " + n + " records read"));
                }
            }
            publisher.flush();
        }
        return stats;
    }

    /** Publishes records held in memory (the demo scenario). */
    static IngestStats ingest(BulwarkConfig config, EventParser parser, InputStream in, String origin) throws Exception {
        LocalCommand.createTopics(config);
        Map<String, Object> producerConfig = new HashMap<>();
        EventPublisher.producerConfig(config.kafka.bootstrap, "bulwark-ingest")
                .forEach((k, v) -> producerConfig.put((String) k, v));
        IngestStats stats = new IngestStats(new SimpleMeterRegistry(), parser.format());
        try (EventPublisher publisher = new EventPublisher(producerConfig, Topics.withPrefix(config.kafka.topicPrefix), stats)) {
            new StreamIngestor(publisher, StreamIngestor.DEFAULT_MAX_RECORD_BYTES).ingest(in, origin, parser, n -> { });
            publisher.flush();
        }
        return stats;
    }
}
