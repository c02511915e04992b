package dev.bulwark.sigma;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Maps Sigma taxonomy field names onto {@link dev.bulwark.schemas.SecurityEvent} paths per logsource, says which
 * events each logsource sees, which fields keyword searches read, and the values of {@code %placeholders%}.
 *
 * <p>Why: SigmaHQ rules name Sysmon-for-Linux and Kubernetes audit fields ({@code Image}, {@code objectRef.resource});
 * Bulwark events are ECS-shaped. The defaults ship as the resource {@value #RESOURCE} (its comments document the
 * format); a user file in the same format is deep-merged on top ({@link #withOverrides}), like a pySigma processing
 * pipeline. Every path and selector is checked when the mapping is read. Immutable.
 */
public final class FieldMapping {

    /** Classpath resource of the default mapping. */
    public static final String RESOURCE = "sigma/field-mapping.yaml";

    /** Field names of selectors are event paths; an invalid path is an error. */
    private static final FieldResolver EVENT_PATHS = new FieldResolver() {
        @Override
        public CompiledField field(String name, SourceLocation at) throws SigmaRuleException {
            try {
                return FieldTarget.of(name).compile();
            } catch (IllegalArgumentException e) {
                throw new SigmaRuleException(at, e.getMessage());
            }
        }

        @Override
        public CompiledField keywords(SourceLocation at) throws SigmaRuleException {
            throw new SigmaRuleException(at, "logsource selectors cannot use keywords");
        }
    };

    private static final FieldMapping DEFAULTS = loadDefaults();

    private final YamlNode.MapNode root;
    private final Map<String, FieldTarget> commonFields;
    private final List<String> keywords;
    private final Map<String, List<String>> placeholders;
    private final List<LogsourceMapping> logsources;
    private final Map<String, CompiledDetection> selectors;
    private final Map<FieldTarget, CompiledField> compiled = new ConcurrentHashMap<>();

    private FieldMapping(YamlNode.MapNode root) throws SigmaRuleException {
        this.root = root;
        this.placeholders = placeholders(root);
        this.keywords = paths(root, "keywords");
        this.commonFields = root.get("fields") == null ? Map.of() : fields(YamlReader.map(root.get("fields"), "'fields'"));
        List<LogsourceMapping> entries = new ArrayList<>();
        Map<String, CompiledDetection> compiled = new LinkedHashMap<>();
        if (root.get("logsources") != null) {
            YamlNode.MapNode map = YamlReader.map(root.get("logsources"), "'logsources'");
            for (Map.Entry<String, YamlNode> entry : map.entries().entrySet()) {
                LogsourceMapping logsource = logsource(entry.getKey(), YamlReader.map(entry.getValue(),
                        "logsource '" + entry.getKey() + "'"));
                entries.add(logsource);
                compiled.put(logsource.name(), CompiledDetection.compile(logsource.events(), EVENT_PATHS, Map.of(),
                        warning -> { }));
            }
        }
        this.logsources = List.copyOf(entries);
        this.selectors = Collections.unmodifiableMap(compiled);
    }

    /** The shipped mapping ({@value #RESOURCE}). */
    public static FieldMapping defaults() {
        return DEFAULTS;
    }

    /**
     * Reads a complete mapping.
     *
     * @throws SigmaRuleException on invalid YAML, an unknown event path or a bad selector, with its location
     */
    public static FieldMapping parse(String source, String yaml) throws SigmaRuleException {
        return new FieldMapping(single(source, yaml));
    }

    /** This mapping with a user mapping deep-merged on top (maps merge key by key; other values replace). */
    public FieldMapping withOverrides(String source, String yaml) throws SigmaRuleException {
        return new FieldMapping((YamlNode.MapNode) YamlNode.merge(root, single(source, yaml)));
    }

    /** This mapping with a user mapping file deep-merged on top. */
    public FieldMapping withOverrides(Path file) throws SigmaRuleException {
        try {
            return withOverrides(file.toString(), Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new SigmaRuleException(SourceLocation.of(file.toString()), "cannot read field mapping: " + e.getMessage());
        }
    }

    /** The logsource entries, in declaration order. */
    public List<LogsourceMapping> logsources() {
        return logsources;
    }

    /** The entry serving a rule's logsource: the most specific match, then the first declared. */
    public Optional<LogsourceMapping> logsourceFor(SigmaLogsource logsource) {
        LogsourceMapping best = null;
        for (LogsourceMapping candidate : logsources) {
            if (candidate.serves(logsource) && (best == null || candidate.specificity() > best.specificity())) {
                best = candidate;
            }
        }
        return Optional.ofNullable(best);
    }

    /** Values of {@code %name%} placeholders for the {@code expand} modifier. */
    public Map<String, List<String>> placeholders() {
        return placeholders;
    }

    /**
     * Where a Sigma field is for a logsource: the logsource's own fields, then the common fields, then the name
     * itself when it is an event path. Empty when unmapped.
     */
    public Optional<FieldTarget> target(LogsourceMapping logsource, String field) {
        FieldTarget target = logsource.fields().get(field);
        if (target == null) {
            target = commonFields.get(field);
        }
        if (target == null && EventPaths.isValid(field)) {
            target = FieldTarget.of(field);
        }
        return Optional.ofNullable(target);
    }

    /** The keyword fields of a logsource (its own list, else the top-level one). */
    public List<String> keywordPaths(LogsourceMapping logsource) {
        return logsource.keywords().isEmpty() ? keywords : logsource.keywords();
    }

    /** The compiled read of a target, compiled once per mapping and shared by every rule that uses it. */
    CompiledField compiled(FieldTarget target) {
        return compiled.computeIfAbsent(target, FieldTarget::compile);
    }

    /** The compiled event selector of a logsource entry. */
    CompiledDetection selector(LogsourceMapping logsource) {
        return selectors.get(logsource.name());
    }

    private static FieldMapping loadDefaults() {
        try (InputStream in = FieldMapping.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + RESOURCE);
            }
            return parse(RESOURCE, new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (SigmaRuleException e) {
            throw new IllegalStateException("invalid " + RESOURCE + ": " + e.getMessage(), e);
        }
    }

    private static YamlNode.MapNode single(String source, String yaml) throws SigmaRuleException {
        List<YamlNode> documents = SafeYaml.readAll(source, yaml);
        if (documents.size() != 1) {
            throw new SigmaRuleException(SourceLocation.of(source), "a field mapping is one YAML document, found "
                    + documents.size());
        }
        return YamlReader.map(documents.get(0), "a field mapping");
    }

    private static LogsourceMapping logsource(String name, YamlNode.MapNode map) throws SigmaRuleException {
        YamlNode logsourceNode = map.get("logsource");
        YamlNode eventsNode = map.get("events");
        if (logsourceNode == null || eventsNode == null) {
            throw new SigmaRuleException(map.location(), "logsource '" + name + "' needs 'logsource' and 'events'");
        }
        YamlNode.MapNode keys = YamlReader.map(logsourceNode, "'logsource'");
        SigmaLogsource logsource = SigmaLogsource.of(YamlReader.optionalString(keys, "product"),
                YamlReader.optionalString(keys, "category"), YamlReader.optionalString(keys, "service"));
        SigmaDetection events = DetectionParser.parse(eventsNode);
        Map<String, FieldTarget> fields = map.get("fields") == null ? Map.of()
                : fields(YamlReader.map(map.get("fields"), "'fields'"));
        return new LogsourceMapping(name, logsource, events, fields, paths(map, "keywords"));
    }

    private static Map<String, FieldTarget> fields(YamlNode.MapNode map) throws SigmaRuleException {
        Map<String, FieldTarget> fields = new LinkedHashMap<>();
        for (Map.Entry<String, YamlNode> entry : map.entries().entrySet()) {
            FieldTarget target = target(entry.getKey(), entry.getValue());
            try {
                target.compile();
            } catch (IllegalArgumentException e) {
                throw new SigmaRuleException(entry.getValue().location(), "field '" + entry.getKey() + "': "
                        + e.getMessage());
            }
            fields.put(entry.getKey(), target);
        }
        return fields;
    }

    private static FieldTarget target(String field, YamlNode node) throws SigmaRuleException {
        if (node instanceof YamlNode.MapNode map) {
            List<String> paths = new ArrayList<>(YamlReader.stringList(map, "paths"));
            String path = YamlReader.optionalString(map, "path");
            if (path != null) {
                paths.add(path);
            }
            if (paths.isEmpty()) {
                throw new SigmaRuleException(map.location(), "field '" + field + "' needs 'path' or 'paths'");
            }
            Map<String, String> values = new LinkedHashMap<>();
            if (map.get("values") != null) {
                YamlNode.MapNode valueMap = YamlReader.map(map.get("values"), "'values' of field '" + field + "'");
                for (String raw : valueMap.entries().keySet()) {
                    values.put(raw, YamlReader.requiredString(valueMap, raw, "'values' of field '" + field + "'"));
                }
            }
            return new FieldTarget(paths, YamlReader.optionalString(map, "split"), values);
        }
        List<String> paths = new ArrayList<>();
        for (YamlNode item : YamlNode.asList(node)) {
            if (!(item instanceof YamlNode.ScalarNode scalar) || !scalar.isString()) {
                throw new SigmaRuleException(item.location(), "field '" + field + "' must map to an event path, a "
                        + "list of paths or a map with 'path', not " + item.describe());
            }
            paths.add(scalar.text());
        }
        return new FieldTarget(paths, null, Map.of());
    }

    private static List<String> paths(YamlNode.MapNode map, String key) throws SigmaRuleException {
        List<String> paths = YamlReader.stringList(map, key);
        for (String path : paths) {
            try {
                EventPaths.compile(path);
            } catch (IllegalArgumentException e) {
                throw new SigmaRuleException(map.get(key).location(), "'" + key + "': " + e.getMessage());
            }
        }
        return paths;
    }

    private static Map<String, List<String>> placeholders(YamlNode.MapNode root) throws SigmaRuleException {
        Map<String, List<String>> placeholders = new LinkedHashMap<>();
        if (root.get("placeholders") != null) {
            YamlNode.MapNode map = YamlReader.map(root.get("placeholders"), "'placeholders'");
            for (String name : map.entries().keySet()) {
                placeholders.put(name, YamlReader.stringList(map, name));
            }
        }
        return Collections.unmodifiableMap(placeholders);
    }
}
