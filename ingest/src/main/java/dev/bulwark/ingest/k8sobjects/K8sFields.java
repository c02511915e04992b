package dev.bulwark.ingest.k8sobjects;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import dev.bulwark.ingest.ParseException;
import dev.bulwark.ingest.SafeJson;

/**
 * Strictly typed access to fields of a Kubernetes object, with errors that name the field's full path
 * ({@code spec.containers[2].securityContext.privileged}).
 *
 * <p>Why: the API server types every field, so unlike Falco's stringly-typed output a number where a name belongs is
 * hostile or broken input, not a quirk to tolerate; {@link dev.bulwark.ingest.JsonFields} is deliberately lenient and
 * names only the leaf field, which is ambiguous in objects that nest the same field names many times.
 */
final class K8sFields {

    /** Longest text copied into an error message. */
    private static final int MAX_QUOTED = 80;

    private K8sFields() {
    }

    /** The field's node, or null when absent or JSON null. */
    static JsonNode present(JsonNode parent, String field) {
        JsonNode node = parent.get(field);
        return node == null || node.isNull() ? null : node;
    }

    /** A string field; null when absent, JSON null or empty (the API server omits empty strings). */
    static String string(JsonNode parent, String field, String path) throws ParseException {
        JsonNode node = present(parent, field);
        if (node == null) {
            return null;
        }
        if (!node.isTextual()) {
            throw new ParseException("field '" + path + "' must be a string, got " + SafeJson.describe(node));
        }
        String value = node.textValue();
        return value.isEmpty() ? null : value;
    }

    /** Like {@link #string} but the field must be present and non-empty. */
    static String requiredString(JsonNode parent, String field, String path) throws ParseException {
        String value = string(parent, field, path);
        if (value == null) {
            throw new ParseException("missing required field '" + path + "'");
        }
        return value;
    }

    /** A boolean field; null when absent. */
    static Boolean bool(JsonNode parent, String field, String path) throws ParseException {
        JsonNode node = present(parent, field);
        if (node == null) {
            return null;
        }
        if (!node.isBoolean()) {
            throw new ParseException("field '" + path + "' must be a boolean, got " + SafeJson.describe(node));
        }
        return node.booleanValue();
    }

    /** A whole-number field; null when absent. */
    static Long integer(JsonNode parent, String field, String path) throws ParseException {
        JsonNode node = present(parent, field);
        if (node == null) {
            return null;
        }
        if (!node.isIntegralNumber() || !node.canConvertToLong()) {
            throw new ParseException("field '" + path + "' must be a whole number, got " + SafeJson.describe(node));
        }
        return node.longValue();
    }

    /** An object field; null when absent. */
    static JsonNode object(JsonNode parent, String field, String path) throws ParseException {
        JsonNode node = present(parent, field);
        if (node != null && !node.isObject()) {
            throw new ParseException("field '" + path + "' must be an object, got " + SafeJson.describe(node));
        }
        return node;
    }

    /** An array field; null when absent. */
    static JsonNode array(JsonNode parent, String field, String path) throws ParseException {
        JsonNode node = present(parent, field);
        if (node != null && !node.isArray()) {
            throw new ParseException("field '" + path + "' must be an array, got " + SafeJson.describe(node));
        }
        return node;
    }

    /** The objects of an array field, each checked to be an object; empty when the field is absent. */
    static List<JsonNode> objects(JsonNode parent, String field, String path) throws ParseException {
        JsonNode node = array(parent, field, path);
        List<JsonNode> items = new ArrayList<>();
        if (node == null) {
            return items;
        }
        int i = 0;
        for (JsonNode item : node) {
            if (!item.isObject()) {
                throw new ParseException("field '" + path + "[" + i + "]' must be an object, got " + SafeJson.describe(item));
            }
            items.add(item);
            i++;
        }
        return items;
    }

    /** An array of strings, each free of control characters; empty when the field is absent. */
    static List<String> strings(JsonNode parent, String field, String path) throws ParseException {
        JsonNode node = array(parent, field, path);
        List<String> values = new ArrayList<>();
        if (node == null) {
            return values;
        }
        int i = 0;
        for (JsonNode item : node) {
            String itemPath = path + "[" + i++ + "]";
            if (!item.isTextual()) {
                throw new ParseException("field '" + itemPath + "' must be a string, got " + SafeJson.describe(item));
            }
            Names.printable(item.textValue(), itemPath, Names.MAX_TEXT_LENGTH, true);
            values.add(item.textValue());
        }
        return values;
    }

    /** A map of strings to strings (labels, annotations); empty when absent. */
    static Map<String, String> stringMap(JsonNode parent, String field, String path) throws ParseException {
        JsonNode node = object(parent, field, path);
        Map<String, String> values = new LinkedHashMap<>();
        if (node == null) {
            return values;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            if (!entry.getValue().isTextual()) {
                throw new ParseException("field '" + path + "[" + quote(entry.getKey()) + "]' must be a string, got "
                        + SafeJson.describe(entry.getValue()));
            }
            values.put(entry.getKey(), entry.getValue().textValue());
        }
        return values;
    }

    /**
     * Text for an error message: quoted, control characters escaped, clipped. Never used for values that may be
     * secret.
     */
    static String quote(String value) {
        StringBuilder out = new StringBuilder(Math.min(value.length(), MAX_QUOTED) + 8).append('"');
        int shown = 0;
        for (int i = 0; i < value.length(); i++) {
            if (shown++ == MAX_QUOTED) {
                out.append("...");
                break;
            }
            char c = value.charAt(i);
            if (Names.isControl(c)) {
                out.append(String.format("\\u%04x", (int) c));
            } else if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }
}
