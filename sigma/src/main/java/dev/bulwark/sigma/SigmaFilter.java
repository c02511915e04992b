package dev.bulwark.sigma;

import java.util.List;

/**
 * A parsed and validated Sigma filter document ({@code filter:}): a condition added to the rules it names, written
 * once for many rules (the usual home of environment-specific tuning and per-tenant exceptions).
 *
 * <p>Why: a rule's match is kept only when the event also satisfies the filter's condition, as the reference
 * implementation (pySigma) applies a filter: {@code (rule condition) and (filter condition)}. Filters are therefore
 * written with {@code not}: {@code condition: not selection} suppresses the matches whose event the selection selects.
 * Parsed by {@link FilterParser}; checked against the loaded rules by {@link SigmaEngine#checkFilters}; applied by
 * {@link CompiledRuleSet#match}.
 *
 * @param location where the filter document starts
 * @param id the filter's id, or null
 * @param name the filter's name, or null
 * @param title its title (mandatory)
 * @param description free text, or null
 * @param date creation date (YYYY-MM-DD), or null
 * @param modified modification date (YYYY-MM-DD), or null
 * @param taxonomy the taxonomy, or null
 * @param logsource the logsource a rule must fall within for the filter to apply; any part may be null
 * @param rules the rules it applies to, by id or name, as written
 * @param detection its search identifiers and condition
 */
public record SigmaFilter(SourceLocation location, String id, String name, String title, String description,
                          String date, String modified, String taxonomy, SigmaLogsource logsource, List<String> rules,
                          SigmaDetection detection) {

    public SigmaFilter {
        rules = List.copyOf(rules);
    }

    /** The key that identifies the filter: id, else name, else source and line. */
    public String key() {
        if (id != null) {
            return id;
        }
        return name != null ? name : location.toString();
    }

    /** True when the filter names this rule (by id or name). */
    public boolean references(SigmaRule rule) {
        return rules.stream().anyMatch(reference -> reference.equals(rule.id()) || reference.equals(rule.name()));
    }

    /**
     * True when the rule's logsource falls within the filter's: every part the filter gives (product, category,
     * service) is the rule's too (case-insensitive, like the field mapping's logsources), as in the reference
     * implementation. A filter without any part covers every rule.
     */
    public boolean covers(SigmaLogsource rule) {
        return within(logsource.product(), rule.product()) && within(logsource.category(), rule.category())
                && within(logsource.service(), rule.service());
    }

    private static boolean within(String filter, String rule) {
        return filter == null || filter.equalsIgnoreCase(rule);
    }
}
