package dev.bulwark.sigma;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns one correlation document into a {@link SigmaCorrelation}, checking the type, rules, group-by, timespan,
 * condition and aliases.
 *
 * <p>Why: correlation rules are evaluated later by the streaming layer, but a broken one must fail at load time with
 * its line, like any rule. References to other rules are checked by {@link SigmaEngine} once all files are read.
 */
final class CorrelationParser {

    private static final Pattern TIMESPAN = Pattern.compile("(\\d{1,9})([smhdw])");
    private static final List<String> OPERATORS = List.of("gt", "gte", "lt", "lte", "eq", "neq");

    private CorrelationParser() {
    }

    static SigmaCorrelation parse(YamlNode.MapNode doc) throws SigmaRuleException {
        String title = YamlReader.requiredString(doc, "title", "the correlation rule");
        YamlNode.MapNode body = YamlReader.map(doc.get("correlation"), "'correlation'");
        String typeName = YamlReader.requiredString(body, "type", "'correlation'");
        SigmaCorrelation.Type type = null;
        for (SigmaCorrelation.Type candidate : SigmaCorrelation.Type.values()) {
            if (candidate.sigmaName().equals(typeName)) {
                type = candidate;
            }
        }
        if (type == null) {
            throw new SigmaRuleException(body.get("type").location(), "unknown correlation type '" + typeName
                    + "' (known: event_count, value_count, temporal, temporal_ordered, value_sum, value_avg, "
                    + "value_percentile)");
        }
        List<String> rules = YamlReader.stringList(body, "rules");
        if (rules.isEmpty()) {
            throw new SigmaRuleException(body.location(), "'correlation' has no 'rules'");
        }
        if (type.isTemporal() && rules.size() < 2) {
            throw new SigmaRuleException(body.get("rules").location(), "a " + typeName
                    + " correlation needs at least two rules");
        }
        List<String> groupBy = YamlReader.stringList(body, "group-by");
        Duration timespan = timespan(body);
        Optional<SigmaCorrelation.Threshold> condition = condition(body, type);
        return new SigmaCorrelation(doc.location(),
                YamlReader.optionalString(doc, "id"),
                YamlReader.optionalString(doc, "name"),
                title,
                YamlReader.optionalChoice(doc, "level", RuleParser.LEVELS),
                YamlReader.optionalChoice(doc, "status", RuleParser.STATUSES),
                YamlReader.optionalString(doc, "description"),
                YamlReader.stringList(doc, "tags"),
                type, rules, groupBy, timespan, condition, aliases(body), generate(body),
                YamlReader.optionalBoolean(doc, SigmaRule.SHADOW, false));
    }

    private static Duration timespan(YamlNode.MapNode body) throws SigmaRuleException {
        String text = YamlReader.requiredString(body, "timespan", "'correlation'");
        Matcher matcher = TIMESPAN.matcher(text.strip());
        if (!matcher.matches()) {
            throw new SigmaRuleException(body.get("timespan").location(), "'timespan' must be a number followed by "
                    + "s, m, h, d or w (e.g. 10m), not '" + text + "'");
        }
        long amount = Long.parseLong(matcher.group(1));
        return switch (matcher.group(2)) {
            case "s" -> Duration.ofSeconds(amount);
            case "m" -> Duration.ofMinutes(amount);
            case "h" -> Duration.ofHours(amount);
            case "d" -> Duration.ofDays(amount);
            default -> Duration.ofDays(amount * 7);
        };
    }

