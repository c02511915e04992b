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
 * <p>Bounded cardinality: on the metrics endpoint the first {@code maxRules} distinct rule ids (the loaded rules
 * register as they are compiled, so normally all of them) get a label of their own; every later rule counts under
 * {@code rule="other"} of its detector. Every rule still keeps its own counters for {@link #snapshot()} (the rule-stats
 * topic), so the rankings of {@code GET /api/rules} and {@code rules list --stats} cover all of them.
 * {@code maxRules = 0} turns per-rule telemetry off. The counters are plain adders read at scrape time,
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
    private final Map<String, Combined> overflow = new ConcurrentHashMap<>();

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

    /**
     * The counters of one rule of one detector. Every rule keeps its own (the rule-stats topic and the rankings of
     * {@code GET /api/rules} see them all); only the metrics endpoint is bounded: a rule beyond {@code maxRules}
     * adds to its detector's {@code rule="other"} series.
     */
    Stats stats(String detector, String rule) {
        String name = rule == null ? OTHER : rule;
        return stats.computeIfAbsent(detector + '\u0000' + name, key -> {
            Stats s = new Stats();
            String label = label(name);
            if (OTHER.equals(label)) {
                overflow.computeIfAbsent(detector, d -> {
                    Combined combined = new Combined();
                    register(detector, OTHER, combined);
                    return combined;
                }).parts.add(s);
            } else {
                register(detector, label, s);
            }
            return s;
        });
    }

    private void register(String detector, String rule, Figures s) {
        Tags tags = Tags.of("detector", detector, "rule", rule);
        FunctionCounter.builder("bulwark.rule.evaluations", s, Figures::evaluations).tags(tags)
                .description("times the rule was evaluated against an event (detectors that evaluate rules themselves)")
                .register(metrics);
        FunctionCounter.builder("bulwark.rule.evaluation.seconds", s, Figures::evaluationSeconds).tags(tags)
                .description("time spent evaluating the rule, estimated from one evaluation in " + SAMPLE_EVERY)
                .register(metrics);
        FunctionCounter.builder("bulwark.rule.matches", s, Figures::matches).tags(tags)
                .description("events the rule matched, before filters and exceptions").register(metrics);
        FunctionCounter.builder("bulwark.rule.findings", s, Figures::findings).tags(tags)
                .description("finding records of the rule written (a folded finding again with its new count)")
                .register(metrics);
        FunctionCounter.builder("bulwark.rule.folded", s, Figures::foldedCount).tags(tags)
                .description("matches folded into an open finding of the rule").register(metrics);
        FunctionTimer.builder("bulwark.rule.latency", s, Figures::latencyCount, Figures::latencyMillis,
                        TimeUnit.MILLISECONDS).tags(tags)
                .description("from the newest event of a finding (event time) to the finding being written")
                .register(metrics);
        Gauge.builder("bulwark.rule.last.match.timestamp.seconds", s, x -> seconds(x.lastMatch())).tags(tags)
                .description("wall-clock time of the rule's last match (NaN: none since start)").register(metrics);
        Gauge.builder("bulwark.rule.state.groups", s, Figures::stateGroups).tags(tags)
                .description("open groups the rule keeps (a correlation's windows) in this instance").register(metrics);
        Gauge.builder("bulwark.rule.state.entries", s, Figures::stateEntries).tags(tags)
                .description("matches kept in those groups").register(metrics);
        Gauge.builder("bulwark.rule.last.finding.timestamp.seconds", s, x -> seconds(x.lastFinding())).tags(tags)
                .description("wall-clock time of the rule's last finding written (NaN: none since start)")
                .register(metrics);
    }

    /** What the meters read: one rule's figures, or the sum of a detector's rules beyond the bound. */
    interface Figures {
        double evaluations();

        double evaluationSeconds();

        double matches();

        double findings();

        double foldedCount();

        long latencyCount();

        double latencyMillis();

        long lastMatch();

        long lastFinding();

        long stateGroups();

        long stateEntries();
    }

    /** The rules of a detector beyond the bound, added up for its {@code rule="other"} series. */
    static final class Combined implements Figures {
        final java.util.List<Stats> parts = new java.util.concurrent.CopyOnWriteArrayList<>();

        private double sum(java.util.function.ToDoubleFunction<Stats> figure) {
            return parts.stream().mapToDouble(figure).sum();
        }

        private long max(java.util.function.ToLongFunction<Stats> figure) {
            return parts.stream().mapToLong(figure).max().orElse(0);
        }

        @Override
        public double evaluations() {
            return sum(Stats::evaluations);
        }

        @Override
        public double evaluationSeconds() {
            return sum(Stats::evaluationSeconds);
        }

        @Override
        public double matches() {
            return sum(Stats::matches);
        }

        @Override
        public double findings() {
            return sum(Stats::findings);
        }

        @Override
        public double foldedCount() {
            return sum(Stats::foldedCount);
        }

        @Override
        public long latencyCount() {
            return (long) sum(x -> x.latencyCount());
        }

        @Override
        public double latencyMillis() {
            return sum(Stats::latencyMillis);
        }

        @Override
        public long lastMatch() {
            return max(Stats::lastMatch);
        }

        @Override
        public long lastFinding() {
            return max(Stats::lastFinding);
        }

        @Override
        public long stateGroups() {
            return (long) sum(x -> x.stateGroups());
        }

        @Override
        public long stateEntries() {
            return (long) sum(x -> x.stateEntries());
        }
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
    static final class Stats implements RuleTelemetry.Counters, Figures {
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

        @Override
        public long stateGroups() {
            return state.values().stream().mapToLong(v -> v[0]).sum();
        }

        @Override
        public long stateEntries() {
            return state.values().stream().mapToLong(v -> v[1]).sum();
        }

        @Override
        public double evaluations() {
            return evaluations.sum();
        }

        @Override
        public double matches() {
            return matches.sum();
        }

        @Override
        public double findings() {
            return findings.sum();
        }

        @Override
        public double foldedCount() {
            return folded.sum();
        }

        @Override
        public long latencyCount() {
            return latencyCount.sum();
        }

        @Override
        public double latencyMillis() {
            return latencyMillis.sum();
        }

        @Override
        public long lastMatch() {
            return lastMatch.get();
        }

        @Override
        public long lastFinding() {
            return lastFinding.get();
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
        @Override
        public double evaluationSeconds() {
            long samples = timed.sum();
            return samples == 0 ? 0 : timedNanos.sum() / (double) samples * evaluations.sum() / 1e9;
        }
    }
}
