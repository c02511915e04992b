package dev.bulwark.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Bulwark's one duration format: a whole number and a unit, {@code ms}, {@code s}, {@code m}, {@code h} or {@code d},
 * optionally several from largest to smallest, as Kubernetes and Go write them: {@code 500ms}, {@code 30s},
 * {@code 10m}, {@code 1h30m}, {@code 7d}.
 *
 * <p>Why: settings were written both as {@code 10m} and as ISO-8601 {@code PT1H}; one format, the one operators of
 * Kubernetes, Falco and Prometheus write every day, removes the guessing. ISO-8601 text is refused with the equivalent
 * in this format, so old files fail with a fix instead of a riddle.
 */
public final class Durations {

    private static final Pattern PART = Pattern.compile("(\\d{1,9})(ms|s|m|h|d)");
    private static final Pattern WHOLE = Pattern.compile("(?:\\d{1,9}(?:ms|s|m|h|d))+");
    private static final String[] UNITS = {"d", "h", "m", "s", "ms"};

    private Durations() {
    }

    /**
     * Parses a duration such as {@code 30s} or {@code 1h30m}.
     *
     * @throws IllegalArgumentException saying what is accepted, and the equivalent when given ISO-8601 text
     */
    public static Duration parse(String text) {
        String value = text == null ? "" : text.strip();
        if (!WHOLE.matcher(value).matches()) {
            String hint = "";
            if (value.toUpperCase(java.util.Locale.ROOT).startsWith("P")) {
                try {
                    hint = " (ISO-8601 is not accepted here; write " + format(Duration.parse(value)) + ")";
                } catch (RuntimeException ignored) {
                    // not ISO either
                }
            }
            throw new IllegalArgumentException("'" + value + "' is not a duration: write a whole number and a unit (ms, s, "
                    + "m, h, d), e.g. 500ms, 30s, 10m, 1h30m, 7d" + hint);
        }
        Matcher part = PART.matcher(value);
        Duration total = Duration.ZERO;
        int lastRank = -1;
        while (part.find()) {
            int rank = rank(part.group(2));
            if (rank <= lastRank) {
                throw new IllegalArgumentException("'" + value + "' is not a duration: write units from largest to "
                        + "smallest, each once (e.g. 1h30m)");
            }
            lastRank = rank;
            long amount = Long.parseLong(part.group(1));
            total = total.plus(switch (part.group(2)) {
                case "ms" -> Duration.ofMillis(amount);
                case "s" -> Duration.ofSeconds(amount);
                case "m" -> Duration.ofMinutes(amount);
                case "h" -> Duration.ofHours(amount);
                default -> Duration.ofDays(amount);
            });
        }
        return total;
    }

    /** Writes a duration in the same format, shortest form: {@code 90s} becomes {@code 1m30s}, zero is {@code 0s}. */
    public static String format(Duration duration) {
        if (duration.isNegative()) {
            throw new IllegalArgumentException("negative durations have no text form: " + duration);
        }
        if (duration.isZero()) {
            return "0s";
        }
        long millis = duration.toMillis();
        long[] sizes = {86_400_000L, 3_600_000L, 60_000L, 1000L, 1L};
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < sizes.length; i++) {
            long amount = millis / sizes[i];
            if (amount > 0) {
                text.append(amount).append(UNITS[i]);
                millis -= amount * sizes[i];
            }
        }
        return text.toString();
    }

    private static int rank(String unit) {
        for (int i = 0; i < UNITS.length; i++) {
            if (UNITS[i].equals(unit)) {
                return i;
            }
        }
        throw new IllegalArgumentException(unit);
    }
}