    private static Optional<SigmaCorrelation.Threshold> condition(YamlNode.MapNode body, SigmaCorrelation.Type type)
            throws SigmaRuleException {
        YamlNode node = body.get("condition");
        if (node == null) {
            if (type.isTemporal()) {
                return Optional.empty();
            }
            throw new SigmaRuleException(body.location(), "a " + type.sigmaName() + " correlation needs a 'condition'");
        }
        YamlNode.MapNode map = YamlReader.map(node, "the correlation 'condition'");
        Map<String, Double> bounds = new LinkedHashMap<>();
        List<String> fields = List.of();
        Integer percentile = null;
        for (Map.Entry<String, YamlNode> entry : map.entries().entrySet()) {
            String key = entry.getKey().toLowerCase(Locale.ROOT);
            if (key.equals("field")) {
                fields = fields(map, entry.getKey(), type);
                continue;
            }
            if (key.equals("percentile")) {
                percentile = percentile(entry.getValue(), type, map.keyLocation(entry.getKey()));
                continue;
            }
            if (!OPERATORS.contains(key)) {
                throw new SigmaRuleException(map.keyLocation(entry.getKey()), "unknown condition operator '"
                        + entry.getKey() + "' (known: " + String.join(", ", OPERATORS) + ", field, percentile)");
            }
            if (!(entry.getValue() instanceof YamlNode.ScalarNode scalar) || !(scalar.value() instanceof Number number)) {
                throw new SigmaRuleException(entry.getValue().location(), "condition '" + key + "' needs a number, not "
                        + entry.getValue().describe());
            }
            bounds.put(key, number.doubleValue());
        }
        if (bounds.isEmpty()) {
            throw new SigmaRuleException(map.location(), "the correlation 'condition' has no operator (gt, gte, lt, "
                    + "lte, eq, neq)");
        }
        if (type.needsField() && fields.isEmpty()) {
            throw new SigmaRuleException(map.location(), "a " + type.sigmaName() + " correlation needs 'field' in its "
                    + "condition");
        }
        return Optional.of(new SigmaCorrelation.Threshold(bounds, fields, percentile));
    }

    /** The condition's field: one name, or for value_count a list whose combinations are counted. */
    private static List<String> fields(YamlNode.MapNode map, String key, SigmaCorrelation.Type type)
            throws SigmaRuleException {
        YamlNode node = map.get(key);
        if (node instanceof YamlNode.ScalarNode) {
            String field = YamlReader.optionalString(map, key);
            return field == null || field.isBlank() ? List.of() : List.of(field);
        }
        List<String> fields = YamlReader.stringList(map, key);
        if (fields.size() > 1 && type != SigmaCorrelation.Type.VALUE_COUNT) {
            throw new SigmaRuleException(node.location(), "a " + type.sigmaName() + " correlation aggregates one "
                    + (type.isNumeric() ? "numeric " : "") + "'field', not a list");
        }
        return fields;
    }

    private static Integer percentile(YamlNode node, SigmaCorrelation.Type type, SourceLocation at)
            throws SigmaRuleException {
        if (type != SigmaCorrelation.Type.VALUE_PERCENTILE) {
            throw new SigmaRuleException(at, "'percentile' only applies to value_percentile correlations");
        }
        if (node instanceof YamlNode.ScalarNode scalar && scalar.value() instanceof Number number
                && number.doubleValue() == Math.rint(number.doubleValue())
                && number.doubleValue() >= 0 && number.doubleValue() <= 100) {
            return number.intValue();
        }
        throw new SigmaRuleException(node.location(), "'percentile' must be a whole number from 0 to 100, not "
                + node.describe());
    }

    private static Map<String, Map<String, String>> aliases(YamlNode.MapNode body) throws SigmaRuleException {
        Map<String, Map<String, String>> aliases = new LinkedHashMap<>();
        YamlNode node = body.get("aliases");
        if (node == null) {
            return aliases;
        }
        YamlNode.MapNode map = YamlReader.map(node, "'aliases'");
        for (Map.Entry<String, YamlNode> alias : map.entries().entrySet()) {
            YamlNode.MapNode perRule = YamlReader.map(alias.getValue(), "alias '" + alias.getKey() + "'");
            Map<String, String> fields = new LinkedHashMap<>();
            for (String rule : perRule.entries().keySet()) {
                fields.put(rule, YamlReader.requiredString(perRule, rule, "alias '" + alias.getKey() + "'"));
            }
            aliases.put(alias.getKey(), fields);
        }
        return aliases;
    }

    private static boolean generate(YamlNode.MapNode body) throws SigmaRuleException {
        YamlNode node = body.get("generate");
        if (node == null) {
            return false;
        }
        if (node instanceof YamlNode.ScalarNode scalar && scalar.value() instanceof Boolean b) {
            return b;
        }
        throw new SigmaRuleException(node.location(), "'generate' must be true or false, not " + node.describe());
    }
}
