package dev.bulwark.cli;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import dev.bulwark.ingest.EventPublisher;
import dev.bulwark.ingest.IngestStats;
import dev.bulwark.ingest.Parsers;
import dev.bulwark.ingest.SourceParser;
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
        SourceParser parser = Parsers.forFormat(format);
        for (String file : files) {
            if (!"-".equals(file) && !Files.isReadable(Path.of(file))) {
                throw new IllegalArgumentException("cannot read " + file + " (no such file or no permission)");
            }
        }
        IngestStats stats = ingest(config, parser, files(files), maxRecordBytes, true);
        System.out.println(stats);
        return stats.balanced() ? 0 : 1;
    }

    /** One input stream to ingest and the name it is reported under. */
    record Source(String name, IoSupplier<InputStream> open) {
    }

    /** Opens an input; may throw I/O errors. */
    @FunctionalInterface
    interface IoSupplier<T> {
        T get() throws java.io.IOException;
    }

    /** Files by name, {@code -} meaning standard input. */
    static List<Source> files(List<String> files) {
        return files.stream().map(file -> "-".equals(file)
                ? new Source("stdin", () -> System.in)
                : new Source(file, () -> Files.newInputStream(Path.of(file)))).toList();
    }

    /** Publishes every record of every source; returns the ledger after Kafka acknowledged everything. */
    static IngestStats ingest(BulwarkConfig config, SourceParser parser, List<Source> sources, int maxRecordBytes,
            boolean showProgress) throws Exception {
        LocalCommand.createTopics(config);
        Map<String, Object> producerConfig = new HashMap<>();
        EventPublisher.producerConfig(config.kafka.bootstrap, "bulwark-ingest")
                .forEach((k, v) -> producerConfig.put((String) k, v));
        IngestStats stats = new IngestStats(new SimpleMeterRegistry(), parser.format());
        try (EventPublisher publisher = new EventPublisher(producerConfig, Topics.withPrefix(config.kafka.topicPrefix), stats)) {
            StreamIngestor ingestor = new StreamIngestor(publisher, maxRecordBytes);
            for (Source source : sources) {
                try (InputStream in = source.open().get()) {
                    ingestor.ingest(in, source.name(), parser, n -> {
                        if (showProgress) {
                            BulwarkCommand.say(source.name() + ": " + n + " records read");
                        }
                    });
                }
            }
            publisher.flush();
        }
        return stats;
    }
}
