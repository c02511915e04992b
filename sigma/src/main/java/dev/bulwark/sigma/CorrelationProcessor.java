package dev.bulwark.sigma;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import dev.bulwark.schemas.Finding;
import io.micrometer.core.instrument.Counter;

/**
 * Evaluates Sigma correlation rules ({@code event_count}, {@code value_count}, {@code temporal},
 * {@code temporal_ordered}, {@code value_sum}, {@code value_avg}, {@code value_percentile}) over base-rule hits repartitioned by correlation and group-by values, in event time.
 *
 * <p>Why: correlation rules arrive and change at run time with the rules topic, so their windows cannot be DSL
 * windowed operators fixed at build time; a custom processor keeps, per group, the matches of the last
 * {@code 2 × timespan + grace} (a {@link CorrelationWindow} in a changelogged key-value store) and evaluates the
 * current definition of the correlation on each hit.
 *
 * <p>Windows are sliding: a correlation fires when some interval of length {@code timespan} (both ends inclusive)
 * holds matches that meet the condition. Conditions that only grow true as matches are added ({@code gt}/{@code gte}
 * bounds, temporal types) are checked on every hit, over every interval that contains the hit, so an out-of-order hit
 * can complete an interval in the past; the contributing matches are then consumed, so they do not fire twice.
 * Conditions with an upper bound ({@code lt}, {@code lte}, {@code eq}, {@code neq}) can only be decided once an
 * interval is complete: they are checked on tumbling intervals that start at the oldest match of the group, when
 * stream time passes the interval's end plus the grace. Every closed interval is decided, on the group's next hit or
 * on the stream-time punctuation (when only other groups advance stream time), before matches older than
 * {@code 2 × timespan + grace} are pruned, so a quiet gap longer than that cannot lose an interval's result.
 *
 * <p>value_sum, value_avg and value_percentile aggregate a numeric field: a hit whose value is absent or not a finite
 * decimal number is not added to the window and is counted in {@code bulwark.detect.sigma.correlation.non.numeric}.
 * An average or a percentile can move either way with the next match, so it is always decided on complete intervals;
 * a sum with only lower bounds is decided on every hit, like a count.
 *
 * <p>Lateness: stream time is the largest event time this task has seen. A hit whose whole interval
 * ({@code time + timespan}) ended more than {@code grace} before stream time can no longer be counted correctly: it
 * is dropped from the correlation and counted in {@code bulwark.detect.sigma.correlation.late}. The event itself was
 * still matched by every rule, so its rule findings (if the rule is not correlation-only) were emitted as usual.
 */
final class CorrelationProcessor implements Processor<String, CorrelationHit, String, Finding> {

    private final RuleSource source;
    private final String windowStore;
    private final FindingFolder folder;
    private final long graceMs;
    private final int maxGroupEvents;
    private final int maxEvidenceEvents;
    private final Counter late;
    private final Counter fired;
    private final Counter duplicates;
    private final Counter notNumeric;
    private final java.util.function.Function<org.apache.kafka.streams.processor.api.ProcessingContext,
            dev.bulwark.detectors.api.TenantTuning> tuningOf;
    private dev.bulwark.detectors.api.TenantTuning tuning = dev.bulwark.detectors.api.TenantTuning.NONE;
    private final dev.bulwark.detectors.api.RuleTelemetry telemetry;
    private ProcessorContext<String, Finding> context;
    private KeyValueStore<String, CorrelationWindow> windows;

    CorrelationProcessor(RuleSource source, String windowStore, FindingFolder folder, SigmaSettings settings,
                         Counter late, Counter fired, Counter duplicates, Counter notNumeric) {
        this(source, windowStore, folder, settings, late, fired, duplicates, notNumeric,
                ignored -> dev.bulwark.detectors.api.TenantTuning.NONE);
    }

