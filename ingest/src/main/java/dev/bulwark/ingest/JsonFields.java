package dev.bulwark.ingest;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Typed, checked access to fields of a parsed JSON record.
 *
 * <p>Why: sources send numbers as strings, placeholders such as {@code "<NA>"}, nulls and wrong types; every parser
 * needs the same tolerant-but-precise reading, with errors that name the field.
 */
public final class JsonFields {

    private JsonFields() {
    }

    /** Text of a field, or null when absent, JSON null, empty or a Falco-style {@code <NA>} placeholder. */
    public static String text(JsonNode parent, String field) throws ParseException {
        JsonNode node = parent.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (node.isContainerNode()) {
            throw new ParseException("field '" + field + "' must be a scalar, got " + SafeJson.describe(node));
        }
        String value = node.asText();
        return value.isEmpty() || "<NA>".equals(value) ? null : value;
    }

    /** Like {@link #text} but the field must be present. */
    public static String requiredText(JsonNode parent, String field) throws ParseException {
        String value = text(parent, field);
        if (value == null) {
            throw new ParseException("missing required field '" + field + "'");
        }
        return value;
    }

    /** A whole number given as a JSON number or a numeric string; null when absent. */
    public static Long number(JsonNode parent, String field) throws ParseException {
        JsonNode node = parent.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (node.isIntegralNumber() && node.canConvertToLong()) {
            return node.asLong();
        }
        if (node.isTextual()) {
            String text = node.asText().strip();
            if (text.isEmpty() || "<NA>".equals(text)) {
                return null;
            }
            try {
                return Long.parseLong(text);
            } catch (NumberFormatException e) {
                throw new ParseException("field '" + field + "' must be a whole number, got \"" + clip(text) + "\"");
            }
        }
        throw new ParseException("field '" + field + "' must be a whole number, got " + SafeJson.describe(node));
    }

    /** An object field; null when absent or JSON null. */
    public static JsonNode object(JsonNode parent, String field) throws ParseException {
        JsonNode node = parent.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject()) {
            throw new ParseException("field '" + field + "' must be an object, got " + SafeJson.describe(node));
        }
        return node;
    }

    /** An array of strings; empty when absent. */
    public static List<String> strings(JsonNode parent, String field) throws ParseException {
        JsonNode node = parent.get(field);
        List<String> values = new ArrayList<>();
        if (node == null || node.isNull()) {
            return values;
        }
        if (!node.isArray()) {
            throw new ParseException("field '" + field + "' must be an array, got " + SafeJson.describe(node));
        }
        for (JsonNode item : node) {
            if (item.isContainerNode()) {
                throw new ParseException("field '" + field + "' must hold strings, got " + SafeJson.describe(item));
            }
            values.add(item.asText());
        }
        return values;
    }

    /** Parses an RFC 3339 timestamp with up to nanosecond precision into epoch nanoseconds (UTC). */
    public static long epochNanos(String field, String value) throws ParseException {
        long fast = fastEpochNanos(value);
        if (fast != NOT_FAST) {
            return fast;
        }
        try {
            Instant instant = java.time.OffsetDateTime.parse(value).toInstant();
            return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000_000L), instant.getNano());
        } catch (DateTimeParseException | ArithmeticException e) {
            throw new ParseException("field '" + field + "' is not an RFC 3339 timestamp: \"" + clip(value) + "\"");
        }
    }

    private static final long NOT_FAST = Long.MIN_VALUE;

    /**
     * The common shape {@code YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)}, parsed without {@code java.time}'s
     * formatter (which costs more than the rest of a container-log line together); {@link #NOT_FAST} for anything
     * else, which then goes through {@code OffsetDateTime.parse} and gets the same result or the same rejection.
     */
    static long fastEpochNanos(String v) {
        int n = v.length();
        if (n < 20 || n > 35 || v.charAt(4) != '-' || v.charAt(7) != '-' || v.charAt(10) != 'T' || v.charAt(13) != ':'
                || v.charAt(16) != ':') {
            return NOT_FAST;
        }
        int year = digits(v, 0, 4);
        int month = digits(v, 5, 2);
        int day = digits(v, 8, 2);
        int hour = digits(v, 11, 2);
        int minute = digits(v, 14, 2);
        int second = digits(v, 17, 2);
        if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59
                || second < 0 || second > 59 || day > java.time.YearMonth.of(year, month).lengthOfMonth()) {
            return NOT_FAST;
        }
        int i = 19;
        long nanos = 0;
        if (v.charAt(i) == '.') {
            int start = ++i;
            while (i < n && v.charAt(i) >= '0' && v.charAt(i) <= '9') {
                i++;
            }
            int count = i - start;
            if (count < 1 || count > 9) {
                return NOT_FAST;
            }
            nanos = digits(v, start, count);
            for (int k = count; k < 9; k++) {
                nanos *= 10;
            }
        }
        int offsetSeconds;
        if (i == n - 1 && v.charAt(i) == 'Z') {
            offsetSeconds = 0;
        } else if (i == n - 6 && (v.charAt(i) == '+' || v.charAt(i) == '-') && v.charAt(i + 3) == ':') {
            int offsetHours = digits(v, i + 1, 2);
            int offsetMinutes = digits(v, i + 4, 2);
            if (offsetHours < 0 || offsetMinutes < 0 || offsetMinutes > 59 || offsetHours > 18
                    || (offsetHours == 18 && offsetMinutes > 0)) {
                return NOT_FAST;
            }
            offsetSeconds = (offsetHours * 3600 + offsetMinutes * 60) * (v.charAt(i) == '-' ? -1 : 1);
        } else {
            return NOT_FAST;
        }
        long epochSeconds = java.time.LocalDate.of(year, month, day).toEpochDay() * 86_400L + hour * 3600L
                + minute * 60L + second - offsetSeconds;
        try {
            return Math.addExact(Math.multiplyExact(epochSeconds, 1_000_000_000L), nanos);
        } catch (ArithmeticException e) {
            return NOT_FAST;
        }
    }

    /** The decimal number of {@code count} ASCII digits at {@code from}, or -1. */
    private static int digits(String v, int from, int count) {
        int value = 0;
        for (int k = from; k < from + count; k++) {
            char c = v.charAt(k);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }

    static String clip(String value) {
        return value.length() > 80 ? value.substring(0, 80) + "..." : value;
    }
}
