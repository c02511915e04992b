package dev.bulwark.detectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulwark.detectors.container.InteractiveShellInContainerDetector;
import dev.bulwark.detectors.testkit.DetectorTestKit;
import dev.bulwark.detectors.testkit.Scenario;
import dev.bulwark.schemas.Finding;

/** The scenario format: loading, clocks, and the exact matching of findings. */
class ScenarioTest {

    @TempDir
    Path dir;

    private static final String SHELL = """
            detector: interactive-shell-in-container
            context:
              - {kind: namespace, key: shop, namespace: shop, tenant: acme}
            events:
              - {kubernetes: {namespace: shop, pod: web-1}, container: {id: c1}, process: {name: bash, tty: 1}}
              - advance: 5m
              - {kubernetes: {namespace: shop, pod: web-2}, container: {id: c2}, process: {name: sh, tty: 1}}
            expect:
              - {rule: bulwark.container.interactive_shell, severity: high, tenant: acme, container_id: c1}
              - {rule: bulwark.container.interactive_shell, severity: high, tenant: acme, container_id: c2}
            """;

    private Scenario write(String name, String text) throws IOException {
        Path file = dir.resolve(name + ".yaml");
        Files.writeString(file, text);
        return Scenario.load(file);
    }

    private static List<Finding> run(Scenario scenario) {
        try (DetectorTestKit kit = scenario.kit(new InteractiveShellInContainerDetector())) {
            return scenario.run(kit).findings();
        }
    }

    @Test
    void inputsGetIdsAndTimesFromTheRunnersClock() throws IOException {
        Scenario scenario = write("interactive-shell-in-container", SHELL);
        Instant start = Instant.parse("2030-05-01T10:00:00Z");
        List<Scenario.Input> inputs = scenario.inputs(start);
        assertThat(inputs).hasSize(4);
        assertThat(inputs.get(0)).isInstanceOfSatisfying(Scenario.ContextInput.class, c -> {
            assertThat(c.key()).isEqualTo("namespace/shop");
            assertThat(c.value().getObservedAt()).isEqualTo(start.toEpochMilli());
        });
        assertThat(inputs.get(1)).isInstanceOfSatisfying(Scenario.EventInput.class, e -> {
            assertThat(e.key()).isEqualTo("container/c1");
            assertThat(e.event().getId()).isEqualTo("e1");
            assertThat(e.time()).isEqualTo(start);
        });
        assertThat(inputs.get(2)).isEqualTo(new Scenario.Advance(Duration.ofMinutes(5)));
        assertThat(inputs.get(3)).isInstanceOfSatisfying(Scenario.EventInput.class, e -> {
            assertThat(e.event().getId()).isEqualTo("e2");
            assertThat(e.time()).isEqualTo(start.plus(Duration.ofMinutes(5)));
        });
        assertThat(scenario.span()).isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void theExpectedFindingsPass() throws IOException {
        Scenario scenario = write("interactive-shell-in-container", SHELL);
        scenario.verify(run(scenario));
    }

    @Test
    void aMissingFindingFailsAndNamesTheExpectation() throws IOException {
        Scenario scenario = write("interactive-shell-in-container", SHELL.replace("container_id: c2", "container_id: c3"));
        List<Finding> findings = run(scenario);
        assertThatThrownBy(() -> scenario.verify(findings)).isInstanceOf(AssertionError.class)
                .hasMessageContaining("expected but not found:")
                .hasMessageContaining("\"container_id\":\"c3\"")
                .hasMessageContaining("found but not expected:")
                .hasMessageContaining("container_id: c2");
    }

    @Test
    void anUnexpectedFindingFailsUnlessOtherFindingsAreAllowed() throws IOException {
        String oneExpected = SHELL.replace(
                "  - {rule: bulwark.container.interactive_shell, severity: high, tenant: acme, container_id: c2}\n", "");
        Scenario strict = write("interactive-shell-in-container", oneExpected);
        List<Finding> findings = run(strict);
        assertThat(findings).hasSize(2);
        assertThatThrownBy(() -> strict.verify(findings)).isInstanceOf(AssertionError.class)
                .hasMessageContaining("found but not expected:").hasMessageContaining("container_id: c2");
        Scenario lenient = write("interactive-shell-in-container", oneExpected + "expectNoOtherFindings: false\n");
        lenient.verify(findings);
    }

    @Test
    void eachExpectationMatchesItsOwnFinding() throws IOException {
        // Both expectations fit c1's finding, only one fits c2's: the matching must still pair them up, and two
        // expectations cannot share one finding.
        Scenario scenario = write("interactive-shell-in-container", SHELL.replace(
                "{rule: bulwark.container.interactive_shell, severity: high, tenant: acme, container_id: c1}",
                "{rule: bulwark.container.interactive_shell}"));
        List<Finding> findings = run(scenario);
        scenario.verify(findings);
        assertThatThrownBy(() -> scenario.verify(findings.subList(1, 2))).isInstanceOf(AssertionError.class)
                .hasMessageContaining("expected but not found:");
    }

    @Test
    void aWrongFieldValueFails() throws IOException {
        Scenario scenario = write("interactive-shell-in-container", SHELL.replace("severity: high, tenant: acme, container_id: c1",
                "severity: critical, tenant: acme, container_id: c1"));
        List<Finding> findings = run(scenario);
        assertThatThrownBy(() -> scenario.verify(findings)).isInstanceOf(AssertionError.class)
                .hasMessageContaining("\"severity\":\"critical\"");
    }

    @Test
    void malformedScenariosAreRefusedWithTheReason() {
        assertThatThrownBy(() -> write("interactive-shell-in-container", SHELL + "expected: []\n"))
                .hasMessageContaining("unknown key 'expected'");
        assertThatThrownBy(() -> write("other-name", SHELL)).hasMessageContaining("must be in a file named");
        assertThatThrownBy(() -> write("interactive-shell-in-container",
                SHELL.replace("container: {id: c1}", "container: {id: c1}, timestamp: 5")))
                .hasMessageContaining("events[0]: 'timestamp' is set by the runner's clock");
        assertThatThrownBy(() -> write("interactive-shell-in-container",
                SHELL.replace("process: {name: bash, tty: 1}", "process: {name: bash, tty: 1, colour: red}")))
                .hasMessageContaining("events[0]").hasMessageContaining("unknown field 'process.colour'");
        assertThatThrownBy(() -> write("interactive-shell-in-container", SHELL.replace("5m", "5 minutes")))
                .hasMessageContaining("is not a duration");
        assertThatThrownBy(() -> write("interactive-shell-in-container",
                SHELL.replace("container_id: c1}", "container: c1}"))).hasMessageContaining("cannot check 'container'");
        assertThatThrownBy(() -> write("interactive-shell-in-container", SHELL
                .replace("  - {kubernetes: {namespace: shop, pod: web-1}", "  - &first {kubernetes: {namespace: shop, pod: web-1}")
                .replace("  - advance: 5m", "  - *first\n  - advance: 5m")))
                .hasMessageContaining("anchors and aliases are not supported");
    }
}
