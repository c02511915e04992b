package dev.bulwark.detectors;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import dev.bulwark.detection.Detectors;
import dev.bulwark.detectors.api.Detector;
import dev.bulwark.detectors.testkit.DetectorTestKit;
import dev.bulwark.detectors.testkit.Scenario;

/**
 * Every registered detector ships a scenario ({@code src/test/resources/scenarios/<name>.yaml}), and replaying it on a
 * {@code TopologyTestDriver} produces exactly the findings it expects and no dead letters.
 *
 * <p>Why: the scenarios are the detectors' executable specification, replayed here and on a real broker by
 * {@code DetectorScenariosIT}; a detector without one fails here, so a new detector cannot ship without one.
 */
class DetectorScenariosTest {

    /** Where the scenarios are, relative to the module directory. */
    static final Path SCENARIOS = Path.of("src/test/resources/scenarios");

    /** The name of every detector {@link Detectors#discover()} finds: what ships. */
    static Stream<String> registeredDetectors() {
        return Detectors.discover().stream().map(Detector::name);
    }

    static Detector detector(String name) {
        return Detectors.discover().stream().filter(d -> d.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no registered detector is named " + name));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("registeredDetectors")
    void theDetectorsScenarioProducesExactlyTheExpectedFindings(String name) {
        Path file = Scenario.fileFor(SCENARIOS, name);
        assertThat(file).as("detector '%s' ships no scenario: write detectors/%s (see docs/writing-a-detector.md)",
                name, file).isRegularFile();
        Scenario scenario = Scenario.load(file);
        assertThat(scenario.expected()).as("a scenario shows the detector firing").isNotEmpty();
        try (DetectorTestKit kit = scenario.kit(detector(name))) {
            Scenario.Outcome outcome = scenario.run(kit);
            assertThat(outcome.deadLetters()).as("dead letters of scenario %s", name).isEmpty();
            scenario.verify(outcome.findings());
        }
    }

    @Test
    void everyScenarioBelongsToARegisteredDetector() throws IOException {
        List<String> registered = registeredDetectors().toList();
        assertThat(registered).as("registered detectors").isNotEmpty();
        try (Stream<Path> files = Files.list(SCENARIOS)) {
            assertThat(files.map(p -> p.getFileName().toString()).sorted())
                    .as("scenario files in %s", SCENARIOS)
                    .allSatisfy(file -> assertThat(file).endsWith(".yaml"))
                    .allSatisfy(file -> assertThat(registered).as("detector of %s", file)
                            .contains(file.replaceFirst("\\.yaml$", "")));
        }
    }
}