    /** @param tuning the per-tenant tuning (correlation thresholds), from the processor's context */
    CorrelationProcessor(RuleSource source, String windowStore, FindingFolder folder, SigmaSettings settings,
                         Counter late, Counter fired, Counter duplicates, Counter notNumeric,
                         java.util.function.Function<org.apache.kafka.streams.processor.api.ProcessingContext,
                                 dev.bulwark.detectors.api.TenantTuning> tuning) {
        this(source, windowStore, folder, settings, late, fired, duplicates, notNumeric, tuning,
                dev.bulwark.detectors.api.RuleTelemetry.NONE);
    }

    /** @param telemetry counts each correlation's firings as its matches */
    CorrelationProcessor(RuleSource source, String windowStore, FindingFolder folder, SigmaSettings settings,
                         Counter late, Counter fired, Counter duplicates, Counter notNumeric,
                         java.util.function.Function<org.apache.kafka.streams.processor.api.ProcessingContext,
                                 dev.bulwark.detectors.api.TenantTuning> tuning,
                         dev.bulwark.detectors.api.RuleTelemetry telemetry) {
        this.telemetry = telemetry;
        this.tuningOf = tuning;
        this.duplicates = duplicates;
        this.notNumeric = notNumeric;
        this.source = source;
        this.windowStore = windowStore;
        this.folder = folder;
        this.graceMs = settings.grace().toMillis();
        this.maxGroupEvents = settings.maxGroupEvents();
        this.maxEvidenceEvents = settings.maxEvidenceEvents();
        this.late = late;
        this.fired = fired;
    }

    @Override
    public void init(ProcessorContext<String, Finding> context) {
        this.context = context;
        this.windows = context.getStateStore(windowStore);
        this.tuning = tuningOf.apply(context);
        folder.init(context);
        context.schedule(Duration.ofSeconds(5), PunctuationType.STREAM_TIME, this::sweep);
    }

    @Override
    public void process(Record<String, CorrelationHit> record) {
        CorrelationHit hit = record.value();
        if (hit == null) {
            return; // a hit of the format before Avro, refused by the serde (and logged there)
        }
        handle(hit, Math.max(context.currentStreamTimeMs(), hit.time()));
    }

    /**
     * Adds a hit to its group's window and fires what it completes: a base-rule match from the repartition topic,
     * or the firing of a correlation that this hit's correlation references (same task: a chain is partitioned by
     * its outermost correlation's group).
     */
    private void handle(CorrelationHit hit, long streamTime) {
        String key = CompiledRuleSet.windowKey(hit.correlationKey(), hit.group(), hit.route());
        SigmaCorrelation correlation = source.current().correlations().get(hit.correlationKey());
        if (correlation == null) {
            windows.delete(key);
            return;
        }
        correlation = tuned(correlation, hit.context());
        if (correlation.type().isNumeric() && number(hit.value()) == null) {
            notNumeric.increment(); // absent or not a number: nothing to add to a sum, average or percentile
            return;
        }
        long span = correlation.timespan().toMillis();
        if (hit.time() + span < streamTime - graceMs) {
            late.increment();
            return;
        }
        CorrelationWindow window = windows.get(key);
        if (window == null) {
            window = new CorrelationWindow(hit.correlationKey(), hit.group(), List.of(), hit.context(), hit.route());
        }
        List<CorrelationWindow.Entry> entries = new ArrayList<>(window.entries());
        if (hit.eventId() != null && entries.stream().anyMatch(e -> hit.eventId().equals(e.eventId())
                && java.util.Objects.equals(hit.ruleId(), e.ruleId()))) {
            duplicates.increment(); // the same event again: it counts once in the window
            return;
        }
        CorrelationWindow.Entry added = new CorrelationWindow.Entry(hit.time(), hit.ruleId(), hit.ruleName(),
                hit.eventId(), hit.value());
        int at = entries.size();
        while (at > 0 && entries.get(at - 1).time() > added.time()) {
            at--;
        }
        entries.add(at, added);
        window = window.with(entries, hit.context());
        if (!growsTrue(correlation)) {
            // every interval that closed (also during a quiet gap of this group) is decided before anything of it
            // is forgotten: pruning first would drop the matches of an interval that should fire
            window = closeIntervals(key, correlation, window, streamTime);
        }
        entries = live(window.entries(), oldestUseful(streamTime, span));
        while (entries.size() > maxGroupEvents) {
            entries.remove(0);
        }
        window = window.with(entries, hit.context());
        if (growsTrue(correlation)) {
            Optional<Firing> firing = firstFiring(correlation, entries, added);
            if (firing.isPresent()) {
                fire(correlation, window, firing.get(), streamTime);
                window = window.with(without(entries, firing.get().contributing()), hit.context());
            }
        }
        save(key, window);
    }

