package dev.bulwark.sigma;

/**
 * A literal the prefilter looks for in one field: the whole value (exact, by hash lookup) or a substring (by the
 * field's Aho–Corasick automaton). Literals are case-folded.
 *
 * <p>Why: a rule is fully evaluated only when one of its necessary atoms is present in the event.
 *
 * @param fieldKey the {@link CompiledField#key()} of the field
 * @param exact true for a whole-value match, false for a substring
 * @param literal the folded literal
 */
record PrefilterAtom(String fieldKey, boolean exact, String literal) {

    /** Prefers exact atoms, then longer (more selective) literals. */
    boolean betterThan(PrefilterAtom other) {
        if (exact != other.exact) {
            return exact;
        }
        return literal.length() > other.literal.length();
    }
}
