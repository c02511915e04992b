package dev.bulwark.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.schemas.Topics;
import dev.bulwark.sigma.CompiledRuleSet;
import dev.bulwark.sigma.SigmaEngine;

/**
 * {@code ./bulwark bench jmh [--quick] [REGEX]}: runs the JMH micro-benchmarks of the hot paths in this JVM with
 * short settings and prints one summary row per benchmark and parameter: the Sigma matcher per rule set
 * ({@link SigmaMatchBenchmark}), each ingest parser per format ({@link ParseBenchmark}), and the Avro serdes of events
 * and findings ({@link AvroSerdeBenchmark}).
 *
 * <p>Why: JMH's own launcher needs a separate uber-jar and minutes per benchmark; an in-process run with one warm-up
 * and a few short iterations gives stable enough figures on a laptop or in CI, from the same jar as the other
 * benchmarks. {@link #run(Settings)} returns the figures as {@link Row}s so that other reports can include them.
 */
@Command(name = "jmh", mixinStandardHelpOptions = true,
        description = {"JMH micro-benchmarks of the hot paths in this JVM (no fork), short settings; scores per second"
                        + " (of all --threads together).",
                "Default: the Sigma matcher with 1, the Linux, all shipped, 100 and 1000 synthesized rules (events/s),"
                        + " every ingest parser on its bundled workload (records/s), and Avro encoding and decoding"
                        + " of events and findings (records/s).",
                "--quick: 1 warm-up and 1 measured iteration of 1 s, Sigma with 1, all and 1000 rules"
                        + " (about 35 s on 2 cores)."})
final class JmhBench implements Callable<Integer> {

    /** JMH include pattern of every hot-path benchmark. */
    static final String HOT_PATHS = "SigmaMatchBenchmark|ParseBenchmark|AvroSerdeBenchmark|RuleTelemetryBenchmark";

    /** Sigma rule sets of a quick run. */
    static final List<String> QUICK_RULES = List.of("1", "all", "1000");

    /** Summary order: the order of the pipeline (parse, encode, decode, match), then any other benchmark. */
    private static final List<String> PIPELINE_ORDER = List.of("ParseBenchmark.normalize",
            "AvroSerdeBenchmark.serializeEvent", "AvroSerdeBenchmark.deserializeEvent",
            "AvroSerdeBenchmark.serializeFinding", "AvroSerdeBenchmark.deserializeFinding", "SigmaMatchBenchmark.match");

    @Parameters(paramLabel = "REGEX", arity = "0..1", defaultValue = HOT_PATHS,
            description = "Benchmarks to run (JMH include pattern, default ${DEFAULT-VALUE}).")
    String include;

    @Option(names = "--quick", description = "1 warm-up and 1 measured iteration of 1 s; Sigma with 1, all and 1000 rules.")
    boolean quick;

    @Option(names = "--rules", split = ",",
            description = "Rule sets of the Sigma benchmark: 1, linux, all, a number of rules, or a rule folder such as "
                    + "a SigmaHQ checkout (its loadable rules) (default: 1,linux,all,100,1000; with --quick 1,all,1000).")
    List<String> rules;

    @Option(names = "--warmup", description = "Warm-up iterations (default 2, with --quick 1).")
    Integer warmup;

    @Option(names = "--iterations", description = "Measured iterations (default 3, with --quick 1).")
    Integer iterations;

    @Option(names = "--seconds", description = "Seconds per iteration (default 2, with --quick 1).")
    Integer seconds;

    @Option(names = "--threads", defaultValue = "1", description = "Benchmark threads (default ${DEFAULT-VALUE}).")
    int threads;

    /**
     * One figure: a benchmark method with one parameter value.
     *
     * @param name class and method, e.g. {@code ParseBenchmark.normalize}
     * @param param the readable parameter: the Sigma rule set, the input format, {@code event} or {@code finding}
     * @param score mean throughput
     * @param error half-width of the 99.9 % confidence interval (NaN after a single iteration)
     * @param unit what the score counts, e.g. {@code records/s}
     * @param detail what the benchmark measured on (rules, records, sizes), for the reader
     */
    record Row(String name, String param, double score, double error, String unit, String detail) {
    }

