package dev.bulwark.sigma;

import java.time.DateTimeException;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.IsoFields;
import java.util.EnumSet;
import java.util.Set;

/**
 * Reads field values as dates for the time modifiers ({@code minute}, {@code hour}, {@code day}, {@code week},
 * {@code month}, {@code year}) and extracts their units, in UTC.
 *
 * <p>A date is either the event's own timestamp (the {@code timestamp} path, epoch nanoseconds) or text in the
 * RFC 3339 / ISO-8601 extended form {@code yyyy-MM-ddTHH:mm[:ss[.fraction]][offset]}: the separator is {@code T},
 * {@code t} or a space, the offset is {@code Z}, {@code z} or {@code ±HH:mm}; text without an offset is UTC (as a
 * Sysmon {@code UtcTime}); an offset is applied to get UTC. Anything else (a bare date, a number in another field,
 * surrounding spaces, an impossible day such as 30 February) is not a date.
 *
 * <p>Why: one strict reader without exceptions on the matching path, so a value that is not a date makes the item
 * false quickly and never throws.
 */
final class DateParts {

    /** The event path of the event's own timestamp (epoch nanoseconds): the only number read as a date. */
    static final String EVENT_TIMESTAMP = "timestamp";

    /** The time modifiers. */
    static final Set<SigmaModifier> UNITS = EnumSet.of(SigmaModifier.MINUTE, SigmaModifier.HOUR, SigmaModifier.DAY,
            SigmaModifier.WEEK, SigmaModifier.MONTH, SigmaModifier.YEAR);

    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private DateParts() {
    }

    /** The smallest value of {@code unit}. */
    static int min(SigmaModifier unit) {
        return switch (unit) {
            case MINUTE, HOUR, YEAR -> 0;
            case DAY, WEEK, MONTH -> 1;
            default -> throw new IllegalArgumentException("not a time modifier: " + unit);
        };
    }

    /** The largest value of {@code unit} (ISO-8601 years have 52 or 53 weeks). */
    static int max(SigmaModifier unit) {
        return switch (unit) {
            case MINUTE -> 59;
            case HOUR -> 23;
            case DAY -> 31;
            case WEEK -> 53;
            case MONTH -> 12;
            case YEAR -> 9999;
            default -> throw new IllegalArgumentException("not a time modifier: " + unit);
        };
    }

    /** The unit of a UTC date-time. */
    static int extract(SigmaModifier unit, LocalDateTime utc) {
        return switch (unit) {
            case MINUTE -> utc.getMinute();
            case HOUR -> utc.getHour();
            case DAY -> utc.getDayOfMonth();
            case WEEK -> utc.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR);
            case MONTH -> utc.getMonthValue();
            case YEAR -> utc.getYear();
            default -> throw new IllegalArgumentException("not a time modifier: " + unit);
        };
    }

    /**
     * The value as a UTC date-time, or null when it is not a date.
     *
     * @param epochNanos true when the value is read from the event's timestamp, whose numbers are epoch nanoseconds
     */
    static LocalDateTime utc(Object value, boolean epochNanos) {
        if (value instanceof Long || value instanceof Integer) {
            if (!epochNanos) {
                return null;
            }
            long nanos = ((Number) value).longValue();
            return LocalDateTime.ofEpochSecond(Math.floorDiv(nanos, NANOS_PER_SECOND),
                    (int) Math.floorMod(nanos, NANOS_PER_SECOND), ZoneOffset.UTC);
        }
        if (value instanceof CharSequence text) {
            return parse(text);
        }
        return null;
    }

    /** Parses {@code yyyy-MM-ddTHH:mm[:ss[.fraction]][Z|±HH:mm]} to UTC; null when the text is not one. */
    static LocalDateTime parse(CharSequence text) {
        int n = text.length();
        if (n < 16 || text.charAt(4) != '-' || text.charAt(7) != '-' || text.charAt(13) != ':') {
            return null;
        }
        char separator = text.charAt(10);
        if (separator != 'T' && separator != 't' && separator != ' ') {
            return null;
        }
        int year = digits(text, 0, 4);
        int month = digits(text, 5, 2);
        int day = digits(text, 8, 2);
        int hour = digits(text, 11, 2);
        int minute = digits(text, 14, 2);
        if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || hour > 23 || minute > 59) {
            return null;
        }
        int i = 16;
        int second = 0;
        if (i < n && text.charAt(i) == ':') {
            second = digits(text, i + 1, 2);
            if (second < 0 || second > 60) {
                return null;
            }
            second = Math.min(second, 59); // a leap second stays in its minute
            i += 3;
            if (i < n && text.charAt(i) == '.') {
                int start = ++i;
                while (i < n && isDigit(text.charAt(i))) {
                    i++;
                }
                if (i == start) {
                    return null;
                }
            }
        }
        int offsetSeconds = 0;
        if (i < n) {
            char sign = text.charAt(i);
            if ((sign == 'Z' || sign == 'z') && i + 1 == n) {
                offsetSeconds = 0;
            } else if ((sign == '+' || sign == '-') && i + 6 == n && text.charAt(i + 3) == ':') {
                int hours = digits(text, i + 1, 2);
                int minutes = digits(text, i + 4, 2);
                if (hours < 0 || minutes < 0 || hours > 18 || minutes > 59 || hours * 3600 + minutes * 60 > 18 * 3600) {
                    return null;
                }
                offsetSeconds = (sign == '-' ? -1 : 1) * (hours * 3600 + minutes * 60);
            } else {
                return null;
            }
        }
        try {
            return LocalDateTime.of(year, month, day, hour, minute, second).minusSeconds(offsetSeconds);
        } catch (DateTimeException e) {
            return null; // 30 February, month 13
        }
    }

    /** The decimal number of {@code count} ASCII digits at {@code from}, or -1. */
    private static int digits(CharSequence text, int from, int count) {
        int number = 0;
        for (int i = from; i < from + count; i++) {
            if (i >= text.length() || !isDigit(text.charAt(i))) {
                return -1;
            }
            number = number * 10 + (text.charAt(i) - '0');
        }
        return number;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }
}
