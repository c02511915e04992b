package dev.bulwark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import picocli.CommandLine;

/** What {@code bulwark compliance report} refuses before it reaches Elasticsearch, and how it says so. */
class ComplianceCommandTest {

    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream savedErr;

    @BeforeEach
    void capture() {
        savedErr = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        System.setErr(savedErr);
    }

    private int run(String... args) {
        return new CommandLine(new BulwarkCommand()).execute(args);
    }

    @Test
    void badArgumentsAreRefusedWithWhatToDo() {
        assertThat(run("compliance", "report", "--framework", "sox")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .contains("unknown framework 'sox': use one of pss-baseline, pss-restricted, cis, nsa");
        err.reset();
        assertThat(run("compliance", "report", "--framework", "cis", "--format", "pdf")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("a PDF goes to a file: add --output report.pdf");
        err.reset();
        assertThat(run("compliance", "report", "--framework", "cis", "--format", "docx")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--format takes json, html or pdf");
        err.reset();
        assertThat(run("compliance", "report", "--framework", "cis", "--tenant", "ACME\"}")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("is not a tenant name");
    }
}
