package dev.bulwark.detectors.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;

import dev.bulwark.detectors.api.Detector;
import dev.bulwark.schemas.DeadLetter;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.schemas.SecurityEventJson;
import dev.bulwark.schemas.TenantContext;

/**
 * A replayable detector scenario: tenant context and events in, the exact findings expected out, read from a YAML file.
 *
 * <pre>{@code
 * detector: interactive-shell-in-container   # the detector's name(); the file is <name>.yaml
 * description: A shell with a terminal in a container fires; a script shell does not.
 * settings: {shells: "sh,bash"}              # optional: detection.detectors.<name>.*
 * tenants: {legacy: initech}                 # optional: static namespace -> tenant
 * context:                                   # TenantContext records, sent first; {delete: kind/key} deletes
 *   - {kind: namespace, key: shop, namespace: shop, tenant: acme}
 * events:                                    # SecurityEvent records, in order
 *   - {kubernetes: {namespace: shop, pod: web-1}, container: {id: c1}, process: {name: bash, tty: 34816}}
 *   - advance: 5m                            # moves time (in context: too)
 *   - context: {kind: pod, key: shop/web-1, namespace: shop, name: web-1}   # a context record between events
 * expect:                                    # every finding, in any order
 *   - {rule: bulwark.container.interactive_shell, severity: high, tenant: acme, container_id: c1, count: 1}
 * expectNoOtherFindings: true                # default true: a finding not listed fails the scenario
 * }</pre>
 *
 * <p>Why: a scenario is a detector's executable specification that any runner can replay: the
 * {@link DetectorTestKit} on a {@code TopologyTestDriver} ({@link #run(DetectorTestKit)}), or a real broker through
 * {@link #inputs(Instant)}. Time is relative: events and context get their time from the runner's clock, which starts
 * at the instant the runner chooses and moves only with {@code advance}; {@code timestamp} and {@code observed_at}
 * may therefore not be given. Events without an {@code id} get {@code e1}, {@code e2}... An {@code advance} also marks a
 * phase: a runner on a real broker lets everything sent before it be processed before it sends what follows.
 *
 * <p>An expected finding lists the fields to check: {@code rule} (the rule id), {@code detector}, {@code severity},
 * {@code risk_score}, {@code tenant}, {@code other_tenants} (exact list), {@code namespace}, {@code pod},
 * {@code container_id}, {@code image}, {@code count}, {@code event_ids} (exact list), {@code evidence} (fields that
 * must be present with these values) and {@code summary_contains}. Every emitted finding record counts, so a finding
 * re-emitted with a raised severity appears twice.
 */
public final class Scenario {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Set<String> KEYS = Set.of("detector", "description", "settings", "tenants", "context", "events",
            "expect", "expectNoOtherFindings");

    private final Path file;
    private final String detector;
    private final String description;
    private final Map<String, String> settings;
    private final Map<String, String> tenants;
    private final List<JsonNode> context;
    private final List<JsonNode> events;
    private final List<ExpectedFinding> expected;
    private final boolean expectNoOtherFindings;

    private Scenario(Path file, String detector, String description, Map<String, String> settings,
                     Map<String, String> tenants, List<JsonNode> context, List<JsonNode> events,
                     List<ExpectedFinding> expected, boolean expectNoOtherFindings) {
        this.file = file;
        this.detector = detector;
        this.description = description;
        this.settings = settings;
        this.tenants = tenants;
        this.context = context;
        this.events = events;
        this.expected = expected;
        this.expectNoOtherFindings = expectNoOtherFindings;
    }

    /** What a runner sends, in order. */
    public sealed interface Input permits ContextInput, EventInput, Advance {
    }

    /** A tenant context record: key {@code kind/key}, value null for a deletion, at {@code time}. */
    public record ContextInput(String key, TenantContext value, Instant time) implements Input {
    }

    /** An event record, keyed as the ingest keys it ({@code container/<id>}, else {@code event/<id>}). */
    public record EventInput(String key, SecurityEvent event) implements Input {
        /** The record time: the event's timestamp. */
        public Instant time() {
            return Instant.ofEpochMilli(Math.floorDiv(event.getTimestamp(), 1_000_000L));
        }
    }

    /** Time moves forward; everything before it is processed before anything after it is sent. */
    public record Advance(Duration duration) implements Input {
    }

