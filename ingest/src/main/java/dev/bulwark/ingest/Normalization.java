package dev.bulwark.ingest;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import dev.bulwark.schemas.Endpoint;

/**
 * Building blocks event parsers share beyond {@link JsonFields}: error messages that say where in a nested record a
 * problem is, attribute maps with bounded JSON values, network endpoints and the ingest time.
 *
 * <p>Why: every parser that keeps unmapped source fields in {@code attributes} needs the same null handling and the
 * same size bound, and every error must point into the record precisely; one implementation keeps the parsers
 * consistent.
 */
public final class Normalization {

    /** Largest JSON value (in characters) kept verbatim in one attribute; larger ones leave only their size. */
    public static final int MAX_ATTRIBUTE_JSON = 64 * 1024;

    private Normalization() {
    }

    /** A part of a record read by {@link #within}. */
    @FunctionalInterface
    public interface Section<T> {
        T read() throws ParseException;
    }

    /**
     * Reads a nested part of a record; a {@link ParseException} from it is rethrown with {@code in '<path>': } in
     * front, so that a reason such as {@code field 'pid' must be a whole number} says which object holds the field.
     */
    public static <T> T within(String path, Section<T> section) throws ParseException {
        try {
            return section.read();
        } catch (ParseException e) {
            throw new ParseException("in '" + path + "': " + e.getMessage(), e);
        }
    }

    /** Puts a text attribute unless the value is null. */
    public static void putText(Map<String, String> attributes, String key, String value) {
        if (value != null) {
            attributes.put(key, value);
        }
    }

    /** Puts a number attribute unless the value is null. */
    public static void putNumber(Map<String, String> attributes, String key, Long value) {
        if (value != null) {
            attributes.put(key, Long.toString(value));
        }
    }

    /**
     * Puts a JSON value in compact form; one over {@link #MAX_ATTRIBUTE_JSON} characters is replaced by
     * {@code <key>.omitted_chars} holding its length. Null, JSON null and missing values put nothing.
     */
    public static void putJson(Map<String, String> attributes, String key, JsonNode value) {
        if (value == null || value.isNull() || value.isMissingNode()) {
            return;
        }
        String json = value.toString();
        if (json.length() > MAX_ATTRIBUTE_JSON) {
            attributes.put(key + ".omitted_chars", Integer.toString(json.length()));
        } else {
            attributes.put(key, json);
        }
    }

    /**
     * Puts every entry of a string-valued JSON object (labels, annotations) under {@code prefix + key}; empty and null
     * values become the empty string.
     *
     * @throws ParseException when a value is an object or an array
     */
    public static void putStringMap(Map<String, String> attributes, String prefix, JsonNode map) throws ParseException {
        if (map == null) {
            return;
        }
        for (Iterator<String> it = map.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            String value = JsonFields.text(map, key);
            attributes.put(prefix + key, value == null ? "" : value);
        }
    }

    /**
     * An endpoint from an address field and a port field of one object; null when both are absent. A port outside
     * 0-65535 is dropped, the address kept.
     */
    public static Endpoint endpoint(JsonNode node, String ipField, String portField) throws ParseException {
        String ip = JsonFields.text(node, ipField);
        Long port = JsonFields.number(node, portField);
        if (ip == null && port == null) {
            return null;
        }
        return Endpoint.newBuilder().setIp(ip).setPort(port == null || port < 0 || port > 65535 ? null : port.intValue())
                .build();
    }

    /**
     * The field names of an object for a reason such as "no known event type among keys [...]": at most ten, each cut
     * to 60 characters, or {@code none}.
     */
    public static String keyList(JsonNode object) {
        List<String> shown = new ArrayList<>();
        for (Iterator<String> it = object.fieldNames(); it.hasNext() && shown.size() < 10; ) {
            String key = it.next();
            shown.add(key.length() > 60 ? key.substring(0, 60) + "..." : key);
        }
        if (shown.isEmpty()) {
            return "none";
        }
        return String.join(", ", shown) + (object.size() > 10 ? ", ... (" + object.size() + " keys)" : "");
    }

    /** Now, in epoch nanoseconds (ECS {@code event.ingested}). */
    public static long nowNanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }
}
