package dev.bulwark.schemas;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecordBase;

import com.fasterxml.jackson.databind.JsonNode;

import dev.bulwark.schemas.SecurityEvent;

/**
 * Builds a {@link SecurityEvent} from a JSON/YAML object in the event's own shape: the Avro field names, nested
 * records as objects ({@code process: {executable: ..., parent: {...}}}), lists as arrays, maps as objects.
 *
 * <p>Why: rule test cases are written as readable YAML, not as Avro JSON with union wrappers. Values are coerced to the
 * schema's types (a number for a string field becomes its text, a single value for a list field becomes a list of
 * one); unknown fields are errors, so a typo in a test cannot silently produce an empty field. The required fields a
 * test rarely cares about get defaults: {@code id} {@code test}, {@code timestamp} 0, {@code source_format}
 * {@code test}, and an empty {@code event} group.
 */
public final class SecurityEventJson {

    private SecurityEventJson() {
    }

    /**
     * Converts one object.
     *
     * @throws IllegalArgumentException naming the path of the first value that does not fit the schema
     */
    public static SecurityEvent fromJson(JsonNode node) {
        return (SecurityEvent) record(SecurityEvent.getClassSchema(), node, "");
    }

    /**
     * Converts one object in the {@link dev.bulwark.schemas.TenantContext} shape ({@code kind}, {@code key},
     * {@code tenant}, {@code namespace}, {@code subjects}...); {@code observed_at} defaults to 0.
     *
     * @throws IllegalArgumentException naming the path of the first value that does not fit the schema
     */
    public static dev.bulwark.schemas.TenantContext contextFromJson(JsonNode node) {
        return (dev.bulwark.schemas.TenantContext) record(dev.bulwark.schemas.TenantContext.getClassSchema(), node, "");
    }

    private static Object record(Schema schema, JsonNode node, String path) {
        if (!node.isObject()) {
            throw new IllegalArgumentException(where(path) + "must be an object, not " + node.getNodeType());
        }
        SpecificRecordBase record = (SpecificRecordBase) SpecificData.get().newRecord(null, schema);
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (schema.getField(name) == null) {
                throw new IllegalArgumentException("unknown field '" + join(path, name) + "' (fields of "
                        + (path.isEmpty() ? "the event" : "'" + path + "'") + ": "
                        + String.join(", ", schema.getFields().stream().map(Schema.Field::name).toList()) + ")");
            }
        }
        for (Schema.Field field : schema.getFields()) {
            JsonNode value = node.get(field.name());
            String fieldPath = join(path, field.name());
            Object converted;
            if (value != null && !value.isNull()) {
                converted = value(field.schema(), value, fieldPath);
            } else if (path.isEmpty() && TEST_DEFAULTS.containsKey(field.name())) {
                converted = TEST_DEFAULTS.get(field.name());
            } else if (field.hasDefaultValue()) {
                converted = SpecificData.get().getDefaultValue(field);
            } else if (field.schema().getType() == Schema.Type.RECORD) {
                converted = record(field.schema(), com.fasterxml.jackson.databind.node.JsonNodeFactory.instance
                        .objectNode(), fieldPath);
            } else {
                throw new IllegalArgumentException("missing required field '" + fieldPath + "'");
            }
            record.put(field.pos(), converted);
        }
        return record;
    }

    private static final Map<String, Object> TEST_DEFAULTS = Map.of("id", "test", "timestamp", 0L,
            "source_format", "test", "observed_at", 0L);

    private static Object value(Schema schema, JsonNode node, String path) {
        switch (schema.getType()) {
            case UNION -> {
                for (Schema branch : schema.getTypes()) {
                    if (branch.getType() != Schema.Type.NULL) {
                        return value(branch, node, path);
                    }
                }
                return null;
            }
            case RECORD -> {
                return record(schema, node, path);
            }
            case ARRAY -> {
                List<Object> items = new ArrayList<>();
                if (node.isArray()) {
                    int i = 0;
                    for (JsonNode item : node) {
                        items.add(value(schema.getElementType(), item, path + "[" + i++ + "]"));
                    }
                } else {
                    items.add(value(schema.getElementType(), node, path));
                }
                return items;
            }
            case MAP -> {
                if (!node.isObject()) {
                    throw new IllegalArgumentException(where(path) + "must be an object of key: value");
                }
                Map<String, Object> map = new LinkedHashMap<>();
                node.properties().forEach(e -> map.put(e.getKey(),
                        value(schema.getValueType(), e.getValue(), path + "['" + e.getKey() + "']")));
                return map;
            }
            case STRING -> {
                if (!node.isValueNode()) {
                    throw new IllegalArgumentException(where(path) + "must be a text value");
                }
                return node.asText();
            }
            case LONG, INT -> {
                long number;
                if (node.canConvertToLong() && node.isIntegralNumber()) {
                    number = node.asLong();
                } else {
                    try {
                        number = Long.parseLong(node.asText().strip());
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException(where(path) + "must be a whole number, not '" + node.asText() + "'");
                    }
                }
                return schema.getType() == Schema.Type.INT ? (Object) Math.toIntExact(number) : (Object) number;
            }
            case BOOLEAN -> {
                if (node.isBoolean()) {
                    return node.booleanValue();
                }
                String text = node.asText();
                if (text.equalsIgnoreCase("true") || text.equalsIgnoreCase("false")) {
                    return Boolean.parseBoolean(text);
                }
                throw new IllegalArgumentException(where(path) + "must be true or false, not '" + text + "'");
            }
            default -> throw new IllegalArgumentException(where(path) + "has unsupported type " + schema.getType());
        }
    }

    private static String join(String path, String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    private static String where(String path) {
        return "'" + path + "' ";
    }
}
