package dev.bulwark.sigma;

import java.util.List;

import dev.bulwark.schemas.SecurityEvent;

/**
 * One compiled detection item: a field read and its value matchers, with Sigma's semantics for lists of values (any
 * matches, or all with {@code |all}), {@code null} (absent), {@code |exists} and {@code |neq} (negation).
 *
 * <p>Why: the unit of evaluation and of prefiltering; it reports which literals a match needs
 * ({@link #prefilterAtoms()}).
 */
final class CompiledPredicate {

    private final String field;
    private final CompiledField target;
    private final ValueMatcher[] matchers;
    private final boolean matchesAbsent;
    private final boolean all;
    private final boolean negate;
    private final Boolean exists;

    /**
     * @param field the Sigma field name, or null for keywords
     * @param target how to read the field
     * @param matchers the value matchers
     * @param matchesAbsent true when a {@code null} value is among the values
     * @param all true with {@code |all}: every matcher must match
     * @param negate true with {@code |neq}
     * @param exists the value of {@code |exists}, or null when not used
     */
    CompiledPredicate(String field, CompiledField target, List<ValueMatcher> matchers, boolean matchesAbsent,
                      boolean all, boolean negate, Boolean exists) {
        this.field = field;
        this.target = target;
        this.matchers = matchers.toArray(ValueMatcher[]::new);
        this.matchesAbsent = matchesAbsent;
        this.all = all;
        this.negate = negate;
        this.exists = exists;
    }

    String field() {
        return field;
    }

    CompiledField target() {
        return target;
    }

    /** True when the event satisfies this item. */
    boolean test(SecurityEvent event) {
        Object value = target.accessor().get(event);
        return evaluate(value, event) != negate;
    }

    private boolean evaluate(Object value, SecurityEvent event) {
        if (exists != null) {
            return FieldValues.isAbsent(value) != exists;
        }
        if (FieldValues.isAbsent(value)) {
            return matchesAbsent;
        }
        if (all) {
            for (ValueMatcher matcher : matchers) {
                if (!FieldValues.anyElement(value, matcher, event)) {
                    return false;
                }
            }
            return matchers.length > 0;
        }
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
            PrefilterAtom best = null;
            for (ValueMatcher matcher : matchers) {
                PrefilterAtom atom = atom(matcher);
                if (atom != null && (best == null || atom.betterThan(best))) {
                    best = atom;
                }
            }
            return best == null ? null : List.of(best);
        }
        PrefilterAtom[] atoms = new PrefilterAtom[matchers.length];
        for (int i = 0; i < matchers.length; i++) {
            atoms[i] = atom(matchers[i]);
            if (atoms[i] == null) {
                return null;
            }
        }
        return List.of(atoms);
    }

    private PrefilterAtom atom(ValueMatcher matcher) {
        String literal = matcher.prefilterLiteral();
        if (literal == null || literal.isEmpty()) {
            return null;
        }
        return new PrefilterAtom(target.key(), matcher.isExact(), literal);
    }
}
