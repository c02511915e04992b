package dev.bulwark.sigma;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import dev.bulwark.schemas.SecurityEvent;

/**
 * A rule compiled against a field mapping: its detection, its logsource group and the warnings raised while
 * compiling. Immutable and reusable across rule sets, so adding one rule to a set compiles only that rule.
 *
 * <p>Why: the unit the rules topic updates; {@link SigmaEngine#compile} makes one, {@link CompiledRuleSet#with}
 * adds it.
 */
public final class CompiledRule {

    private final SigmaRule rule;
    private final LogsourceMapping logsource;
    private final FieldMapping mapping;
    private final CompiledDetection detection;
    private final List<RuleProblem> warnings;
    private final Map<String, Optional<CompiledField>> readCache = new ConcurrentHashMap<>();

    CompiledRule(SigmaRule rule, LogsourceMapping logsource, FieldMapping mapping, CompiledDetection detection,
                 List<RuleProblem> warnings) {
        this.rule = rule;
        this.logsource = logsource;
        this.mapping = mapping;
        this.detection = detection;
        this.warnings = List.copyOf(warnings);
    }

    /** The parsed rule. */
    public SigmaRule rule() {
        return rule;
    }

    /** The rule's key in a rule set ({@link SigmaRule#key()}). */
    public String key() {
        return rule.key();
    }

    /** The name of the field-mapping logsource the rule belongs to. */
    public String logsource() {
        return logsource.name();
    }

    /** Warnings (unmapped fields, ...) raised while compiling. */
    public List<RuleProblem> warnings() {
        return warnings;
    }

    /** True when the prefilter can skip this rule for events that lack all of its literals. */
    public boolean prefiltered() {
        return detection.prefilter() != null;
    }

    /**
     * The detection alone: true when the event satisfies the rule's condition, whatever its logsource. For tests
     * and tools; {@link CompiledRuleSet#match} is the production path.
     */
    public boolean matchesDetection(SecurityEvent event) {
        return detection.matches(event);
    }

    /** The match of this rule on an event that satisfies it (selections and evidence). */
    RuleMatch toMatch(SecurityEvent event, boolean standalone) {
        return new RuleMatch(rule, detection.matchedSelections(event), detection.evidence(event), standalone);
    }

    /**
     * The text of a Sigma field of this rule's logsource in {@code event} (list values comma-joined), or null when
     * absent or unmapped. Used for correlation group-by values.
     */
    public String fieldText(String sigmaField, SecurityEvent event) {
        Optional<CompiledField> read = readCache.computeIfAbsent(sigmaField,
                name -> mapping.target(logsource, name).map(mapping::compiled));
        return read.map(field -> {
            Object value = field.accessor().get(event);
            if (FieldValues.isAbsent(value)) {
                return null;
            }
            return value instanceof List<?> list ? String.join(",", list.stream().map(FieldValues::text).toList())
                    : FieldValues.text(value);
        }).orElse(null);
    }

    CompiledDetection detection() {
        return detection;
    }

    LogsourceMapping logsourceMapping() {
        return logsource;
    }

    FieldMapping mapping() {
        return mapping;
    }

    Set<PrefilterAtom> prefilter() {
        return detection.prefilter();
    }
}
