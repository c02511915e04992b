package dev.bulwark.sigma;

import java.util.ArrayList;
import java.util.List;

/**
 * What {@link SigmaRuleLoader} read from one or more sources: the rules, the correlation rules, and the documents it
 * could not use, each with its reason.
 *
 * <p>Why: parsing is separate from compiling (which needs the field mapping), and one bad document must not hide the
 * good ones.
 */
public record ParsedRules(List<SigmaRule> rules, List<SigmaCorrelation> correlations, List<RuleProblem> failures) {

    public ParsedRules {
        rules = List.copyOf(rules);
        correlations = List.copyOf(correlations);
        failures = List.copyOf(failures);
    }

    /** Nothing read. */
    public static ParsedRules empty() {
        return new ParsedRules(List.of(), List.of(), List.of());
    }

    /** This and {@code other} together. */
    public ParsedRules plus(ParsedRules other) {
        List<SigmaRule> r = new ArrayList<>(rules);
        r.addAll(other.rules);
        List<SigmaCorrelation> c = new ArrayList<>(correlations);
        c.addAll(other.correlations);
        List<RuleProblem> f = new ArrayList<>(failures);
        f.addAll(other.failures);
        return new ParsedRules(r, c, f);
    }
}
