package dev.bulwark.sigma;

import java.util.ArrayList;
import java.util.List;

/**
 * Typed reads of {@link YamlNode}s that fail with the node's location and a reason in the author's terms.
 *
 * <p>Why: every "wrong type" problem in a rule, mapping or test file reads the same way: "'title' must be a string,
 * not a list".
 */
final class YamlReader {

    private YamlReader() {
    }

    static YamlNode.MapNode map(YamlNode node, String what) throws SigmaRuleException {
        if (node instanceof YamlNode.MapNode map) {
            return map;
        }
        throw new SigmaRuleException(node.location(), what + " must be a map, not " + node.describe());
    }

    /** A string (numbers and booleans are accepted as their text), or null when the node is missing or null. */
    static String optionalString(YamlNode.MapNode parent, String key) throws SigmaRuleException {
        YamlNode node = parent.get(key);
        if (node == null || (node instanceof YamlNode.ScalarNode s && s.isNull())) {
            return null;
        }
        if (node instanceof YamlNode.ScalarNode scalar) {
            return scalar.text();
        }
        throw new SigmaRuleException(node.location(), "'" + key + "' must be a string, not " + node.describe());
    }

    static String requiredString(YamlNode.MapNode parent, String key, String what) throws SigmaRuleException {
        String value = optionalString(parent, key);
        if (value == null || value.isBlank()) {
            throw new SigmaRuleException(parent.location(), what + " has no '" + key + "'");
        }
        return value;
    }

    /** A list of strings; a single string counts as a list of one; missing is empty. */
    static List<String> stringList(YamlNode.MapNode parent, String key) throws SigmaRuleException {
        YamlNode node = parent.get(key);
        List<String> values = new ArrayList<>();
        if (node == null || (node instanceof YamlNode.ScalarNode s && s.isNull())) {
            return values;
        }
        for (YamlNode item : YamlNode.asList(node)) {
            if (!(item instanceof YamlNode.ScalarNode scalar) || scalar.isNull()) {
                throw new SigmaRuleException(item.location(), "'" + key + "' must be a list of strings, but has "
                        + item.describe());
            }
            values.add(scalar.text());
        }
        return values;
    }

    /** {@code true} or {@code false}; {@code fallback} when the key is missing or null. */
    static boolean optionalBoolean(YamlNode.MapNode parent, String key, boolean fallback) throws SigmaRuleException {
        String value = optionalString(parent, key);
        if (value == null) {
            return fallback;
        }
        if (!value.equals("true") && !value.equals("false")) {
            throw new SigmaRuleException(parent.get(key).location(), "'" + key + "' must be true or false, not '"
                    + value + "'");
        }
        return Boolean.parseBoolean(value);
    }

    /** A value that must be one of {@code allowed} (or missing). */
    static String optionalChoice(YamlNode.MapNode parent, String key, List<String> allowed) throws SigmaRuleException {
        String value = optionalString(parent, key);
        if (value != null && !allowed.contains(value)) {
            throw new SigmaRuleException(parent.get(key).location(), "'" + key + "' must be one of "
                    + String.join(", ", allowed) + ", not '" + value + "'");
        }
        return value;
    }
}
