package dev.bulwark.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

import com.sun.net.httpserver.HttpServer;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * Serves the Prometheus scrape endpoint {@code /metrics} on loopback.
 *
 * <p>Why: operators scrape every Bulwark component the same way; this is the JDK's HTTP server as Micrometer's own
 * documentation uses it, with nothing else exposed.
 */
public final class MetricsServer implements AutoCloseable {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final HttpServer server;

    /** Starts serving on {@code 127.0.0.1:port}; port 0 creates the registry without a server. */
    public MetricsServer(int port) throws IOException {
        // The JVM's own figures (heap, GC, threads, CPU), as every JVM exporter offers them.
        new io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics().bindTo(registry);
        new io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics().bindTo(registry);
        new io.micrometer.core.instrument.binder.system.ProcessorMetrics().bindTo(registry);
        new io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics().bindTo(registry);
        if (port == 0) {
            server = null;
            return;
        }
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        } catch (java.net.BindException e) {
            throw new IOException("metrics port " + port + " is in use; set BULWARK_METRICS_PORT or metrics.port (0 = off)", e);
        }
        server.createContext("/metrics", exchange -> {
            byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** The scrape URL, or null when no server runs. */
    public String url() {
        return server == null ? null : "http://127.0.0.1:" + server.getAddress().getPort() + "/metrics";
    }

    @Override
    public void close() {
        if (server != null) {
            server.stop(0);
        }
        registry.close();
    }
}