    /** What a run produced. */
    public record Outcome(List<Finding> findings, List<DeadLetter> deadLetters) {
    }

    /** The scenario file of a detector in a directory: {@code <name>.yaml}. */
    public static Path fileFor(Path directory, String detectorName) {
        return directory.resolve(detectorName + ".yaml");
    }

    /**
     * Reads a scenario file.
     *
     * @throws IllegalArgumentException naming the file and the problem when it is not a valid scenario
     */
    public static Scenario load(Path file) {
        JsonNode root;
        try {
            String text = Files.readString(file);
            refuseAliases(file, text);
            root = YAML.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read scenario " + file + ": " + e.getMessage(), e);
        }
        try {
            return parse(file, root);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    /** Jackson does not expand YAML aliases (it reads {@code *x} as the text {@code x}), so they are refused. */
    private static void refuseAliases(Path file, String text) throws IOException {
        try (YAMLParser parser = (YAMLParser) YAML.getFactory().createParser(text)) {
            while (parser.nextToken() != null) {
                if (parser.isCurrentAlias() || parser.getObjectId() != null) {
                    throw new IllegalArgumentException(file + " line " + parser.currentLocation().getLineNr()
                            + ": YAML anchors and aliases are not supported in scenarios; repeat the record");
                }
            }
        }
    }

    private static Scenario parse(Path file, JsonNode root) {
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("a scenario is a YAML object with the keys " + String.join(", ",
                    KEYS.stream().sorted().toList()));
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!KEYS.contains(key)) {
                throw new IllegalArgumentException("unknown key '" + key + "' (known: " + String.join(", ",
                        KEYS.stream().sorted().toList()) + ")");
            }
        }
        String detector = text(root, "detector");
        if (detector == null) {
            throw new IllegalArgumentException("'detector' (the detector's name) is required");
        }
        String base = file.getFileName().toString().replaceFirst("\\.ya?ml$", "");
        if (!base.equals(detector)) {
            throw new IllegalArgumentException("detector '" + detector + "' must be in a file named " + detector + ".yaml");
        }
        List<ExpectedFinding> expected = new ArrayList<>();
        JsonNode expect = root.get("expect");
        if (expect != null && !expect.isNull()) {
            if (!expect.isArray()) {
                throw new IllegalArgumentException("'expect' must be a list of findings");
            }
            for (int i = 0; i < expect.size(); i++) {
                expected.add(ExpectedFinding.of(expect.get(i), "expect[" + i + "]"));
            }
        }
        JsonNode noOthers = root.get("expectNoOtherFindings");
        if (noOthers != null && !noOthers.isBoolean()) {
            throw new IllegalArgumentException("'expectNoOtherFindings' must be true or false");
        }
        List<JsonNode> context = list(root, "context");
        List<JsonNode> events = list(root, "events");
        Scenario scenario = new Scenario(file, detector, Objects.requireNonNullElse(text(root, "description"), ""),
                strings(root, "settings"), strings(root, "tenants"), context, events, List.copyOf(expected),
                noOthers == null || noOthers.booleanValue());
        scenario.inputs(Instant.EPOCH); // validates every record against the schemas now, naming the file
        return scenario;
    }

    /** The detector's name. */
    public String detector() {
        return detector;
    }

    /** The file this scenario was read from. */
    public Path file() {
        return file;
    }

    /** One sentence: what the scenario shows. */
    public String description() {
        return description;
    }

    /** The detector's settings ({@code detection.detectors.<name>.*}). */
    public Map<String, String> settings() {
        return settings;
    }

    /** Static namespace to tenant configuration. */
    public Map<String, String> tenants() {
        return tenants;
    }

    /** The findings expected. */
    public List<ExpectedFinding> expected() {
        return expected;
    }

    /** Whether findings beyond {@link #expected()} fail the scenario. */
    public boolean expectNoOtherFindings() {
        return expectNoOtherFindings;
    }

    /** The total time the scenario advances. */
    public Duration span() {
        Duration total = Duration.ZERO;
        for (Input input : inputs(Instant.EPOCH)) {
            if (input instanceof Advance advance) {
                total = total.plus(advance.duration());
            }
        }
        return total;
    }

