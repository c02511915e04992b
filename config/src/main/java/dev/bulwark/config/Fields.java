package dev.bulwark.config;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A declared group of settings under one prefix: the whole configuration file, or one detector's block
 * ({@code detection.detectors.<name>}). Parses a configuration tree into {@link Settings}, rejecting unknown keys with
 * the valid ones listed, and renders the documentation.
 */
public final class Fields {

    private final String prefix;
    private final Map<String, Field<?>> byName = new LinkedHashMap<>();

    private Fields(String prefix, Collection<Field<?>> fields) {
        this.prefix = prefix == null ? "" : prefix;
        for (Field<?> field : fields) {
            if (byName.put(field.name(), field) != null) {
                throw new IllegalArgumentException("setting declared twice: " + field.name());
            }
        }
        for (String name : byName.keySet()) {
            for (String other : byName.keySet()) {
                if (other.startsWith(name + ".")) {
                    throw new IllegalArgumentException("setting " + name + " cannot also be the parent of " + other);
                }
            }
        }
    }

    /** The settings {@code fields}, whose full names are {@code prefix.name} ({@code prefix} may be empty). */
    public static Fields of(String prefix, List<Field<?>> fields) {
        return new Fields(prefix, fields);
    }

    /** The settings {@code fields} under {@code prefix}. */
    public static Fields of(String prefix, Field<?>... fields) {
        return new Fields(prefix, List.of(fields));
    }

    /** No settings at all: any key is an error. */
    public static Fields none(String prefix) {
        return new Fields(prefix, List.of());
    }

    /** The prefix of every key, e.g. {@code detection.detectors.sigma}; empty for the top level. */
    public String prefix() {
        return prefix;
    }

    /** The declarations, in declaration order. */
    public List<Field<?>> fields() {
        return List.copyOf(byName.values());
    }

    /** The full key of a field, e.g. {@code detection.detectors.sigma.fold-window}. */
    public String key(Field<?> field) {
        return prefix.isEmpty() ? field.name() : prefix + "." + field.name();
    }

    /**
     * Reads the settings from a configuration tree (nested maps, lists and scalars, as a YAML parser gives them) and
     * the environment: environment variable, then file, then default.
     *
     * @param tree the subtree for this group (null or empty for none)
     * @param env the environment, for the fields that name a variable
     * @throws ConfigException listing every unknown key and bad value at once
     */
    public Settings parse(Map<String, ?> tree, Map<String, String> env) {
        List<String> problems = new ArrayList<>();
        Map<String, Object> raw = new LinkedHashMap<>();
        if (tree != null) {
            flatten("", tree, raw, problems);
        }
        Map<Field<?>, Object> values = new LinkedHashMap<>();
        Map<Field<?>, Settings.Source> sources = new LinkedHashMap<>();
        for (Field<?> field : byName.values()) {
            String fromEnv = field.env() == null ? null : env.get(field.env());
            try {
                if (fromEnv != null) {
                    values.put(field, field.read(fromEnv));
                    sources.put(field, Settings.Source.ENVIRONMENT);
                } else if (raw.containsKey(field.name())) {
                    values.put(field, field.read(raw.get(field.name())));
                    sources.put(field, Settings.Source.FILE);
                } else if (field.defaultValue() != null) {
                    values.put(field, field.defaultValue());
                    sources.put(field, Settings.Source.DEFAULT);
                }
            } catch (IllegalArgumentException e) {
                problems.add((fromEnv != null ? field.env() + " (" + key(field) + ")" : key(field)) + ": " + e.getMessage());
            }
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return new Settings(this, values, sources);
    }

    private void flatten(String path, Map<String, ?> node, Map<String, Object> raw, List<String> problems) {
        for (Map.Entry<String, ?> entry : node.entrySet()) {
            String name = path.isEmpty() ? String.valueOf(entry.getKey()) : path + "." + entry.getKey();
            if (byName.containsKey(name)) {
                raw.put(name, entry.getValue());
            } else if (entry.getValue() instanceof Map<?, ?> child && isParent(name)) {
                @SuppressWarnings("unchecked")
                Map<String, ?> typed = (Map<String, ?>) child;
                flatten(name, typed, raw, problems);
            } else if (entry.getValue() == null && isParent(name)) {
                // an empty block ("kafka:" with nothing under it) sets nothing
            } else {
                problems.add(unknown(name));
            }
        }
    }

    private boolean isParent(String name) {
        return byName.keySet().stream().anyMatch(k -> k.startsWith(name + "."));
    }

    private String unknown(String name) {
        String full = prefix.isEmpty() ? name : prefix + "." + name;
        if (byName.isEmpty()) {
            return "unknown setting " + full + ": " + (prefix.isEmpty() ? "there are no settings" : prefix + " has no settings");
        }
        String near = byName.keySet().stream().min(Comparator.comparingInt(k -> distance(k, name)))
                .filter(k -> distance(k, name) <= Math.max(2, name.length() / 3)).orElse(null);
        return "unknown setting " + full + (near == null ? "" : " (did you mean " + near + "?)") + "; valid: "
                + String.join(", ", byName.keySet());
    }

    static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = Character.toLowerCase(a.charAt(i - 1)) == Character.toLowerCase(b.charAt(j - 1)) ? 0 : 1;
                current[j] = Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }

    /**
     * The Markdown table of these settings: key, environment variable, type, default and description. Generated, so it
     * cannot drift from the code.
     */
    public String markdownTable() {
        StringBuilder table = new StringBuilder("| key | environment variable | type | default | description |\n")
                .append("|---|---|---|---|---|\n");
        for (Field<?> field : byName.values()) {
            String constraints = field.constraints();
            table.append("| `").append(key(field)).append("` | ")
                    .append(field.env() == null ? "" : "`" + field.env() + "`").append(" | ")
                    .append(field.type().name()).append(" | ")
                    .append(defaultText(field)).append(" | ")
                    .append(cell(field.doc() + (constraints.isEmpty() ? "" : " (" + constraints + ")"))).append(" |\n");
        }
        return table.toString();
    }

    private static String cell(String text) {
        return text.replace("|", "\\|").replace("\n", " ");
    }

    @SuppressWarnings("unchecked")
    private static <T> String defaultText(Field<T> field) {
        if (field.defaultValue() == null) {
            return "none";
        }
        String text = field.type().render(field.defaultValue());
        return text.isEmpty() ? "empty" : "`" + cell(text) + "`";
    }

    /**
     * An example YAML file of these settings: every key with its default (or its example, commented out, when it has
     * none), its documentation and environment variable as comments, nested by the dots of the names.
     */
    public String exampleYaml() {
        // Group by the dots of the names, each block where its first key was declared, so no block appears twice.
        Map<String, Object> tree = new LinkedHashMap<>();
        for (Field<?> field : byName.values()) {
            String[] parts = field.name().split("\\.");
            Map<String, Object> node = tree;
            for (int i = 0; i < parts.length - 1; i++) {
                @SuppressWarnings("unchecked")
                Map<String, Object> child = (Map<String, Object>) node.computeIfAbsent(parts[i], k -> new LinkedHashMap<>());
                node = child;
            }
            node.put(parts[parts.length - 1], field);
        }
        StringBuilder yaml = new StringBuilder();
        render(tree, 0, yaml);
        return yaml.toString();
    }

    private static void render(Map<String, Object> node, int depth, StringBuilder yaml) {
        String indent = "  ".repeat(depth);
        boolean previousWasBlock = false;
        for (Map.Entry<String, Object> entry : node.entrySet()) {
            boolean block = !(entry.getValue() instanceof Field<?>);
            if (depth == 0 && yaml.length() > 0 && (block || previousWasBlock)) {
                yaml.append('\n');
            }
            previousWasBlock = block;
            if (entry.getValue() instanceof Field<?> field) {
                String constraints = field.constraints();
                for (String line : wrap(field.doc() + (constraints.isEmpty() ? "" : " (" + constraints + ")")
                        + (field.env() == null ? "" : " Environment: " + field.env() + "."), 110 - indent.length())) {
                    yaml.append(indent).append("# ").append(line).append('\n');
                }
                yaml.append(indent).append(exampleLine(field, entry.getKey(), indent)).append('\n');
            } else {
                @SuppressWarnings("unchecked")
                Map<String, Object> child = (Map<String, Object>) entry.getValue();
                yaml.append(indent).append(entry.getKey()).append(":\n");
                render(child, depth + 1, yaml);
            }
        }
    }

    private static <T> String exampleLine(Field<T> field, String leaf, String indent) {
        T value = field.defaultValue();
        boolean empty = value instanceof java.util.Collection<?> c && c.isEmpty() || value instanceof Map<?, ?> m && m.isEmpty();
        String commented = commentedExample(field, leaf, indent);
        if (value == null || field.type().secret() && !empty) {
            return commented == null ? "# " + leaf + ":" : commented;
        }
        String line;
        if (value instanceof List<?> list) {
            line = leaf + ": [" + String.join(", ", list.stream().map(v -> yamlScalar(String.valueOf(v))).toList()) + "]";
        } else if (value instanceof Map<?, ?> map) {
            StringBuilder block = new StringBuilder(leaf).append(map.isEmpty() ? ": {}" : ":");
            map.forEach((k, v) -> block.append('\n').append(indent).append("  ").append(k).append(": ")
                    .append(yamlScalar(String.valueOf(v))));
            line = block.toString();
        } else {
            line = leaf + ": " + yamlScalar(field.type().render(value));
        }
        // An empty default with an example: show the example too, commented out, e.g. kafka.properties.
        return empty && commented != null ? line + "\n" + indent + "# for example:\n" + indent + commented : line;
    }

    /** The field's example as a commented-out YAML line or block, or null when it has none. */
    private static String commentedExample(Field<?> field, String leaf, String indent) {
        if (field.example() == null) {
            return null;
        }
        String example = field.example().strip();
        if (!field.example().startsWith("\n")) {
            return "# " + leaf + ": " + example;
        }
        StringBuilder block = new StringBuilder("# ").append(leaf).append(":");
        for (String line : field.example().substring(1).split("\n")) {
            block.append('\n').append(indent).append("# ").append(line);
        }
        return block.toString();
    }

    private static String yamlScalar(String text) {
        // A colon that ends the value would make it a mapping key (e.g. the tenant group prefix "tenant:").
        if (text.isEmpty() || !text.matches("[A-Za-z0-9_./:@,-]+") || text.endsWith(":")
                || text.matches("(?i)true|false|yes|no|on|off|null|~")
                && !text.equals("true") && !text.equals("false")) {
            return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
        }
        return text;
    }

    private static List<String> wrap(String text, int width) {
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String word : text.strip().split("\\s+")) {
            if (word.isEmpty()) {
                continue;
            }
            if (line.length() > 0 && line.length() + 1 + word.length() > width) {
                lines.add(line.toString());
                line.setLength(0);
            }
            if (line.length() > 0) {
                line.append(' ');
            }
            line.append(word);
        }
        if (line.length() > 0) {
            lines.add(line.toString());
        }
        return lines;
    }
}