    /** Drops what fell out of every window, decides complete intervals, and forgets groups of deleted rules. */
    private void sweep(long streamTime) {
        RuleSource.Snapshot snapshot = source.current();
        List<KeyValue<String, CorrelationWindow>> all = new ArrayList<>();
        try (KeyValueIterator<String, CorrelationWindow> iterator = windows.all()) {
            iterator.forEachRemaining(all::add);
        }
        for (KeyValue<String, CorrelationWindow> entry : all) {
            // read again: a firing earlier in this sweep may have added to a window of a referencing correlation
            CorrelationWindow stored = entry.value == null ? null : windows.get(entry.key);
            // null: a window of the format before Avro, refused by the serde
            SigmaCorrelation correlation = stored == null ? null
                    : snapshot.correlations().get(stored.correlationKey());
            if (correlation == null) {
                windows.delete(entry.key);
                continue;
            }
            correlation = tuned(correlation, stored.context());
            long span = correlation.timespan().toMillis();
            CorrelationWindow window = stored;
            if (!growsTrue(correlation)) {
                // decide first: the stream may have moved past the pruning horizon since this group's last hit
                window = closeIntervals(entry.key, correlation, window, streamTime);
            }
            window = window.with(live(window.entries(), oldestUseful(streamTime, span)), window.context());
            if (window.entries().size() != stored.entries().size()) {
                save(entry.key, window);
            }
        }
        reportState(snapshot);
    }

    /** Each correlation's open groups and kept matches in this task, for its telemetry. */
    private void reportState(RuleSource.Snapshot snapshot) {
        java.util.Map<String, long[]> byCorrelation = new java.util.HashMap<>();
        try (KeyValueIterator<String, CorrelationWindow> iterator = windows.all()) {
            iterator.forEachRemaining(kv -> {
                if (kv.value != null) {
                    long[] counts = byCorrelation.computeIfAbsent(kv.value.correlationKey(), k -> new long[2]);
                    counts[0]++;
                    counts[1] += kv.value.entries().size();
                }
            });
        }
        String part = context.taskId().toString();
        for (SigmaCorrelation correlation : snapshot.correlations().values()) {
            long[] counts = byCorrelation.getOrDefault(correlation.key(), new long[2]);
            telemetry.rule(SigmaFindings.correlationId(correlation)).state(part, counts[0], counts[1]);
        }
    }

    /**
     * The correlation as it counts for the tenant of the group's latest match: with that tenant's threshold
     * ({@code bulwark rules override ID --tenant T --threshold N}) as its lower bound, when one is set.
     */
    private SigmaCorrelation tuned(SigmaCorrelation correlation, Finding context) {
        Long threshold = threshold(correlation, context);
        return threshold == null ? correlation : correlation.withThreshold(threshold);
    }

    private dev.bulwark.detectors.api.TenantTuning.Tuning tuning(SigmaCorrelation correlation, Finding context) {
        if (context == null || correlation.condition().isEmpty()) {
            return null;
        }
        dev.bulwark.detectors.api.TenantTuning.Tuning tuned = tuning.of(context.getTenant(),
                SigmaFindings.correlationId(correlation));
        return tuned == null || tuned.threshold() == null ? null : tuned;
    }

