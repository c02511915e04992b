package dev.bulwark.sigma;

import java.util.ArrayList;
import java.util.List;

import dev.bulwark.schemas.SecurityEvent;

/**
 * One compiled detection item: a field read and its value matchers, with Sigma's semantics for lists of values (any
 * matches, or all with {@code |all}), {@code null} (absent), {@code |exists} and {@code |neq} (negation).
 *
 * <p>One listed value may compile to several matchers (its {@code windash}, {@code base64offset} or {@code expand}
 * variants); they stay OR-ed, so with {@code |all} each listed value must match in some of its variants.
 *
 * <p>Why: the unit of evaluation and of prefiltering; it reports which literals a match needs
 * ({@link #prefilterAtoms()}).
 */
final class CompiledPredicate {

    private final String field;
    private final SourceLocation location;
    private final CompiledField target;
    private final ValueMatcher[] matchers;
    /** The matchers of each listed value (its variants), for {@code |all}. */
    private final ValueMatcher[][] values;
    private final boolean matchesAbsent;
    private final boolean all;
    private final boolean negate;
    private final Boolean exists;
    /** With {@code |exists}: the paths read, to find them among the event's fields sent as null. */
    private final String[] paths;

    /**
     * @param field the Sigma field name, or null for keywords
     * @param location where the item is written
     * @param target how to read the field
     * @param values the matchers of each listed value: the variants of one value, any of which may match
     * @param matchesAbsent true when a {@code null} value is among the values
     * @param all true with {@code |all}: every listed value must match (in one of its variants)
     * @param negate true with {@code |neq}
     * @param exists the value of {@code |exists}, or null when not used
     */
    CompiledPredicate(String field, SourceLocation location, CompiledField target, List<List<ValueMatcher>> values,
                      boolean matchesAbsent, boolean all, boolean negate, Boolean exists) {
        this.field = field;
        this.location = location;
        this.target = target;
        this.values = values.stream().map(v -> v.toArray(ValueMatcher[]::new)).toArray(ValueMatcher[][]::new);
        this.matchers = values.stream().flatMap(List::stream).toArray(ValueMatcher[]::new);
        this.matchesAbsent = matchesAbsent;
        this.all = all;
        this.negate = negate;
        this.exists = exists;
        this.paths = target.path().split(" \\| ");
    }

    String field() {
        return field;
    }

    CompiledField target() {
        return target;
    }

    SourceLocation location() {
        return location;
    }

    /**
     * The value of this item for every event, when unmapped fields fix it: an item on an unmapped field (always
     * absent), or one whose every value compares with an unmapped field ({@code fieldref}). Null when it depends on
     * the event.
     */
    Boolean constant() {
        if (target.alwaysAbsent()) {
            return (exists != null ? !exists : matchesAbsent) != negate;
        }
        if (exists != null || matchesAbsent || values.length == 0) {
            return null;
        }
        boolean anyValueFalse = false;
        boolean allValuesFalse = true;
        for (ValueMatcher[] variants : values) {
            boolean valueFalse = true;
            for (ValueMatcher variant : variants) {
                valueFalse &= variant.alwaysFalseBecauseUnmapped() != null;
            }
            anyValueFalse |= valueFalse;
            allValuesFalse &= valueFalse;
        }
        // absent: false (no null among the values); present: no value can match (or, with all, one cannot)
        return (all ? anyValueFalse : allValuesFalse) ? negate : null;
    }

    /** The unmapped fields this item reads or compares with. */
    List<String> unmappedFields() {
        List<String> names = new ArrayList<>();
        if (target.alwaysAbsent()) {
            names.add(field);
        }
        for (ValueMatcher matcher : matchers) {
            String name = matcher.alwaysFalseBecauseUnmapped();
            if (name != null && !names.contains(name)) {
                names.add(name);
            }
        }
        return names;
    }

    /** True when the event satisfies this item. */
    boolean test(SecurityEvent event) {
        Object value = target.accessor().get(event);
        return evaluate(value, event) != negate;
    }

    /** True when the source sent the field with the value null: it exists, without a value (Sigma's exists). */
    private boolean sentAsNull(SecurityEvent event) {
        List<String> nulls = event.getNullFields();
        if (nulls.isEmpty()) {
            return false;
        }
        for (String path : paths) {
            if (nulls.contains(path)) {
                return true;
            }
        }
        return false;
    }

    private boolean evaluate(Object value, SecurityEvent event) {
        if (exists != null) {
            return (!FieldValues.isAbsent(value) || sentAsNull(event)) == exists;
        }
        if (FieldValues.isAbsent(value)) {
            return matchesAbsent;
        }
        if (all) {
            for (ValueMatcher[] variants : values) {
                if (!anyMatches(variants, value, event)) {
                    return false;
                }
            }
            return values.length > 0;
        }
        return anyMatches(matchers, value, event);
    }

    private static boolean anyMatches(ValueMatcher[] matchers, Object value, SecurityEvent event) {
        for (ValueMatcher matcher : matchers) {
            if (FieldValues.anyElement(value, matcher, event)) {
                return true;
            }
        }
        return false;
    }

    /** The event's value that satisfied this item, as evidence (call only when {@link #test} is true). */
    String evidence(SecurityEvent event) {
        Object value = target.accessor().get(event);
        if (FieldValues.isAbsent(value)) {
            return null;
        }
        if (!negate && exists == null) {
            for (ValueMatcher matcher : matchers) {
                String matched = FieldValues.firstMatching(value, matcher, event);
                if (matched != null) {
                    return matched;
                }
            }
        }
        return value instanceof List<?> list ? String.join(",", list.stream().map(FieldValues::text).toList())
                : FieldValues.text(value);
    }

    /**
     * Literals of which a matching event holds at least one in this field, or null when a match is possible without
     * any (negation, absence, existence, regex, CIDR, numbers, field references, a bare {@code *}).
     */
    List<PrefilterAtom> prefilterAtoms() {
        if (negate || exists != null || matchesAbsent || matchers.length == 0) {
            return null;
        }
        if (all) {
            // every listed value is needed: the atoms of any one of them (its variants, OR-ed) are necessary; take
            // the value with the fewest variants, then the one whose weakest atom is best
            List<PrefilterAtom> best = null;
            for (ValueMatcher[] variants : values) {
                List<PrefilterAtom> atoms = atoms(variants);
                if (atoms != null && (best == null || atoms.size() < best.size()
                        || (atoms.size() == best.size() && weakest(atoms).betterThan(weakest(best))))) {
                    best = atoms;
                }
            }
            return best;
        }
        return atoms(matchers);
    }

    /** One atom per matcher (any of them is necessary), or null when one of them has none. */
    private List<PrefilterAtom> atoms(ValueMatcher[] alternatives) {
        PrefilterAtom[] atoms = new PrefilterAtom[alternatives.length];
        for (int i = 0; i < alternatives.length; i++) {
            atoms[i] = atom(alternatives[i]);
            if (atoms[i] == null) {
                return null;
            }
        }
        return atoms.length == 0 ? null : List.of(atoms);
    }

    private static PrefilterAtom weakest(List<PrefilterAtom> atoms) {
        PrefilterAtom weakest = atoms.get(0);
        for (PrefilterAtom atom : atoms) {
            if (weakest.betterThan(atom)) {
                weakest = atom;
            }
        }
        return weakest;
    }

    private PrefilterAtom atom(ValueMatcher matcher) {
        String literal = matcher.prefilterLiteral();
        if (literal == null || literal.isEmpty()) {
            return null;
        }
        return new PrefilterAtom(target.key(), matcher.isExact(), literal);
    }
}
