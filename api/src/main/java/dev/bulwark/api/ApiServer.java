package dev.bulwark.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import co.elastic.clients.elasticsearch._types.ElasticsearchException;
import dev.bulwark.sink.FindingDocument;

/**
 * The findings query API and web console over HTTP (the JDK's built-in server).
 *
 * <ul>
 *   <li>{@code GET /api/findings}: search with filters, free text, sort and {@code search_after} pagination;</li>
 *   <li>{@code GET /api/findings/{id}}: one finding with its evidence;</li>
 *   <li>{@code PATCH /api/findings/{id}}: set triage status (SOC only), recording who and when;</li>
 *   <li>{@code GET /api/stats}: counts by severity, rule, tenant and status, and a time histogram;</li>
 *   <li>{@code GET /api/whoami}: the caller's principal;</li>
 *   <li>{@code GET /openapi.json}: the OpenAPI 3 description; {@code GET /healthz};</li>
 *   <li>{@code GET /}: the console (static HTML, CSS and JS from the classpath).</li>
 * </ul>
 *
 * <p>Why the JDK server and not a framework: five JSON endpoints and three static files need routing, not a web
 * stack; the JDK server is what the ingest receiver and the metrics endpoint already use, it adds nothing to the
 * shaded jar, and every security-relevant header, limit and error path is in this one class to review. Every
 * {@code /api} request needs {@code Authorization: Bearer <token>} (401 otherwise); tenant isolation is enforced by
 * {@link FindingsService}; every response carries a strict Content-Security-Policy and no-sniff/no-frame headers;
 * errors are JSON {@code {"error":{"status":..,"message":..}}} and never echo Elasticsearch internals.
 */