    private Long threshold(SigmaCorrelation correlation, Finding context) {
        dev.bulwark.detectors.api.TenantTuning.Tuning tuned = tuning(correlation, context);
        return tuned == null ? null : tuned.threshold();
    }

    /**
     * The oldest event time still worth keeping: a hit that is not late yet ({@code time >= streamTime - timespan -
     * grace}) may complete an interval that starts up to one timespan before it.
     */
    private long oldestUseful(long streamTime, long span) {
        return streamTime - 2 * span - graceMs;
    }

    private void save(String key, CorrelationWindow window) {
        if (window.entries().isEmpty()) {
            windows.delete(key);
        } else {
            windows.put(key, window);
        }
    }

    /**
     * True for conditions that stay true when matches are added: only lower bounds, or temporal without one. An
     * average or a percentile can move either way with the next match; a sum only grows with values that are not
     * negative (a negative value after a firing does not take the firing back).
     */
    static boolean growsTrue(SigmaCorrelation correlation) {
        if (correlation.type() == SigmaCorrelation.Type.VALUE_AVG
                || correlation.type() == SigmaCorrelation.Type.VALUE_PERCENTILE) {
            return false;
        }
        return correlation.condition()
                .map(c -> c.bounds().keySet().stream().allMatch(op -> op.equals("gt") || op.equals("gte")))
                .orElse(true);
    }

    /**
     * The matches that make the correlation fire in the first interval of length timespan that contains
     * {@code added}, or empty.
     */
    static Optional<Firing> firstFiring(SigmaCorrelation correlation,
                                                               List<CorrelationWindow.Entry> entries,
                                                               CorrelationWindow.Entry added) {
        long span = correlation.timespan().toMillis();
        long previousStart = Long.MIN_VALUE;
        for (CorrelationWindow.Entry start : entries) {
            if (start.time() < added.time() - span || start.time() == previousStart) {
                continue;
            }
            if (start.time() > added.time()) {
                break;
            }
            previousStart = start.time();
            List<CorrelationWindow.Entry> interval = new ArrayList<>();
            for (CorrelationWindow.Entry entry : entries) {
                if (entry.time() >= start.time() && entry.time() <= start.time() + span) {
                    interval.add(entry);
                }
            }
            Optional<Firing> firing = evaluate(correlation, interval);
            if (firing.isPresent()) {
                return firing;
            }
        }
        return Optional.empty();
    }

    /**
     * A firing: the contributing matches, oldest first, and the aggregate the condition held on (value_sum,
     * value_avg, value_percentile; else null).
     */
    record Firing(List<CorrelationWindow.Entry> contributing, Double value) {

        static Optional<Firing> of(boolean holds, List<CorrelationWindow.Entry> contributing) {
            return holds ? Optional.of(new Firing(contributing, null)) : Optional.empty();
        }

        static Optional<Firing> of(SigmaCorrelation correlation, double value,
                                   List<CorrelationWindow.Entry> contributing) {
            return correlation.condition().get().test(value) ? Optional.of(new Firing(contributing, value))
                    : Optional.empty();
        }
    }

