package dev.bulwark.sigma;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

/**
 * The shipped SigmaHQ rules ({@code src/main/resources/sigma/rules}): every rule file has its test cases beside it
 * ({@code x.tests.yml}), with a case that must match and a near-miss that must not, and all of them pass; what
 * {@code bulwark rules test} checks, run in the build.
 */
class SigmaShippedRulesTest {

    private static final Path SHIPPED = Path.of("src/main/resources/sigma/rules");

    @Test
    void shouldPassTheTestsBesideEveryShippedRule() {
        List<Path> ruleFiles = RuleDirectory.files(SHIPPED);
        assertThat(ruleFiles).as("shipped rule files").hasSizeGreaterThanOrEqualTo(30);

        RuleTestReport report = new RuleTestRunner(SigmaEngine.create()).run(SHIPPED);

        assertThat(report.untested()).as("shipped rule files without x.tests.yml").isEmpty();
        assertThat(report.results()).filteredOn(r -> !r.passed()).extracting(RuleTestResult::toString)
                .as("failing cases").isEmpty();
        assertThat(report.ok()).isTrue();
        Map<String, List<RuleTestResult>> byFile = report.results().stream()
                .collect(Collectors.groupingBy(r -> r.location().file(), TreeMap::new, Collectors.toList()));
        assertThat(byFile).as("test files run").hasSameSizeAs(ruleFiles);
        assertThat(report.results().stream().map(RuleTestResult::rule).distinct()).as("rules tested")
                .doesNotContainNull().hasSameSizeAs(ruleFiles);
        byFile.forEach((file, results) -> {
            assertThat(results).as("%s: a case that must match", file).anyMatch(RuleTestResult::expectMatch);
            assertThat(results).as("%s: a near-miss that must not match", file).anyMatch(r -> !r.expectMatch());
        });
    }

    @Test
    void shouldLoadEveryShippedRuleFileFromTheIndexAndNoTestFile() throws IOException {
        List<String> ruleFiles = RuleDirectory.files(SHIPPED).stream()
                .map(f -> SHIPPED.relativize(f).toString().replace('\\', '/')).toList();
        List<String> index = Files.readAllLines(SHIPPED.resolve("index.txt")).stream().map(String::strip)
                .filter(line -> !line.isEmpty() && !line.startsWith("#")).toList();
        try (var files = Files.walk(SHIPPED)) {
            assertThat(files.filter(f -> f.toString().endsWith(".tests.yml"))).as("test files").hasSameSizeAs(ruleFiles);
        }

        assertThat(index).as("index.txt").containsExactlyInAnyOrderElementsOf(ruleFiles);
        assertThat(RuleSource.bundledTexts().keySet()).hasSameSizeAs(ruleFiles)
                .noneMatch(name -> name.endsWith(".tests.yml"));
        ParsedRules bundled = RuleSource.bundled(new SigmaRuleLoader());
        assertThat(bundled.failures()).isEmpty();
        assertThat(bundled.rules()).hasSameSizeAs(ruleFiles);
    }
}
