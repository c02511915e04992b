package dev.bulwark.detection;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import dev.bulwark.detectors.api.RuleTelemetry;
import dev.bulwark.schemas.Finding;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

/**
 * Per-rule cost and noise of every detector, on the metrics endpoint as {@code bulwark_rule_*{detector, rule}}:
 * evaluations, estimated evaluation time (sampled), matches (for detectors that evaluate rules themselves, the Sigma
 * detector), findings written, repeats folded, event-to-finding latency and the last match and finding.
 *
 * <p>Bounded cardinality: the first {@code maxRules} distinct rule ids (the loaded rules register as they are
 * compiled, so normally all of them) get a label of their own; every later rule counts under {@code rule="other"} of
 * its detector. {@code maxRules = 0} turns the per-rule series off. The counters are plain adders read at scrape time,
 * and one evaluation in 64 is timed, so the cost stays small (see docs/benchmarks.md).
 */
public final class RuleTelemetryRegistry {

    /** The rule label of the rules beyond the bound. */
    public static final String OTHER = "other";
    /** The default bound on rule labels. */
    public static final int DEFAULT_MAX_RULES = 500;
    /** One evaluation in this many is timed. */
    static final int SAMPLE_EVERY = 64;

    private final MeterRegistry metrics;
    private final int maxRules;
    private final Set<String> admitted = ConcurrentHashMap.newKeySet();
    private final Map<String, Stats> stats = new ConcurrentHashMap<>();

    /** @param maxRules rules with a label of their own; 0 records nothing */
    public RuleTelemetryRegistry(MeterRegistry metrics, int maxRules) {
        if (maxRules < 0) {
            throw new IllegalArgumentException("maxRules must not be negative");
        }
        this.metrics = metrics;
        this.maxRules = maxRules;
    }

    /** Telemetry off. */
    public static RuleTelemetryRegistry off(MeterRegistry metrics) {
        return new RuleTelemetryRegistry(metrics, 0);
    }

    /** The telemetry one detector gets. */
    public RuleTelemetry forDetector(String detector) {
        return rule -> maxRules == 0 ? RuleTelemetry.Counters.NONE : stats(detector, rule);
    }

    /** Records a finding written by {@code detector}: its rule's findings, latency and last finding. */
    void written(String detector, Finding finding, long nowMillis) {
        if (maxRules == 0 || finding == null) {
            return;
        }
        stats(detector, finding.getRule().getId()).written(finding, nowMillis);
    }

    /** The label of {@code rule}: itself while fewer than {@code maxRules} rules have one, else {@link #OTHER}. */
    String label(String rule) {
        if (rule == null) {
            return OTHER;
        }
        if (admitted.contains(rule)) {
            return rule;
        }
        synchronized (admitted) {
            if (admitted.size() < maxRules) {
                admitted.add(rule);
                return rule;
            }
        }
        return OTHER;
    }

    Stats stats(String detector, String rule) {
        String label = label(rule);
        return stats.computeIfAbsent(detector + '\u0000' + label, key -> register(detector, label));
    }

    private Stats register(String detector, String rule) {
        Stats s = new Stats();
        Tags tags = Tags.of("detector", detector, "rule", rule);
        FunctionCounter.builder("bulwark.rule.evaluations", s, x -> x.evaluations.sum()).tags(tags)
                .description("times the rule was evaluated against an event (detectors that evaluate rules themselves)")
                .register(metrics);
        FunctionCounter.builder("bulwark.rule.evaluation.seconds", s, Stats::evaluationSeconds).tags(tags)
                .description("time spent evaluating the rule, estimated from one evaluation in " + SAMPLE_EVERY)
                .register(metrics);
        FunctionCounter.builder("bulwark.rule.matches", s, x -> x.matches.sum()).tags(tags)
                .description("events the rule matched, before filters and exceptions").register(metrics);
        FunctionCounter.builder("bulwark.rule.findings", s, x -> x.findings.sum()).tags(tags)
                .description("finding records of the rule written (a folded finding again with its new count)")
                .register(metrics);
        FunctionCounter.builder("bulwark.rule.folded", s, x -> x.folded.sum()).tags(tags)
                .description("matches folded into an open finding of the rule").register(metrics);
        FunctionTimer.builder("bulwark.rule.latency", s, x -> x.latencyCount.sum(), x -> x.latencyMillis.sum(),
                        TimeUnit.MILLISECONDS).tags(tags)
                .description("from the newest event of a finding (event time) to the finding being written")
                .register(metrics);
        Gauge.builder("bulwark.rule.last.match.timestamp.seconds", s, x -> seconds(x.lastMatch.get())).tags(tags)
                .description("wall-clock time of the rule's last match (NaN: none since start)").register(metrics);
        Gauge.builder("bulwark.rule.state.groups", s, x -> x.stateGroups()).tags(tags)
                .description("open groups the rule keeps (a correlation's windows) in this instance").register(metrics);
        Gauge.builder("bulwark.rule.state.entries", s, x -> x.stateEntries()).tags(tags)
                .description("matches kept in those groups").register(metrics);
        Gauge.builder("bulwark.rule.last.finding.timestamp.seconds", s, x -> seconds(x.lastFinding.get())).tags(tags)
                .description("wall-clock time of the rule's last finding written (NaN: none since start)")
                .register(metrics);
        return s;
    }