    /** The firing when the correlation's condition holds on this interval, else empty. */
    static Optional<Firing> evaluate(SigmaCorrelation correlation, List<CorrelationWindow.Entry> interval) {
        if (interval.isEmpty()) {
            return Optional.empty();
        }
        List<String> rules = correlation.rules();
        switch (correlation.type()) {
            case EVENT_COUNT -> {
                return Firing.of(correlation.condition().get().test(interval.size()), interval);
            }
            case VALUE_COUNT -> {
                Set<String> values = new HashSet<>();
                interval.forEach(e -> {
                    if (e.value() != null) {
                        values.add(e.value());
                    }
                });
                return Firing.of(correlation.condition().get().test(values.size()), interval);
            }
            case TEMPORAL -> {
                int covered = 0;
                for (String rule : rules) {
                    if (interval.stream().anyMatch(e -> e.is(rule))) {
                        covered++;
                    }
                }
                int distinct = covered;
                boolean holds = correlation.condition().map(c -> c.test(distinct)).orElse(distinct == rules.size());
                return Firing.of(holds, interval);
            }
            case TEMPORAL_ORDERED -> {
                List<CorrelationWindow.Entry> chosen = new ArrayList<>();
                for (CorrelationWindow.Entry entry : interval) {
                    if (chosen.size() < rules.size() && entry.is(rules.get(chosen.size()))) {
                        chosen.add(entry);
                    }
                }
                return Firing.of(chosen.size() == rules.size(), chosen);
            }
            case VALUE_SUM, VALUE_AVG, VALUE_PERCENTILE -> {
                // numbers are checked on arrival; entries of an earlier, non-numeric definition of the rule are not
                List<CorrelationWindow.Entry> numeric = new ArrayList<>(interval.size());
                double[] values = new double[interval.size()];
                for (CorrelationWindow.Entry entry : interval) {
                    Double value = number(entry.value());
                    if (value != null) {
                        values[numeric.size()] = value;
                        numeric.add(entry);
                    }
                }
                if (numeric.isEmpty()) {
                    return Optional.empty();
                }
                values = Arrays.copyOf(values, numeric.size());
                double sum = 0;
                for (double value : values) {
                    sum += value;
                }
                double aggregate = switch (correlation.type()) {
                    case VALUE_SUM -> sum;
                    case VALUE_AVG -> sum / values.length;
                    default -> {
                        Arrays.sort(values);
                        yield percentile(values, correlation.condition().get().percentile());
                    }
                };
                return Firing.of(correlation, aggregate, numeric);
            }
            default -> throw new IllegalStateException("unsupported correlation type " + correlation.type());
        }
    }

    /** Decides the complete tumbling intervals (from the oldest match) of a condition with an upper bound. */
    private CorrelationWindow closeIntervals(String key, SigmaCorrelation correlation, CorrelationWindow window,
                                             long streamTime) {
        long span = correlation.timespan().toMillis();
        List<CorrelationWindow.Entry> entries = new ArrayList<>(window.entries());
        while (!entries.isEmpty()) {
            long end = entries.get(0).time() + span;
            if (end + graceMs >= streamTime) {
                break;
            }
            List<CorrelationWindow.Entry> interval = new ArrayList<>();
            for (CorrelationWindow.Entry entry : entries) {
                if (entry.time() <= end) {
                    interval.add(entry);
                }
            }
            Optional<Firing> firing = evaluate(correlation, interval);
            if (firing.isPresent()) {
                fire(correlation, window, firing.get(), streamTime);
            }
            entries = without(entries, interval);
        }
        return window.with(entries, window.context());
    }

