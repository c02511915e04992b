package dev.bulwark.api;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

import com.sun.net.httpserver.HttpServer;

import dev.bulwark.sink.ElasticsearchClients;
import dev.bulwark.sink.FindingIndex;

/**
 * Stands in for Elasticsearch where what matters is what the API asks, not what Elasticsearch answers: a loopback
 * HTTP server that records every request ("METHOD path body") and answers each with a search result without hits.
 */
final class ElasticsearchRecorder implements AutoCloseable {

    private static final byte[] NO_HITS = ("{\"took\":1,\"timed_out\":false,\"_shards\":{\"total\":1,\"successful\":1,"
            + "\"skipped\":0,\"failed\":0},\"hits\":{\"total\":{\"value\":0,\"relation\":\"eq\"},\"max_score\":null,"
            + "\"hits\":[]}}").getBytes(StandardCharsets.UTF_8);

    private final HttpServer server;
    private final List<String> requests = new ArrayList<>();

    ElasticsearchRecorder() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            synchronized (requests) {
                requests.add(exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath() + " "
                        + new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            }
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.getResponseHeaders().add("X-Elastic-Product", "Elasticsearch");
            exchange.sendResponseHeaders(200, NO_HITS.length);
            exchange.getResponseBody().write(NO_HITS);
            exchange.close();
        });
        server.start();
    }

    /** A findings service over this recorder, for the index (and tenant aliases) named {@code index}. */
    FindingsService service(String index) {
        return new FindingsService(ElasticsearchClients.create("http://127.0.0.1:" + server.getAddress().getPort()),
                new FindingIndex(index), Clock.systemUTC());
    }

    /** The requests recorded since the last {@link #clear()}. */
    List<String> requests() {
        synchronized (requests) {
            return List.copyOf(requests);
        }
    }

    void clear() {
        synchronized (requests) {
            requests.clear();
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