public final class ApiServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);
    private static final int MAX_BODY_BYTES = 16 * 1024;
    private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
            + "connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";
    private static final Map<String, String> STATIC = Map.of(
            "/", "index.html",
            "/index.html", "index.html",
            "/console.js", "console.js",
            "/console.css", "console.css");
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .build();

    /** Where to listen and how many requests to serve at once. */
    public record Settings(String host, int port, int threads) {
        public Settings {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("api port must be 0-65535, got " + port);
            }
        }
    }

    private final Settings settings;
    private final ApiTokens tokens;
    private final FindingsService service;
    private final HttpServer server;
    private final ExecutorService executor;

    /** Starts serving. */
    public ApiServer(Settings settings, ApiTokens tokens, FindingsService service) throws IOException {
        this.settings = settings;
        this.tokens = tokens;
        this.service = service;
        try {
            server = HttpServer.create(new InetSocketAddress(settings.host(), settings.port()), 64);
        } catch (java.net.BindException e) {
            throw new IOException("query API address " + settings.host() + ":" + settings.port()
                    + " is in use; choose another with api.port or BULWARK_API_PORT", e);
        }
        executor = new ThreadPoolExecutor(settings.threads(), settings.threads(), 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(128), r -> {
                    Thread thread = new Thread(r, "bulwark-api-http");
                    thread.setDaemon(true);
                    return thread;
                });
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    /** The base URL, e.g. {@code http://127.0.0.1:8080}. */
    public String url() {
        String host = settings.host().contains(":") ? "[" + settings.host() + "]" : settings.host();
        return "http://" + host + ":" + server.getAddress().getPort();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            securityHeaders(exchange);
            try {
                route(exchange);
            } catch (ApiException e) {
                error(exchange, e.status(), e.getMessage());
            } catch (ElasticsearchException e) {
                LOG.warn("Elasticsearch refused a query API request ({} {}): {}", exchange.getRequestMethod(),
                        exchange.getRequestURI().getPath(), e.getMessage());
                if (e.status() == 400) {
                    error(exchange, 400, "the search could not be run; check the query text and filters");
                } else {
                    error(exchange, 503, "Elasticsearch is unavailable; try again shortly");
                }
            } catch (IOException e) {
                LOG.warn("query API request failed: {}", e.toString());
                error(exchange, 503, "Elasticsearch is unavailable; try again shortly");
            } catch (RuntimeException e) {
                LOG.error("query API request failed", e);
                error(exchange, 500, "internal error");
            }
        } catch (IOException | RejectedExecutionException e) {
            LOG.debug("could not answer a request: {}", e.toString());
        }
    }

    private void route(HttpExchange exchange) throws IOException {
        String method = exchange.getRequestMethod();
        String path = exchange.getRequestURI().getRawPath();
        if (STATIC.containsKey(path) || "/openapi.json".equals(path) || "/healthz".equals(path)) {
            allow(exchange, method, "GET", "HEAD");
            if ("/healthz".equals(path)) {
                json(exchange, 200, Map.of("status", "ok"));
            } else if ("/openapi.json".equals(path)) {
                resource(exchange, "openapi.json", "application/json");
            } else {
                String file = STATIC.get(path);
                resource(exchange, "console/" + file, contentType(file));
            }
            return;
        }
        if (!path.startsWith("/api/")) {
            throw new ApiException(404, "not found");
        }
        Principal principal = authenticate(exchange);
        if ("/api/findings".equals(path)) {
            allow(exchange, method, "GET");
            QueryParams params = QueryParams.parse(exchange.getRequestURI().getRawQuery(), FindingsService.SEARCH_PARAMS);
            json(exchange, 200, service.list(principal, service.search(params)));
        } else if (path.startsWith("/api/findings/")) {
            String id = idFromPath(path.substring("/api/findings/".length()));
            allow(exchange, method, "GET", "PATCH");
            if ("PATCH".equals(method)) {
                if (!principal.mayTriage()) {
                    throw new ApiException(403, "role " + principal.role() + " may not change triage status");
                }
                QueryParams.parse(exchange.getRequestURI().getRawQuery(), Set.of());
                Triage triage = readTriage(exchange);
                json(exchange, 200, Map.of("finding", service.triage(principal, id, triage.status(), triage.note())));
            } else {
                QueryParams.parse(exchange.getRequestURI().getRawQuery(), Set.of());
                json(exchange, 200, Map.of("finding", service.get(principal, id)));
            }
        } else if ("/api/stats".equals(path)) {
            allow(exchange, method, "GET");
            json(exchange, 200, service.stats(principal,
                    QueryParams.parse(exchange.getRequestURI().getRawQuery(), FindingsService.STATS_PARAMS)));
        } else if ("/api/whoami".equals(path)) {
            allow(exchange, method, "GET");
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("name", principal.name());
            body.put("role", principal.role());
            body.put("tenant", principal.tenant());
            body.put("may_triage", principal.mayTriage());
            json(exchange, 200, body);
        } else {
            throw new ApiException(404, "not found");
        }
    }

    /** The finding id in a raw path segment: percent-decoded, then validated. */
    private static String idFromPath(String rawSegment) {
        if (rawSegment.isEmpty() || rawSegment.contains("/")) {
            throw new ApiException(404, "not found");
        }
        return Validation.findingId(QueryParams.decode(rawSegment.replace("+", "%2B")));
    }

    private Principal authenticate(HttpExchange exchange) {
        List<String> headers = exchange.getRequestHeaders().get("Authorization");
        Optional<Principal> principal = headers == null || headers.size() != 1 ? Optional.empty()
                : tokens.authenticate(headers.get(0));
        if (principal.isEmpty()) {
            exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"bulwark\"");
            throw new ApiException(401, headers == null ? "missing bearer token (Authorization: Bearer <token>)"
                    : "invalid bearer token");
        }
        return principal.get();
    }

    private static void allow(HttpExchange exchange, String method, String... allowed) {
        for (String a : allowed) {
            if (a.equals(method)) {
                return;
            }
        }
        exchange.getResponseHeaders().set("Allow", String.join(", ", allowed));
        throw new ApiException(405, "method " + Validation.printable(method, 16) + " not allowed here; use "
                + String.join(" or ", allowed));
    }

    /** A triage change as sent in a PATCH body. */
    record Triage(String status, String note) {
    }

    private static Triage readTriage(HttpExchange exchange) throws IOException {
        String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
        if (contentType == null || !contentType.toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
            throw new ApiException(415, "send the triage change as Content-Type: application/json");
        }
        byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
            body = in.readNBytes(MAX_BODY_BYTES + 1);
        }
        if (body.length > MAX_BODY_BYTES) {
            throw new ApiException(413, "the request body is larger than " + MAX_BODY_BYTES + " bytes");
        }
        return parseTriage(body);
    }

    /** Parses and validates {@code {"status": "...", "note": "..."}}. */
    static Triage parseTriage(byte[] body) {
        JsonNode node;
        try {
            node = JSON.readTree(body);
        } catch (IOException e) {
            throw ApiException.badRequest("the body is not valid JSON");
        }
        if (node == null || !node.isObject()) {
            throw ApiException.badRequest("the body must be a JSON object like {\"status\":\"acknowledged\",\"note\":\"...\"}");
        }
        node.fieldNames().forEachRemaining(name -> {
            if (!"status".equals(name) && !"note".equals(name)) {
                throw ApiException.badRequest("unknown field \"" + Validation.printable(name, 40)
                        + "\"; a triage change has status and note");
            }
        });
        JsonNode status = node.get("status");
        if (status == null || !status.isTextual()) {
            throw ApiException.badRequest("status is required: one of " + String.join(", ", FindingDocument.TRIAGE_STATUSES));
        }
        String value = Validation.single("status", status.textValue(), FindingDocument.TRIAGE_STATUSES);
        JsonNode note = node.get("note");
        if (note != null && !note.isNull() && !note.isTextual()) {
            throw ApiException.badRequest("note must be a string");
        }
        String text = note == null || note.isNull() ? null : Validation.text("note", note.textValue(), 2000);
        return new Triage(value, text);
    }

    private static void securityHeaders(HttpExchange exchange) {
        var headers = exchange.getResponseHeaders();
        headers.set("Content-Security-Policy", CSP);
        headers.set("X-Content-Type-Options", "nosniff");
        headers.set("X-Frame-Options", "DENY");
        headers.set("Referrer-Policy", "no-referrer");
        headers.set("Cross-Origin-Opener-Policy", "same-origin");
        headers.set("Cross-Origin-Resource-Policy", "same-origin");
        headers.set("Cache-Control", "no-store");
    }

    private static String contentType(String file) {
        if (file.endsWith(".html")) {
            return "text/html; charset=utf-8";
        }
        if (file.endsWith(".js")) {
            return "text/javascript; charset=utf-8";
        }
        return "text/css; charset=utf-8";
    }

    /** Serves a file from this package's resources (named, so the shaded jar cannot mix it up with another's). */
    private static void resource(HttpExchange exchange, String path, String contentType) throws IOException {
        byte[] body;
        try (InputStream in = ApiServer.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new ApiException(404, "not found");
            }
            body = in.readAllBytes();
        }
        send(exchange, 200, contentType, body);
    }

    private static void json(HttpExchange exchange, int status, Object body) throws IOException {
        byte[] bytes;
        try {
            bytes = JSON.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a response", e);
        }
        send(exchange, status, "application/json", bytes);
    }

    private static void error(HttpExchange exchange, int status, String message) throws IOException {
        json(exchange, status, Map.of("error", Map.of("status", status, "message", message)));
    }

    private static void send(HttpExchange exchange, int status, String contentType, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", contentType);
        if ("HEAD".equals(exchange.getRequestMethod())) {
            exchange.sendResponseHeaders(status, -1);
            return;
        }
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
