package dev.bulwark.sigma;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code detection} section of a rule: its search identifiers and the parsed condition.
 *
 * <p>Why: the rule model keeps detection logic separate from metadata, so the same compiler also serves the logsource
 * selectors of the field mapping, which are written in detection syntax.
 *
 * @param searches the search identifiers by name, in the order written
 * @param condition the parsed condition (several conditions are OR-ed)
 * @param conditionText the condition(s) as written
 * @param location where the detection section is
 */
public record SigmaDetection(Map<String, SearchIdentifier> searches, ConditionNode condition,
                             List<String> conditionText, SourceLocation location) {

    public SigmaDetection {
        searches = Collections.unmodifiableMap(new LinkedHashMap<>(searches));
        conditionText = List.copyOf(conditionText);
    }
}