    /**
     * Reports a firing, and hands it to the correlation that references this one on the window's route. A
     * correlation reports a finding of its own when no correlation references it, or when the referencing one says
     * {@code generate: true}.
     */
    private void fire(SigmaCorrelation correlation, CorrelationWindow window, Firing firing, long streamTime) {
        List<CorrelationWindow.Entry> contributing = firing.contributing();
        fired.increment();
        telemetry.rule(SigmaFindings.correlationId(correlation)).matched(System.currentTimeMillis());
        CorrelationWindow.Entry lastEntry = contributing.get(contributing.size() - 1);
        Optional<CompiledRuleSet.Link> up = window.route().isEmpty() ? Optional.empty()
                : source.current().ruleSet().link(correlation, window.route().get(0));
        if (window.route().isEmpty() || up.map(link -> link.parent().generate()).orElse(false)) {
            List<String> ids = new ArrayList<>();
            for (CorrelationWindow.Entry entry : contributing) {
                if (ids.size() < maxEvidenceEvents && !ids.contains(entry.eventId())) {
                    ids.add(entry.eventId());
                }
            }
            long first = contributing.get(0).time();
            String foldKey = CompiledRuleSet.windowKey(window.correlationKey(), window.group(), List.of());
            Finding finding = SigmaFindings.correlationFinding(foldKey, correlation, window.group(), ids,
                    contributing.size(), first, lastEntry.time(), window.context(), firing.value());
            dev.bulwark.detectors.api.TenantTuning.Tuning tuned = tuning(correlation, window.context());
            if (tuned != null) {
                java.util.Map<String, String> fields = new java.util.LinkedHashMap<>(finding.getEvidence().getFields());
                fields.put(dev.bulwark.detectors.api.TenantTuning.EVIDENCE_FIELD, "threshold " + tuned.threshold() + " by "
                        + tuned.description());
                finding = Finding.newBuilder(finding).setEvidence(dev.bulwark.schemas.Evidence
                        .newBuilder(finding.getEvidence()).setFields(fields).build()).build();
            }
            folder.fold(finding, lastEntry.time());
        }
        if (up.isPresent()) {
            // the firing is one event of the referencing correlation, at the time the condition was met, grouped by
            // the referencing correlation's own group-by (carried from this one's group values)
            List<String> route = window.route().subList(1, window.route().size());
            handle(new CorrelationHit(up.get().parent().key(),
                    CompiledRuleSet.chainGroup(up.get(), correlation, window.group()), correlation.id(),
                    correlation.name(), lastEntry.eventId(), lastEntry.time(), null, window.context(), route),
                    streamTime);
        }
    }

    /**
     * The {@code p}-th percentile (0 to 100) of sorted values, interpolated linearly between the closest ranks: the
     * value at rank {@code p / 100 × (n - 1)} counted from 0 (so 0 is the smallest, 100 the largest and 50 the
     * median). The specification does not say how to interpolate; this is the common default (R-7, NumPy's
     * "linear", Excel's PERCENTILE.INC).
     */
    static double percentile(double[] sorted, int p) {
        double rank = p / 100.0 * (sorted.length - 1);
        int below = (int) Math.floor(rank);
        int above = (int) Math.ceil(rank);
        return sorted[below] + (rank - below) * (sorted[above] - sorted[below]);
    }

    private static final Pattern NUMBER = Pattern.compile("[+-]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][+-]?\\d+)?");

    /** A field value as a finite number: decimal, optionally signed, with fraction and exponent; else null. */
    static Double number(String text) {
        if (text == null) {
            return null;
        }
        String trimmed = text.strip();
        if (!NUMBER.matcher(trimmed).matches()) {
            return null;
        }
        double value = Double.parseDouble(trimmed);
        return Double.isFinite(value) ? value : null;
    }

    private static List<CorrelationWindow.Entry> live(List<CorrelationWindow.Entry> entries, long oldest) {
        List<CorrelationWindow.Entry> kept = new ArrayList<>(entries.size() + 1);
        for (CorrelationWindow.Entry entry : entries) {
            if (entry.time() >= oldest) {
                kept.add(entry);
            }
        }
        return kept;
    }

    private static List<CorrelationWindow.Entry> without(List<CorrelationWindow.Entry> entries,
                                                         List<CorrelationWindow.Entry> removed) {
        Map<CorrelationWindow.Entry, Boolean> gone = new IdentityHashMap<>();
        removed.forEach(e -> gone.put(e, Boolean.TRUE));
        List<CorrelationWindow.Entry> kept = new ArrayList<>(entries.size());
        for (CorrelationWindow.Entry entry : entries) {
            if (!gone.containsKey(entry)) {
                kept.add(entry);
            }
        }
        return kept;
    }
}
