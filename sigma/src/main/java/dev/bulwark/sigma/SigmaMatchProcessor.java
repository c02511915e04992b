package dev.bulwark.sigma;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import dev.bulwark.detectors.api.FindingBuilder;
import dev.bulwark.schemas.DeadLetter;
import dev.bulwark.schemas.DeadLetters;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.SecurityEvent;
import io.micrometer.core.instrument.Counter;

/**
 * Matches every event against the current rule snapshot and emits a rule finding per standalone match and a
 * {@link CorrelationHit} per correlation the matched rule feeds; a match a filter suppresses is only counted (it feeds
 * no correlation either, as the filter is part of the rule); the task of partition 0 also dead-letters rejected
 * rules records.
 *
 * <p>Why: matching is stateless and cheap (prefiltered), so it runs where the events are; only the rare matches are
 * repartitioned for folding and correlation. Rejections are reported by exactly one task of the application (the one
 * owning partition 0 of the events) and remembered in a changelogged store by fingerprint, so a bad record is
 * dead-lettered once, not once per task, instance or restart. A wall-clock punctuation every second picks up rule
 * changes when no events flow.
 */
final class SigmaMatchProcessor implements Processor<String, SecurityEvent, String, SigmaOutput> {

    /** Dead letter stage of rejected rules. */
    static final String STAGE = "rules";

    private final Function<SecurityEvent, FindingBuilder> findings;
    private final RuleSource source;
    private final String rulesTopic;
    private final String rejectionStore;
    private final Counter rejected;
    private final Counter matched;
    private final Counter filtered;
    private final String detector;
    private final java.util.function.Function<org.apache.kafka.streams.processor.api.ProcessingContext,
            dev.bulwark.detectors.api.TenantTuning> tuning;
    private final Counter excepted;
    private TenantExceptions exceptions;
    private ProcessorContext<String, SigmaOutput> context;
    private KeyValueStore<String, String> rejections;
    private long reportedVersion = -1;

    SigmaMatchProcessor(Function<SecurityEvent, FindingBuilder> findings, RuleSource source, String rulesTopic,
                        String rejectionStore, Counter rejected, Counter matched, Counter filtered) {
        this(findings, source, rulesTopic, rejectionStore, rejected, matched, filtered, "sigma",
                ignored -> dev.bulwark.detectors.api.TenantTuning.NONE, null);
    }

    /**
     * @param detector the detector's name: an exception set for it applies to all its rules
     * @param tuning the per-tenant tuning, from the processor's context
     * @param excepted counts the matches a tenant's exception dropped (null: not counted)
     */
    SigmaMatchProcessor(Function<SecurityEvent, FindingBuilder> findings, RuleSource source, String rulesTopic,
                        String rejectionStore, Counter rejected, Counter matched, Counter filtered, String detector,
                        java.util.function.Function<org.apache.kafka.streams.processor.api.ProcessingContext,
                                dev.bulwark.detectors.api.TenantTuning> tuning, Counter excepted) {
        this.detector = detector;
        this.tuning = tuning;
        this.excepted = excepted;
        this.findings = findings;
        this.source = source;
        this.rulesTopic = rulesTopic;
        this.rejectionStore = rejectionStore;
        this.rejected = rejected;
        this.matched = matched;
        this.filtered = filtered;
    }

    @Override
    public void init(ProcessorContext<String, SigmaOutput> context) {
        this.context = context;
        this.exceptions = new TenantExceptions(source.engine(), tuning.apply(context));
        if (context.taskId().partition() == 0) {
            rejections = context.getStateStore(rejectionStore);
            context.schedule(Duration.ofSeconds(1), PunctuationType.WALL_CLOCK_TIME, now -> report(source.current()));
        }
    }

