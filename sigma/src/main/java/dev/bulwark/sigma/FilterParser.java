package dev.bulwark.sigma;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Turns one filter document (Sigma filters specification v2.1) into a {@link SigmaFilter}, checking types and
 * mandatory keys.
 *
 * <p>Why: the filter half of {@link SigmaRuleLoader}. Mandatory: {@code title}, {@code logsource} (a map),
 * {@code filter} with {@code rules} (a non-empty list of distinct rule ids or names), at least one search identifier
 * (usually {@code selection}) and {@code condition} (one string, as in the schema). {@code date} and
 * {@code modified} are YYYY-MM-DD. Unknown top-level keys are allowed, as for rules.
 */
final class FilterParser {

    private static final Pattern DATE = Pattern.compile("\\d{4}-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])");
    private static final int MAX_TITLE = 256;

    private FilterParser() {
    }

    static SigmaFilter parse(YamlNode.MapNode doc) throws SigmaRuleException {
        String title = YamlReader.requiredString(doc, "title", "the filter");
        if (title.length() > MAX_TITLE) {
            throw new SigmaRuleException(doc.get("title").location(), "'title' is longer than " + MAX_TITLE
                    + " characters");
        }
        SigmaLogsource logsource = RuleParser.logsource(doc, "the filter");
        YamlNode.MapNode filter = YamlReader.map(doc.get("filter"), "'filter'");
        List<String> rules = rules(filter);
        YamlNode condition = filter.get("condition");
        if (condition == null) {
            throw new SigmaRuleException(filter.location(), "the filter has no 'condition'");
        }
        if (!(condition instanceof YamlNode.ScalarNode scalar) || !scalar.isString()) {
            throw new SigmaRuleException(condition.location(), "the filter's 'condition' must be one string, not "
                    + condition.describe());
        }
        SigmaDetection detection = DetectionParser.parse(filter.without("rules"));
        return new SigmaFilter(doc.location(),
                YamlReader.optionalString(doc, "id"),
                YamlReader.optionalString(doc, "name"),
                title,
                YamlReader.optionalString(doc, "description"),
                date(doc, "date"),
                date(doc, "modified"),
                YamlReader.optionalString(doc, "taxonomy"),
                logsource,
                rules,
                detection);
    }

    private static List<String> rules(YamlNode.MapNode filter) throws SigmaRuleException {
        YamlNode node = filter.get("rules");
        if (node == null || (node instanceof YamlNode.ScalarNode s && s.isNull())) {
            throw new SigmaRuleException(filter.location(), "the filter has no 'rules' (the ids or names of the rules "
                    + "it applies to)");
        }
        if (!(node instanceof YamlNode.ListNode list)) {
            throw new SigmaRuleException(node.location(), "'rules' must be a list of rule ids or names, not "
                    + node.describe());
        }
        if (list.items().isEmpty()) {
            throw new SigmaRuleException(node.location(), "'rules' is an empty list");
        }
        List<String> rules = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (YamlNode item : list.items()) {
            if (!(item instanceof YamlNode.ScalarNode scalar) || scalar.isNull() || scalar.text().isBlank()) {
                throw new SigmaRuleException(item.location(), "'rules' must list rule ids or names, but has "
                        + item.describe());
            }
            if (!seen.add(scalar.text())) {
                throw new SigmaRuleException(item.location(), "'rules' lists '" + scalar.text() + "' twice");
            }
            rules.add(scalar.text());
        }
        return rules;
    }

    private static String date(YamlNode.MapNode doc, String key) throws SigmaRuleException {
        String value = YamlReader.optionalString(doc, key);
        if (value != null && !DATE.matcher(value).matches()) {
            throw new SigmaRuleException(doc.get(key).location(), "'" + key + "' must be a date written YYYY-MM-DD, "
                    + "not '" + value + "'");
        }
        return value;
    }
}
