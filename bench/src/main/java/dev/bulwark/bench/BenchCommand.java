package dev.bulwark.bench;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import dev.bulwark.deploy.LocalStack;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./bulwark bench}: every benchmark in one run on the real local stack (JMH hot paths, ingest, the pipeline with
 * each component in its own JVM, the sink), each figure beside a baseline measured in the same run on the same stack,
 * ending with one summary table.
 *
 * <p>Why: figures from another machine or another day say little; a ratio to Kafka's and Elasticsearch's own tools
 * measured minutes apart on the same stack holds on a noisy laptop and in CI alike. The subcommands run one part with
 * more options.
 */
@Command(name = "bulwark bench", mixinStandardHelpOptions = true,
        description = {"Benchmarks on the local real stack, with baselines measured in the same run.",
                "Without a subcommand: all of them (JMH, ingest, pipeline, sink) and one summary table."},
        subcommands = {IngestBench.class, PipelineBench.class, SinkBench.class, JmhBench.class, CommandLine.HelpCommand.class})
public final class BenchCommand implements Callable<Integer> {

    /** The parts of a whole run, in order. */
    static final List<String> PARTS = List.of("jmh", "ingest", "pipeline", "sink");

    @Option(names = "--quick", description = "Short settings everywhere, a smoke run: under two minutes with the stack already up.")
    boolean quick;

    @Option(names = "--sweep", description = "Also sweep the rule count (1, all shipped, 100, 1000) and the tenant count "
            + "(1, 10, 100) in the pipeline part.")
    boolean sweep;

    @Option(names = "--only", split = ",", paramLabel = "PART", description = "Only these parts: ${COMPLETION-CANDIDATES}.",
            completionCandidates = Parts.class)
    List<String> only;

    @Option(names = "--out", paramLabel = "FILE", description = "Also write the summary to this Markdown file "
            + "(default: .bulwark/bench/summary-<time>.md).")
    Path out;

    /** Completion candidates of {@code --only}. */
    static final class Parts extends ArrayList<String> {
        Parts() {
            super(PARTS);
        }
    }

    @Override
    public Integer call() throws Exception {
        List<String> parts = only == null ? PARTS : only;
        for (String part : parts) {
            if (!PARTS.contains(part)) {
                throw new IllegalArgumentException("unknown part " + part + "; known: " + String.join(", ", PARTS));
            }
        }
        long start = System.nanoTime();
        LocalStack stack = LocalStack.defaults(LocalStack.findRepoRoot());
        if (parts.stream().anyMatch(p -> !p.equals("jmh")) && !stack.healthy()) {
            say("starting the local stack...");
            if (stack.run("up") != 0) {
                throw new IllegalStateException("the local stack did not start; see ./bulwark local logs");
            }
        }
        Summary summary = new Summary();
        int step = 0;
        for (String part : parts) {
            step++;
            long partStart = System.nanoTime();
            say(String.format(Locale.ROOT, "=== %d/%d: %s%s ===", step, parts.size(), part, quick ? " (quick)" : ""));
            switch (part) {
                case "jmh" -> {
                    List<JmhBench.Row> rows = JmhBench.run(quick ? JmhBench.Settings.quick() : JmhBench.Settings.defaults());
                    JmhBench.print(rows, System.out);
                    for (JmhBench.Row row : rows) {
                        summary.add("JMH, one thread", row.name() + " " + row.param(),
                                String.format(Locale.ROOT, "%,.0f %s", row.score(), row.unit()));
                    }
                }
                case "ingest" -> {
                    IngestBench ingest = new IngestBench();
                    run(ingest, quick ? new String[] {"--quick", "--events", "20000", "--rounds", "1"} : new String[0]);
                    summary.addAll(ingest.summary);
                }
                case "pipeline" -> {
                    PipelineBench pipeline = new PipelineBench();
                    List<String> args = new ArrayList<>();
                    if (quick) {
                        args.add("--quick");
                    }
                    if (sweep) {
                        args.add("--sweep");
                    }
                    run(pipeline, args.toArray(String[]::new));
                    summary.addAll(pipeline.summary);
                }
                default -> {
                    SinkBench sink = new SinkBench();
                    run(sink, quick ? new String[] {"--quick", "--findings", "10000", "--rounds", "1"} : new String[0]);
                    summary.addAll(sink.summary);
                }
            }
            say(String.format(Locale.ROOT, "%s done in %s", part, elapsed(partStart)));
        }
        String title = String.format(Locale.ROOT, "Bulwark benchmark summary: `./bulwark bench%s%s%s`, %s, %d cores, %d MB heap "
                + "max, Java %s, %s %s; took %s", quick ? " --quick" : "", sweep ? " --sweep" : "",
                only == null ? "" : " --only " + String.join(",", only),
                LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm")),
                Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20,
                System.getProperty("java.version"), System.getProperty("os.name"), System.getProperty("os.arch"),
                elapsed(start));
        String caveat = quick ? "--quick: single short rounds on small workloads and freshly started component JVMs, a "
                + "smoke run; judge the targets on a full run (./bulwark bench), see docs/benchmarks.md." : null;
        System.out.println();
        System.out.println(title);
        System.out.println();
        summary.print(System.out);
        if (caveat != null) {
            System.out.println();
            System.out.println(caveat);
        }
        Path file = out != null ? out : stack.home().resolve("bench").resolve("summary-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + ".md");
        Files.createDirectories(file.toAbsolutePath().getParent());
        try (PrintStream print = new PrintStream(Files.newOutputStream(file), true, StandardCharsets.UTF_8)) {
            print.println(title);
            print.println();
            summary.print(print);
            if (caveat != null) {
                print.println();
                print.println(caveat);
            }
        }
        System.out.println();
        say("summary written to " + file);
        return 0;
    }

    /** Parses {@code args} into a subcommand's options (defaults applied) and runs it. */
    private static void run(Callable<Integer> bench, String... args) throws Exception {
        new CommandLine(bench).parseArgs(args);
        Integer code = bench.call();
        if (code != null && code != 0) {
            throw new IllegalStateException(bench.getClass().getSimpleName() + " failed with exit code " + code);
        }
    }

    private static String elapsed(long startNanos) {
        Duration d = Duration.ofNanos(System.nanoTime() - startNanos);
        return String.format(Locale.ROOT, "%d min %02d s", d.toMinutes(), d.toSecondsPart());
    }

    /** Prints a progress line. */
    static void say(String message) {
        System.out.println("[bench] " + message);
        System.out.flush();
    }

    public static void main(String[] args) {
        CommandLine commandLine = new CommandLine(new BenchCommand());
        commandLine.setExecutionExceptionHandler((e, cmd, parseResult) -> {
            cmd.getErr().println("bulwark bench: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            if (System.getenv("BULWARK_DEBUG") != null) {
                e.printStackTrace(cmd.getErr());
            }
            return 1;
        });
        System.exit(commandLine.execute(args));
    }
}
