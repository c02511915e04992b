package dev.bulwark.sigma;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@code bulwark rules push} publishes: valid files as records keyed by rule id, nothing of invalid files. */
class SigmaRuleDirectoryTest {

    @TempDir
    Path dir;

    private final SigmaEngine engine = SigmaEngine.create();

    @Test
    void shouldPublishValidFilesKeyedByRuleIdAndRejectInvalidOnesWithFileAndLine() throws IOException {
        Files.writeString(dir.resolve("whoami.yml"), SigmaDetectorTest.WHOAMI);
        Files.writeString(dir.resolve("whoami.tests.yml"), "match: []\n");
        Files.writeString(dir.resolve("broken.yml"), SigmaDetectorTest.WHOAMI.replace("id: 11111111-0000-4000-8000-000000000001",
                "id: broken").replace("Image|endswith", "Image|endswithx"));
        Files.writeString(dir.resolve("keyless.yml"), SigmaDetectorTest.WHOAMI.replace("id: 11111111-0000-4000-8000-000000000001\n", "")
                .replace("name: whoami_run\n", ""));

        RuleDirectory.Validation validation = RuleDirectory.validate(engine, dir, ParsedRules.empty());

        assertThat(validation.records()).extracting(RuleDirectory.RuleRecord::key)
                .containsExactly("11111111-0000-4000-8000-000000000001");
        assertThat(validation.records().get(0).text()).isEqualTo(SigmaDetectorTest.WHOAMI);
        assertThat(validation.invalidFiles()).containsExactlyInAnyOrder(dir.resolve("broken.yml"), dir.resolve("keyless.yml"));
        assertThat(validation.problems()).extracting(RuleProblem::toString)
                .anySatisfy(p -> assertThat(p).startsWith(dir.resolve("broken.yml") + ":11:9:").contains("endswithx"))
                .anySatisfy(p -> assertThat(p).startsWith(dir.resolve("keyless.yml").toString()).contains("needs an 'id'"));
        assertThat(validation.ok()).isFalse();
    }

    @Test
    void shouldKeyACorrelationFileByTheCorrelationAndAcceptReferencesToShippedRules() throws IOException {
        Files.writeString(dir.resolve("burst.yml"), """
                title: Netcat burst
                id: corr-nc
                correlation:
                    type: event_count
                    rules: [7f734ed0-4f47-46c0-837f-6ee62505abd9]
                    group-by: [User]
                    timespan: 5m
                    condition: {gte: 3}
                """);
        RuleDirectory.Validation alone = RuleDirectory.validate(engine, dir, ParsedRules.empty());
        assertThat(alone.ok()).as("the base rule is unknown without the shipped rules").isFalse();

        RuleDirectory.Validation withShipped = RuleDirectory.validate(engine, dir, RuleSource.bundled(engine.loader()));
        assertThat(withShipped.ok()).isTrue();
        assertThat(withShipped.records()).extracting(RuleDirectory.RuleRecord::key).containsExactly("corr-nc");
    }

    @Test
    void shouldPublishAFilterFileKeyedByTheFilterIdWithItsWarningsAndRefuseOneWithoutId() throws IOException {
        Files.writeString(dir.resolve("mf_admins.yml"), SigmaFilterTest.ADMINS);
        Files.writeString(dir.resolve("mf_keyless.yml"), SigmaFilterTest.ADMINS
                .replace("id: 3f1f7b0e-6f0a-4a57-9d42-1b2a4c6e9f10\n", ""));

        RuleDirectory.Validation validation = RuleDirectory.validate(engine, dir, RuleSource.bundled(engine.loader()));

        assertThat(validation.records()).extracting(RuleDirectory.RuleRecord::key)
                .containsExactly("3f1f7b0e-6f0a-4a57-9d42-1b2a4c6e9f10");
        assertThat(validation.invalidFiles()).containsExactly(dir.resolve("mf_keyless.yml"));
        assertThat(validation.warnings()).as("whoami_run is not shipped: it may be pushed later").singleElement()
                .satisfies(w -> assertThat(w.toString()).startsWith(dir.resolve("mf_admins.yml") + ":1:1:")
                        .contains("the filter names rule 'whoami_run', which is not loaded"));
    }

    @Test
    void shouldAcceptTheMetricCorrelationTypesAndRejectAPercentileWithoutPercentile() throws IOException {
        Files.writeString(dir.resolve("whoami.yml"), SigmaDetectorTest.WHOAMI);
        Files.writeString(dir.resolve("sum.yml"), SigmaDetectorTest.correlation("value_sum", java.util.List.of("whoami_run"),
                "5m", "field: ProcessId\ngte: 10", ""));
        Files.writeString(dir.resolve("pct.yml"), SigmaDetectorTest.correlation("value_percentile",
                java.util.List.of("whoami_run"), "5m", "field: ProcessId\nlte: 1", "").replace("corr-1", "corr-2"));
        RuleDirectory.Validation validation = RuleDirectory.validate(engine, dir, ParsedRules.empty());
        assertThat(validation.invalidFiles()).containsExactly(dir.resolve("pct.yml"));
        assertThat(validation.problems()).singleElement().asString().contains("needs 'percentile'");
    }
}
