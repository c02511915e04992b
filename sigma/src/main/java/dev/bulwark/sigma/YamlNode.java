package dev.bulwark.sigma;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A YAML value that remembers where it was written: a map, a list or a scalar.
 *
 * <p>Why: Jackson trees forget locations, and every rule error must name its line. Internal to the Sigma package.
 */
sealed interface YamlNode permits YamlNode.MapNode, YamlNode.ListNode, YamlNode.ScalarNode {

    /** Where the value starts. */
    SourceLocation location();

    /** What the value is, for error messages: "a map", "a list", "a string", ... */
    String describe();

    /** The same value as a Jackson tree (locations dropped). */
    JsonNode toJson();

    /** A mapping; keys keep their order and their own locations. */
    record MapNode(Map<String, YamlNode> entries, Map<String, SourceLocation> keyLocations, SourceLocation location)
            implements YamlNode {

        public MapNode {
            entries = Collections.unmodifiableMap(new LinkedHashMap<>(entries));
            keyLocations = Collections.unmodifiableMap(new LinkedHashMap<>(keyLocations));
        }

        YamlNode get(String key) {
            return entries.get(key);
        }

        SourceLocation keyLocation(String key) {
            return keyLocations.getOrDefault(key, location);
        }

        /** This map with {@code key} left out. */
        MapNode without(String key) {
            Map<String, YamlNode> copy = new LinkedHashMap<>(entries);
            copy.remove(key);
            return new MapNode(copy, keyLocations, location);
        }

        @Override
        public String describe() {
            return "a map";
        }

        @Override
        public JsonNode toJson() {
            ObjectNode object = JsonNodeFactory.instance.objectNode();
            entries.forEach((key, value) -> object.set(key, value.toJson()));
            return object;
        }
    }

    /** A sequence. */
    record ListNode(List<YamlNode> items, SourceLocation location) implements YamlNode {

        public ListNode {
            items = List.copyOf(items);
        }

        @Override
        public String describe() {
            return "a list";
        }

        @Override
        public JsonNode toJson() {
            ArrayNode array = JsonNodeFactory.instance.arrayNode();
            items.forEach(item -> array.add(item.toJson()));
            return array;
        }
    }

    /**
     * A scalar: {@code value} is a String, Long, Double, Boolean or null (YAML null or an empty value); {@code text}
     * is the scalar as written.
     */
    record ScalarNode(Object value, String text, SourceLocation location) implements YamlNode {

        boolean isString() {
            return value instanceof String;
        }

        boolean isNull() {
            return value == null;
        }

        @Override
        public String describe() {
            if (value == null) {
                return "null";
            }
            if (value instanceof String) {
                return "a string";
            }
            return value instanceof Boolean ? "a boolean" : "a number";
        }

        @Override
        public JsonNode toJson() {
            JsonNodeFactory json = JsonNodeFactory.instance;
            if (value == null) {
                return json.nullNode();
            }
            if (value instanceof Boolean b) {
                return json.booleanNode(b);
            }
            if (value instanceof Long l) {
                return json.numberNode(l);
            }
            if (value instanceof Double d) {
                return json.numberNode(d);
            }
            return json.textNode(value.toString());
        }
    }

    /** Deep merge for Sigma rule collections: maps merge key by key, anything else in {@code top} wins. */
    static YamlNode merge(YamlNode base, YamlNode top) {
        if (base instanceof MapNode b && top instanceof MapNode t) {
            Map<String, YamlNode> entries = new LinkedHashMap<>(b.entries());
            Map<String, SourceLocation> keys = new LinkedHashMap<>(b.keyLocations());
            t.entries().forEach((key, value) -> {
                YamlNode old = entries.get(key);
                entries.put(key, old == null ? value : merge(old, value));
                keys.put(key, t.keyLocation(key));
            });
            return new MapNode(entries, keys, t.location());
        }
        return top;
    }

    /** A list of the items of a list node, or of the single non-list node. */
    static List<YamlNode> asList(YamlNode node) {
        if (node instanceof ListNode list) {
            return list.items();
        }
        List<YamlNode> one = new ArrayList<>(1);
        one.add(node);
        return one;
    }
}