    /**
     * How to run the benchmarks.
     *
     * @param include JMH include pattern
     * @param rules Sigma rule sets, or null for the benchmark's own list
     * @param warmup warm-up iterations
     * @param iterations measured iterations
     * @param seconds seconds per iteration
     * @param threads benchmark threads
     */
    record Settings(String include, List<String> rules, int warmup, int iterations, int seconds, int threads) {

        public Settings {
            rules = rules == null ? null : List.copyOf(rules);
        }

        /** Every hot-path benchmark: 2 warm-up and 3 measured iterations of 2 s, every Sigma rule set. */
        static Settings defaults() {
            return new Settings(HOT_PATHS, null, 2, 3, 2, 1);
        }

        /** Every hot-path benchmark in well under a minute: 1 warm-up and 1 measured iteration of 1 s. */
        static Settings quick() {
            return new Settings(HOT_PATHS, QUICK_RULES, 1, 1, 1, 1);
        }

        /** The JMH options: in this JVM (no fork), every bundled input format. */
        Options options() {
            ChainedOptionsBuilder options = new OptionsBuilder()
                    .include(include)
                    .forks(0)
                    .threads(threads)
                    .warmupIterations(warmup)
                    .warmupTime(TimeValue.seconds(seconds))
                    .measurementIterations(iterations)
                    .measurementTime(TimeValue.seconds(seconds))
                    .verbosity(VerboseMode.NORMAL)
                    .param("format", Workloads.formats().toArray(String[]::new));
            if (rules != null) {
                options.param("rules", rules.toArray(String[]::new));
            }
            return options.build();
        }

        String describe() {
            return warmup + " warm-up and " + iterations + " measured iteration(s) of " + seconds + " s, " + threads
                    + " thread(s)";
        }
    }

    @Override
    public Integer call() throws Exception {
        Settings defaults = quick ? Settings.quick() : Settings.defaults();
        Settings settings = new Settings(include, rules != null ? rules : defaults.rules(),
                warmup != null ? warmup : defaults.warmup(), iterations != null ? iterations : defaults.iterations(),
                seconds != null ? seconds : defaults.seconds(), threads);
        BenchCommand.say("JMH in-process (no fork): " + settings.describe() + "; Java "
                + System.getProperty("java.version") + ", " + Runtime.getRuntime().availableProcessors() + " cores");
        long start = System.nanoTime();
        List<Row> rows = run(settings);
        System.out.println();
        print(rows, System.out);
        BenchCommand.say(String.format(Locale.ROOT, "%d benchmark(s) in %.0f s", rows.size(),
                (System.nanoTime() - start) / 1e9));
        return 0;
    }

    /** Runs the benchmarks in this JVM and returns one row per benchmark and parameter. */
    static List<Row> run(Settings settings) throws RunnerException, IOException {
        return rows(new Runner(settings.options()).run());
    }

    /** The summary rows of JMH results, with the details of each workload. */
    static List<Row> rows(Collection<RunResult> results) throws IOException {
        Details details = new Details();
        List<Row> rows = new ArrayList<>();
        for (RunResult result : results) {
            String benchmark = result.getParams().getBenchmark();
            String name = benchmark.substring(benchmark.lastIndexOf('.', benchmark.lastIndexOf('.') - 1) + 1);
            String method = benchmark.substring(benchmark.lastIndexOf('.') + 1);
            Result<?> primary = result.getPrimaryResult();
            double score = primary.getScore();
            String param;
            String unit;
            String detail;
            if (name.startsWith("SigmaMatchBenchmark.")) {
                String ruleSet = result.getParams().getParam("rules");
                param = "off".equals(result.getParams().getParam("telemetry")) ? ruleSet + " (no telemetry)" : ruleSet;
                unit = perSecond("events", primary.getScoreUnit());
                detail = details.sigma(ruleSet);
            } else if (name.startsWith("ParseBenchmark.")) {
                param = result.getParams().getParam("format");
                unit = perSecond("records", primary.getScoreUnit());
                detail = details.parse(param).describe(score);
            } else if (name.startsWith("AvroSerdeBenchmark.")) {
                boolean finding = method.endsWith("Finding");
                param = finding ? "finding" : "event";
                unit = perSecond(finding ? "findings" : "events", primary.getScoreUnit());
                detail = finding ? details.findings().describe("findings", score)
                        : details.events().describe("events", score);
            } else {
                List<String> values = new ArrayList<>();
                for (String key : result.getParams().getParamsKeys()) {
                    values.add(key + "=" + result.getParams().getParam(key));
                }
                param = String.join(",", values);
                unit = primary.getScoreUnit();
                detail = "";
            }
            rows.add(new Row(name, param, score, primary.getScoreError(), unit, detail));
        }
        rows.sort(Comparator.comparingInt(JmhBench::pipelineOrder));
        return rows;
    }

