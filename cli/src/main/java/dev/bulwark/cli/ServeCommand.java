package dev.bulwark.cli;

import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code bulwark serve}: the findings query API and the web console, until Ctrl-C. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve the findings query API (GET /api/findings, /api/findings/{id}, /api/stats, "
                + "PATCH /api/findings/{id}, /openapi.json) and the web console on http://127.0.0.1:8080/.",
                "Tokens: api.tokens in the configuration or BULWARK_API_TOKENS=tok1=soc,tok2=tenant:acme."})
final class ServeCommand implements Callable<Integer> {

    @ParentCommand
    BulwarkCommand parent;

    @Option(names = "--port", description = "Port (default: api.port, 8080).")
    Integer port;

    @Option(names = "--host", description = "Address to bind (default: api.host, 127.0.0.1).")
    String host;

    @Override
    public Integer call() throws Exception {
        BulwarkConfig config = parent.config();
        if (port != null) {
            config.api.port = port;
        }
        if (host != null) {
            config.api.host = host;
        }
        try (MetricsServer metrics = new MetricsServer(config.metrics.host, config.metrics.port, config.httpLimits(),
                config.tls());
             BulwarkRuntime runtime = BulwarkRuntime.start(config, java.util.EnumSet.of(BulwarkRuntime.Component.api), metrics)) {
            BulwarkRuntime.awaitSignal();
        }
        return 0;
    }
}