    /**
     * One rule's counters at one moment (for the rule-stats topic).
     *
     * @param evaluationNanos estimated from the sampled evaluations
     */
    public record Snapshot(String detector, String rule, long evaluations, long evaluationNanos, long matches,
                           long findings, long folded, long latencyCount, long latencyMillis, long lastMatch,
                           long lastFinding, long stateGroups, long stateEntries) {
    }

    /** Every rule's counters now, by detector and rule label. */
    public java.util.List<Snapshot> snapshot() {
        java.util.List<Snapshot> snapshots = new java.util.ArrayList<>();
        stats.forEach((key, s) -> {
            int split = key.indexOf('\u0000');
            snapshots.add(new Snapshot(key.substring(0, split), key.substring(split + 1), s.evaluations.sum(),
                    Math.round(s.evaluationSeconds() * 1e9), s.matches.sum(), s.findings.sum(), s.folded.sum(),
                    s.latencyCount.sum(), s.latencyMillis.sum(), s.lastMatch.get(), s.lastFinding.get(),
                    s.stateGroups(), s.stateEntries()));
        });
        return snapshots;
    }

    private static double seconds(long millis) {
        return millis == 0 ? Double.NaN : millis / 1000.0;
    }

    /** One rule's (or the {@code other} rules') counters. */
    static final class Stats implements RuleTelemetry.Counters {
        final LongAdder evaluations = new LongAdder();
        final LongAdder timed = new LongAdder();
        final LongAdder timedNanos = new LongAdder();
        final LongAdder matches = new LongAdder();
        final LongAdder findings = new LongAdder();
        final LongAdder folded = new LongAdder();
        final LongAdder latencyCount = new LongAdder();
        final LongAdder latencyMillis = new LongAdder();
        final AtomicLong lastMatch = new AtomicLong();
        final AtomicLong lastFinding = new AtomicLong();
        /** Per part (task): {groups, entries}. */
        final Map<String, long[]> state = new ConcurrentHashMap<>();

        @Override
        public void evaluated() {
            evaluations.increment();
        }

        @Override
        public void evaluated(long nanos) {
            evaluations.increment();
            timed.increment();
            timedNanos.add(nanos);
        }

        @Override
        public void matched(long wallClockMillis) {
            matches.increment();
            lastMatch.accumulateAndGet(wallClockMillis, Math::max);
        }

        @Override
        public void folded() {
            folded.increment();
        }

        @Override
        public void state(String part, long groups, long entries) {
            state.put(part, new long[] {groups, entries});
        }

        long stateGroups() {
            return state.values().stream().mapToLong(v -> v[0]).sum();
        }

        long stateEntries() {
            return state.values().stream().mapToLong(v -> v[1]).sum();
        }

        @Override
        public boolean sample() {
            return ThreadLocalRandom.current().nextInt(SAMPLE_EVERY) == 0;
        }

        void written(Finding finding, long nowMillis) {
            findings.increment();
            latencyCount.increment();
            latencyMillis.add(Math.max(0, nowMillis - finding.getLastSeen()));
            lastFinding.accumulateAndGet(nowMillis, Math::max);
        }

        /** Evaluation time, estimated: mean of the timed evaluations times all evaluations. */
        double evaluationSeconds() {
            long samples = timed.sum();
            return samples == 0 ? 0 : timedNanos.sum() / (double) samples * evaluations.sum() / 1e9;
        }
    }
}
