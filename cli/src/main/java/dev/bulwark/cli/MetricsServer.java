package dev.bulwark.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Supplier;

import dev.bulwark.http.BulwarkHttpServer;
import dev.bulwark.http.Exchange;
import dev.bulwark.http.HttpLimits;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * Serves the Prometheus scrape endpoint {@code /metrics} and the health probes {@code /livez} and {@code /readyz} on
 * loopback, or on {@code metrics.host}.
 *
 * <p>Why: operators scrape every Bulwark component the same way, with nothing else exposed. The server is the shared
 * {@link BulwarkHttpServer} setup (header and body timeouts, connection limits, no request bodies accepted); the
 * probes run beside its two scrape workers, so {@code /livez} answers while a slow scrape is in progress.
 */
public final class MetricsServer implements AutoCloseable {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final BulwarkHttpServer server;
    private final Map<String, Supplier<String>> readiness = new ConcurrentSkipListMap<>();
    private final Map<String, Supplier<String>> liveness = new ConcurrentSkipListMap<>();
    private volatile boolean started;
    private static final String LOOPBACK = "127.0.0.1";
    private final String host;

    /** Starts serving on {@code 127.0.0.1:port}; port 0 creates the registry without a server. */
    public MetricsServer(int port) throws IOException {
        this(port, HttpLimits.defaults());
    }

    /** Like the other constructor, with the connection timeouts and limits. */
    public MetricsServer(int port, HttpLimits limits) throws IOException {
        this(port, limits, null);
    }

    /** Like the other constructors, serving HTTPS with {@code tls} (null: plain HTTP). */
    public MetricsServer(int port, HttpLimits limits, dev.bulwark.http.Tls tls) throws IOException {
        this(LOOPBACK, port, limits, tls);
    }

    /**
     * Starts serving on {@code host:port} ({@code metrics.host}; a container binds {@code 0.0.0.0} so that the
     * kubelet's probes and Prometheus reach it), HTTPS with {@code tls} (null: plain HTTP); port 0 creates the registry
     * without a server.
     */
    public MetricsServer(String host, int port, HttpLimits limits, dev.bulwark.http.Tls tls) throws IOException {
        this.host = host;
        // The JVM's own figures (heap, GC, threads, CPU), as every JVM exporter offers them.
        new io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics().bindTo(registry);
        new io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics().bindTo(registry);
        new io.micrometer.core.instrument.binder.system.ProcessorMetrics().bindTo(registry);
        new io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics().bindTo(registry);
        readiness.put("startup", () -> started ? null : "components are starting");
        if (port == 0) {
            server = null;
            return;
        }
        try {
            // Nothing here takes a body: 1 KiB is plenty for what a probe might send.
            server = BulwarkHttpServer.start(new BulwarkHttpServer.Spec("metrics", host, port, limits, 2, 16,
                    1024, Set.of("/livez", "/readyz"), this::route, tls));
        } catch (java.net.BindException e) {
            throw new IOException("metrics port " + port + " on " + host + " is in use or not an address of this host; set "
                    + "BULWARK_METRICS_PORT or metrics.port (0 = off), or metrics.host", e);
        }
    }

    /** Same paths as before: {@code /metrics}, {@code /readyz} and {@code /livez}, each with anything below it. */
    private void route(Exchange exchange) {
        String path = exchange.path();
        if (under(path, "/metrics")) {
            byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
            exchange.send(200, "text/plain; version=0.0.4; charset=utf-8", body);
        } else if (under(path, "/readyz")) {
            answer(exchange, readiness);
        } else if (under(path, "/livez")) {
            answer(exchange, liveness);
        } else {
            exchange.send(404, "text/plain; charset=utf-8", "No context found for request\n".getBytes(StandardCharsets.UTF_8));
        }
    }

    private static boolean under(String path, String prefix) {
        return path.startsWith(prefix);
    }

    /**
     * Adds a readiness check for {@code /readyz}: the supplier says why the component cannot do its work now, or
     * returns {@code null} when it can. {@code /readyz} answers 200 only when every check passes.
     */
    public void readiness(String component, Supplier<String> notReadyReason) {
        readiness.put(component, notReadyReason);
    }

    /** Says every component has started: until then {@code /readyz} answers 503. */
    public void started() {
        started = true;
    }

    /**
     * Adds a liveness check for {@code /livez}: the supplier says why the component is broken beyond repair (a restart
     * is needed), or returns {@code null}. {@code /livez} answers 200 while the process serves and every check passes.
     */
    public void liveness(String component, Supplier<String> brokenReason) {
        liveness.put(component, brokenReason);
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    /** Runs the checks: {@code {"status":"ok","checks":{"sink":"ok","detectors":"Kafka Streams is REBALANCING"}}}. */
    static Map.Entry<Integer, String> evaluate(Map<String, Supplier<String>> checks) {
        boolean ok = true;
        Map<String, String> results = new java.util.LinkedHashMap<>();
        for (Map.Entry<String, Supplier<String>> check : checks.entrySet()) {
            String reason;
            try {
                reason = check.getValue().get();
            } catch (RuntimeException e) {
                reason = "check failed: " + e;
            }
            ok &= reason == null;
            results.put(check.getKey(), reason == null ? "ok" : reason);
        }
        Map<String, Object> body = new java.util.LinkedHashMap<>();
        body.put("status", ok ? "ok" : "unavailable");
        body.put("checks", results);
        try {
            return Map.entry(ok ? 200 : 503, JSON.writeValueAsString(body) + "\n");
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void answer(Exchange exchange, Map<String, Supplier<String>> checks) {
        Map.Entry<Integer, String> result = evaluate(checks);
        exchange.setHeader("Cache-Control", "no-store");
        exchange.send(result.getKey(), "application/json", result.getValue().getBytes(StandardCharsets.UTF_8));
    }

    /** The base URL of the health endpoints ({@code /livez}, {@code /readyz}), or null when no server runs. */
    public String healthUrl() {
        return server == null ? null : server.scheme() + "://" + urlHost() + ":" + server.port();
    }

    /** The host part of this server's URLs: loopback for a wildcard address, brackets around an IPv6 literal. */
    private String urlHost() {
        if (host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]")) {
            return LOOPBACK;
        }
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** The scrape URL, or null when no server runs. */
    public String url() {
        return server == null ? null : healthUrl() + "/metrics";
    }

    @Override
    public void close() {
        if (server != null) {
            server.close();
        }
        registry.close();
    }
}
