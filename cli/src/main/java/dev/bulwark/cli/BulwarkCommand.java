package dev.bulwark.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import dev.bulwark.deploy.LocalStack;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code ./bulwark} command line.
 *
 * <p>Why: one entry point for the whole product, with {@code --help} on every command and errors that say what to do.
 */
@Command(name = "bulwark", mixinStandardHelpOptions = true, version = "Bulwark 0.1.0",
        description = "Event-streaming security analytics for container platforms (Kafka, Kafka Streams, Elasticsearch).",
        subcommands = {LocalCommand.class, IngestCommand.class, RunCommand.class, ServeCommand.class, DemoCommand.class,
                ConfigCommand.class, SecurityCommand.class, ContextCommand.class,
                FindingsCommand.class, RulesCommand.class, ComplianceCommand.class, CommandLine.HelpCommand.class})
public final class BulwarkCommand implements Callable<Integer> {

    @Option(names = {"-c", "--config"}, description = "Configuration file (default: $BULWARK_CONFIG, else ./bulwark.yaml if present).",
            scope = CommandLine.ScopeType.INHERIT)
    Path config;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** The commands that need no checkout, only a Kafka and an Elasticsearch. */
    static final String WITHOUT_CHECKOUT = "run, ingest, serve, rules and findings";

    /** Loads the configuration named on the command line, the environment, or the defaults. */
    BulwarkConfig config() throws IOException {
        return BulwarkConfig.load(config, System.getenv());
    }

    /**
     * The local stack described by the configuration, for {@code command} ({@code local}, {@code demo}).
     *
     * @throws IllegalStateException when there is no checkout (the stack script is not part of the installed
     *     distribution), saying so and which commands work without one
     */
    LocalStack localStack(BulwarkConfig config, String command) {
        Path root;
        try {
            root = LocalStack.findRepoRoot("'bulwark " + command + "'");
        } catch (IllegalStateException e) {
            throw new IllegalStateException(e.getMessage() + ". Without a checkout, " + WITHOUT_CHECKOUT
                    + " work against the Kafka and Elasticsearch named in the configuration.", e);
        }
        LocalStack defaults = LocalStack.defaults(root);
        return new LocalStack(root, config.homeDir(), envPort("BULWARK_KAFKA_PORT", defaults.kafkaPort()),
                envPort("BULWARK_KAFKA_CONTROLLER_PORT", defaults.kafkaControllerPort()),
                envPort("BULWARK_ES_PORT", defaults.elasticsearchPort()),
                envPort("BULWARK_ES_TRANSPORT_PORT", defaults.elasticsearchTransportPort()));
    }

    private static int envPort(String name, int fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : Integer.parseInt(value.strip());
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(System.out);
        return 0;
    }

    /** Prints a progress line. */
    static void say(String message) {
        System.out.println("[bulwark] " + message);
        System.out.flush();
    }

    /** The command line, configured: {@code local down --purge} passes {@code --purge} through to the stack script. */
    static CommandLine commandLine() {
        CommandLine commandLine = new CommandLine(new BulwarkCommand());
        commandLine.getSubcommands().get("local").setUnmatchedOptionsArePositionalParams(true);
        return commandLine;
    }

    public static void main(String[] args) {
        CommandLine commandLine = commandLine();
        commandLine.setExecutionExceptionHandler((e, cmd, parseResult) -> {
            cmd.getErr().println("bulwark: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            if (System.getenv("BULWARK_DEBUG") != null) {
                e.printStackTrace(cmd.getErr());
            } else {
                cmd.getErr().println("(set BULWARK_DEBUG=1 for the stack trace)");
            }
            return 1;
        });
        System.exit(commandLine.execute(args));
    }
}
