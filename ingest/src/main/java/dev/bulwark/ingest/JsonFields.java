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
        try {
            Instant instant = java.time.OffsetDateTime.parse(value).toInstant();
            return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000_000L), instant.getNano());
        } catch (DateTimeParseException | ArithmeticException e) {
            throw new ParseException("field '" + field + "' is not an RFC 3339 timestamp: \"" + clip(value) + "\"");
        }
    }

    static String clip(String value) {
        return value.length() > 80 ? value.substring(0, 80) + "..." : value;
    }
}
