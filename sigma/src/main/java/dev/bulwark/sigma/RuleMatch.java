package dev.bulwark.sigma;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A rule that matched an event: the rule, the selections that made it match and the event values they matched.
 *
 * <p>Why: what the detection layer turns into a finding (title, level, ATT&CK tags from the rule; evidence from the
 * fields) or feeds to a correlation window ({@link CompiledRuleSet#groupKey}).
 *
 * @param rule the rule
 * @param selections the matched search identifiers that count for the match (not those only used under
 *     {@code not})
 * @param fields the matched values, per selection and field
 * @param standalone false when the rule is only a base rule of correlations that do not {@code generate} it, so it
 *     should feed the correlations but not raise a finding on its own
 */
public record RuleMatch(SigmaRule rule, List<String> selections, List<MatchedField> fields, boolean standalone) {

    public RuleMatch {
        selections = List.copyOf(selections);
        fields = List.copyOf(fields);
    }

    /** Evidence as event path (or Sigma field, for unmapped ones) to matched value; the first value per key wins. */
    public Map<String, String> evidence() {
        Map<String, String> evidence = new LinkedHashMap<>();
        for (MatchedField field : fields) {
            String key = field.path().startsWith("(") ? field.field() : field.path();
            evidence.putIfAbsent(key, field.value());
        }
        return evidence;
    }
}
