package dev.bulwark.api;

import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import co.elastic.clients.elasticsearch._types.ElasticsearchException;
import dev.bulwark.compliance.ControlCatalogue;
import dev.bulwark.schemas.RuleOverride;
import dev.bulwark.sink.ShadowFindings;
import dev.bulwark.http.BulwarkHttpServer;
import dev.bulwark.http.Exchange;
import dev.bulwark.http.HttpLimits;
import dev.bulwark.http.Tls;
import dev.bulwark.sink.ComplianceIndex;
import dev.bulwark.sink.FindingDocument;

/**
 * The findings query API and web console over HTTP ({@link BulwarkHttpServer}: Jetty core, no servlets).
 *
 * <ul>
 *   <li>{@code GET /api/findings}: search with filters, free text, sort and {@code search_after} pagination;</li>
 *   <li>{@code GET /api/findings/{id}}: one finding with its evidence;</li>
 *   <li>{@code PATCH /api/findings/{id}}: set triage status (SOC only), recording who and when;</li>
 *   <li>{@code GET /api/stats}: counts by severity, rule, tenant and status, and a time histogram;</li>
 *   <li>{@code GET /api/incidents}, {@code GET /api/incidents/{id}}: incidents, each tenant seeing only its own side
 *       ({@link IncidentService}); {@code PATCH /api/incidents/{id}}: their triage (SOC only);</li>
 *   <li>{@code GET /api/whoami}: the caller's principal, and whether it comes from a console session;</li>
 *   <li>{@code GET /auth/config}, {@code GET /auth/login}, {@code GET /auth/callback}, {@code POST /auth/logout}: the
 *       console's sign-in through the OIDC provider, when configured ({@link ConsoleLogin});</li>
 *   <li>{@code GET /openapi.json}: the OpenAPI 3 description; {@code GET /healthz};</li>
 *   <li>{@code GET /}: the console (static HTML, CSS and JS from the classpath), and under {@code /vendor/} the graph
 *       library it draws incidents with (Cytoscape.js, from its WebJar on the classpath) and its licence.</li>
 * </ul>
 *
 * <p>Why a plain handler and not a framework: five JSON endpoints and three static files need routing, not a web
 * stack; the server setup (timeouts for headers and bodies, connection and size limits, a bounded worker pool with
 * {@code /healthz} served beside it) is the one the ingest receiver and the metrics endpoint use, and every
 * security-relevant header, limit and error path is in this one class to review. Every
 * {@code /api} request needs {@code Authorization: Bearer <token>}, a static token ({@link ApiTokens}) or an OIDC token
 * ({@link OidcPrincipals}), or, without that header, the session cookie of a console sign-in ({@link ConsoleLogin}),
 * and gets one and the same 401 otherwise; a cookie-authenticated request other than GET must carry
 * {@code X-Bulwark-Console: 1} (403 otherwise), which a cross-site form cannot send; with {@link Settings#tls()} the server speaks
 * HTTPS only; tenant isolation is enforced by
 * {@link FindingsService}; every response carries a strict Content-Security-Policy and no-sniff/no-frame headers;
 * errors are JSON {@code {"error":{"status":..,"message":..}}} and never echo Elasticsearch internals.
 */
