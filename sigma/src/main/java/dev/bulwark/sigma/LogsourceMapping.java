package dev.bulwark.sigma;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One logsource of the {@link FieldMapping}: which rules it serves, which events it sees, and its field names.
 *
 * <p>Why: rules are grouped by logsource mapping in a {@link CompiledRuleSet}, so an event meets only the rules of
 * the logsources whose {@code events} selector it passes.
 *
 * @param name the entry's name (also the rule group's name)
 * @param logsource the rule logsource keys it serves (null parts match anything)
 * @param events the selector, in Sigma detection syntax over event paths
 * @param fields Sigma field name to target, for this logsource
 * @param keywords event paths searched by keyword selections
 */
public record LogsourceMapping(String name, SigmaLogsource logsource, SigmaDetection events,
                               Map<String, FieldTarget> fields, List<String> keywords) {

    public LogsourceMapping {
        fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
        keywords = List.copyOf(keywords);
    }

    /** How many of product, category and service this entry requires (more is more specific). */
    int specificity() {
        return (logsource.product() == null ? 0 : 1) + (logsource.category() == null ? 0 : 1)
                + (logsource.service() == null ? 0 : 1);
    }

    /** True when every key this entry gives equals the rule's (case-insensitive). */
    boolean serves(SigmaLogsource rule) {
        return same(logsource.product(), rule.product()) && same(logsource.category(), rule.category())
                && same(logsource.service(), rule.service());
    }

    private static boolean same(String required, String actual) {
        return required == null || required.equalsIgnoreCase(actual);
    }
}
