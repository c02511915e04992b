package dev.bulwark.sigma;

import java.util.List;

/**
 * One {@code field|modifiers: values} item of a selection, or a keyword list when {@code field} is null.
 *
 * <p>Why: the parsed, not yet compiled form of a detection item; the compiler turns it into matchers once the field
 * mapping of the rule's logsource is known.
 *
 * @param field the Sigma field name, or null for keywords (full-text search)
 * @param modifiers the modifiers in the order written
 * @param values the values: any one matches, or all with {@link SigmaModifier#ALL}
 * @param location where the item's key is
 */
public record FieldPredicate(String field, List<SigmaModifier> modifiers, List<SigmaValue> values,
                             SourceLocation location) {

    public FieldPredicate {
        modifiers = List.copyOf(modifiers);
        values = List.copyOf(values);
    }

    /** True for a keyword (full-text) item. */
    public boolean isKeyword() {
        return field == null;
    }

    /** True when {@code modifier} is among the modifiers. */
    public boolean has(SigmaModifier modifier) {
        return modifiers.contains(modifier);
    }
}
