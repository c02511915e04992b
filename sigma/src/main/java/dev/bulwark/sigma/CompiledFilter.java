package dev.bulwark.sigma;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link SigmaFilter} ready for matching: its detection compiled for each logsource of the field mapping it is used
 * with (a filter's field names, like a rule's, are resolved per logsource), on first use.
 *
 * <p>Why: one filter may name rules of several logsources, and rules may arrive after the filter (on the rules
 * topic); compiling per logsource on demand serves both. {@link SigmaEngine#checkFilters} compiles it for the
 * logsources of the rules it names and reports the problems; a logsource where it does not compile never gets it
 * applied. Immutable apart from the cache; thread-safe.
 */
public final class CompiledFilter {

    private final SigmaFilter filter;
    private final SigmaEngine engine;
    private final Map<String, Compiled> byLogsource = new ConcurrentHashMap<>();

    /**
     * The filter compiled for one logsource: its detection, or why it cannot be used there.
     *
     * @param detection the compiled detection, or null when refused
     * @param problem why it is refused there, or null
     * @param warnings warnings such as unmapped fields
     */
    record Compiled(CompiledDetection detection, SigmaRuleException problem, List<RuleProblem> warnings) {
    }

    CompiledFilter(SigmaFilter filter, SigmaEngine engine) {
        this.filter = filter;
        this.engine = engine;
    }

    /** The parsed filter. */
    public SigmaFilter filter() {
        return filter;
    }

    /** The filter's key ({@link SigmaFilter#key()}). */
    public String key() {
        return filter.key();
    }

    FieldMapping mapping() {
        return engine.fieldMapping();
    }

    /** True when the filter applies to this rule: it names it and the rule's logsource is within the filter's. */
    public boolean appliesTo(SigmaRule rule) {
        return filter.references(rule) && filter.covers(rule.logsource());
    }

    /** The filter compiled for a rule's logsource group (cached). */
    Compiled compiledFor(CompiledRule rule) {
        return byLogsource.computeIfAbsent(rule.logsource(), name -> {
            List<RuleProblem> warnings = new ArrayList<>();
            try {
                return new Compiled(engine.compileFilter(filter, rule.logsourceMapping(), warnings), null, warnings);
            } catch (SigmaRuleException e) {
                return new Compiled(null, e, warnings);
            }
        });
    }
}