    /**
     * The records to send, context first, with times from a clock that starts at {@code start} and moves with each
     * {@code advance}.
     */
    public List<Input> inputs(Instant start) {
        List<Input> inputs = new ArrayList<>();
        Instant clock = start;
        int sequence = 0;
        for (int i = 0; i < context.size(); i++) {
            JsonNode node = context.get(i);
            String where = "context[" + i + "]";
            Duration advance = advance(node, where);
            if (advance != null) {
                inputs.add(new Advance(advance));
                clock = clock.plus(advance);
                continue;
            }
            inputs.add(contextInput(node, where, clock));
        }
        for (int i = 0; i < events.size(); i++) {
            JsonNode node = events.get(i);
            String where = "events[" + i + "]";
            Duration advance = advance(node, where);
            if (advance != null) {
                inputs.add(new Advance(advance));
                clock = clock.plus(advance);
                continue;
            }
            if (node.size() == 1 && node.has("context")) {
                inputs.add(contextInput(node.get("context"), where + ".context", clock));
                continue;
            }
            forbid(node, "timestamp", where);
            ObjectNode copy = node.deepCopy();
            sequence++;
            if (!copy.has("id")) {
                copy.put("id", "e" + sequence);
            }
            copy.put("timestamp", clock.toEpochMilli() * 1_000_000L);
            SecurityEvent event;
            try {
                event = SecurityEventJson.fromJson(copy);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
            }
            String key = event.getContainer() != null && event.getContainer().getId() != null
                    ? "container/" + event.getContainer().getId() : "event/" + event.getId();
            inputs.add(new EventInput(key, event));
        }
        return inputs;
    }

