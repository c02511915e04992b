package dev.bulwark.detectors.api;

/**
 * Per-rule cost and noise, for detectors that evaluate rules of their own (the Sigma detector): how often each rule was
 * evaluated, how long that took, and how often it matched. Bulwark itself counts every rule's findings, folded
 * repeats, event-to-finding latency and last finding, for every detector.
 *
 * <p>Why a counter object per rule: the hot path only adds to it; the metrics endpoint reads it on scrape, with the
 * rule as a label up to a configured number of rules and {@code other} beyond, so a rule set of any size cannot blow
 * up Prometheus.
 *
 * @since detector API 1.1
 */
public interface RuleTelemetry {

    /** Telemetry that records nothing (telemetry off, or a context without it). */
    RuleTelemetry NONE = rule -> Counters.NONE;

    /** The counters of a rule by its id (what its findings carry as {@code rule.id}); cheap, call it once per rule. */
    Counters rule(String ruleId);

    /** One rule's counters; thread-safe. */
    interface Counters {

        /** Counters that count nothing. */
        Counters NONE = new Counters() {
            @Override
            public void evaluated() {
            }

            @Override
            public void evaluated(long nanos) {
            }

            @Override
            public void matched(long wallClockMillis) {
            }

            @Override
            public void folded() {
            }

            @Override
            public void state(String part, long groups, long entries) {
            }

            @Override
            public boolean sample() {
                return false;
            }
        };

        /** One evaluation of the rule against an event, not timed. */
        void evaluated();

        /** One evaluation that took {@code nanos} (a sampled one: see {@link #sample()}). */
        void evaluated(long nanos);

        /** The rule matched, at this wall-clock time. */
        void matched(long wallClockMillis);

        /** A match folded into an open finding of the rule instead of raising one. */
        void folded();

        /**
         * The state the rule holds now in one part of this instance (a stream task, named by {@code part}): open
         * groups (a correlation's windows) and the matches kept in them. The latest report of each part counts.
         */
        void state(String part, long groups, long entries);

        /**
         * True for the evaluations to time (about one in 64): timing every one would cost more than the evaluation of
         * a cheap rule; the evaluation time is estimated from the samples.
         */
        boolean sample();
    }
}
