package dev.bulwark.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.bulwark.ingest.EventPublisher;
import dev.bulwark.ingest.FileFollower;
import dev.bulwark.ingest.FilePatterns;
import dev.bulwark.ingest.IngestStats;
import dev.bulwark.ingest.Parsers;
import dev.bulwark.ingest.SourceParser;
import dev.bulwark.schemas.Ids;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code bulwark ingest}: reads source files, globs or stdin (once or following) and publishes them to Kafka. */
@Command(name = "ingest", mixinStandardHelpOptions = true, subcommands = IngestServeCommand.class,
        description = {"Normalize source records into SecurityEvents (and Kubernetes objects into tenant context) on Kafka.",
                "Records that cannot be parsed go to the dead-letter topic with the reason; the summary accounts for every record.",
                "Examples:",
                "  bulwark ingest -f falco /var/log/falco/events.json",
                "  bulwark ingest -f cri --follow '/var/log/containers/*.log'",
                "  kubectl get ns,rolebindings,clusterrolebindings,pods,networkpolicies -A -o json | bulwark ingest -f k8s-objects -"})
final class IngestCommand implements Callable<Integer> {

    @ParentCommand
    BulwarkCommand parent;

    @Option(names = {"-f", "--format"}, description = "Input format: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).",
            completionCandidates = Formats.class, defaultValue = "auto")
    String format;

    @Option(names = "--follow", description = "Keep reading appended data like tail -F, through rotation, until Ctrl-C; "
            + "positions are saved so a restart continues where it stopped.")
    boolean follow;

    @Option(names = "--state-file", description = "Where --follow keeps file positions "
            + "(default: <home>/ingest-state/<format>-<hash of the paths>.json).")
    Path stateFile;

    @Option(names = "--max-record-bytes", description = "Largest record accepted (default: ingest.maxRecordBytes, 1 MiB).")
    Integer maxRecordBytes;

    @Parameters(paramLabel = "FILE", arity = "0..*", description = "Files or globs to read, or - for standard input.")
    List<String> files = new ArrayList<>();

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
        SourceParser parser = Parsers.forFormat(format, config.ingest.tenantKeys);
        if (files.isEmpty()) {
            throw new IllegalArgumentException("name the files to read (globs allowed) or - for standard input; "
                    + "to receive over HTTP use: bulwark ingest serve");
        }
        int limit = maxRecordBytes != null ? maxRecordBytes : config.ingest.maxRecordBytes;
        if (follow) {
            return follow(config, parser, limit);
        }
        List<Ingestion.Source> sources = new ArrayList<>();
        for (String file : files) {
            if ("-".equals(file)) {
                sources.add(new Ingestion.Source("stdin", () -> System.in));
                continue;
            }
            var matched = FilePatterns.expand(List.of(file));
            if (matched.isEmpty()) {
                throw new IllegalArgumentException(FilePatterns.isGlob(file) ? "no file matches " + file
                        : "cannot read " + file + " (no such file)");
            }
            for (Path path : matched) {
                if (!Files.isReadable(path)) {
                    throw new IllegalArgumentException("cannot read " + path + " (no permission)");
                }
                sources.add(new Ingestion.Source(path.toString(), () -> Files.newInputStream(path)));
            }
        }
        IngestStats stats = Ingestion.ingest(config, parser, sources, limit, true);
        System.out.println(stats);
        return stats.balanced() ? 0 : 1;
    }

    private int follow(BulwarkConfig config, SourceParser parser, int limit) throws Exception {
        if (files.contains("-")) {
            throw new IllegalArgumentException("--follow reads files, not standard input");
        }
        BulwarkRuntime.ensureTopics(config);
        Path state = stateFile;
        if (state == null) {
            List<String> absolute = files.stream().map(f -> Path.of(f).toAbsolutePath().normalize().toString()).sorted().toList();
            Path home = config.homeDir();
            state = home.resolve("ingest-state").resolve(parser.format() + "-"
                    + Ids.of(absolute.toArray(String[]::new)).substring(0, 12) + ".json");
        }
        IngestStats stats = new IngestStats(new SimpleMeterRegistry(), parser.format());
        AtomicBoolean running = new AtomicBoolean(true);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            running.set(false);
            try {
                stopped.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "bulwark-ingest-stop"));
        BulwarkCommand.say("following " + files + " as " + parser.format() + "; positions in " + state + "; Ctrl-C stops");
        try (EventPublisher publisher = Ingestion.publisher(config, stats)) {
            FileFollower follower = new FileFollower(files, parser, publisher, state, limit, Duration.ofMillis(250));
            long[] lastReport = {System.nanoTime(), 0};
            follower.run(() -> {
                if (System.nanoTime() - lastReport[0] > Duration.ofSeconds(10).toNanos() && stats.recordsIn() != lastReport[1]) {
                    BulwarkCommand.say(stats.toString());
                    lastReport[0] = System.nanoTime();
                    lastReport[1] = stats.recordsIn();
                }
                return running.get();
            });
        } finally {
            System.out.println(stats);
            stopped.countDown();
        }
        return stats.balanced() ? 0 : 1;
    }
}