    /** A context record ({@code {delete: kind/key}} for a deletion), observed at {@code clock}. */
    private static ContextInput contextInput(JsonNode node, String where, Instant clock) {
        if (!node.isObject()) {
            throw new IllegalArgumentException(where + ": a context record is a mapping");
        }
        if (node.has("delete")) {
            if (node.size() != 1 || !node.get("delete").isTextual()) {
                throw new IllegalArgumentException(where + ": a deletion is {delete: kind/key} and nothing else");
            }
            return new ContextInput(node.get("delete").asText(), null, clock);
        }
        forbid(node, "observed_at", where);
        ObjectNode copy = node.deepCopy();
        copy.put("observed_at", clock.toEpochMilli());
        TenantContext value;
        try {
            value = SecurityEventJson.contextFromJson(copy);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
        return new ContextInput(value.getKind() + "/" + value.getKey(), value, clock);
    }

    /** A kit for the detector with this scenario's settings and static tenants. */
    public DetectorTestKit kit(Detector instance) {
        if (!instance.name().equals(detector)) {
            throw new IllegalArgumentException("scenario of '" + detector + "' given detector '" + instance.name() + "'");
        }
        return DetectorTestKit.of(instance, settings, tenants);
    }

    /** Replays the scenario on a kit (made with {@link #kit}) and returns every finding and dead letter it produced. */
    public Outcome run(DetectorTestKit kit) {
        List<Finding> findings = new ArrayList<>();
        List<DeadLetter> deadLetters = new ArrayList<>();
        for (Input input : inputs(kit.now())) {
            if (input instanceof ContextInput record) {
                kit.send(record.key(), record.value());
            } else if (input instanceof EventInput record) {
                kit.send(record.event());
            } else if (input instanceof Advance advance) {
                kit.advance(advance.duration());
            }
            findings.addAll(kit.findings());
            deadLetters.addAll(kit.deadLetters());
        }
        return new Outcome(findings, deadLetters);
    }

    /**
     * Checks the findings a run produced against the expectations, in any order.
     *
     * @throws AssertionError listing the expected findings not found, the findings not expected and every finding
     */
    public void verify(List<Finding> findings) {
        int[] matchOf = match(findings);
        List<String> missing = new ArrayList<>();
        boolean[] used = new boolean[findings.size()];
        for (int i = 0; i < expected.size(); i++) {
            if (matchOf[i] < 0) {
                missing.add(expected.get(i).toString());
            } else {
                used[matchOf[i]] = true;
            }
        }
        List<String> extra = new ArrayList<>();
        for (int j = 0; j < findings.size(); j++) {
            if (!used[j]) {
                extra.add(render(findings.get(j)));
            }
        }
        if (missing.isEmpty() && (extra.isEmpty() || !expectNoOtherFindings)) {
            return;
        }
        StringBuilder message = new StringBuilder("scenario ").append(file.getFileName()).append(" (").append(detector)
                .append("): ").append(findings.size()).append(" findings, ").append(expected.size()).append(" expected");
        if (!missing.isEmpty()) {
            message.append("\n  expected but not found:");
            missing.forEach(m -> message.append("\n    ").append(m));
        }
        if (!extra.isEmpty() && expectNoOtherFindings) {
            message.append("\n  found but not expected:");
            extra.forEach(e -> message.append("\n    ").append(e));
        }
        message.append("\n  all findings:");
        findings.forEach(f -> message.append("\n    ").append(render(f)));
        throw new AssertionError(message.toString());
    }

    /** For each expectation, the index of the finding it is matched with (maximum bipartite matching), or -1. */
    private int[] match(List<Finding> findings) {
        int[] findingOwner = new int[findings.size()];
        Arrays.fill(findingOwner, -1);
        for (int i = 0; i < expected.size(); i++) {
            augment(i, findings, findingOwner, new boolean[findings.size()]);
        }
        int[] matchOf = new int[expected.size()];
        Arrays.fill(matchOf, -1);
        for (int j = 0; j < findingOwner.length; j++) {
            if (findingOwner[j] >= 0) {
                matchOf[findingOwner[j]] = j;
            }
        }
        return matchOf;
    }

    private boolean augment(int expectation, List<Finding> findings, int[] findingOwner, boolean[] seen) {
        for (int j = 0; j < findings.size(); j++) {
            if (seen[j] || !expected.get(expectation).matches(findings.get(j))) {
                continue;
            }
            seen[j] = true;
            if (findingOwner[j] < 0 || augment(findingOwner[j], findings, findingOwner, seen)) {
                findingOwner[j] = expectation;
                return true;
            }
        }
        return false;
    }

    /** A finding as one line of the fields an expectation can check. */
    public static String render(Finding finding) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("rule", finding.getRule().getId());
        fields.put("severity", finding.getSeverity());
        fields.put("tenant", finding.getTenant());
        fields.put("other_tenants", finding.getOtherTenants());
        fields.put("namespace", finding.getNamespace());
        fields.put("pod", finding.getPod());
        fields.put("container_id", finding.getContainerId());
        fields.put("count", finding.getCount());
        fields.put("event_ids", finding.getEvidence().getEventIds());
        fields.put("summary", finding.getSummary());
        StringBuilder line = new StringBuilder("{");
        fields.forEach((k, v) -> {
            if (v != null) {
                line.append(line.length() > 1 ? ", " : "").append(k).append(": ").append(v);
            }
        });
        return line.append('}').toString();
    }

    @Override
    public String toString() {
        return detector;
    }

    /** One expected finding: the fields to check and their values. */
    public static final class ExpectedFinding {

        private static final Set<String> FIELDS = Set.of("rule", "detector", "severity", "risk_score", "tenant",
                "other_tenants", "namespace", "pod", "container_id", "image", "count", "event_ids", "evidence",
                "summary_contains");

        private final JsonNode spec;

        private ExpectedFinding(JsonNode spec) {
            this.spec = spec;
        }

        static ExpectedFinding of(JsonNode spec, String where) {
            if (!spec.isObject()) {
                throw new IllegalArgumentException(where + " must be an object of fields to check");
            }
            for (Iterator<String> it = spec.fieldNames(); it.hasNext(); ) {
                String field = it.next();
                if (!FIELDS.contains(field)) {
                    throw new IllegalArgumentException(where + ": cannot check '" + field + "' (checkable: "
                            + String.join(", ", FIELDS.stream().sorted().toList()) + ")");
                }
            }
            if (!spec.has("rule")) {
                throw new IllegalArgumentException(where + ": 'rule' (the rule id) is required");
            }
            for (String list : List.of("other_tenants", "event_ids")) {
                if (spec.has(list) && !spec.get(list).isArray()) {
                    throw new IllegalArgumentException(where + ": '" + list + "' must be a list");
                }
            }
            if (spec.has("evidence") && !spec.get("evidence").isObject()) {
                throw new IllegalArgumentException(where + ": 'evidence' must be an object of field: value");
            }
            return new ExpectedFinding(spec);
        }

