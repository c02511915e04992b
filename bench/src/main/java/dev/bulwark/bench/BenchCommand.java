package dev.bulwark.bench;

import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code ./bulwark bench}: Bulwark's throughput on the real local stack, each figure beside a baseline measured in the
 * same run on the same broker.
 *
 * <p>Why: figures from another machine or another day say little; a ratio to Kafka's own tools measured minutes apart on
 * the same stack holds on a noisy laptop and in CI alike.
 */
@Command(name = "bulwark bench", mixinStandardHelpOptions = true,
        description = "Benchmarks on the local real stack, with baselines measured in the same run.",
        subcommands = {IngestBench.class, PipelineBench.class, SinkBench.class, JmhBench.class, CommandLine.HelpCommand.class})
public final class BenchCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(System.out);
        return 0;
    }

    /** Prints a progress line. */
    static void say(String message) {
        System.out.println("[bench] " + message);
        System.out.flush();
    }

    public static void main(String[] args) {
        CommandLine commandLine = new CommandLine(new BenchCommand());
        commandLine.setExecutionExceptionHandler((e, cmd, parseResult) -> {
            cmd.getErr().println("bulwark bench: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            if (System.getenv("BULWARK_DEBUG") != null) {
                e.printStackTrace(cmd.getErr());
            }
            return 1;
        });
        System.exit(commandLine.execute(args));
    }
}
