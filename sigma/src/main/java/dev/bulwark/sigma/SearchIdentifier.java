package dev.bulwark.sigma;

import java.util.List;

/**
 * A named search of a detection ({@code selection}, {@code filter_main_x}, ...): alternatives OR-ed, the predicates
 * inside one alternative AND-ed.
 *
 * <p>Why: a map of fields is one alternative (AND), a list of maps is several (OR), a plain list of strings is one
 * keyword alternative; representing all three the same way keeps the compiler small.
 */
public record SearchIdentifier(String name, List<List<FieldPredicate>> alternatives, SourceLocation location) {

    public SearchIdentifier {
        alternatives = alternatives.stream().map(List::copyOf).toList();
    }
}
