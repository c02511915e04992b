package dev.bulwark.cli;

import java.io.IOException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import dev.bulwark.api.ApiServer;
import dev.bulwark.api.ApiTokens;
import dev.bulwark.api.FindingsService;
import dev.bulwark.sink.ElasticsearchClients;
import dev.bulwark.sink.FindingIndex;
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
        ElasticsearchClient client = ElasticsearchClients.create(config.elasticsearch.url, config.elasticsearch.username,
                config.elasticsearch.password, config.elasticsearch.apiKey);
        try (ApiServer server = start(config, client)) {
            CountDownLatch stop = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown, "bulwark-serve-stop"));
            BulwarkCommand.say("press Ctrl-C to stop");
            stop.await();
        } finally {
            client._transport().close();
        }
        return 0;
    }

    /**
     * Starts the API described by the configuration and says where it listens. With no token configured on a loopback
     * address, a SOC token is generated for this process and printed once; beyond loopback, tokens are required.
     */
    static ApiServer start(BulwarkConfig config, ElasticsearchClient client) throws IOException {
        ApiTokens tokens = config.apiTokens();
        String generated = null;
        if (tokens.isEmpty()) {
            if (!isLoopback(config.api.host)) {
                throw new IllegalArgumentException("the query API on " + config.api.host + " needs tokens: set api.tokens "
                        + "or BULWARK_API_TOKENS=<token>=soc,<token>=tenant:<name> (tokens: openssl rand -hex 24)");
            }
            byte[] random = new byte[24];
            new SecureRandom().nextBytes(random);
            generated = HexFormat.of().formatHex(random);
            tokens = ApiTokens.of(List.of(new ApiTokens.Entry(generated, "soc", "local-soc")));
        }
        ApiServer server = new ApiServer(new ApiServer.Settings(config.api.host, config.api.port, config.api.threads),
                tokens, new FindingsService(client, new FindingIndex(config.elasticsearch.indexPrefix), Clock.systemUTC()));
        BulwarkCommand.say("query API and console on " + server.url() + "/ (OpenAPI: " + server.url() + "/openapi.json)");
        if (generated != null) {
            BulwarkCommand.say("no API tokens configured: this run accepts the SOC token " + generated
                    + " (set BULWARK_API_TOKENS to choose your own)");
        }
        return server;
    }

    private static boolean isLoopback(String host) {
        return "127.0.0.1".equals(host) || "localhost".equals(host) || "::1".equals(host) || host.startsWith("127.");
    }
}