    /** Position in {@link #PIPELINE_ORDER}; the sort is stable, so parameters keep JMH's order. */
    private static int pipelineOrder(Row row) {
        int index = PIPELINE_ORDER.indexOf(row.name());
        return index < 0 ? PIPELINE_ORDER.size() : index;
    }

    /** Prints rows as an aligned table. */
    static void print(List<Row> rows, PrintStream out) {
        int nameWidth = "benchmark".length();
        int paramWidth = "param".length();
        int unitWidth = "unit".length();
        for (Row row : rows) {
            nameWidth = Math.max(nameWidth, row.name().length());
            paramWidth = Math.max(paramWidth, row.param().length());
            unitWidth = Math.max(unitWidth, row.unit().length());
        }
        String format = "%-" + nameWidth + "s  %-" + paramWidth + "s  %14s  %12s  %-" + unitWidth + "s  %s%n";
        out.printf(Locale.ROOT, format, "benchmark", "param", "score", "± error", "unit", "detail");
        for (Row row : rows) {
            out.printf(Locale.ROOT, format, row.name(), row.param(), String.format(Locale.ROOT, "%,.0f", row.score()),
                    Double.isNaN(row.error()) ? "-" : String.format(Locale.ROOT, "± %,.0f", row.error()), row.unit(),
                    row.detail());
        }
        out.flush();
    }

    /** JMH's {@code ops/s} (or {@code ops/ms}...) with the operation named. */
    private static String perSecond(String operation, String jmhUnit) {
        return jmhUnit.startsWith("ops/") ? operation + jmhUnit.substring(3) : jmhUnit;
    }

    /** The workload behind each row, built once per run of {@link #rows}. */
    private static final class Details {
        private SigmaEngine engine;
        private SecurityEvent[] sigmaEvents;
        private final Map<String, ParseBenchmark.Batch> batches = new HashMap<>();
        private AvroSerdeBenchmark.Codec<SecurityEvent> events;
        private AvroSerdeBenchmark.Codec<Finding> findings;

        String sigma(String rules) throws IOException {
            if (rules == null) {
                return "";
            }
            if (engine == null) {
                engine = SigmaEngine.create();
                sigmaEvents = SigmaMatchBenchmark.events(SigmaMatchBenchmark.EVENTS);
            }
            CompiledRuleSet set = SigmaMatchBenchmark.ruleSet(engine, rules);
            long matching = 0;
            for (SecurityEvent event : sigmaEvents) {
                if (!set.match(event).isEmpty()) {
                    matching++;
                }
            }
            CompiledRuleSet.Stats stats = set.stats();
            return String.format(Locale.ROOT, "%5d rules, %4.1f %% of events match, %.2f full evaluations/event",
                    set.rules().size(), 100.0 * matching / sigmaEvents.length,
                    stats.evaluations() / (double) stats.events());
        }

        ParseBenchmark.Batch parse(String format) throws IOException {
            ParseBenchmark.Batch batch = batches.get(format);
            if (batch == null) {
                batch = ParseBenchmark.Batch.of(format);
                batches.put(format, batch);
            }
            return batch;
        }

        AvroSerdeBenchmark.Codec<SecurityEvent> events() throws IOException {
            if (events == null) {
                events = new AvroSerdeBenchmark.Codec<>(Topics.defaults().events(),
                        AvroSerdeBenchmark.events());
            }
            return events;
        }

        AvroSerdeBenchmark.Codec<Finding> findings() throws IOException {
            if (findings == null) {
                findings = new AvroSerdeBenchmark.Codec<>(Topics.defaults().findings(),
                        AvroSerdeBenchmark.findings());
            }
            return findings;
        }
    }
}
