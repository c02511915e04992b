package dev.bulwark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;

/**
 * {@code bulwark rules test} and {@code push}: output like a test runner, the applicable / not applicable / invalid
 * summary, warnings, {@code --strict}, exit codes, file:line problems.
 */
class RulesCommandTest {

    private static final String RULE = """
            title: Whoami run
            id: 11111111-0000-4000-8000-000000000001
            logsource: {product: linux, category: process_creation}
            detection:
                selection:
                    Image|endswith: /whoami
                condition: selection
            level: low
            """;

    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream savedOut;
    private PrintStream savedErr;

    @BeforeEach
    void capture() {
        savedOut = System.out;
        savedErr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        System.setOut(savedOut);
        System.setErr(savedErr);
    }

    private int run(String... args) {
        return new CommandLine(new BulwarkCommand()).execute(args);
    }

    @Test
    void shouldPrintEachCaseAndASummaryAndFailOnAFailingCase() throws IOException {
        Files.writeString(dir.resolve("whoami.yml"), RULE);
        Files.writeString(dir.resolve("whoami.tests.yml"), """
                match:
                  - name: whoami runs
                    fields: {Image: /usr/bin/whoami}
                no_match:
                  - name: id is something else
                    fields: {Image: /usr/bin/id}
                """);
        assertThat(run("rules", "test", dir.toString())).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("✓ whoami runs (match)")
                .contains("✓ id is something else (no match)").contains("2 passed, 0 failed");

        Files.writeString(dir.resolve("whoami.tests.yml"), """
                match:
                  - name: id should fire
                    fields: {Image: /usr/bin/id}
                """);
        out.reset();
        assertThat(run("rules", "test", dir.toString())).isEqualTo(1);
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("✗ id should fire (match, ").contains("0 passed, 1 failed");
    }

    @Test
    void shouldReportInvalidFilesWithLineAndExitNonZeroOnADryRun() throws IOException {
        Files.writeString(dir.resolve("whoami.yml"), RULE);
        Files.writeString(dir.resolve("broken.yml"), RULE.replace("11111111-0000-4000-8000-000000000001", "broken")
                .replace("Image|endswith", "Image|endswithx"));
        assertThat(run("rules", "push", "--dry-run", dir.toString())).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains(dir.resolve("broken.yml") + ":6:9: [broken] unknown modifier");
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("2 rule file(s): 1 applicable, 0 not applicable, 1 invalid")
                .contains("dry run: nothing published");

        Files.delete(dir.resolve("broken.yml"));
        out.reset();
        assertThat(run("rules", "push", "--dry-run", dir.toString())).isZero();
    }

    private static final String FILTER = """
            title: Root may run whoami
            id: filter-root
            logsource: {product: linux}
            filter:
                rules: [11111111-0000-4000-8000-000000000001, later_rule]
                selection:
                    User: root
                condition: not selection
            """;

    @Test
    void aFilterFileIsValidatedLikeARuleFileAndARuleItNamesThatIsNotLoadedIsAWarning() throws IOException {
        Files.writeString(dir.resolve("whoami.yml"), RULE);
        Files.writeString(dir.resolve("mf_root.yml"), FILTER);
        Files.writeString(dir.resolve("mf_broken.yml"), FILTER.replace("filter-root", "filter-broken")
                .replace("    condition: not selection\n", ""));

        assertThat(run("rules", "push", "--dry-run", dir.toString())).isEqualTo(1);
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("3 rule file(s): 2 applicable, 0 not applicable, 1 invalid")
                .contains("1 warning(s) in applicable files");
        assertThat(err.toString(StandardCharsets.UTF_8))
                .contains(dir.resolve("mf_broken.yml") + ":5:5: [filter-broken] the filter has no 'condition'")
                .contains("warning: " + dir.resolve("mf_root.yml") + ":1:1: [filter-root] the filter names rule "
                        + "'later_rule', which is not loaded; it applies once a rule with this id or name is loaded");
    }

    private static final String WINDOWS = RULE.replace("11111111-0000-4000-8000-000000000001", "11111111-0000-4000-8000-0000000000%s")
            .replace("product: linux", "product: windows");

    /** A loadable rule with a field the linux process_creation mapping does not have. */
    private static final String UNMAPPED_FIELD = RULE.replace("11111111-0000-4000-8000-000000000001",
            "11111111-0000-4000-8000-000000000002").replace("    condition: selection\n",
            "    hashes:\n        Hashes|contains: 'MD5='\n    condition: selection or hashes\n");

