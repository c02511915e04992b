package dev.bulwark.api;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.StringJoiner;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.bulwark.http.Exchange;
import dev.bulwark.http.oidc.OidcVerifier;

/**
 * The console's sign-in through the OIDC provider: the authorization code flow with PKCE, run by this server as the
 * console's backend (the "backend for frontend" of OAuth 2.0 for Browser-Based Apps), so no token ever reaches the
 * browser. The browser holds an opaque session cookie; the server holds the session.
 *
 * <ol>
 *   <li>{@code GET /auth/login} ({@link #start}): makes a {@code state}, a {@code nonce} and a PKCE
 *       {@code code_verifier}, keeps them server-side under the state for {@link #PENDING_TTL} (at most
 *       {@link #MAX_PENDING} sign-ins at once; a flood evicts the oldest, it does not grow memory), sets a login
 *       cookie that binds the sign-in to this browser, and redirects to the provider's authorization endpoint with the
 *       S256 challenge (the verifier never leaves the server).</li>
 *   <li>{@code GET /auth/callback} ({@link #callback}): the state must be pending (it is used up at once, whatever
 *       follows), the login cookie must be the one set with it, the provider's {@code iss} (when sent) must be the
 *       issuer; the code is exchanged at the token endpoint with the verifier (and the client secret, when
 *       configured). The <b>access token</b> must pass the same checks and role mapping as a bearer token
 *       ({@link OidcPrincipals}); the ID token must be for this client, with this sign-in's nonce. Then a session is
 *       made: a random 32-byte id in the cookie, its SHA-256 in the store with the principal, until the access token
 *       expires and at most {@link Settings#sessionTtl()}. The tokens themselves are not kept.</li>
 *   <li>{@code POST /auth/logout} ({@link #logout}): forgets the session and expires the cookie.</li>
 * </ol>
 *
 * <p>Every failed sign-in gets one and the same 400 ({@link #SIGN_IN_FAILED}); the reason is logged at info level,
 * never with a code, state, verifier, token or session id.
 *
 * <p>Cookies: with an {@code https} {@link Settings#publicUrl()} the session cookie is
 * {@code __Host-bulwark-session=<id>; Path=/; Max-Age=<until expiry>; HttpOnly; SameSite=Strict; Secure} (the
 * {@code __Host-} prefix makes browsers refuse it unless Secure, host-only and Path=/, so a sibling domain cannot
 * plant one). With an {@code http} public URL, which {@link Settings} allows on loopback only (development), browsers
 * drop Secure cookies and the prefix needs Secure, so the cookie is {@code bulwark-session} without Secure. The login
 * cookie is the same with {@code SameSite=Lax} (the provider's redirect back is a cross-site navigation, which
 * Strict cookies do not follow) and a 10-minute life.
 */
public final class ConsoleLogin {

    private static final Logger LOG = LoggerFactory.getLogger(ConsoleLogin.class);

