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
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;

/** {@code bulwark rules test} and {@code push --dry-run}: output like a test runner, exit codes, file:line problems. */
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
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("1 valid file(s), 1 invalid (not published)");

        Files.delete(dir.resolve("broken.yml"));
        out.reset();
        assertThat(run("rules", "push", "--dry-run", dir.toString())).isZero();
    }
}