    @Test
    void shouldCountApplicableNotApplicableAndInvalidFilesAndListWarningsOnADryRun() throws IOException {
        Files.writeString(dir.resolve("whoami.yml"), RULE);
        Files.writeString(dir.resolve("hashes.yml"), UNMAPPED_FIELD);
        Files.writeString(dir.resolve("win1.yml"), WINDOWS.formatted("11"));
        Files.writeString(dir.resolve("win2.yml"), WINDOWS.formatted("12"));
        Files.writeString(dir.resolve("mac.yml"), WINDOWS.formatted("13").replace("product: windows", "product: macos"));

        assertThat(run("rules", "push", "--dry-run", dir.toString())).as("not applicable files and warnings are no errors")
                .isZero();
        assertThat(out.toString(StandardCharsets.UTF_8))
                .contains("5 rule file(s): 2 applicable, 3 not applicable, 0 invalid")
                .contains("""
                        not applicable (valid Sigma, but no source Bulwark receives serves the logsource):
                               2  product: windows, category: process_creation
                               1  product: macos, category: process_creation
                        """)
                .contains("1 warning(s) in applicable files")
                .doesNotContain("invalid:");
        assertThat(err.toString(StandardCharsets.UTF_8))
                .contains("warning: " + dir.resolve("hashes.yml") + ":8:9: [11111111-0000-4000-8000-000000000002] field "
                        + "'Hashes' is not mapped for logsource 'linux_process_creation'")
                .doesNotContain("win1.yml").doesNotContain("mac.yml");
    }

    @Test
    @Timeout(60)
    void strictMakesAWarningAnErrorAndPublishesNothing() throws IOException {
        Files.writeString(dir.resolve("whoami.yml"), RULE);
        Files.writeString(dir.resolve("hashes.yml"), UNMAPPED_FIELD);

        assertThat(run("rules", "push", "--dry-run", "--strict", dir.toString())).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("error (--strict): " + dir.resolve("hashes.yml") + ":8:9:");
        out.reset();
        // Without --dry-run too: it stops before any broker is contacted (none runs here).
        assertThat(run("rules", "push", "--strict", dir.toString())).isEqualTo(1);
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("nothing published: --strict and 1 warning(s)")
                .doesNotContain("published 11111111");

        Files.delete(dir.resolve("hashes.yml"));
        assertThat(run("rules", "push", "--dry-run", "--strict", dir.toString())).isZero();
    }

    @Test
    void ruleTestPrintsTheLoadSummaryAndFailsOnInvalidFilesAndOnWarningsWithStrict() throws IOException {
        Files.writeString(dir.resolve("hashes.yml"), UNMAPPED_FIELD);
        Files.writeString(dir.resolve("hashes.tests.yml"), """
                match:
                  - fields: {Image: /usr/bin/whoami}
                """);
        Files.writeString(dir.resolve("win.yml"), WINDOWS.formatted("11"));

        assertThat(run("rules", "test", dir.toString())).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("2 rule file(s): 1 applicable, 1 not applicable, 0 invalid")
                .contains("1 passed, 0 failed");
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("warning: " + dir.resolve("hashes.yml") + ":8:9:");

        assertThat(run("rules", "test", "--strict", dir.toString())).isEqualTo(1);

        Files.writeString(dir.resolve("broken.yml"), RULE.replace("11111111-0000-4000-8000-000000000001", "broken")
                .replace("Image|endswith", "Image|endswithx"));
        out.reset();
        assertThat(run("rules", "test", dir.toString())).as("an invalid rule file fails the run").isEqualTo(1);
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("3 rule file(s): 1 applicable, 1 not applicable, 1 invalid");
    }

    @Test
    void anOverrideNeedsAValidTenantTargetAndExactlyOneActionBeforeAnythingIsWritten() {
        assertThat(run("rules", "override", "bulwark.container.interactive_shell", "--tenant", "Acme Corp", "--disable"))
                .isNotZero();
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("tenant names are 1-63 lower-case letters");
        assertThat(run("rules", "override", "rule id", "--tenant", "acme", "--disable")).isNotZero();
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("TARGET must be a rule id or detector name");
        assertThat(run("rules", "override", "r", "--tenant", "acme", "--disable", "--severity", "low")).isNotZero();
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("mutually exclusive");
        assertThat(run("rules", "override", "r", "--tenant", "acme")).as("no action").isNotZero();
        assertThat(run("rules", "override", "r", "--tenant", "acme", "--severity", "urgent")).isNotZero();
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("severity must be low, medium, high or critical");
        assertThat(run("rules", "override", "r", "--tenant", "acme", "--remove", "--threshold", "3")).isNotZero();
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("mutually exclusive");
    }

    @Test
    void anExceptionOrThresholdTheDetectorsCouldNotApplyIsRefusedBeforeAnythingIsWritten(@TempDir Path dir)
            throws Exception {
        Path broken = Files.writeString(dir.resolve("broken.yml"), "filter: [not closed");
        assertThat(run("rules", "override", "whoami_run", "--tenant", "acme", "--exception", broken.toString()))
                .isNotZero();
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("not a Sigma filter document the detectors can apply");
        Path filter = Files.writeString(dir.resolve("probe.yml"), """
                title: probes
                logsource: {product: linux, category: process_creation}
                filter:
                    rules: [whoami_run]
                    probe: {CommandLine|contains: '--healthcheck'}
                    condition: not probe
                """);
        assertThat(run("rules", "override", "bulwark.container.interactive_shell", "--tenant", "acme", "--exception",
                filter.toString())).isNotZero();
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("built-in detector or rule");
        assertThat(run("rules", "override", "sigma", "--tenant", "acme", "--threshold", "5")).isNotZero();
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("applies to a Sigma correlation");
        assertThat(run("rules", "override", "whoami_run", "--tenant", "acme", "--exception",
                dir.resolve("missing.yml").toString())).isNotZero();
    }
}
