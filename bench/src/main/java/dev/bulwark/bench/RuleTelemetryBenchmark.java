package dev.bulwark.bench;

import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import dev.bulwark.detection.RuleTelemetryRegistry;
import dev.bulwark.detectors.api.RuleTelemetry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * What per-rule telemetry adds to one rule evaluation: the sampling decision and the count, as {@code RuleGroup} does
 * them (a timed evaluation, one in 64, also reads the clock twice). Divided by the matcher's cost per evaluation
 * ({@link SigmaMatchBenchmark}), it is the telemetry's share of matching, measured apart from the noise of a whole
 * matching run.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class RuleTelemetryBenchmark {

    private RuleTelemetry.Counters counters;

    @Setup
    public void setUp() {
        counters = new RuleTelemetryRegistry(new SimpleMeterRegistry(), RuleTelemetryRegistry.DEFAULT_MAX_RULES)
                .forDetector("sigma").rule("bench-rule");
    }

    /** One evaluation's telemetry, timed one in 64 as in the detector. */
    @Benchmark
    public void evaluation() {
        if (counters.sample()) {
            long start = System.nanoTime();
            counters.evaluated(System.nanoTime() - start);
        } else {
            counters.evaluated();
        }
    }
}
