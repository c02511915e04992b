package dev.bulwark.sigma;

import java.util.Map;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Repartitioned;

import dev.bulwark.detectors.api.Detector;
import dev.bulwark.detectors.api.DetectorApi;
import dev.bulwark.detectors.api.DetectorContext;
import dev.bulwark.detectors.api.DetectorMetrics;
import dev.bulwark.detectors.api.StateStores;
import dev.bulwark.schemas.AvroSerde;
import dev.bulwark.schemas.Finding;
import io.micrometer.core.instrument.Counter;

/**
 * Runs Sigma rules on the event stream: every event is matched against the current rule set, matches become findings
 * folded per rule and entity, and correlation rules are evaluated on windowed state.
 *
 * <p>Why: detection content written in the community's rule format, added and changed at run time through the
 * compacted rules topic without a restart, instead of one Java class per detection. The topology:
 * <pre>
 * rules topic ──► global store "sigma-rules" ──► RuleSource (one per instance, shared by all tasks)
 * events ──► sigma-match ─┬─ rule findings ──► repartition sigma-fold ──► sigma-fold-findings ──┬─► findings
 *                         ├─ correlation hits ─► repartition sigma-correlation ─► sigma-correlate ┘
 *                         └─ rejected rules records (task 0 only) ──► dead-letter topic (stage rules)
 * </pre>
 * Settings: {@link SigmaSettings} ({@code detection.detectors.sigma.*}).
 */
public final class SigmaDetector implements Detector {

    @Override
    public String name() {
        return "sigma";
    }

    @Override
    public String apiVersion() {
        return DetectorApi.VERSION;
    }

    @Override
    public java.util.List<dev.bulwark.config.Field<?>> settings() {
        return SigmaSettings.FIELDS;
    }

    @Override
    public KStream<String, Finding> build(DetectorContext context) {
        SigmaSettings settings = SigmaSettings.of(context.settings());
        FieldMapping mapping = FieldMapping.defaults();
        if (settings.mapping() != null) {
            try {
                mapping = mapping.withOverrides(settings.mapping());
            } catch (SigmaRuleException e) {
                throw new IllegalArgumentException("detection.detectors.sigma.mapping: " + e.getMessage(), e);
            }
        }
        return build(context, settings, RuleSource.load(SigmaEngine.create(mapping)
                .withTelemetry(context.ruleTelemetry()), settings));
    }

    /**
     * Adds the Sigma topology with an explicit rule source (its file rules; the topic adds to them).
     *
     * @param context the detector context
     * @param settings folding and correlation settings
     * @param source the rules; a new one per topology
     * @return the folded rule findings and correlation findings
     */
    public KStream<String, Finding> build(DetectorContext context, SigmaSettings settings, RuleSource source) {
        DetectorMetrics metrics = context.metrics();
        Counter rejected = metrics.counter("rules.rejected", "problems of rules-topic records dead-lettered");
        Counter matched = metrics.counter("matches", "rule matches");
        Counter filtered = metrics.counter("filtered",
                "rule matches suppressed by a Sigma filter (neither findings nor correlation hits)");
        Counter excepted = metrics.counter("excepted",
                "rule matches (or correlation hits) a tenant's exception dropped (bulwark rules override --exception)");
        Counter folded = metrics.counter("folded", "matches folded into an open finding instead of a new one");
        Counter late = metrics.counter("correlation.late",
                "correlation hits dropped because they arrived after the window and grace");
        Counter fired = metrics.counter("correlation.fired", "correlations fired");
        Counter notNumeric = metrics.counter("correlation.non.numeric",
                "matches of a value_sum, value_avg or value_percentile correlation whose field is absent or not a "
                        + "number, left out of the aggregate");
        Counter duplicates = metrics.counter("duplicates",
                "matches of an event already counted (a resent or replayed record), not counted again");
        Counter escalated = metrics.counter("escalated",
                "repeats that started a new finding because they raised the severity, changed the user or added a tactic");
        metrics.gauge("rules", "Sigma rules loaded", source, s -> s.current().ruleSet().rules().size());
        metrics.gauge("correlations", "Sigma correlation rules evaluated", source, s -> s.current().correlations().size());
        metrics.gauge("filters", "Sigma filters applied", source, s -> s.current().ruleSet().filters().size());

        String rules = context.detectorName() + "-rules"; // what rulesStore names it
        context.rulesStore("rules", () -> new RulesTopicProcessor(source, rules));
        StateStores stores = context.stores();
        String rejections = stores.keyValue("rule-rejections", Serdes.String(), Serdes.String());
        String fold = stores.keyValue("fold", Serdes.String(), FindingFolder.STATE_SERDE);
        String foldDirty = stores.keyValue("fold-dirty", Serdes.String(), Serdes.Long());
        String correlationFold = stores.keyValue("correlation-fold", Serdes.String(), FindingFolder.STATE_SERDE);
        String correlationDirty = stores.keyValue("correlation-fold-dirty", Serdes.String(), Serdes.Long());
        String windows = stores.keyValue("correlation-windows", Serdes.String(), CorrelationWindow.SERDE);

        Map<String, KStream<String, SigmaOutput>> outputs = context.events()
                .process(() -> new SigmaMatchProcessor(context::finding, source, context.rulesTopic(), rejections,
                        rejected, matched, filtered, context.detectorName(), context::tuning, excepted),
                        context.named("match"), rejections)
                .split(Named.as(context.detectorName() + "-"))
                .branch((key, out) -> out.deadLetter() != null, Branched.as("rejected"))
                .branch((key, out) -> out.hit() != null, Branched.as("hits"))
                .defaultBranch(Branched.as("matches"));

        context.deadLetter(outputs.get("sigma-rejected")
                .mapValues(SigmaOutput::deadLetter, context.named("rejected-letter")));

        KStream<String, Finding> ruleFindings = outputs.get("sigma-matches")
                .mapValues(SigmaOutput::finding, context.named("match-finding"))
                .repartition(Repartitioned.with(Serdes.String(), AvroSerde.of(Finding.class)).withName(context.detectorName() + "-fold"))
                .process(() -> new FoldProcessor(new FindingFolder(fold, foldDirty, settings, folded, duplicates,
                        escalated, context.ruleTelemetry())),
                        context.named("fold-findings"), fold, foldDirty);

        KStream<String, Finding> correlationFindings = outputs.get("sigma-hits")
                .mapValues(SigmaOutput::hit, context.named("hit"))
                .repartition(Repartitioned.with(Serdes.String(), CorrelationHit.SERDE).withName(context.detectorName() + "-correlation"))
                .process(() -> new CorrelationProcessor(source, windows,
                                new FindingFolder(correlationFold, correlationDirty, settings, folded, duplicates,
                                        escalated, context.ruleTelemetry()),
                                settings, late, fired, duplicates, notNumeric, context::tuning,
                                context.ruleTelemetry()),
                        context.named("correlate"), windows, correlationFold, correlationDirty);

        return ruleFindings.merge(correlationFindings, context.named("findings"));
    }
}
