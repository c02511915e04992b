package dev.bulwark.detection;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.bulwark.detectors.api.Severity;
import dev.bulwark.schemas.AvroSerde;
import dev.bulwark.schemas.Evidence;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.RuleOverride;
import dev.bulwark.schemas.Topics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Per-tenant tuning of rules and detectors: the overrides on the rule-overrides topic, kept in a global store on
 * every instance, applied to each finding before it is written.
 *
 * <p>Why at the findings: one place covers every Sigma rule, correlation and built-in detector alike, and a finding
 * knows its tenant and rule. An override of a rule id wins over one of the rule's detector. A disabled target's
 * findings for that tenant are not written and are counted ({@code bulwark_detect_overrides_suppressed_total}, per
 * detector); a changed severity sets the severity and risk score, and the finding records what changed, who changed
 * it and why in {@code evidence.fields["bulwark.override"]}. Every other tenant's findings pass untouched.
 */
public final class RuleOverrides {

    /** The global store of overrides, keyed like the topic. */
    public static final String STORE = "rule-overrides";
    /** The evidence field that records an applied override. */
    public static final String EVIDENCE_FIELD = dev.bulwark.detectors.api.TenantTuning.EVIDENCE_FIELD;

    private static final Logger LOG = LoggerFactory.getLogger(RuleOverrides.class);

    private RuleOverrides() {
    }

    /**
     * Keeps the store up to date from the topic (also on restore). An unreadable record removes the key's override
     * and is logged: an override nobody can read must not keep applying an older one.
     */
    static final class Updater implements Processor<String, byte[], Void, Void> {

        private static final AvroSerde<RuleOverride> SERDE = AvroSerde.of(RuleOverride.class);
        private KeyValueStore<String, RuleOverride> store;

        @Override
        public void init(ProcessorContext<Void, Void> context) {
            store = context.getStateStore(STORE);
        }

        @Override
        public void process(Record<String, byte[]> record) {
            String key = record.key();
            if (key == null) {
                return;
            }
            if (record.value() == null) {
                store.delete(key);
                return;
            }
            try {
                RuleOverride override = SERDE.decode(record.value());
                if (!Topics.isOverrideTarget(override.getTarget())
                        || !key.equals(Topics.overrideKey(override.getTenant(), override.getTarget()))) {
                    throw new IllegalArgumentException("its key does not name its tenant and target");
                }
                if (override.getSeverity() != null) {
                    Severity.of(override.getSeverity());
                }
                store.put(key, override);
            } catch (RuntimeException e) {
                store.delete(key);
                LOG.error("rule override {} is unreadable and not applied ({}); write it again with "
                        + "'bulwark rules override'", printable(key), e.getMessage());
            }
        }

    }

    /** A record key as logs may show it: at most 200 characters, control characters as {@code ?}. */
    public static String printable(String key) {
        String clipped = key.length() > 200 ? key.substring(0, 200) + "..." : key;
        return clipped.replaceAll("\\p{Cntrl}", "?");
    }

    /** Applies the overrides of a finding's tenant to it (one per detector, named after it). */
    static final class Applier implements FixedKeyProcessor<String, Finding, Finding> {

        private final Counter suppressed;
        private final Counter changed;
        private FixedKeyProcessorContext<String, Finding> context;
        private KeyValueStore<String, RuleOverride> store;

        Applier(String detector, MeterRegistry metrics) {
            this.suppressed = Counter.builder("bulwark.detect.overrides.suppressed").tag("detector", detector)
                    .description("findings a per-tenant override disabled (not written)").register(metrics);
            this.changed = Counter.builder("bulwark.detect.overrides.applied").tag("detector", detector)
                    .description("findings a per-tenant override changed (severity)").register(metrics);
        }

        @Override
        public void init(FixedKeyProcessorContext<String, Finding> context) {
            this.context = context;
            this.store = context.getStateStore(STORE);
        }

        @Override
        public void process(FixedKeyRecord<String, Finding> record) {
            Finding finding = record.value();
            RuleOverride override = finding == null ? null : find(finding);
            if (override == null) {
                context.forward(record);
                return;
            }
            if (override.getDisabled()) {
                suppressed.increment();
                return;
            }
            if (override.getSeverity() == null) {
                context.forward(record); // an exception or threshold only: the detector applied it
                return;
            }
            context.forward(record.withValue(apply(finding, override)));
            changed.increment();
        }

        private RuleOverride find(Finding finding) {
            RuleOverride byRule = store.get(Topics.overrideKey(finding.getTenant(), finding.getRule().getId()));
            return byRule != null ? byRule : store.get(Topics.overrideKey(finding.getTenant(), finding.getDetector()));
        }
    }

    /**
     * The exception and threshold of {@code tenant}'s override of {@code target}, or null when it has neither (or
     * there is no override, or tenant or target is null).
     */
    static dev.bulwark.detectors.api.TenantTuning.Tuning tuning(KeyValueStore<String, RuleOverride> store, String tenant,
                                                               String target) {
        if (tenant == null || target == null || store == null) {
            return null;
        }
        RuleOverride override = store.get(Topics.overrideKey(tenant, target));
        if (override == null || override.getDisabled()
                || (override.getException() == null && override.getThreshold() == null)) {
            return null; // a disabled target's findings are dropped after the detector anyway
        }
        return new dev.bulwark.detectors.api.TenantTuning.Tuning(override.getException(), override.getThreshold(),
                describe(override));
    }

    /** Who set an override, when and why, as findings record it. */
    static String describe(RuleOverride override) {
        return "override of " + override.getTarget() + " for tenant " + override.getTenant()
                + (override.getUpdatedBy() == null ? "" : ", set by " + override.getUpdatedBy())
                + (override.getUpdatedAt() <= 0 ? "" : " at " + Instant.ofEpochMilli(override.getUpdatedAt()))
                + (override.getNote() == null ? "" : ": " + override.getNote());
    }

    /** {@code finding} with the override's severity, recording the change. */
    static Finding apply(Finding finding, RuleOverride override) {
        if (override.getSeverity() == null) {
            return finding;
        }
        Severity severity = Severity.of(override.getSeverity());
        Map<String, String> fields = new LinkedHashMap<>(finding.getEvidence().getFields());
        String change = "severity " + severity.label() + " (was " + finding.getSeverity() + ") by " + describe(override);
        fields.merge(EVIDENCE_FIELD, change, (before, now) -> before + "; " + now); // a threshold the detector applied
        return Finding.newBuilder(finding).setSeverity(severity.label()).setRiskScore(severity.riskScore())
                .setEvidence(Evidence.newBuilder(finding.getEvidence()).setFields(fields).build()).build();
    }
}
