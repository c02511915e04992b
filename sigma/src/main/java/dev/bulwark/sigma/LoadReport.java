package dev.bulwark.sigma;

import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The outcome of loading rules: the compiled rule set, what was loaded, what does not apply, what was skipped and
 * why, and warnings.
 *
 * <p>Why: one bad rule never stops the others from loading; operators and {@code bulwark rules test} print the
 * skipped rules with file, line and reason, and the warnings (such as unmapped fields) that would otherwise be
 * silent non-matches. Every rule read ends in exactly one class: <b>loaded</b> (some logsource of the field mapping
 * serves it), <b>not applicable</b> (valid Sigma, but no source Bulwark receives serves its logsource, such as a
 * Windows rule) or <b>skipped</b> (invalid: it does not parse or compile). The engine decides the class, so a
 * SigmaHQ checkout is not reported as thousands of invalid rules.
 *
 * @param ruleSet the compiled rules and correlations ready for matching
 * @param loaded the rules in the set
 * @param correlations the validated correlation rules in the set
 * @param filters the filters in the set
 * @param notApplicable valid rules and correlations that no logsource of the field mapping serves
 * @param skipped rules and correlations left out as invalid, with the reason
 * @param warnings problems that did not prevent loading
 */
public record LoadReport(CompiledRuleSet ruleSet, List<SigmaRule> loaded, List<SigmaCorrelation> correlations,
                         List<SigmaFilter> filters, List<NotApplicable> notApplicable, List<RuleProblem> skipped,
                         List<RuleProblem> warnings) {

    public LoadReport {
        loaded = List.copyOf(loaded);
        correlations = List.copyOf(correlations);
        filters = List.copyOf(filters);
        notApplicable = List.copyOf(notApplicable);
        skipped = List.copyOf(skipped);
        warnings = List.copyOf(warnings);
    }

    /**
     * A valid rule (or a correlation or filter of such rules) that no source Bulwark receives serves: not loaded, and not an
     * error.
     *
     * @param location where the rule is
     * @param rule its id, else name, else title
     * @param logsource the logsource no field-mapping entry serves
     */
    public record NotApplicable(SourceLocation location, String rule, SigmaLogsource logsource) {

        /** {@code no source Bulwark receives serves logsource product: windows, category: process_creation}. */
        public String reason() {
            return "no source Bulwark receives serves logsource " + logsource.describe();
        }

        /** {@code file:line:column: [rule] reason}, like a {@link RuleProblem}. */
        @Override
        public String toString() {
            return location + ": " + (rule == null ? "" : "[" + rule + "] ") + reason();
        }
    }

    /** How many not-applicable rules each logsource ({@link SigmaLogsource#describe()}) has, most first. */
    public Map<String, Integer> notApplicableByLogsource() {
        return countByLogsource(notApplicable.stream().map(NotApplicable::logsource).toList());
    }

    /** Counts logsources by their description: most first, then by name. */
    static Map<String, Integer> countByLogsource(List<SigmaLogsource> logsources) {
        Map<String, Integer> counts = new TreeMap<>();
        logsources.forEach(logsource -> counts.merge(logsource.describe(), 1, Integer::sum));
        Map<String, Integer> sorted = new LinkedHashMap<>();
        counts.entrySet().stream()
                .sorted(Map.Entry.<String, Integer>comparingByValue(Comparator.reverseOrder())
                        .thenComparing(Map.Entry.comparingByKey()))
                .forEach(e -> sorted.put(e.getKey(), e.getValue()));
        return sorted;
    }
}
