package dev.bulwark.detectors.sigma;

import java.util.Map;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.Stores;

import dev.bulwark.detectors.Detector;
import dev.bulwark.detectors.DetectorContext;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.Topics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

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

    /** Name of the global store of the rules topic. */
    public static final String RULES_STORE = "sigma-rules";
    static final String REJECTIONS_STORE = "sigma-rule-rejections";
    static final String FOLD_STORE = "sigma-fold";
    static final String FOLD_DIRTY_STORE = "sigma-fold-dirty";
    static final String WINDOW_STORE = "sigma-correlation-windows";
    static final String CORRELATION_FOLD_STORE = "sigma-correlation-fold";
    static final String CORRELATION_DIRTY_STORE = "sigma-correlation-fold-dirty";

    @Override
    public String name() {
        return "sigma";
    }

    @Override
    public java.util.List<dev.bulwark.config.Field<?>> settings() {
        return SigmaSettings.FIELDS;
    }

    @Override
    public java.util.Set<Input> inputs() {
        return java.util.Set.of(Input.EVENTS, Input.RULES);
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
        return build(context, settings, RuleSource.load(SigmaEngine.create(mapping), settings));
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
        StreamsBuilder builder = context.builder();
        Topics topics = context.topics();
        MeterRegistry metrics = context.metrics();
        Counter rejected = Counter.builder("bulwark.detect.sigma.rules.rejected")
                .description("problems of rules-topic records dead-lettered").register(metrics);
        Counter matched = Counter.builder("bulwark.detect.sigma.matches").description("rule matches").register(metrics);
        Counter folded = Counter.builder("bulwark.detect.sigma.folded")
                .description("matches folded into an open finding instead of a new one").register(metrics);
        Counter late = Counter.builder("bulwark.detect.sigma.correlation.late")
                .description("correlation hits dropped because they arrived after the window and grace").register(metrics);
        Counter fired = Counter.builder("bulwark.detect.sigma.correlation.fired").description("correlations fired")
                .register(metrics);
        Counter duplicates = Counter.builder("bulwark.detect.sigma.duplicates")
                .description("matches of an event already counted (a resent or replayed record), not counted again")
                .register(metrics);
        Gauge.builder("bulwark.detect.sigma.rules", source, s -> s.current().ruleSet().rules().size())
                .description("Sigma rules loaded").register(metrics);
        Gauge.builder("bulwark.detect.sigma.correlations", source, s -> s.current().correlations().size())
                .description("Sigma correlation rules evaluated").register(metrics);

        builder.addGlobalStore(
                Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(RULES_STORE), Serdes.String(), Serdes.String())
                        .withLoggingDisabled(),
                topics.rules().name(),
                Consumed.with(Serdes.String(), Serdes.String()).withName("sigma-rules-source"),
                () -> new RulesTopicProcessor(source, RULES_STORE));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(REJECTIONS_STORE),
                Serdes.String(), Serdes.String()));
        FindingFolder.stores(FOLD_STORE, FOLD_DIRTY_STORE).forEach(builder::addStateStore);
        FindingFolder.stores(CORRELATION_FOLD_STORE, CORRELATION_DIRTY_STORE).forEach(builder::addStateStore);
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(WINDOW_STORE),
                Serdes.String(), CorrelationWindow.SERDE));

        Map<String, KStream<String, SigmaOutput>> outputs = context.events()
                .process(() -> new SigmaMatchProcessor(this, source, context.tenants(), topics.rules().name(),
                        REJECTIONS_STORE, rejected, matched), Named.as("sigma-match"), REJECTIONS_STORE)
                .split(Named.as("sigma-"))
                .branch((key, out) -> out.deadLetter() != null, Branched.as("rejected"))
                .branch((key, out) -> out.hit() != null, Branched.as("hits"))
                .defaultBranch(Branched.as("matches"));

        outputs.get("sigma-rejected")
                .mapValues(SigmaOutput::deadLetter, Named.as("sigma-rejected-letter"))
                .to(topics.deadLetters().name(), Produced.with(topics.deadLetters().keySerde(),
                        topics.deadLetters().valueSerde()).withName("sigma-dead-letter-sink"));

        KStream<String, Finding> ruleFindings = outputs.get("sigma-matches")
                .mapValues(SigmaOutput::finding, Named.as("sigma-match-finding"))
                .repartition(Repartitioned.with(Serdes.String(), StateCodec.FINDINGS).withName("sigma-fold"))
                .process(() -> new FoldProcessor(new FindingFolder(FOLD_STORE, FOLD_DIRTY_STORE, settings, folded, duplicates)),
                        Named.as("sigma-fold-findings"), FOLD_STORE, FOLD_DIRTY_STORE);

        KStream<String, Finding> correlationFindings = outputs.get("sigma-hits")
                .mapValues(SigmaOutput::hit, Named.as("sigma-hit"))
                .repartition(Repartitioned.with(Serdes.String(), CorrelationHit.SERDE).withName("sigma-correlation"))
                .process(() -> new CorrelationProcessor(source, WINDOW_STORE,
                                new FindingFolder(CORRELATION_FOLD_STORE, CORRELATION_DIRTY_STORE, settings, folded, duplicates),
                                settings, late, fired, duplicates),
                        Named.as("sigma-correlate"), WINDOW_STORE, CORRELATION_FOLD_STORE, CORRELATION_DIRTY_STORE);

        return ruleFindings.merge(correlationFindings, Named.as("sigma-findings"));
    }
}
