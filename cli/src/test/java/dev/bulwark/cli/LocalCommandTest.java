package dev.bulwark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import picocli.CommandLine;

class LocalCommandTest {

    @Test
    void optionsAfterTheActionGoToTheStackScript() {
        CommandLine commandLine = BulwarkCommand.commandLine();
        CommandLine.ParseResult result = commandLine.parseArgs("local", "down", "--purge");
        LocalCommand local = (LocalCommand) result.subcommand().commandSpec().userObject();
        assertThat(local.action).isEqualTo("down");
        assertThat(local.args).containsExactly("--purge");
    }
}
