package dev.bulwark.sigma;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The value modifiers of Sigma specification v2 ({@code field|modifier|modifier: value}) that this engine applies.
 *
 * <p>Why: modifiers are parsed once into a closed set, so a misspelled modifier is a load error with its line rather
 * than a rule that silently never matches.
 */
public enum SigmaModifier {
    /** Value anywhere in the field ({@code *value*}). */
    CONTAINS,
    /** Field starts with the value. */
    STARTSWITH,
    /** Field ends with the value. */
    ENDSWITH,
    /** All values of the list must match (AND instead of OR). */
    ALL,
    /** Case-sensitive comparison. */
    CASED,
    /** Field present ({@code true}) or absent ({@code false}). */
    EXISTS,
    /** Not equal: the predicate is negated. */
    NEQ,
    /** PCRE regular expression, matched in linear time and searched anywhere in the field. */
    RE,
    /** Regex sub-modifier: case-insensitive. */
    I,
    /** Regex sub-modifier: multi-line ({@code ^}/{@code $} at line breaks). */
    M,
    /** Regex sub-modifier: dot matches line breaks. */
    S,
    /** Base64 of the value. */
    BASE64,
    /** The three base64 forms of the value at any byte offset (use with contains). */
    BASE64OFFSET,
    /** UTF-16 little endian encoding of the value. */
    UTF16LE,
    /** UTF-16 big endian encoding of the value. */
    UTF16BE,
    /** UTF-16 little endian with byte order mark. */
    UTF16,
    /** Same as {@link #UTF16LE}. */
    WIDE,
    /** Windows flag dashes: {@code -} and {@code /} at word starts also match {@code /}, {@code -}, en, em and horizontal bar. */
    WINDASH,
    /** IPv4 or IPv6 network in CIDR notation. */
    CIDR,
    /** Numerically greater than. */
    GT,
    /** Numerically greater than or equal. */
    GTE,
    /** Numerically less than. */
    LT,
    /** Numerically less than or equal. */
    LTE,
    /** Minute (0 to 59) of a date, in UTC. */
    MINUTE,
    /** Hour (0 to 23) of a date, in UTC. */
    HOUR,
    /** Day of the month (1 to 31) of a date, in UTC. */
    DAY,
    /** ISO-8601 week of the week-based year (1 to 53) of a date, in UTC. */
    WEEK,
    /** Month (1 to 12) of a date, in UTC. */
    MONTH,
    /** Calendar year (0 to 9999) of a date, in UTC. */
    YEAR,
    /** The value names another field of the same event to compare with. */
    FIELDREF,
    /** The value contains {@code %placeholder%}s resolved from configuration. */
    EXPAND;

    /** The modifier as written in rules. */
    public String sigmaName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The modifier spelled {@code name} (exactly, lower case), if it exists. */
    public static Optional<SigmaModifier> bySigmaName(String name) {
        for (SigmaModifier modifier : values()) {
            if (modifier.sigmaName().equals(name)) {
                return Optional.of(modifier);
            }
        }
        return Optional.empty();
    }

    /** Every modifier name, comma-separated, for error messages. */
    static String known() {
        return Arrays.stream(values()).map(SigmaModifier::sigmaName).collect(Collectors.joining(", "));
    }
}
