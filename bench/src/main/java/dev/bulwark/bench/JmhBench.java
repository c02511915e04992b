package dev.bulwark.bench;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

import dev.bulwark.detectors.sigma.CompiledRuleSet;
import dev.bulwark.detectors.sigma.SigmaEngine;
import dev.bulwark.schemas.SecurityEvent;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ./bulwark bench jmh [REGEX]}: runs the JMH micro-benchmarks of this jar in this JVM with short settings and
 * prints events/s per thread.
 *
 * <p>Why: JMH's own launcher needs a separate uber-jar and minutes per benchmark; an in-process run with one warm-up
 * and a few short iterations gives stable enough figures for the Sigma matcher's rule-count scaling on a laptop or in
 * CI, from the same jar as the other benchmarks.
 */
@Command(name = "jmh", mixinStandardHelpOptions = true,
        description = {"JMH micro-benchmarks in this JVM (no fork), short settings: events/s per thread.",
                "Default: the Sigma matcher with 1, the Linux, all shipped, 100 and 1000 synthesized rules."})
final class JmhBench implements Callable<Integer> {

    @Parameters(paramLabel = "REGEX", arity = "0..1", defaultValue = "SigmaMatchBenchmark",
            description = "Benchmarks to run (JMH include pattern, default ${DEFAULT-VALUE}).")
    String include;

    @Option(names = "--rules", split = ",", description = "Rule sets of the Sigma benchmark (default: 1,linux,all,100,1000).")
    List<String> rules;

    @Option(names = "--warmup", defaultValue = "2", description = "Warm-up iterations (default ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--iterations", defaultValue = "3", description = "Measured iterations (default ${DEFAULT-VALUE}).")
    int iterations;

    @Option(names = "--seconds", defaultValue = "2", description = "Seconds per iteration (default ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--threads", defaultValue = "1", description = "Benchmark threads (default ${DEFAULT-VALUE}).")
    int threads;

    @Override
    public Integer call() throws Exception {
        ChainedOptionsBuilder options = new OptionsBuilder()
                .include(include)
                .forks(0)
                .threads(threads)
                .warmupIterations(warmup)
                .warmupTime(TimeValue.seconds(seconds))
                .measurementIterations(iterations)
                .measurementTime(TimeValue.seconds(seconds))
                .verbosity(VerboseMode.NORMAL);
        if (rules != null) {
            options.param("rules", rules.toArray(String[]::new));
        }
        BenchCommand.say("JMH in-process (no fork): " + warmup + " warm-up and " + iterations + " measured iterations of "
                + seconds + " s, " + threads + " thread(s); Java " + System.getProperty("java.version") + ", "
                + Runtime.getRuntime().availableProcessors() + " cores");
        Collection<RunResult> results = new Runner(options.build()).run();
        printSummary(results);
        return 0;
    }

    private void printSummary(Collection<RunResult> results) throws Exception {
        List<String> lines = new ArrayList<>();
        SigmaEngine engine = SigmaEngine.create();
        SecurityEvent[] events = SigmaMatchBenchmark.events(SigmaMatchBenchmark.EVENTS);
        for (RunResult result : results) {
            String benchmark = result.getParams().getBenchmark();
            var primary = result.getPrimaryResult();
            String rulesParam = result.getParams().getParam("rules");
            String detail = "";
            if (benchmark.contains("SigmaMatchBenchmark") && rulesParam != null) {
                CompiledRuleSet set = SigmaMatchBenchmark.ruleSet(engine, rulesParam);
                long matching = 0;
                for (SecurityEvent event : events) {
                    if (!set.match(event).isEmpty()) {
                        matching++;
                    }
                }
                CompiledRuleSet.Stats stats = set.stats();
                detail = String.format(Locale.ROOT, "%5d rules  %4.1f %% of events match  %.2f full evaluations/event",
                        set.rules().size(), 100.0 * matching / events.length,
                        stats.evaluations() / (double) stats.events());
            }
            lines.add(String.format(Locale.ROOT, "%-28s %-6s %,14.0f ± %,10.0f %s  %s",
                    benchmark.substring(benchmark.lastIndexOf('.', benchmark.lastIndexOf('.') - 1) + 1),
                    rulesParam == null ? "" : rulesParam, primary.getScore(), primary.getScoreError(),
                    primary.getScoreUnit(), detail));
        }
        System.out.println();
        System.out.println("benchmark                    rules           score        error unit");
        lines.forEach(System.out::println);
    }
}