    @Override
    public void process(Record<String, SecurityEvent> record) {
        RuleSource.Snapshot snapshot = source.current();
        if (rejections != null && snapshot.version() != reportedVersion) {
            report(snapshot);
        }
        SecurityEvent event = record.value();
        CompiledRuleSet.Matches all = snapshot.ruleSet().matchAll(event);
        if (!all.filtered().isEmpty()) {
            // suppressed by a filter: counted, and neither a finding nor a correlation hit
            filtered.increment(all.filtered().size());
        }
        List<RuleMatch> matches = all.matches();
        if (matches.isEmpty()) {
            return;
        }
        long time = Math.floorDiv(event.getTimestamp(), 1_000_000L);
        for (RuleMatch match : matches) {
            matched.increment();
            Finding finding = SigmaFindings.ruleFinding(findings, match, event);
            CompiledRule compiled = snapshot.ruleSet().rule(match.rule().key()).orElse(null);
            if (compiled != null && (excepts(finding.getTenant(), finding.getRule().getId(), compiled, event)
                    || excepts(finding.getTenant(), detector, compiled, event))) {
                continue; // the tenant's exception drops it: no finding, no correlation hit
            }
            if (match.standalone()) {
                context.forward(new Record<>(finding.getId(), SigmaOutput.of(finding), time, record.headers()));
            }
            for (SigmaCorrelation correlation : snapshot.correlationsOf(match.rule().key())) {
                if (compiled != null && excepts(finding.getTenant(), SigmaFindings.correlationId(correlation), compiled,
                        event)) {
                    continue; // the tenant's exception of this correlation keeps the match out of it
                }
                List<String> group = snapshot.ruleSet().groupKey(correlation, match, event);
                String value = valueOf(snapshot, correlation, match, event);
                // one hit per way up the chains of correlations, partitioned by the outermost one's group
                for (List<String> route : snapshot.ruleSet().routes(correlation)) {
                    String key = snapshot.ruleSet().partitionKey(correlation, group, route);
                    CorrelationHit hit = new CorrelationHit(correlation.key(), group, match.rule().id(),
                            match.rule().name(), event.getId(), time, value, finding, route);
                    context.forward(new Record<>(key, SigmaOutput.of(hit), time, record.headers()));
                }
            }
        }
    }

    /** True (and counted) when the tenant's exception of {@code target} drops this match. */
    private boolean excepts(String tenant, String target, CompiledRule rule, SecurityEvent event) {
        if (exceptions.dropping(tenant, target, rule, event) == null) {
            return false;
        }
        if (excepted != null) {
            excepted.increment();
        }
        return true;
    }

    /**
     * The value of a value_* correlation's field in the event (an alias resolved for the rule), or null when absent.
     * For value_count over several fields: their combination, encoded so that different combinations never look
     * alike, or null when one of them is absent (the fields are linked by AND).
     */
    private static String valueOf(RuleSource.Snapshot snapshot, SigmaCorrelation correlation, RuleMatch match,
                                  SecurityEvent event) {
        if (!correlation.type().needsField() || correlation.condition().isEmpty()) {
            return null;
        }
        List<String> fields = correlation.condition().get().fields();
        if (fields.size() == 1) {
            return fieldText(snapshot, correlation, match, event, fields.get(0));
        }
        StringBuilder combination = new StringBuilder();
        for (String field : fields) {
            String text = fieldText(snapshot, correlation, match, event, field);
            if (text == null) {
                return null;
            }
            combination.append(text.length()).append(':').append(text).append(';');
        }
        return combination.toString();
    }

    private static String fieldText(RuleSource.Snapshot snapshot, SigmaCorrelation correlation, RuleMatch match,
                                    SecurityEvent event, String field) {
        Map<String, String> alias = correlation.aliases().get(field);
        if (alias != null) {
            String rule = match.rule().name() != null && alias.containsKey(match.rule().name())
                    ? match.rule().name() : match.rule().id();
            field = alias.get(rule);
        }
        if (field == null) {
            return null;
        }
        String name = field;
        return snapshot.ruleSet().rule(match.rule().key()).map(r -> r.fieldText(name, event)).orElse(null);
    }

    /** Dead-letters the rejections not reported yet and forgets those that are gone. */
    private void report(RuleSource.Snapshot snapshot) {
        reportedVersion = snapshot.version();
        for (RuleSource.Rejection rejection : snapshot.rejections().values()) {
            String fingerprint = rejection.fingerprint();
            if (fingerprint.equals(rejections.get(rejection.key()))) {
                continue;
            }
            byte[] original = rejection.text() == null ? new byte[0] : rejection.text().getBytes(StandardCharsets.UTF_8);
            for (RuleProblem problem : rejection.problems()) {
                DeadLetter letter = DeadLetters.of(original, "sigma", rulesTopic + ":" + rejection.key(), STAGE,
                        problem.toString());
                context.forward(new Record<>(rejection.key(), SigmaOutput.of(letter), context.currentSystemTimeMs()));
                rejected.increment();
            }
            rejections.put(rejection.key(), fingerprint);
        }
        List<String> gone = new ArrayList<>();
        try (KeyValueIterator<String, String> all = rejections.all()) {
            while (all.hasNext()) {
                KeyValue<String, String> entry = all.next();
                if (!snapshot.rejections().containsKey(entry.key)) {
                    gone.add(entry.key);
                }
            }
        }
        gone.forEach(rejections::delete);
    }
}
