package dev.bulwark.compliance;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

/**
 * The controls Bulwark judges, read from {@code dev/bulwark/compliance/controls.yaml}.
 *
 * <p>Why data: a compliance officer reviews which requirement each control stands for, where it is written and what
 * it reads, without reading Java; {@link Check} holds the judgements.
 */
public final class ControlCatalogue {

    /** The catalogue shipped in this jar. */
    public static final String RESOURCE = "dev/bulwark/compliance/controls.yaml";

    private final Map<String, Control> controls;

    private ControlCatalogue(Map<String, Control> controls) {
        this.controls = controls;
    }

    /** The shipped catalogue. */
    public static ControlCatalogue shipped() {
        try (InputStream in = ControlCatalogue.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the class path");
            }
            return parse(in.readAllBytes(), RESOURCE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A catalogue from YAML ({@code controls:} a list of framework, id, title, source, evidence, check, note).
     *
     * @throws IllegalArgumentException naming the entry and what is wrong with it
     */
    public static ControlCatalogue parse(byte[] yaml, String origin) {
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(yaml);
        } catch (IOException e) {
            throw new IllegalArgumentException(origin + ": not YAML: " + e.getMessage(), e);
        }
        JsonNode list = root == null ? null : root.get("controls");
        if (list == null || !list.isArray() || list.isEmpty()) {
            throw new IllegalArgumentException(origin + ": 'controls' must be a non-empty list");
        }
        Map<String, Control> controls = new LinkedHashMap<>();
        for (int i = 0; i < list.size(); i++) {
            JsonNode entry = list.get(i);
            String where = origin + ": controls[" + i + "]";
            String checkName = text(entry, "check", where);
            Check check = Check.byName(checkName);
            if (check == null) {
                throw new IllegalArgumentException(where + ": unknown check '" + checkName + "' (known: "
                        + String.join(", ", Check.names()) + ")");
            }
            List<String> evidence = new ArrayList<>();
            JsonNode given = entry.get("evidence");
            if (given == null || !given.isArray() || given.isEmpty()) {
                throw new IllegalArgumentException(where + ": 'evidence' must list what the control reads");
            }
            given.forEach(e -> evidence.add(e.asText()));
            JsonNode note = entry.get("note");
            Control control = new Control(text(entry, "framework", where), text(entry, "id", where),
                    text(entry, "title", where), text(entry, "source", where), evidence, check,
                    note == null ? null : note.asText());
            if (controls.putIfAbsent(control.key(), control) != null) {
                throw new IllegalArgumentException(where + ": " + control.key() + " is declared twice");
            }
        }
        return new ControlCatalogue(controls);
    }

    private static String text(JsonNode entry, String field, String where) {
        JsonNode value = entry.get(field);
        if (value == null || !value.isValueNode() || value.asText().isBlank()) {
            throw new IllegalArgumentException(where + ": '" + field + "' is required");
        }
        return value.asText();
    }

    /** Every control, in catalogue order. */
    public List<Control> controls() {
        return List.copyOf(controls.values());
    }

    /** The controls of one framework, in catalogue order. */
    public List<Control> framework(String framework) {
        return controls.values().stream().filter(c -> c.framework().equals(framework)).toList();
    }

    /** The control {@code framework/id}, or null. */
    public Control control(String framework, String id) {
        return controls.get(framework + "/" + id);
    }

    /** The frameworks, in catalogue order. */
    public Set<String> frameworks() {
        Set<String> frameworks = new LinkedHashSet<>();
        controls.values().forEach(c -> frameworks.add(c.framework()));
        return frameworks;
    }
}
