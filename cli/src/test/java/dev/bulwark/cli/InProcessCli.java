package dev.bulwark.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import picocli.CommandLine;

import dev.bulwark.deploy.LocalStack;

/** Runs {@code bulwark} commands in the test's process against a real stack, their output captured and echoed. */
final class InProcessCli {

    /** What a command returned and printed (stdout and stderr together). */
    record Output(int code, String text) {
    }

    private final Path configFile;

    private InProcessCli(Path configFile) {
        this.configFile = configFile;
    }

    /** A command line whose configuration file (written into {@code dir}) names the stack and the test's prefixes. */
    static InProcessCli of(Path dir, LocalStack stack, BulwarkConfig config) throws IOException {
        return of(dir, stack, config, "");
    }

    /** The same, with more YAML (top-level keys other than kafka and elasticsearch) in the configuration file. */
    static InProcessCli of(Path dir, LocalStack stack, BulwarkConfig config, String moreYaml) throws IOException {
        Path file = dir.resolve("bulwark.yaml");
        Files.writeString(file, """
                kafka: {bootstrap: "%s", topicPrefix: "%s"}
                elasticsearch: {url: "%s", indexPrefix: "%s"}
                """.formatted(stack.kafkaBootstrap(), config.kafka.topicPrefix, stack.elasticsearchUrl(),
                config.elasticsearch.indexPrefix) + moreYaml);
        return new InProcessCli(file);
    }

    Output run(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        PrintStream capture = new PrintStream(buffer, true, StandardCharsets.UTF_8);
        System.setOut(capture);
        System.setErr(capture);
        try {
            String[] all = new String[args.length + 2];
            all[0] = "--config";
            all[1] = configFile.toString();
            System.arraycopy(args, 0, all, 2, args.length);
            int code = new CommandLine(new BulwarkCommand()).execute(all);
            return new Output(code, buffer.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
            out.print(buffer.toString(StandardCharsets.UTF_8));
        }
    }
}
