package dev.bulwark.cli;

import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code bulwark ingest serve}: the HTTP receiver on its own, until Ctrl-C. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Receive events over HTTP: POST /v1/falco (Falco http_output, Falcosidekick webhook),",
                "POST /v1/k8s-audit (Kubernetes audit webhook backend), POST /v1/ingest/{format} (NDJSON).",
                "Answers 200 only after Kafka acknowledged every record."})
final class IngestServeCommand implements Callable<Integer> {

    @ParentCommand
    IngestCommand ingest;

    @Option(names = "--port", description = "Port (default: ingest.port, 8088).")
    Integer port;

    @Option(names = "--host", description = "Address to bind (default: ingest.host, 127.0.0.1).")
    String host;

    @Override
    public Integer call() throws Exception {
        BulwarkConfig config = ingest.parent.config();
        if (port != null) {
            config.ingest.port = port;
        }
        if (host != null) {
            config.ingest.host = host;
        }
        if (config.ingest.port == 0) {
            throw new IllegalArgumentException("ingest.port is 0 (receiver off); give --port or set BULWARK_INGEST_PORT");
        }
        try (MetricsServer metrics = new MetricsServer(config.metrics.host, config.metrics.port, config.httpLimits(),
                config.tls());
                BulwarkRuntime runtime = BulwarkRuntime.start(config, java.util.EnumSet.of(BulwarkRuntime.Component.ingest),
                        metrics)) {
            BulwarkRuntime.awaitSignal();
        }
        return 0;
    }
}
