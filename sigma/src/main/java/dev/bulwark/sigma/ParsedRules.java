package dev.bulwark.sigma;

import java.util.ArrayList;
import java.util.List;

/**
 * What {@link SigmaRuleLoader} read from one or more sources: the rules, the correlation rules, the filters, and the
 * documents it could not use, each with its reason.
 *
 * <p>Why: parsing is separate from compiling (which needs the field mapping), and one bad document must not hide the
 * good ones.
 */
public record ParsedRules(List<SigmaRule> rules, List<SigmaCorrelation> correlations, List<SigmaFilter> filters,
                          List<RuleProblem> failures) {

    public ParsedRules {
        rules = List.copyOf(rules);
        correlations = List.copyOf(correlations);
        filters = List.copyOf(filters);
        failures = List.copyOf(failures);
    }

    /** Rules and correlations without filters. */
    public ParsedRules(List<SigmaRule> rules, List<SigmaCorrelation> correlations, List<RuleProblem> failures) {
        this(rules, correlations, List.of(), failures);
    }

    /** Nothing read. */
    public static ParsedRules empty() {
        return new ParsedRules(List.of(), List.of(), List.of(), List.of());
    }

    /** True when no rule, correlation or filter was read. */
    public boolean isEmpty() {
        return rules.isEmpty() && correlations.isEmpty() && filters.isEmpty();
    }

    /** This and {@code other} together. */
    public ParsedRules plus(ParsedRules other) {
        List<SigmaRule> r = new ArrayList<>(rules);
        r.addAll(other.rules);
        List<SigmaCorrelation> c = new ArrayList<>(correlations);
        c.addAll(other.correlations);
        List<SigmaFilter> g = new ArrayList<>(filters);
        g.addAll(other.filters);
        List<RuleProblem> f = new ArrayList<>(failures);
        f.addAll(other.failures);
        return new ParsedRules(r, c, g, f);
    }
}
