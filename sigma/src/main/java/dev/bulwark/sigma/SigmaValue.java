package dev.bulwark.sigma;

/**
 * One value of a detection item as written: a String, Long, Double, Boolean or null, with its location.
 *
 * <p>Why: values are interpreted only when the modifiers are applied at compile time, and a bad value (an invalid
 * regex, an unknown placeholder) must be reported at its own line.
 */
public record SigmaValue(Object value, SourceLocation location) {

    /** The value as text (numbers and booleans as written in Java), or null. */
    public String text() {
        return value == null ? null : value.toString();
    }
}