public final class ApiServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);
    /** Room for an override's exception (16 KiB of YAML, up to twice that once escaped in JSON) and its note. */
    private static final int MAX_BODY_BYTES = 40 * 1024;
    /** The one answer to every request without a valid bearer token. */
    static final String UNAUTHORIZED = "missing or invalid bearer token (Authorization: Bearer <token>)";
    private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
            + "connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";
    private static final Map<String, String> STATIC = Map.of(
            "/", "index.html",
            "/index.html", "index.html",
            "/console.js", "console.js",
            "/console.css", "console.css");
    /**
     * Third-party files the console loads, each served from its WebJar on the classpath (a Maven dependency of this
     * module, so nothing is fetched from a CDN): the console's path, then the WebJar and the file within it. The
     * licence is served beside the code.
     */
    private static final Map<String, String[]> VENDOR = Map.of(
            "/vendor/cytoscape.min.js", new String[] {"cytoscape", "dist/cytoscape.min.js"},
            "/vendor/cytoscape.LICENSE.txt", new String[] {"cytoscape", "LICENSE"});
    /** The vendor files read so far (each is read once: the WebJar does not change while the server runs). */
    private static final Map<String, byte[]> VENDOR_BYTES = new java.util.concurrent.ConcurrentHashMap<>();
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .build();

    /**
     * Where to listen, how many requests to serve at once, the connection timeouts and limits, and the certificate to
     * serve HTTPS with (null: plain HTTP).
     */
    public record Settings(String host, int port, int threads, HttpLimits http, Tls tls) {
        public Settings {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("api port must be 0-65535, got " + port);
            }
        }

        public Settings(String host, int port, int threads, HttpLimits http) {
            this(host, port, threads, http, null);
        }

        public Settings(String host, int port, int threads) {
            this(host, port, threads, HttpLimits.defaults());
        }
    }

    private final Settings settings;
    private final ApiTokens tokens;
    private final OidcPrincipals oidc;
    private final ConsoleLogin login;
    private final FindingsService service;
    private final ComplianceService compliance;
    private final EntityService entities;
    private final IncidentService incidents;
    private volatile RuleOverrideStore overrides;
    private volatile RuleStatsStore ruleStats;
    private final BulwarkHttpServer server;

    /** The console's sign-in, or null (for tests). */
    ConsoleLogin login() {
        return login;
    }

    /** Starts serving, with static tokens only. */
    public ApiServer(Settings settings, ApiTokens tokens, FindingsService service) throws IOException {
        this(settings, tokens, null, service);
    }

    /**
     * Starts serving.
     *
     * @param oidc OIDC bearer tokens accepted beside the static {@code tokens}, or null for static tokens only
     */
    public ApiServer(Settings settings, ApiTokens tokens, OidcPrincipals oidc, FindingsService service)
            throws IOException {
        this(settings, tokens, oidc, (ConsoleLogin) null, service);
    }

    /**
     * Starts serving, with the console's sign-in through the OIDC provider.
     *
     * @param oidc OIDC bearer tokens accepted beside the static {@code tokens}; required with {@code login}
     * @param login how the console signs in, or null for no sign-in (the console then takes a pasted token only)
     */
    public ApiServer(Settings settings, ApiTokens tokens, OidcPrincipals oidc, ConsoleLogin.Settings login,
            FindingsService service) throws IOException {
        this(settings, tokens, oidc, login == null ? null : new ConsoleLogin(login, oidc), service);
    }

    ApiServer(Settings settings, ApiTokens tokens, OidcPrincipals oidc, ConsoleLogin login, FindingsService service)
            throws IOException {
        this.settings = settings;
        this.tokens = tokens;
        this.oidc = oidc;
        this.login = login;
        this.service = service;
        this.compliance = new ComplianceService(service.client(), ComplianceIndex.forFindings(service.index()),
                ControlCatalogue.shipped(), java.time.Clock.systemUTC());
        this.entities = new EntityService(service.client(), dev.bulwark.sink.EntityIndex.forFindings(service.index()),
                java.time.Clock.systemUTC());
        this.incidents = new IncidentService(service.client(),
                dev.bulwark.sink.IncidentIndex.forFindings(service.index()), java.time.Clock.systemUTC());
        try {
            server = BulwarkHttpServer.start(new BulwarkHttpServer.Spec("api", settings.host(), settings.port(),
                    settings.http(), settings.threads(), 128, MAX_BODY_BYTES, Set.of("/healthz"),
                    new BulwarkHttpServer.Routes() {
                        @Override
                        public void handle(Exchange exchange) {
                            ApiServer.this.handle(exchange);
                        }

                        @Override
                        public void refuse(Exchange exchange, int status, String message) {
                            securityHeaders(exchange);
                            error(exchange, status, message);
                        }
                    }, settings.tls()));
        } catch (java.net.BindException e) {
            throw new IOException("query API address " + settings.host() + ":" + settings.port()
                    + " is in use; choose another with api.port or BULWARK_API_PORT", e);
        }
    }

    /** The base URL, e.g. {@code http://127.0.0.1:8080} or {@code https://127.0.0.1:8080}. */
    public String url() {
        String host = settings.host().contains(":") ? "[" + settings.host() + "]" : settings.host();
        return server.scheme() + "://" + host + ":" + server.port();
    }

    private void handle(Exchange exchange) {
        securityHeaders(exchange);
        try {
            route(exchange);
        } catch (ApiException e) {
            error(exchange, e.status(), e.getMessage());
        } catch (ElasticsearchException e) {
            LOG.warn("Elasticsearch refused a query API request ({} {}): {}", Validation.printable(exchange.method(), 16),
                    Validation.printable(exchange.path(), 200), e.getMessage());
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
    }

    private void route(Exchange exchange) throws IOException {
        String method = exchange.method();
        String path = exchange.rawPath();
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
        if (VENDOR.containsKey(path)) {
            allow(exchange, method, "GET", "HEAD");
            QueryParams.parse(exchange.rawQuery(), Set.of());
            send(exchange, 200, contentType(path), vendor(path));
            return;
        }
        if (path.startsWith("/auth/")) {
            routeAuth(exchange, method, path);
            return;
        }
        if (!path.startsWith("/api/")) {
            throw new ApiException(404, "not found");
        }
        Caller caller = authenticate(exchange);
        Principal principal = caller.principal();
        if ("/api/findings".equals(path)) {
            allow(exchange, method, "GET");
            QueryParams params = QueryParams.parse(exchange.rawQuery(), FindingsService.SEARCH_PARAMS);
            json(exchange, 200, service.list(principal, service.search(params)));
        } else if (path.startsWith("/api/findings/")) {
            String id = idFromPath(path.substring("/api/findings/".length()));
            allow(exchange, method, "GET", "PATCH");
            if ("PATCH".equals(method)) {
                if (!principal.mayTriage()) {
                    throw new ApiException(403, "role " + principal.role() + " may not change triage status");
                }
                QueryParams.parse(exchange.rawQuery(), Set.of());
                Triage triage = readTriage(exchange);
                json(exchange, 200, Map.of("finding", service.triage(principal, id, triage.status(), triage.note())));
            } else {
                QueryParams.parse(exchange.rawQuery(), Set.of());
                json(exchange, 200, Map.of("finding", service.get(principal, id)));
            }
        } else if ("/api/compliance".equals(path)) {
            allow(exchange, method, "GET");
            String body = compliance.report(principal, QueryParams.parse(exchange.rawQuery(), ComplianceService.PARAMS));
            send(exchange, 200, "application/json", body.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } else if ("/api/entities".equals(path)) {
            allow(exchange, method, "GET");
            json(exchange, 200, entities.list(principal, QueryParams.parse(exchange.rawQuery(), EntityService.PARAMS)));
        } else if ("/api/incidents".equals(path)) {
            allow(exchange, method, "GET");
            json(exchange, 200, incidents.list(principal, QueryParams.parse(exchange.rawQuery(), IncidentService.PARAMS)));
        } else if (path.startsWith("/api/incidents/")) {
            String id = idFromPath(path.substring("/api/incidents/".length()));
            allow(exchange, method, "GET", "PATCH");
            QueryParams.parse(exchange.rawQuery(), Set.of());
            if ("PATCH".equals(method)) {
                if (!principal.mayTriage()) {
                    throw new ApiException(403, "role " + principal.role() + " may not change triage status");
                }
                Triage triage = readTriage(exchange);
                json(exchange, 200, Map.of("incident", incidents.triage(principal, id, triage.status(), triage.note())));
            } else {
                json(exchange, 200, Map.of("incident", incidents.get(principal, id)));
            }
        } else if ("/api/rules".equals(path)) {
            allow(exchange, method, "GET");
            QueryParams params = QueryParams.parse(exchange.rawQuery(), Set.of("sort", "size"));
            if (!principal.isSoc()) {
                throw new ApiException(403, "per-rule telemetry is for SOC principals only");
            }
            String sort = params.get("sort") == null ? "cost"
                    : Validation.single("sort", params.get("sort"), RuleStatsReport.SORTS);
            int size = Validation.size(params.get("size"));
            RuleStatsStore store = ruleStats;
            if (store == null) {
                throw new ApiException(503, "per-rule telemetry is unavailable: the query API runs without Kafka");
            }
            List<RuleStatsReport.Row> rows;
            try {
                rows = RuleStatsReport.rows(store.all(), sort);
            } catch (IOException e) {
                LOG.warn("per-rule telemetry unavailable: {}", e.getMessage());
                throw new ApiException(503, "per-rule telemetry is unavailable (Kafka): " + e.getMessage()
                        + "; try again shortly");
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("sort", sort);
            body.put("total", rows.size());
            body.put("rules", rows.stream().limit(size).map(RuleStatsReport::json).toList());
            json(exchange, 200, body);
        } else if ("/api/rules/overrides".equals(path)) {
            allow(exchange, method, "GET");
            QueryParams params = QueryParams.parse(exchange.rawQuery(), Set.of("tenant"));
            json(exchange, 200, Map.of("overrides", listOverrides(principal, Validation.tenant(params.get("tenant")))));
        } else if (path.startsWith("/api/rules/") && path.contains("/overrides/")) {
            allow(exchange, method, "PUT", "DELETE");
            QueryParams.parse(exchange.rawQuery(), Set.of());
            if (!principal.isSoc()) {
                throw new ApiException(403, "only SOC principals may change rule overrides; a tenant can read its own "
                        + "at GET /api/rules/overrides");
            }
            String rest = path.substring("/api/rules/".length());
            int split = rest.lastIndexOf("/overrides/");
            String target = Validation.ruleTarget(segment(rest.substring(0, split)));
            String tenant = segment(rest.substring(split + "/overrides/".length()));
            if (tenant.isEmpty() || Validation.tenant(tenant) == null) {
                throw new ApiException(404, "not found");
            }
            if ("DELETE".equals(method)) {
                overridesCall(() -> {
                    overrides().delete(tenant, target);
                    return null;
                });
                json(exchange, 200, Map.of("deleted", Map.of("tenant", tenant, "target", target)));
            } else {
                RuleOverride override = RuleOverrideRequests.parse(readJson(exchange, "the override"), tenant, target,
                        principal.name(), System.currentTimeMillis());
                RuleOverrideStore store = overrides();
                try {
                    store.check(override);
                } catch (IllegalArgumentException e) {
                    throw ApiException.badRequest(Validation.printable(e.getMessage(), 600));
                }
                overridesCall(() -> {
                    overrides().put(override);
                    return null;
                });
                json(exchange, 200, Map.of("override", RuleOverrideRequests.json(override)));
            }
        } else if ("/api/rules/shadow".equals(path)) {
            allow(exchange, method, "GET");
            QueryParams.parse(exchange.rawQuery(), Set.of());
            if (!principal.isSoc()) {
                throw new ApiException(403, "shadow rules are for SOC principals only");
            }
            json(exchange, 200, shadowRules());
        } else if ("/api/stats".equals(path)) {
            allow(exchange, method, "GET");
            json(exchange, 200, service.stats(principal,
                    QueryParams.parse(exchange.rawQuery(), FindingsService.STATS_PARAMS)));
        } else if ("/api/whoami".equals(path)) {
            allow(exchange, method, "GET");
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("name", principal.name());
            body.put("role", principal.role());
            body.put("tenant", principal.tenant());
            body.put("may_triage", principal.mayTriage());
            body.put("session", caller.session() != null);
            if (caller.session() != null) {
                body.put("session_expires_at", caller.session().expiresAt().toString());
            }
            json(exchange, 200, body);
        } else {
            throw new ApiException(404, "not found");
        }
    }

    /** The overrides the caller may see: a tenant its own only (another tenant named is a 403), SOC all or one tenant's. */
    private List<Map<String, Object>> listOverrides(Principal principal, String tenant) throws IOException {
        if (!principal.isSoc()) {
            if (tenant != null && !tenant.equals(principal.tenant())) {
                throw new ApiException(403, "a tenant sees only its own overrides");
            }
            tenant = principal.tenant();
        }
        List<Map<String, Object>> rows = new java.util.ArrayList<>();
        for (RuleOverride override : overridesCall(() -> overrides().all())) {
            if (tenant == null || tenant.equals(override.getTenant())) {
                rows.add(RuleOverrideRequests.json(override));
            }
        }
        rows.sort(java.util.Comparator.comparing((Map<String, Object> row) -> (String) row.get("tenant"))
                .thenComparing(row -> (String) row.get("target")));
        return rows;
    }

    /** A call to the override store whose failure is a 503 about the overrides (Kafka), not about Elasticsearch. */
    private static <T> T overridesCall(java.util.concurrent.Callable<T> call) {
        try {
            return call.call();
        } catch (ApiException e) {
            throw e;
        } catch (Exception e) {
            LOG.warn("rule overrides unavailable: {}", e.getMessage());
            throw new ApiException(503, "rule overrides are unavailable (Kafka): " + e.getMessage()
                    + "; try again shortly");
        }
    }

    private RuleOverrideStore overrides() {
        if (overrides == null) {
            throw new ApiException(503, "rule overrides are not available: this API runs without a Kafka user for them "
                    + "(its start-up message says why)");
        }
        return overrides;
    }

    /**
     * Serves per-tenant rule overrides from {@code store} ({@code GET /api/rules/overrides}, {@code PUT} and
     * {@code DELETE /api/rules/{id}/overrides/{tenant}}); without it those answer 503.
     *
     * @return this server
     */
    public ApiServer withRuleOverrides(RuleOverrideStore store) {
        this.overrides = store;
        return this;
    }

    /** Serves per-rule telemetry from {@code store} ({@code GET /api/rules}); without it that answers 503. */
    public ApiServer withRuleStats(RuleStatsStore store) {
        this.ruleStats = store;
        return this;
    }

    /** The JSON body of a request ({@code what} names it in the 415), after the content type and size checks. */
    private static byte[] readJson(Exchange exchange, String what) {
        String contentType = exchange.header("Content-Type");
        if (contentType == null || !contentType.toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
            throw new ApiException(415, "send " + what + " as Content-Type: application/json");
        }
        // The server stopped reading one byte past the limit, or read nothing when the declared length was over it.
        if (exchange.bodyTooLarge()) {
            throw new ApiException(413, "the request body is larger than " + MAX_BODY_BYTES + " bytes");
        }
        return exchange.body();
    }

    /** Each rule's hits in the shadow findings index, most matches first. */
    private Map<String, Object> shadowRules() throws IOException {
        List<Map<String, Object>> rules = new java.util.ArrayList<>();
        for (ShadowFindings.RuleHits rule : ShadowFindings.perRule(service.client(), service.index().shadow())) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("rule_id", rule.ruleId());
            row.put("rule_name", rule.ruleName());
            row.put("findings", rule.hits().findings());
            row.put("matches", rule.hits().matches());
            row.put("first_seen", rule.firstSeen() == null ? null : rule.firstSeen().toString());
            row.put("last_seen", rule.hits().lastSeen() == null ? null : rule.hits().lastSeen().toString());
            rules.add(row);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("index", service.index().shadow().alias());
        body.put("rules", rules);
        return body;
    }

    /** The finding id in a raw path segment: percent-decoded, then validated. */
    private static String idFromPath(String rawSegment) {
        if (rawSegment.isEmpty() || rawSegment.contains("/")) {
            throw new ApiException(404, "not found");
        }
        return Validation.findingId(segment(rawSegment));
    }

    /** A raw path segment percent-decoded; a {@code +} stays a plus (it means a space only in query strings). */
    private static String segment(String rawSegment) {
        return QueryParams.decode(rawSegment.replace("+", "%2B"));
    }

    /** The console's sign-in: {@code /auth/config} always, the rest only when sign-in is configured. */
    private void routeAuth(Exchange exchange, String method, String path) {
        if ("/auth/config".equals(path)) {
            allow(exchange, method, "GET", "HEAD");
            QueryParams.parse(exchange.rawQuery(), Set.of());
            json(exchange, 200, Map.of("login", login != null));
            return;
        }
        if (login == null) {
            throw new ApiException(404, "not found");
        }
        switch (path) {
            case "/auth/login" -> {
                allow(exchange, method, "GET");
                login.start(exchange);
            }
            case "/auth/callback" -> {
                allow(exchange, method, "GET");
                login.callback(exchange);
            }
            case "/auth/logout" -> {
                allow(exchange, method, "POST");
                if (!login.fromConsole(exchange)) {
                    throw new ApiException(403, ConsoleLogin.CROSS_SITE);
                }
                login.logout(exchange);
            }
            default -> throw new ApiException(404, "not found");
        }
    }

    /** Who is calling, and the console session it called with (null for a bearer token). */
    private record Caller(Principal principal, ConsoleLogin.Session session) {
    }

    /**
     * The caller: with an {@code Authorization} header, a static token's principal, else an OIDC token's; without one,
     * the principal of a console session cookie. Every refusal is the same 401, whatever failed (no header, two
     * headers, an unknown token, any check of a JWT, an unknown or expired session), so a caller learns nothing about
     * which check its credentials failed; the reason is logged at debug level, without the token. A cookie-authenticated
     * request other than GET or HEAD must come from the console ({@link ConsoleLogin#fromConsole}) or gets 403, checked
     * before the session is looked up.
     */
    private Caller authenticate(Exchange exchange) {
        List<String> headers = exchange.headers("Authorization");
        if (headers.isEmpty() && login != null && login.hasSessionCookie(exchange)) {
            String method = exchange.method();
            if (!"GET".equals(method) && !"HEAD".equals(method) && !login.fromConsole(exchange)) {
                LOG.debug("query API request refused (403): a cookie-authenticated {} without the console's header, "
                        + "from {}", Validation.printable(method, 16), exchange.remoteAddress());
                throw new ApiException(403, ConsoleLogin.CROSS_SITE);
            }
            Optional<ConsoleLogin.Session> session = login.session(exchange);
            if (session.isPresent()) {
                return new Caller(session.get().principal(), session.get());
            }
            LOG.debug("query API request refused (401): unknown or expired console session, from {}",
                    exchange.remoteAddress());
            exchange.setHeader("WWW-Authenticate", "Bearer realm=\"bulwark\"");
            throw new ApiException(401, UNAUTHORIZED);
        }
        return new Caller(bearerPrincipal(exchange, headers), null);
    }

    /** The principal of the one {@code Authorization: Bearer} header, or the 401. */
    private Principal bearerPrincipal(Exchange exchange, List<String> headers) {
        Optional<Principal> principal = Optional.empty();
        if (headers.size() == 1) {
            principal = tokens.authenticate(headers.get(0));
            if (principal.isEmpty() && oidc != null) {
                String token = bearer(headers.get(0));
                if (token != null) {
                    principal = oidc.authenticate(token);
                }
            }
        }
        if (principal.isEmpty()) {
            LOG.debug("query API request refused (401): {} Authorization header(s), from {}", headers.size(),
                    exchange.remoteAddress());
            exchange.setHeader("WWW-Authenticate", "Bearer realm=\"bulwark\"");
            throw new ApiException(401, UNAUTHORIZED);
        }
        return principal.get();
    }

    /** The token of an {@code Authorization: Bearer <token>} header, or null. */
    private static String bearer(String header) {
        String value = header.strip();
        if (value.length() < 8 || !value.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        return value.substring(7).strip();
    }

    private static void allow(Exchange exchange, String method, String... allowed) {
        for (String a : allowed) {
            if (a.equals(method)) {
                return;
            }
        }
        exchange.setHeader("Allow", String.join(", ", allowed));
        throw new ApiException(405, "method " + Validation.printable(method, 16) + " not allowed here; use "
                + String.join(" or ", allowed));
    }

    /** A triage change as sent in a PATCH body. */
    record Triage(String status, String note) {
    }

    private static Triage readTriage(Exchange exchange) {
        return parseTriage(readJson(exchange, "the triage change"));
    }

    /** Parses and validates {@code {"status": "...", "note": "..."}}. */
    static Triage parseTriage(byte[] body) {
        JsonNode node = Validation.jsonObject(body, Set.of("status", "note"),
                "{\"status\":\"acknowledged\",\"note\":\"...\"}", "a triage change");
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

    private static void securityHeaders(Exchange exchange) {
        exchange.setHeader("Content-Security-Policy", CSP);
        exchange.setHeader("X-Content-Type-Options", "nosniff");
        exchange.setHeader("X-Frame-Options", "DENY");
        exchange.setHeader("Referrer-Policy", "no-referrer");
        exchange.setHeader("Cross-Origin-Opener-Policy", "same-origin");
        exchange.setHeader("Cross-Origin-Resource-Policy", "same-origin");
        exchange.setHeader("Cache-Control", "no-store");
    }

    private static String contentType(String file) {
        if (file.endsWith(".html")) {
            return "text/html; charset=utf-8";
        }
        if (file.endsWith(".js")) {
            return "text/javascript; charset=utf-8";
        }
        if (file.endsWith(".txt")) {
            return "text/plain; charset=utf-8";
        }
        return "text/css; charset=utf-8";
    }

    /** Serves a file from this package's resources (named, so the shaded jar cannot mix it up with another's). */
    private static void resource(Exchange exchange, String path, String contentType) throws IOException {
        byte[] body;
        try (InputStream in = ApiServer.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new ApiException(404, "not found");
            }
            body = in.readAllBytes();
        }
        send(exchange, 200, contentType, body);
    }

    /**
     * A vendor file from its WebJar ({@code META-INF/resources/webjars/<name>/<version>/<file>}), the version read from
     * the WebJar's own {@code pom.properties}, so the path follows the dependency's version in the POM.
     */
    static byte[] vendor(String path) throws IOException {
        byte[] cached = VENDOR_BYTES.get(path);
        if (cached != null) {
            return cached;
        }
        String[] where = VENDOR.get(path);
        if (where == null) {
            throw new ApiException(404, "not found");
        }
        ClassLoader loader = ApiServer.class.getClassLoader();
        java.util.Properties pom = new java.util.Properties();
        try (InputStream in = loader.getResourceAsStream(
                "META-INF/maven/org.webjars.npm/" + where[0] + "/pom.properties")) {
            if (in == null) {
                LOG.warn("the console's {} is missing: WebJar org.webjars.npm:{} is not on the classpath", path, where[0]);
                throw new ApiException(404, "not found");
            }
            pom.load(in);
        }
        String version = pom.getProperty("version", "").strip();
        String resource = "META-INF/resources/webjars/" + where[0] + "/" + version + "/" + where[1];
        byte[] body;
        try (InputStream in = loader.getResourceAsStream(resource)) {
            if (in == null) {
                LOG.warn("the console's {} is missing: no {} on the classpath", path, resource);
                throw new ApiException(404, "not found");
            }
            body = in.readAllBytes();
        }
        VENDOR_BYTES.put(path, body);
        return body;
    }

    private static void json(Exchange exchange, int status, Object body) {
        byte[] bytes;
        try {
            bytes = JSON.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a response", e);
        }
        send(exchange, status, "application/json", bytes);
    }

    private static void error(Exchange exchange, int status, String message) {
        json(exchange, status, Map.of("error", Map.of("status", status, "message", message)));
    }

    private static void send(Exchange exchange, int status, String contentType, byte[] body) {
        exchange.send(status, contentType, body);
    }

    @Override
    public void close() {
        server.close();
    }
}
