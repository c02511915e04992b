package dev.bulwark.sigma;

import java.math.BigDecimal;

import com.google.re2j.Pattern;

import dev.bulwark.schemas.Cidr;
import dev.bulwark.schemas.SecurityEvent;

/**
 * Tests one scalar field value (never null, never a list) against one compiled rule value.
 *
 * <p>Why: each modifier family compiles to one small matcher; {@link CompiledPredicate} combines them with the
 * list, {@code all} and {@code neq} semantics. Matchers that can be prefiltered name their literal.
 */
interface ValueMatcher {

    /** True when {@code value} matches. */
    boolean test(Object value, SecurityEvent event);

    /** A folded literal every matching value contains, or null when this matcher cannot be prefiltered. */
    default String prefilterLiteral() {
        return null;
    }

    /** True when a match means the folded value equals {@link #prefilterLiteral()} (hash lookup possible). */
    default boolean isExact() {
        return false;
    }

    /** The unmapped field whose absence makes this matcher false for every event, or null. */
    default String alwaysFalseBecauseUnmapped() {
        return null;
    }

    /** String pattern with wildcards, case-insensitive unless cased. */
    record Text(GlobMatcher glob) implements ValueMatcher {
        @Override
        public boolean test(Object value, SecurityEvent event) {
            return glob.matches(FieldValues.text(value));
        }

        @Override
        public String prefilterLiteral() {
            return glob.prefilterLiteral();
        }

        @Override
        public boolean isExact() {
            return glob.isExact();
        }
    }

    /**
     * Regular expression searched anywhere in the value: the rule's PCRE rewritten for RE2 by {@link PcreRegex} (linear
     * time, no catastrophic backtracking).
     */
    record Regex(Pattern pattern) implements ValueMatcher {
        @Override
        public boolean test(Object value, SecurityEvent event) {
            return pattern.matcher(FieldValues.text(value)).find();
        }
    }

    /** Address inside a network. */
    record Network(Cidr cidr) implements ValueMatcher {
        @Override
        public boolean test(Object value, SecurityEvent event) {
            return cidr.contains(FieldValues.text(value));
        }
    }

    /** Numeric comparison; a value that is not a number never matches. */
    record Compare(SigmaModifier operator, BigDecimal bound) implements ValueMatcher {
        @Override
        public boolean test(Object value, SecurityEvent event) {
            BigDecimal number;
            if (value instanceof Integer || value instanceof Long) {
                number = BigDecimal.valueOf(((Number) value).longValue());
            } else {
                try {
                    number = new BigDecimal(FieldValues.text(value).strip());
                } catch (NumberFormatException e) {
                    return false;
                }
            }
            int order = number.compareTo(bound);
            return switch (operator) {
                case GT -> order > 0;
                case GTE -> order >= 0;
                case LT -> order < 0;
                case LTE -> order <= 0;
                default -> throw new IllegalStateException("not a comparison: " + operator);
            };
        }
    }

    /**
     * A unit of a date ({@code minute} ... {@code year}, in UTC) equal to the bound, or compared with it by
     * {@code operator} ({@code gt}, {@code gte}, {@code lt}, {@code lte}); a value that is not a date never matches.
     *
     * @param unit the time modifier
     * @param operator the comparison, or null for equality
     * @param bound the rule's value, within the unit's range
     * @param eventTimestamp true when the field is the event's timestamp, whose numbers are epoch nanoseconds
     */
    record TimePart(SigmaModifier unit, SigmaModifier operator, int bound, boolean eventTimestamp)
            implements ValueMatcher {
        @Override
        public boolean test(Object value, SecurityEvent event) {
            java.time.LocalDateTime utc = DateParts.utc(value, eventTimestamp);
            if (utc == null) {
                return false;
            }
            int part = DateParts.extract(unit, utc);
            if (operator == null) {
                return part == bound;
            }
            return switch (operator) {
                case GT -> part > bound;
                case GTE -> part >= bound;
                case LT -> part < bound;
                case LTE -> part <= bound;
                default -> throw new IllegalStateException("not a comparison: " + operator);
            };
        }
    }

    /**
     * Compares with another field of the same event: equal, or containing / starting / ending with the other field's
     * value (any element of a list), case-insensitive unless cased.
     */
    record FieldRef(String otherName, FieldAccessor other, SigmaModifier mode, boolean cased) implements ValueMatcher {
        @Override
        public String alwaysFalseBecauseUnmapped() {
            return other == CompiledField.ABSENT ? otherName : null;
        }

        @Override
        public boolean test(Object value, SecurityEvent event) {
            Object reference = other.get(event);
            if (FieldValues.isAbsent(reference)) {
                return false;
            }
            String text = FieldValues.text(value);
            if (reference instanceof java.util.List<?> list) {
                for (Object element : list) {
                    if (element != null && compare(text, FieldValues.text(element))) {
                        return true;
                    }
                }
                return false;
            }
            return compare(text, FieldValues.text(reference));
        }

        private boolean compare(String text, String reference) {
            if (mode == null) {
                return text.length() == reference.length() && region(text, 0, reference);
            }
            int n = reference.length();
            return switch (mode) {
                case STARTSWITH -> text.length() >= n && region(text, 0, reference);
                case ENDSWITH -> text.length() >= n && region(text, text.length() - n, reference);
                default -> {
                    for (int i = 0; i + n <= text.length(); i++) {
                        if (region(text, i, reference)) {
                            yield true;
                        }
                    }
                    yield false;
                }
            };
        }

        private boolean region(String text, int offset, String reference) {
            for (int i = 0; i < reference.length(); i++) {
                char a = text.charAt(offset + i);
                char b = reference.charAt(i);
                if (a != b && (cased || GlobMatcher.fold(a) != GlobMatcher.fold(b))) {
                    return false;
                }
            }
            return true;
        }
    }
}
