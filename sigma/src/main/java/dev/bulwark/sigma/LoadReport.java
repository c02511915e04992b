package dev.bulwark.sigma;

import java.util.List;

/**
 * The outcome of loading rules: the compiled rule set, what was loaded, what was skipped and why, and warnings.
 *
 * <p>Why: one bad rule never stops the others from loading; operators and {@code bulwark rules test} print the
 * skipped rules with file, line and reason, and the warnings (such as unmapped fields) that would otherwise be
 * silent non-matches.
 *
 * @param ruleSet the compiled rules and correlations ready for matching
 * @param loaded the rules in the set
 * @param correlations the validated correlation rules in the set
 * @param skipped rules and correlations left out, with the reason
 * @param warnings problems that did not prevent loading
 */
public record LoadReport(CompiledRuleSet ruleSet, List<SigmaRule> loaded, List<SigmaCorrelation> correlations,
                         List<RuleProblem> skipped, List<RuleProblem> warnings) {

    public LoadReport {
        loaded = List.copyOf(loaded);
        correlations = List.copyOf(correlations);
        skipped = List.copyOf(skipped);
        warnings = List.copyOf(warnings);
    }
}