    /** The header a cookie-authenticated request that changes something must carry (cross-site forms cannot). */
    public static final String CONSOLE_HEADER = "X-Bulwark-Console";
    /** The one answer to every failed sign-in. */
    static final String SIGN_IN_FAILED = "sign-in failed or expired; start again from the console";
    /** The one answer to a cookie-authenticated change without {@link #CONSOLE_HEADER}. */
    static final String CROSS_SITE = "refused: a change made with the console's session must come from the console ("
            + CONSOLE_HEADER + ": 1)";
    static final int MAX_PENDING = 10_000;
    static final int MAX_SESSIONS = 10_000;
    static final Duration PENDING_TTL = Duration.ofMinutes(10);
    private static final int MAX_TOKEN_RESPONSE_BYTES = 256 * 1024;
    private static final int MAX_CALLBACK_QUERY = 8192;
    private static final Duration TOKEN_TIMEOUT = Duration.ofSeconds(10);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * How the console signs in.
     *
     * @param publicUrl where browsers reach the console, e.g. {@code https://bulwark.example.com} (no path): the
     *     origin of the redirect URI and of the cookies. It is configured, never taken from a request's Host header,
     *     which the client chooses. {@code http} only on loopback.
     * @param redirectUri the callback registered at the provider; null = {@code <publicUrl>/auth/callback}; on the
     *     public URL's origin (a proxy may map another path to {@code /auth/callback})
     * @param clientId the console's client id at the provider
     * @param clientSecret the client secret of a confidential client, or null for a public client (PKCE only)
     * @param scopes the scopes asked for; must hold {@code openid}
     * @param sessionTtl a session ends when its access token expires, and at most this long after sign-in
     */
    public record Settings(URI publicUrl, URI redirectUri, String clientId, String clientSecret, List<String> scopes,
            Duration sessionTtl) {
        public Settings {
            if (publicUrl == null) {
                throw new IllegalArgumentException("the console's sign-in needs its public URL (api.publicUrl)");
            }
            publicUrl = origin(publicUrl, "api.publicUrl");
            if ("http".equals(publicUrl.getScheme()) && !OidcVerifier.isLoopback(publicUrl.getHost())) {
                throw new IllegalArgumentException("api.publicUrl must be https:// (http:// only on loopback, for "
                        + "development), got " + publicUrl);
            }
            if (redirectUri == null) {
                redirectUri = URI.create(publicUrl + "/auth/callback");
            } else {
                if (redirectUri.getRawFragment() != null || redirectUri.getRawQuery() != null
                        || !publicUrl.equals(origin(URI.create(redirectUri.getScheme() + "://"
                                + redirectUri.getRawAuthority()), "api.oidc.redirectUri"))) {
                    throw new IllegalArgumentException("api.oidc.redirectUri must be on the origin of api.publicUrl ("
                            + publicUrl + "), without query or fragment, got " + redirectUri);
                }
            }
            if (clientId == null || clientId.isBlank() || !clientId.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
                throw new IllegalArgumentException("the console's sign-in needs a client id (api.oidc.clientId), "
                        + "printable ASCII without spaces");
            }
            if (clientSecret != null && clientSecret.isEmpty()) {
                throw new IllegalArgumentException("the client secret (api.oidc.clientSecretFile) is empty");
            }
            scopes = scopes == null ? List.of("openid") : List.copyOf(scopes);
            if (!scopes.contains("openid")) {
                throw new IllegalArgumentException("api.oidc.scopes must hold openid (the sign-in is OpenID Connect)");
            }
            for (String scope : scopes) {
                if (scope.isEmpty() || !scope.chars().allMatch(c -> c == 0x21 || c >= 0x23 && c <= 0x5b
                        || c >= 0x5d && c <= 0x7e)) {
                    throw new IllegalArgumentException("invalid scope in api.oidc.scopes: \""
                            + Validation.printable(scope, 64) + "\"");
                }
            }
            if (sessionTtl == null || sessionTtl.isNegative() || sessionTtl.isZero()) {
                throw new IllegalArgumentException("api.oidc.sessionTtl must be positive");
            }
        }

        /** A public client (no secret): the defaults otherwise. */
        public Settings(URI publicUrl, String clientId) {
            this(publicUrl, null, clientId, null, List.of("openid"), Duration.ofHours(8));
        }

        /** Whether the cookies are Secure and {@code __Host-} prefixed (an https public URL). */
        public boolean secureCookies() {
            return "https".equals(publicUrl.getScheme());
        }

        /** The session cookie's name. */
        public String sessionCookie() {
            return secureCookies() ? "__Host-bulwark-session" : "bulwark-session";
        }

        /** The login cookie's name (binds a pending sign-in to the browser that started it). */
        public String loginCookie() {
            return secureCookies() ? "__Host-bulwark-login" : "bulwark-login";
        }

        /** Never the secret. */
        @Override
        public String toString() {
            return "Settings[publicUrl=" + publicUrl + ", redirectUri=" + redirectUri + ", clientId=" + clientId
                    + ", clientSecret=" + (clientSecret == null ? "none" : "********") + ", scopes=" + scopes
                    + ", sessionTtl=" + sessionTtl + "]";
        }

        /** scheme://host[:port], the port only when not the scheme's default; refuses paths, queries, user info. */
        private static URI origin(URI url, String key) {
            String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
            if (!"https".equals(scheme) && !"http".equals(scheme) || url.getHost() == null
                    || url.getRawUserInfo() != null || url.getRawQuery() != null || url.getRawFragment() != null
                    || url.getRawPath() != null && !url.getRawPath().isEmpty() && !"/".equals(url.getRawPath())) {
                throw new IllegalArgumentException(key + " must be like https://bulwark.example.com[:port] (no path), got "
                        + url);
            }
            int port = url.getPort();
            boolean defaultPort = port == -1 || "https".equals(scheme) && port == 443 || "http".equals(scheme) && port == 80;
            return URI.create(scheme + "://" + url.getHost().toLowerCase(Locale.ROOT) + (defaultPort ? "" : ":" + port));
        }
    }

    /** A sign-in between {@code /auth/login} and {@code /auth/callback}. */
    private record Pending(String nonce, String codeVerifier, byte[] browser) {
    }

    /** A signed-in console: who, and until when. */
    record Session(Principal principal, Instant expiresAt) {
    }

    private final Settings settings;
    private final OidcPrincipals principals;
    private final OidcVerifier verifier;
    private final Clock clock;
    private final ExpiringStore<Pending> pending;
    private final ExpiringStore<Session> sessions;
    private final int maxPending;
    private final int maxSessions;
    private final AtomicLong nextEvictionWarning = new AtomicLong(System.nanoTime());
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .followRedirects(HttpClient.Redirect.NEVER).build();

    /** The sign-in for these settings, with the OIDC checks and role mapping of bearer tokens. */
    public ConsoleLogin(Settings settings, OidcPrincipals principals) {
        this(settings, principals, Clock.systemUTC(), MAX_PENDING, MAX_SESSIONS);
    }

    ConsoleLogin(Settings settings, OidcPrincipals principals, Clock clock, int maxPending, int maxSessions) {
        if (principals == null) {
            throw new IllegalArgumentException("the console's sign-in needs the OIDC issuer (api.oidc.issuer)");
        }
        this.settings = settings;
        this.principals = principals;
        this.verifier = principals.verifier();
        this.clock = clock;
        this.maxPending = maxPending;
        this.maxSessions = maxSessions;
        this.pending = new ExpiringStore<>(maxPending, clock);
        this.sessions = new ExpiringStore<>(maxSessions, clock);
    }

    /** The settings. */
    public Settings settings() {
        return settings;
    }

    /** {@code GET /auth/login}: remembers a new sign-in and sends the browser to the provider. */
    void start(Exchange exchange) {
        OidcVerifier.Endpoints endpoints = endpoints();
        String state = random();
        String nonce = random();
        String codeVerifier = random();
        String browser = random();
        if (pending.put(state, new Pending(nonce, codeVerifier, sha256(browser)), clock.instant().plus(PENDING_TTL))) {
            warnEvicted("more than {} console sign-ins pending: the oldest are dropped (a flood of /auth/login?); "
                    + "{} so far", maxPending, pending.evicted());
        }
        StringJoiner query = new StringJoiner("&");
        query.add("response_type=code");
        query.add("client_id=" + enc(settings.clientId()));
        query.add("redirect_uri=" + enc(settings.redirectUri().toString()));
        query.add("scope=" + enc(String.join(" ", settings.scopes())));
        query.add("state=" + state);
        query.add("nonce=" + nonce);
        query.add("code_challenge=" + base64Url(sha256(codeVerifier)));
        query.add("code_challenge_method=S256");
        String authorization = endpoints.authorization().toString();
        exchange.addHeader("Set-Cookie", cookie(settings.loginCookie(), browser, PENDING_TTL.toSeconds(), "Lax"));
        exchange.setHeader("Location", authorization + (authorization.contains("?") ? "&" : "?") + query);
        exchange.send(302, null, new byte[0]);
    }

    /** {@code GET /auth/callback}: completes a sign-in and starts a session, or answers {@link #SIGN_IN_FAILED}. */
    void callback(Exchange exchange) {
        // Whatever happens, the login cookie has served its purpose.
        exchange.addHeader("Set-Cookie", cookie(settings.loginCookie(), "", 0, "Lax"));
        Map<String, String> params = callbackParams(exchange.rawQuery());
        String state = params.get("state");
        Pending started = state == null ? null : pending.remove(state); // used up now, whatever follows
        if (started == null) {
            throw refused("unknown, expired or already used state");
        }
        List<String> browser = exchange.cookies(settings.loginCookie());
        if (browser.size() != 1 || !MessageDigest.isEqual(sha256(browser.get(0)), started.browser())) {
            throw refused("the login cookie of the browser that started it is missing or different");
        }
        if (params.containsKey("error")) {
            throw refused("the provider answered error " + Validation.printable(params.get("error"), 64));
        }
        String iss = params.get("iss");
        if (iss != null && !iss.equals(verifier.settings().issuer())) {
            throw refused("the response names another issuer");
        }
        String code = params.get("code");
        if (code == null || code.isEmpty() || code.length() > 2048) {
            throw refused("no code");
        }
        JsonNode tokens = exchangeCode(code, started.codeVerifier());
        String accessToken = text(tokens, "access_token");
        String idToken = text(tokens, "id_token");
        if (accessToken == null || !"bearer".equalsIgnoreCase(text(tokens, "token_type"))) {
            throw refused("the token response has no bearer access token");
        }
        if (idToken == null) {
            throw refused("the token response has no ID token");
        }
        if (verifier.verifyIdToken(idToken, settings.clientId(), started.nonce()).isEmpty()) {
            throw refused("the ID token was refused (see the OIDC debug log)");
        }
        OidcPrincipals.Authenticated authenticated = principals.authenticateWithExpiry(accessToken)
                .orElseThrow(() -> refused("the access token was refused (see the OIDC debug log)"));
        Instant now = clock.instant();
        Instant expires = authenticated.expiresAt();
        if (expires.isAfter(now.plus(settings.sessionTtl()))) {
            expires = now.plus(settings.sessionTtl());
        }
        if (!expires.isAfter(now.plusSeconds(1))) {
            throw refused("the access token expires now");
        }
        String id = random();
        if (sessions.put(hash(id), new Session(authenticated.principal(), expires), expires)) {
            warnEvicted("more than {} console sessions: the oldest are ended; {} so far", maxSessions,
                    sessions.evicted());
        }
        LOG.info("console sign-in: {} as {}, session until {}", Validation.printable(authenticated.principal().name(), 255),
                authenticated.principal().role(), expires);
        exchange.addHeader("Set-Cookie", cookie(settings.sessionCookie(), id,
                Math.max(1, Duration.between(now, expires).toSeconds()), "Strict"));
        exchange.setHeader("Location", "/");
        exchange.send(302, null, new byte[0]);
    }

    /** {@code POST /auth/logout}: forgets the session (if any) and expires the cookie; the caller checked the header. */
    void logout(Exchange exchange) {
        for (String id : exchange.cookies(settings.sessionCookie())) {
            Session ended = sessions.remove(hash(id));
            if (ended != null) {
                LOG.info("console sign-out: {}", Validation.printable(ended.principal().name(), 255));
            }
        }
        exchange.addHeader("Set-Cookie", cookie(settings.sessionCookie(), "", 0, "Strict"));
        exchange.send(204, null, new byte[0]);
    }

    /** Whether the request carries a session cookie at all (valid or not). */
    boolean hasSessionCookie(Exchange exchange) {
        return !exchange.cookies(settings.sessionCookie()).isEmpty();
    }

    /** The session the request's cookie names, if it is one and has not expired. Two session cookies are none. */
    Optional<Session> session(Exchange exchange) {
        List<String> ids = exchange.cookies(settings.sessionCookie());
        if (ids.size() != 1 || ids.get(0).length() != 43) {
            return Optional.empty();
        }
        return Optional.ofNullable(sessions.get(hash(ids.get(0))));
    }

    /**
     * Whether a cookie-authenticated request that changes something comes from the console: it carries
     * {@code X-Bulwark-Console: 1} (a cross-site form cannot set a header, and a cross-origin script cannot without a
     * CORS approval this server never gives), and its {@code Origin} and {@code Sec-Fetch-Site}, when the browser
     * sends them, say the console's own origin.
     */
    boolean fromConsole(Exchange exchange) {
        List<String> marker = exchange.headers(CONSOLE_HEADER);
        if (marker.size() != 1 || !"1".equals(marker.get(0).strip())) {
            return false;
        }
        List<String> origins = exchange.headers("Origin");
        if (origins.size() > 1 || origins.size() == 1 && !settings.publicUrl().toString().equals(origins.get(0).strip())) {
            return false;
        }
        String site = exchange.header("Sec-Fetch-Site");
        return site == null || "same-origin".equals(site.strip());
    }

    /** A full store is worth a warning, but a flood must not flood the log too: at most one a minute. */
    private void warnEvicted(String message, int capacity, long evicted) {
        long now = System.nanoTime();
        long next = nextEvictionWarning.get();
        if (now - next >= 0 && nextEvictionWarning.compareAndSet(next, now + Duration.ofMinutes(1).toNanos())) {
            LOG.warn(message, capacity, evicted);
        }
    }

    /** Pending sign-ins held now (for tests). */
    int pendingSignIns() {
        return pending.size();
    }

    /** Sessions held now (for tests). */
    int sessionCount() {
        return sessions.size();
    }

    private OidcVerifier.Endpoints endpoints() {
        OidcVerifier.Endpoints endpoints;
        try {
            endpoints = verifier.endpoints();
        } catch (IOException | RuntimeException e) {
            throw new ApiException(503, "the identity provider cannot be reached; try again shortly");
        }
        if (endpoints.authorization() == null || endpoints.token() == null) {
            LOG.warn("the OIDC issuer {} names no authorization_endpoint or token_endpoint: the console cannot sign in",
                    verifier.settings().issuer());
            throw new ApiException(503, "the identity provider cannot be reached; try again shortly");
        }
        return endpoints;
    }

    /** Exchanges the code at the token endpoint (form POST, PKCE verifier, client authentication). */
    private JsonNode exchangeCode(String code, String codeVerifier) {
        OidcVerifier.Endpoints endpoints = endpoints();
        StringJoiner form = new StringJoiner("&");
        form.add("grant_type=authorization_code");
        form.add("code=" + enc(code));
        form.add("redirect_uri=" + enc(settings.redirectUri().toString()));
        form.add("code_verifier=" + codeVerifier);
        HttpRequest.Builder request = HttpRequest.newBuilder(endpoints.token())
                .timeout(TOKEN_TIMEOUT)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Accept", "application/json");
        String secret = settings.clientSecret();
        boolean basic = secret != null && (endpoints.tokenAuthMethods().isEmpty()
                || endpoints.tokenAuthMethods().contains("client_secret_basic")
                || !endpoints.tokenAuthMethods().contains("client_secret_post"));
        if (basic) {
            // RFC 6749 2.3.1: both parts form-encoded, then Basic.
            request.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                    (enc(settings.clientId()) + ":" + enc(secret)).getBytes(StandardCharsets.UTF_8)));
        } else {
            form.add("client_id=" + enc(settings.clientId()));
            if (secret != null) {
                form.add("client_secret=" + enc(secret));
            }
        }
        HttpResponse<InputStream> response;
        byte[] body;
        try {
            response = http.send(request.POST(HttpRequest.BodyPublishers.ofString(form.toString())).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = response.body()) {
                body = in.readNBytes(MAX_TOKEN_RESPONSE_BYTES + 1);
            }
        } catch (IOException e) {
            throw refused("the token endpoint cannot be reached (" + e.getClass().getSimpleName() + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw refused("interrupted");
        }
        if (body.length > MAX_TOKEN_RESPONSE_BYTES) {
            throw refused("the token response is larger than " + MAX_TOKEN_RESPONSE_BYTES + " bytes");
        }
        JsonNode json;
        try {
            json = JSON.readTree(body);
        } catch (IOException e) {
            json = null;
        }
        if (response.statusCode() != 200) {
            // The error code only: an error body holds no token, but it is the provider's text, not ours to log.
            String error = json == null ? null : text(json, "error");
            throw refused("the token endpoint answered " + response.statusCode()
                    + (error == null ? "" : " (" + Validation.printable(error, 64) + ")"));
        }
        if (json == null || !json.isObject()) {
            throw refused("the token response is not a JSON object");
        }
        return json;
    }

