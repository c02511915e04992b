package dev.bulwark.config;

import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;

/**
 * A check of a setting's parsed value.
 *
 * @param <T> the value's type
 */
public interface Validator<T> {

    /** What is wrong with {@code value}, or null when it is fine. */
    String problem(T value);

    /** The rule in a few words for the documentation, e.g. {@code 1-65535}. */
    default String describe() {
        return "";
    }

    /** A check from a predicate and the rule's words (used in the message and the docs). */
    static <T> Validator<T> of(Predicate<T> ok, String rule) {
        return new Validator<>() {
            @Override
            public String problem(T value) {
                return value == null || ok.test(value) ? null : "must be " + rule + ", got " + value;
            }

            @Override
            public String describe() {
                return rule;
            }
        };
    }

    /** A whole number from {@code min} to {@code max}. */
    static Validator<Number> range(long min, long max) {
        return of(v -> v.longValue() >= min && v.longValue() <= max, min + "-" + max);
    }

    /** A TCP port, or 0 for "off". */
    static Validator<Number> portOrOff() {
        return range(0, 65535);
    }

    /** A duration longer than zero. */
    static Validator<Duration> positive() {
        return of(d -> !d.isZero() && !d.isNegative(), "longer than 0s");
    }

    /** A duration between two bounds. */
    static Validator<Duration> between(Duration min, Duration max) {
        return of(d -> d.compareTo(min) >= 0 && d.compareTo(max) <= 0,
                Durations.format(min) + " to " + Durations.format(max));
    }

    /** Text that is not blank. */
    static Validator<String> nonBlank() {
        return of(s -> !s.isBlank(), "non-empty");
    }

    /** One of the given words. */
    static Validator<String> oneOf(String... words) {
        return of(s -> List.of(words).contains(s), "one of " + String.join(", ", words));
    }
}
