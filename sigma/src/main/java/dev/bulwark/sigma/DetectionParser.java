package dev.bulwark.sigma;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses a {@code detection} map: search identifiers (maps, lists of maps, keyword lists) and the condition.
 *
 * <p>Why: shared by rules and by the logsource selectors of the field mapping. Every item keeps its location; unknown
 * modifiers, values that are not scalars and conditions naming unknown identifiers are refused here.
 */
final class DetectionParser {

    private DetectionParser() {
    }

    static SigmaDetection parse(YamlNode node) throws SigmaRuleException {
        YamlNode.MapNode detection = YamlReader.map(node, "'detection'");
        Map<String, SearchIdentifier> searches = new LinkedHashMap<>();
        for (Map.Entry<String, YamlNode> entry : detection.entries().entrySet()) {
            String name = entry.getKey();
            if (name.equals("condition")) {
                continue;
            }
            SourceLocation at = detection.keyLocation(name);
            if (name.equals("timeframe")) {
                throw new SigmaRuleException(at, "'timeframe' in a detection is obsolete; use a correlation rule");
            }
            if (name.isBlank() || name.chars().anyMatch(c -> Character.isWhitespace(c) || c == '(' || c == ')')) {
                throw new SigmaRuleException(at, "search identifier '" + name + "' must not contain spaces or parentheses");
            }
            searches.put(name, searchIdentifier(name, entry.getValue(), at));
        }
        if (searches.isEmpty()) {
            throw new SigmaRuleException(detection.location(), "the detection has no search identifier");
        }
        YamlNode conditionNode = detection.get("condition");
        if (conditionNode == null) {
            throw new SigmaRuleException(detection.location(), "the detection has no 'condition'");
        }
        List<String> identifiers = List.copyOf(searches.keySet());
        List<String> texts = new ArrayList<>();
        List<ConditionNode> conditions = new ArrayList<>();
        for (YamlNode item : YamlNode.asList(conditionNode)) {
            if (!(item instanceof YamlNode.ScalarNode scalar) || !scalar.isString()) {
                throw new SigmaRuleException(item.location(), "'condition' must be a string or a list of strings, not "
                        + item.describe());
            }
            texts.add(scalar.text());
            conditions.add(ConditionParser.parse(scalar.text(), scalar.location(), identifiers));
        }
        if (conditions.isEmpty()) {
            throw new SigmaRuleException(conditionNode.location(), "'condition' is an empty list");
        }
        ConditionNode condition = conditions.size() == 1 ? conditions.get(0) : new ConditionNode.Or(conditions);
        return new SigmaDetection(searches, condition, texts, detection.location());
    }

    private static SearchIdentifier searchIdentifier(String name, YamlNode node, SourceLocation at)
            throws SigmaRuleException {
        List<List<FieldPredicate>> alternatives = new ArrayList<>();
        if (node instanceof YamlNode.MapNode map) {
            alternatives.add(predicates(map));
        } else if (node instanceof YamlNode.ListNode list) {
            List<SigmaValue> keywords = new ArrayList<>();
            for (YamlNode item : list.items()) {
                if (item instanceof YamlNode.MapNode map) {
                    alternatives.add(predicates(map));
                } else if (item instanceof YamlNode.ScalarNode scalar && !scalar.isNull()) {
                    keywords.add(new SigmaValue(scalar.value(), scalar.location()));
                } else {
                    throw new SigmaRuleException(item.location(), "search identifier '" + name
                            + "' must list maps or keywords, not " + item.describe());
                }
            }
            if (!keywords.isEmpty()) {
                alternatives.add(List.of(new FieldPredicate(null, List.of(), keywords, list.location())));
            }
            if (alternatives.isEmpty()) {
                throw new SigmaRuleException(at, "search identifier '" + name + "' is an empty list");
            }
        } else if (node instanceof YamlNode.ScalarNode scalar && !scalar.isNull()) {
            alternatives.add(List.of(new FieldPredicate(null, List.of(),
                    List.of(new SigmaValue(scalar.value(), scalar.location())), scalar.location())));
        } else {
            throw new SigmaRuleException(at, "search identifier '" + name + "' must be a map, a list of maps or a "
                    + "list of keywords, not " + node.describe());
        }
        return new SearchIdentifier(name, alternatives, at);
    }

    private static List<FieldPredicate> predicates(YamlNode.MapNode map) throws SigmaRuleException {
        List<FieldPredicate> predicates = new ArrayList<>();
        if (map.entries().isEmpty()) {
            throw new SigmaRuleException(map.location(), "a selection must not be an empty map");
        }
        for (Map.Entry<String, YamlNode> entry : map.entries().entrySet()) {
            predicates.add(predicate(entry.getKey(), entry.getValue(), map.keyLocation(entry.getKey())));
        }
        return predicates;
    }

    private static FieldPredicate predicate(String key, YamlNode node, SourceLocation at) throws SigmaRuleException {
        String[] parts = key.split("\\|", -1);
        String field = parts[0].isEmpty() ? null : parts[0];
        List<SigmaModifier> modifiers = new ArrayList<>();
        for (int i = 1; i < parts.length; i++) {
            String name = parts[i];
            SigmaModifier modifier = SigmaModifier.bySigmaName(name).orElseThrow(() -> new SigmaRuleException(at,
                    "unknown modifier '" + name + "' in '" + key + "' (known: " + SigmaModifier.known() + ")"));
            if (modifiers.contains(modifier)) {
                throw new SigmaRuleException(at, "modifier '" + name + "' appears twice in '" + key + "'");
            }
            modifiers.add(modifier);
        }
        List<SigmaValue> values = new ArrayList<>();
        for (YamlNode item : YamlNode.asList(node)) {
            if (!(item instanceof YamlNode.ScalarNode scalar)) {
                throw new SigmaRuleException(item.location(), "the value of '" + key + "' must be a scalar or a list "
                        + "of scalars, but has " + item.describe());
            }
            values.add(new SigmaValue(scalar.value(), scalar.location()));
        }
        if (values.isEmpty()) {
            throw new SigmaRuleException(at, "'" + key + "' has an empty list of values");
        }
        return new FieldPredicate(field, modifiers, values, at);
    }
}