    /** The callback's query: every name at most once; anything malformed fails the sign-in like any other check. */
    private static Map<String, String> callbackParams(String rawQuery) {
        Map<String, String> params = new LinkedHashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return params;
        }
        if (rawQuery.length() > MAX_CALLBACK_QUERY) {
            throw refused("the query is longer than " + MAX_CALLBACK_QUERY + " characters");
        }
        try {
            for (String pair : rawQuery.split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                String name = QueryParams.decode(eq < 0 ? pair : pair.substring(0, eq));
                String value = QueryParams.decode(eq < 0 ? "" : pair.substring(eq + 1));
                if (params.put(name, value) != null) {
                    throw refused("a parameter is repeated");
                }
            }
        } catch (ApiException e) {
            throw e.getMessage().equals(SIGN_IN_FAILED) ? e : refused("malformed query");
        }
        return params;
    }

    private static ApiException refused(String reason) {
        LOG.info("console sign-in refused: {}", reason);
        return new ApiException(400, SIGN_IN_FAILED);
    }

    private String cookie(String name, String value, long maxAgeSeconds, String sameSite) {
        return name + "=" + value + "; Path=/; Max-Age=" + maxAgeSeconds + "; HttpOnly; SameSite=" + sameSite
                + (settings.secureCookies() ? "; Secure" : "");
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value != null && value.isTextual() ? value.textValue() : null;
    }

    /** 32 random bytes, base64url without padding (43 characters): states, nonces, verifiers and session ids. */
    private static String random() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return base64Url(bytes);
    }

    private static String base64Url(byte[] bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** The session store's key: the id's SHA-256, so the store holds no usable session id. */
    private static String hash(String id) {
        return base64Url(sha256(id));
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String enc(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
