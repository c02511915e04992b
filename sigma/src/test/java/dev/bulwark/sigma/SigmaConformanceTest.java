package dev.bulwark.sigma;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

/**
 * The Sigma specification v2.1 conformance suite ({@code src/test/resources/sigma/conformance.yml}): one case per
 * modifier, value form, search form and condition form, each with events that must match and events that must not,
 * quoting the specification's sentence it checks. Every case runs as a rule file with its test file through
 * {@link RuleTestRunner}, as {@code bulwark rules test} would run it.
 */
class SigmaConformanceTest {

    private static final Path SUITE = Path.of("src/test/resources/sigma/conformance.yml");
    private static final YAMLMapper YAML = new YAMLMapper();

    /** The value, search and condition forms of the rules specification that need a case (modifiers come from the engine). */
    private static final List<String> FORMS = List.of(
            "value", "wildcard *", "wildcard ?", "escape", "null", "empty", "number",
            "map", "value list", "list of maps", "keywords", "keywords all",
            "and", "or", "not", "parentheses", "precedence", "1 of pattern", "all of pattern", "1 of them",
            "all of them", "condition list");

    private static List<JsonNode> suite() {
        try {
            List<JsonNode> cases = new ArrayList<>();
            YAML.readTree(SUITE.toFile()).forEach(cases::add);
            return cases;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Stream<Arguments> cases() throws IOException, SigmaRuleException {
        SigmaEngine engine = SigmaEngine.create(FieldMapping.defaults().withOverrides("conformance-mapping.yaml",
                "placeholders:\n    admins: [root, admin]\n"));
        RuleTestRunner runner = new RuleTestRunner(engine);
        Path dir = Files.createTempDirectory("sigma-conformance");
        List<Arguments> arguments = new ArrayList<>();
        try {
            List<JsonNode> suite = suite();
            for (int n = 0; n < suite.size(); n++) {
                JsonNode testCase = suite.get(n);
                String covers = testCase.get("covers").asText();
                Path ruleFile = dir.resolve(String.format("case_%02d.yml", n));
                Files.writeString(ruleFile, ruleText(n, testCase), StandardCharsets.UTF_8);
                Files.writeString(RuleTestRunner.testFileOf(ruleFile), YAML.writeValueAsString(tests(testCase)),
                        StandardCharsets.UTF_8);
                for (RuleTestResult result : runner.runFile(ruleFile, RuleTestRunner.testFileOf(ruleFile))) {
                    arguments.add(Arguments.of(covers + ": " + result.name(), result));
                }
            }
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(file);
                }
            }
        }
        return arguments.stream();
    }

    private static String ruleText(int n, JsonNode testCase) {
        StringBuilder rule = new StringBuilder("title: 'Conformance: " + testCase.get("covers").asText() + "'\n"
                + "id: conformance-" + n + "\nstatus: test\nlevel: low\nlogsource:\n");
        JsonNode logsource = testCase.get("logsource");
        if (logsource == null) {
            rule.append("    product: linux\n    category: process_creation\n");
        } else {
            logsource.fields().forEachRemaining(e -> rule.append("    ").append(e.getKey()).append(": ")
                    .append(e.getValue().asText()).append('\n'));
        }
        return rule.append("detection:\n").append(testCase.get("detection").asText().stripTrailing().indent(4))
                .toString();
    }

    private static ObjectNode tests(JsonNode testCase) {
        ObjectNode tests = JsonNodeFactory.instance.objectNode();
        for (String section : List.of("match", "no_match")) {
            ArrayNode cases = tests.putArray(section);
            testCase.path(section).forEach(fields -> {
                ObjectNode item = cases.addObject();
                item.put("name", (section.equals("match") ? "matches " : "does not match ") + fields);
                item.set("fields", fields);
            });
        }
        return tests;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void behavesAsTheSpecificationSays(String name, RuleTestResult result) {
        assertThat(result.passed()).as("%s", result).isTrue();
    }

    @Test
    void everyModifierAndFormHasACaseThatMatchesAndOneThatDoesNot() {
        Set<String> required = new LinkedHashSet<>();
        Arrays.stream(SigmaModifier.values()).map(SigmaModifier::sigmaName).forEach(required::add);
        required.addAll(FORMS);
        Map<String, JsonNode> byCovers = new LinkedHashMap<>();
        for (JsonNode testCase : suite()) {
            String covers = testCase.get("covers").asText();
            assertThat(byCovers.put(covers, testCase)).as("one case for '%s'", covers).isNull();
            assertThat(testCase.path("spec").asText()).as("'%s' quotes the specification", covers).isNotBlank();
            assertThat(testCase.path("match").size()).as("'%s': events that must match", covers).isPositive();
            assertThat(testCase.path("no_match").size()).as("'%s': events that must not match", covers).isPositive();
        }
        assertThat(byCovers.keySet()).as("cases of the suite").containsExactlyInAnyOrderElementsOf(required);
    }
}
