package dev.bulwark.cli;

import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/**
 * {@code bulwark run}: the pipeline's components in this JVM until interrupted: all of them by default, or a chosen
 * few, so each can run (and be sized and scaled) in its own process. Works against any Kafka and Elasticsearch the
 * configuration names; nothing here needs a checkout.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run the pipeline (HTTP ingest receiver, detectors, Elasticsearch sink, query API and console) in this "
                + "process until Ctrl-C or SIGTERM; /readyz and /livez on the metrics port.")
final class RunCommand implements Callable<Integer> {

    @picocli.CommandLine.Option(names = "--components", split = ",", paramLabel = "NAME",
            description = "Only these components, comma-separated: ${COMPLETION-CANDIDATES} (default: all). "
                    + "Each talks to the others through Kafka only, so they can run in separate processes.")
    java.util.EnumSet<BulwarkRuntime.Component> components = java.util.EnumSet.allOf(BulwarkRuntime.Component.class);

    @ParentCommand
    BulwarkCommand parent;

    @Override
    public Integer call() throws Exception {
        BulwarkConfig config = parent.config();
        // SIGTERM and Ctrl-C stop the components in order (receiver first), leaving the consumer groups cleanly.
        try (MetricsServer metrics = new MetricsServer(config.metrics.host, config.metrics.port, config.httpLimits(),
                config.tls());
             BulwarkRuntime runtime = BulwarkRuntime.start(config, components, metrics)) {
            BulwarkRuntime.awaitSignal();
        }
        return 0;
    }
}