        /** True when every listed field has the expected value in {@code finding}. */
        public boolean matches(Finding finding) {
            for (Iterator<Map.Entry<String, JsonNode>> it = spec.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                if (!fieldMatches(field.getKey(), field.getValue(), finding)) {
                    return false;
                }
            }
            return true;
        }

        private static boolean fieldMatches(String name, JsonNode want, Finding finding) {
            return switch (name) {
                case "rule" -> same(want, finding.getRule().getId());
                case "detector" -> same(want, finding.getDetector());
                case "severity" -> same(want, finding.getSeverity());
                case "risk_score" -> same(want, Integer.toString(finding.getRiskScore()));
                case "tenant" -> same(want, finding.getTenant());
                case "namespace" -> same(want, finding.getNamespace());
                case "pod" -> same(want, finding.getPod());
                case "container_id" -> same(want, finding.getContainerId());
                case "image" -> same(want, finding.getImage());
                case "count" -> same(want, Long.toString(finding.getCount()));
                case "other_tenants" -> texts(want).equals(finding.getOtherTenants());
                case "event_ids" -> texts(want).equals(finding.getEvidence().getEventIds());
                case "summary_contains" -> finding.getSummary() != null && finding.getSummary().contains(want.asText());
                case "evidence" -> {
                    Map<String, String> fields = finding.getEvidence().getFields();
                    boolean all = true;
                    for (Iterator<Map.Entry<String, JsonNode>> it = want.fields(); it.hasNext(); ) {
                        Map.Entry<String, JsonNode> entry = it.next();
                        all &= same(entry.getValue(), fields.get(entry.getKey()));
                    }
                    yield all;
                }
                default -> throw new IllegalStateException(name);
            };
        }

        /** A null (YAML {@code ~}) expects an absent value. */
        private static boolean same(JsonNode want, String actual) {
            return want.isNull() ? actual == null : want.asText().equals(actual);
        }

        private static List<String> texts(JsonNode list) {
            List<String> values = new ArrayList<>();
            list.forEach(value -> values.add(value.asText()));
            return values;
        }

        @Override
        public String toString() {
            return spec.toString();
        }
    }

    private static Duration advance(JsonNode node, String where) {
        if (!node.isObject()) {
            throw new IllegalArgumentException(where + " must be an object");
        }
        if (!node.has("advance")) {
            return null;
        }
        if (node.size() != 1) {
            throw new IllegalArgumentException(where + ": an advance is {advance: 5m} and nothing else");
        }
        try {
            // Bulwark's one duration format (30s, 5m, 1h30m), as in the configuration; time only moves forward.
            return dev.bulwark.config.Durations.parse(node.get("advance").asText());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": advance: " + e.getMessage(), e);
        }
    }

    private static void forbid(JsonNode node, String field, String where) {
        if (node.has(field)) {
            throw new IllegalArgumentException(where + ": '" + field + "' is set by the runner's clock; use advance "
                    + "steps to move time");
        }
    }

    private static String text(JsonNode root, String key) {
        JsonNode value = root.get(key);
        return value == null || value.isNull() ? null : value.asText();
    }

    private static List<JsonNode> list(JsonNode root, String key) {
        JsonNode value = root.get(key);
        if (value == null || value.isNull()) {
            return List.of();
        }
        if (!value.isArray()) {
            throw new IllegalArgumentException("'" + key + "' must be a list");
        }
        List<JsonNode> items = new ArrayList<>();
        value.forEach(items::add);
        return List.copyOf(items);
    }

    private static Map<String, String> strings(JsonNode root, String key) {
        JsonNode value = root.get(key);
        if (value == null || value.isNull()) {
            return Map.of();
        }
        if (!value.isObject()) {
            throw new IllegalArgumentException("'" + key + "' must be an object of name: value");
        }
        Map<String, String> map = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            if (!entry.getValue().isValueNode() || entry.getValue().isNull()) {
                throw new IllegalArgumentException("'" + key + "." + entry.getKey() + "' must be a single value");
            }
            map.put(entry.getKey(), entry.getValue().asText());
        }
        return Map.copyOf(map);
    }
}
