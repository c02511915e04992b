package dev.bulwark.detectors.sigma;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

class SigmaSampleRulesTest {

    static final Path SAMPLES = Path.of("..", "..", "shared", "samples", "sigma");

    @Test
    void shouldLoadEverySampleRule() {
        LoadReport report = SigmaEngine.create().load(List.of(SAMPLES.resolve("rules")));
        report.skipped().forEach(p -> System.out.println("SKIPPED " + p));
        report.warnings().forEach(p -> System.out.println("WARN " + p));
        System.out.println("loaded " + report.loaded().size() + " unfiltered " + report.ruleSet().unfilteredRules());
        assertThat(report.skipped()).isEmpty();
    }
}
