package dev.bulwark.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntFunction;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.bulwark.http.HttpLimits;
import dev.bulwark.http.TestCertificates;
import dev.bulwark.http.oidc.OidcProvider;
import dev.bulwark.http.oidc.OidcVerifier;
import dev.bulwark.http.oidc.TestTokens;

/**
 * The console's sign-in (authorization code + PKCE, server-side session) against a real OIDC provider
 * (mock-oauth2-server in a separate process), walked the way a browser walks it: redirects are not followed by the
 * client but step by step here, cookies are kept by hand, so every hop and every cookie attribute is checked.
 *
 * <p>Elasticsearch is a recorder on a loopback port that answers every request with no hits: what matters is which
 * alias and filter the API sends for the signed-in principal.
 */
@Timeout(180)
class ConsoleLoginTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CLIENT_ID = "bulwark-console";
    private static final Map<String, Object> SOC = Map.of("groups", List.of("soc", "staff"));
    private static final Map<String, Object> ACME = Map.of("groups", List.of("tenant:acme", "staff"));

    @TempDir
    static Path dir;
    private static OidcProvider provider;
    private static TestCertificates certificates;
    private static ElasticsearchRecorder elasticsearch;
    private static OidcPrincipals oidc;
    /** HTTPS, a confidential client (client_secret_basic). */
    private static ApiServer api;
    private static HttpClient client;
    private final List<ApiServer> extra = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        provider = OidcProvider.start(TestTokens.scenarios(), dir.resolve("provider"));
        certificates = TestCertificates.create(dir.resolve("tls"), "EC");
        elasticsearch = new ElasticsearchRecorder();
        oidc = new OidcPrincipals(new OidcVerifier(new OidcVerifier.Settings(provider.issuer(),
                Set.of(TestTokens.API_AUDIENCE), Duration.ofSeconds(5))), OidcPrincipals.Mapping.defaults());
        api = startApi(true, port -> new ConsoleLogin(new ConsoleLogin.Settings(URI.create("https://127.0.0.1:" + port),
                null, CLIENT_ID, "console-secret-0123456789", List.of("openid", "profile"), Duration.ofHours(8)), oidc));
        client = HttpClient.newBuilder().sslContext(certificates.clientContext()).connectTimeout(Duration.ofSeconds(5))
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /** An API on a port chosen first, so that its public URL (which names the port) can be configured. */
    private static ApiServer startApi(boolean tls, IntFunction<ConsoleLogin> login) throws Exception {
        IOException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            int port;
            try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                port = socket.getLocalPort();
            }
            try {
                return new ApiServer(new ApiServer.Settings("127.0.0.1", port, 4, HttpLimits.defaults(),
                        tls ? certificates.pemTls() : null), ApiTokens.of(List.of()), oidc,
                        login == null ? null : login.apply(port),
                        elasticsearch.service("login-findings"));
            } catch (IOException e) {
                last = e; // the port was taken in between
            }
        }
        throw last;
    }

    @AfterAll
    static void stop() {
        if (api != null) {
            api.close();
        }
        if (elasticsearch != null) {
            elasticsearch.close();
        }
        if (provider != null) {
            provider.close();
        }
    }

    @BeforeEach
    void forget() {
        elasticsearch.clear();
    }

    @org.junit.jupiter.api.AfterEach
    void closeExtra() {
        extra.forEach(ApiServer::close);
    }

    private static List<String> searches() {
        return elasticsearch.requests();
    }

    /** A browser: follows nothing by itself, keeps the cookies the API sets, and sends them back to the API only. */
    private static final class Browser {
        final ApiServer server;
        final Map<String, String> cookies = new LinkedHashMap<>();
        final List<String> setCookies = new ArrayList<>();

        Browser(ApiServer server) {
            this.server = server;
        }

        HttpResponse<String> get(String pathOrUrl) throws Exception {
            return send(pathOrUrl, "GET", null, Map.of());
        }

        HttpResponse<String> send(String pathOrUrl, String method, String body, Map<String, String> headers)
                throws Exception {
            URI uri = URI.create(pathOrUrl.startsWith("http") ? pathOrUrl : server.url() + pathOrUrl);
            HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(20))
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofString(body));
            headers.forEach(request::header);
            if (!cookies.isEmpty()) {
                StringBuilder header = new StringBuilder();
                cookies.forEach((name, value) -> header.append(header.length() == 0 ? "" : "; ").append(name)
                        .append('=').append(value));
                request.header("Cookie", header.toString());
            }
            HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
            for (String set : response.headers().allValues("Set-Cookie")) {
                setCookies.add(set);
                String pair = set.substring(0, set.indexOf(';'));
                String name = pair.substring(0, pair.indexOf('='));
                if (set.contains("Max-Age=0;") || set.endsWith("Max-Age=0")) {
                    cookies.remove(name);
                } else {
                    cookies.put(name, pair.substring(pair.indexOf('=') + 1));
                }
            }
            return response;
        }

        /** {@code GET /auth/login}: the provider's authorization request it redirects to. */
        URI startSignIn() throws Exception {
            HttpResponse<String> login = get("/auth/login");
            assertThat(login.statusCode()).as(login.body()).isEqualTo(302);
            return URI.create(login.headers().firstValue("Location").orElseThrow());
        }

        /** The whole sign-in: the API, the provider's login form, back to the API's callback. */
        HttpResponse<String> signIn(String user, Map<String, Object> claims) throws Exception {
            URI back = provider.signIn(startSignIn(), user, claims);
            return get(back.toString());
        }

        String session() {
            return cookies.get(sessionCookie(server));
        }
    }

    private static String sessionCookie(ApiServer server) {
        return server.login().settings().sessionCookie();
    }

    private static Map<String, String> query(URI uri) {
        Map<String, String> params = new LinkedHashMap<>();
        for (String pair : uri.getRawQuery().split("&")) {
            int eq = pair.indexOf('=');
            params.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                    URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return params;
    }

    private static JsonNode json(HttpResponse<String> response) throws Exception {
        return JSON.readTree(response.body());
    }

    private static String signInFailed() throws Exception {
        return JSON.writeValueAsString(Map.of("error", Map.of("status", 400, "message", ConsoleLogin.SIGN_IN_FAILED)));
    }

    @Test
    void aSocAnalystSignsInThroughTheProviderAndTheSessionIsTheSoc() throws Exception {
        Browser browser = new Browser(api);
        assertThat(json(browser.get("/auth/config")).get("login").asBoolean()).isTrue();

        URI authorize = browser.startSignIn();
        assertThat(authorize.toString()).startsWith(provider.issuer() + "/authorize?");
        Map<String, String> request = query(authorize);
        assertThat(request).containsEntry("response_type", "code").containsEntry("client_id", CLIENT_ID)
                .containsEntry("redirect_uri", api.url() + "/auth/callback").containsEntry("scope", "openid profile")
                .containsEntry("code_challenge_method", "S256").doesNotContainKey("code_verifier");
        assertThat(request.get("state")).matches("[A-Za-z0-9_-]{43}");
        assertThat(request.get("nonce")).matches("[A-Za-z0-9_-]{43}").isNotEqualTo(request.get("state"));
        assertThat(request.get("code_challenge")).matches("[A-Za-z0-9_-]{43}");
        assertThat(browser.setCookies).singleElement().satisfies(cookie -> assertThat(cookie)
                .startsWith("__Host-bulwark-login=").contains("; Path=/", "; HttpOnly", "; SameSite=Lax", "; Secure",
                        "; Max-Age=600").doesNotContain("Domain"));

        URI back = provider.signIn(authorize, "alice", SOC);
        assertThat(back.toString()).startsWith(api.url() + "/auth/callback?");
        assertThat(query(back)).containsEntry("state", request.get("state")).containsKey("code");
        browser.setCookies.clear();
        HttpResponse<String> callback = browser.get(back.toString());
        assertThat(callback.statusCode()).as(callback.body()).isEqualTo(302);
        assertThat(callback.headers().firstValue("Location")).hasValue("/");
        assertThat(browser.setCookies).anySatisfy(cookie -> assertThat(cookie).startsWith("__Host-bulwark-login=;")
                .contains("Max-Age=0"));
        assertThat(browser.setCookies).anySatisfy(cookie -> assertThat(cookie)
                .matches("__Host-bulwark-session=[A-Za-z0-9_-]{43}; Path=/; Max-Age=\\d+; HttpOnly; SameSite=Strict; Secure"));
        assertThat(callback.body()).doesNotContain(browser.session());
        assertThat(browser.cookies).containsOnlyKeys("__Host-bulwark-session");

        JsonNode me = json(browser.get("/api/whoami"));
        assertThat(me.get("name").asText()).isEqualTo("alice");
        assertThat(me.get("role").asText()).isEqualTo("soc");
        assertThat(me.get("may_triage").asBoolean()).isTrue();
        assertThat(me.get("session").asBoolean()).isTrue();
        assertThat(Instant.parse(me.get("session_expires_at").asText()))
                .isBetween(Instant.now().plusSeconds(200), Instant.now().plusSeconds(301));

        assertThat(browser.get("/api/findings").statusCode()).isEqualTo(200);
        assertThat(searches()).singleElement().satisfies(search -> {
            assertThat(search).startsWith("POST /login-findings/_search");
            assertThat(search).doesNotContain("tenant.name");
        });
    }

    @Test
    void aTenantUsersSessionSeesOnlyItsTenantWhateverItAsksFor() throws Exception {
        Browser browser = new Browser(api);
        assertThat(browser.signIn("bob", ACME).statusCode()).isEqualTo(302);
        JsonNode me = json(browser.get("/api/whoami"));
        assertThat(me.get("name").asText()).isEqualTo("bob");
        assertThat(me.get("role").asText()).isEqualTo("tenant:acme");
        assertThat(me.get("may_triage").asBoolean()).isFalse();

        assertThat(browser.get("/api/findings").statusCode()).isEqualTo(200);
        assertThat(browser.get("/api/findings?tenant=globex").statusCode()).isEqualTo(200);
        assertThat(searches()).hasSize(2).allSatisfy(search -> {
            assertThat(search).startsWith("POST /login-findings-tenant-acme/_search");
            assertThat(JSON.readTree(search.substring(search.indexOf('{')))
                    .at("/query/bool/filter/0/term/tenant.name/value").asText()).isEqualTo("acme");
        });
        // Bearer tokens keep working beside sessions, and a bearer header wins over a cookie.
        HttpResponse<String> bearer = browser.send("/api/whoami", "GET", null,
                Map.of("Authorization", "Bearer " + provider.token("soc")));
        assertThat(json(bearer).get("role").asText()).isEqualTo("soc");
        assertThat(json(bearer).get("session").asBoolean()).isFalse();
    }

    @Test
    void aSignInWhoseRolesTheMappingRefusesGetsNoSession() throws Exception {
        for (Map<String, Object> claims : List.<Map<String, Object>>of(Map.of("groups", List.of("staff")),
                Map.of("groups", List.of("soc", "tenant:acme")), Map.of("roles", List.of("soc")))) {
            Browser browser = new Browser(api);
            HttpResponse<String> callback = browser.signIn("mallory", claims);
            assertThat(callback.statusCode()).as(claims.toString()).isEqualTo(400);
            assertThat(callback.body()).isEqualTo(signInFailed());
            assertThat(browser.session()).isNull();
        }
    }

    @Test
    void anUnknownForgedOrMissingStateIsRefused() throws Exception {
        Browser browser = new Browser(api);
        URI back = provider.signIn(browser.startSignIn(), "alice", SOC);
        String code = query(back).get("code");
        for (String forged : List.of("state=" + "A".repeat(43) + "&code=" + code, "code=" + code, "",
                "state=&code=" + code, "state=%C3%28&code=" + code)) {
            HttpResponse<String> callback = browser.get("/auth/callback" + (forged.isEmpty() ? "" : "?" + forged));
            assertThat(callback.statusCode()).as(forged).isEqualTo(400);
            assertThat(callback.body()).as(forged).isEqualTo(signInFailed());
            assertThat(browser.session()).isNull();
        }
    }

    @Test
    void aStateIsUsedOnceEvenByTheBrowserThatStartedIt() throws Exception {
        Browser browser = new Browser(api);
        URI back = provider.signIn(browser.startSignIn(), "alice", SOC);
        String loginCookie = browser.cookies.get("__Host-bulwark-login");
        assertThat(browser.get(back.toString()).statusCode()).isEqualTo(302);
        String first = browser.session();
        assertThat(first).isNotNull();

        // The same callback again, login cookie and all (a replayed URL from the history or a log).
        Browser replay = new Browser(api);
        replay.cookies.put("__Host-bulwark-login", loginCookie);
        HttpResponse<String> again = replay.get(back.toString());
        assertThat(again.statusCode()).isEqualTo(400);
        assertThat(again.body()).isEqualTo(signInFailed());
        assertThat(replay.session()).isNull();
    }

    @Test
    void aCallbackInAnotherBrowserThanTheOneThatStartedTheSignInIsRefused() throws Exception {
        // Login CSRF: the attacker starts a sign-in as themself and sends the victim the callback URL.
        Browser attacker = new Browser(api);
        URI back = provider.signIn(attacker.startSignIn(), "mallory", SOC);
        Browser victim = new Browser(api);
        HttpResponse<String> callback = victim.get(back.toString());
        assertThat(callback.statusCode()).isEqualTo(400);
        assertThat(callback.body()).isEqualTo(signInFailed());
        assertThat(victim.session()).isNull();
        // The victim with some other login cookie of their own fares no better.
        Browser other = new Browser(api);
        other.startSignIn();
        assertThat(other.get(back.toString()).statusCode()).isEqualTo(400);
        assertThat(other.session()).isNull();
    }

    @Test
    void aCodeIssuedToAnotherClientIsRefused() throws Exception {
        // A code the provider issued to another client (its own PKCE challenge and nonce), injected into a sign-in
        // the attacker started at Bulwark with a valid state.
        String otherVerifier = "o".repeat(43);
        String challenge = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(java.security.MessageDigest
                .getInstance("SHA-256").digest(otherVerifier.getBytes(StandardCharsets.US_ASCII)));
        URI otherClient = URI.create(provider.issuer() + "/authorize?response_type=code&client_id=other-client"
                + "&redirect_uri=" + URLEncoder.encode("https://other.example/cb", StandardCharsets.UTF_8)
                + "&scope=openid&state=s&nonce=attacker-nonce&code_challenge=" + challenge
                + "&code_challenge_method=S256");
        String code = query(provider.signIn(otherClient, "alice", SOC)).get("code");

        Browser attacker = new Browser(api);
        String state = query(attacker.startSignIn()).get("state");
        HttpResponse<String> callback = attacker.get("/auth/callback?state=" + state + "&code="
                + URLEncoder.encode(code, StandardCharsets.UTF_8));
        assertThat(callback.statusCode()).isEqualTo(400);
        assertThat(callback.body()).isEqualTo(signInFailed());
        assertThat(attacker.session()).isNull();
    }

    @Test
    void anErrorFromTheProviderOrAnotherIssuerIsRefused() throws Exception {
        Browser browser = new Browser(api);
        String state = query(browser.startSignIn()).get("state");
        HttpResponse<String> denied = browser.get("/auth/callback?error=access_denied&state=" + state);
        assertThat(denied.statusCode()).isEqualTo(400);
        assertThat(denied.body()).isEqualTo(signInFailed());

        URI back = provider.signIn(browser.startSignIn(), "alice", SOC);
        HttpResponse<String> mixUp = browser.get(back + "&iss=" + URLEncoder.encode("https://evil.example/idp",
                StandardCharsets.UTF_8));
        assertThat(mixUp.statusCode()).isEqualTo(400);
        assertThat(mixUp.body()).isEqualTo(signInFailed());
        assertThat(browser.session()).isNull();
    }

    @Test
    void aRandomOrTwoSessionCookiesAreThe401OfNoCredentials() throws Exception {
        Browser nobody = new Browser(api);
        HttpResponse<String> reference = nobody.get("/api/whoami");
        assertThat(reference.statusCode()).isEqualTo(401);

        Browser forger = new Browser(api);
        forger.cookies.put("__Host-bulwark-session", "A".repeat(43));
        HttpResponse<String> forged = forger.get("/api/whoami");
        assertThat(forged.statusCode()).isEqualTo(401);
        assertThat(forged.body()).isEqualTo(reference.body());
        forger.cookies.put("__Host-bulwark-session", "not-even-the-right-length");
        assertThat(forger.get("/api/findings").body()).isEqualTo(reference.body());

        // A valid session id plus a planted second one: which to believe is not guessed.
        Browser signedIn = new Browser(api);
        signedIn.signIn("alice", SOC);
        HttpResponse<String> two = client.send(HttpRequest.newBuilder(URI.create(api.url() + "/api/whoami"))
                .header("Cookie", "__Host-bulwark-session=" + signedIn.session() + "; __Host-bulwark-session="
                        + "B".repeat(43)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(two.statusCode()).isEqualTo(401);
        assertThat(searches()).isEmpty();
    }

    @Test
    void signingOutEndsTheSessionAndNeedsTheConsoleHeader() throws Exception {
        Browser browser = new Browser(api);
        browser.signIn("alice", SOC);
        String id = browser.session();
        assertThat(browser.get("/api/whoami").statusCode()).isEqualTo(200);

        // A cross-site form could post to /auth/logout, but without the header: refused, session intact.
        HttpResponse<String> forged = browser.send("/auth/logout", "POST", "", Map.of());
        assertThat(forged.statusCode()).isEqualTo(403);
        assertThat(browser.get("/api/whoami").statusCode()).isEqualTo(200);

        HttpResponse<String> logout = browser.send("/auth/logout", "POST", "", Map.of("X-Bulwark-Console", "1"));
        assertThat(logout.statusCode()).isEqualTo(204);
        assertThat(logout.headers().allValues("Set-Cookie")).anySatisfy(cookie -> assertThat(cookie)
                .startsWith("__Host-bulwark-session=;").contains("Max-Age=0"));
        assertThat(browser.session()).isNull();

        // The old cookie, kept by a careless browser or a thief, is dead server-side.
        Browser thief = new Browser(api);
        thief.cookies.put("__Host-bulwark-session", id);
        assertThat(thief.get("/api/whoami").statusCode()).isEqualTo(401);
        assertThat(thief.send("/auth/logout", "POST", "", Map.of("X-Bulwark-Console", "1")).statusCode())
                .as("signing out twice is harmless").isEqualTo(204);
    }

    @Test
    void aChangeMadeWithTheCookieNeedsTheConsoleHeaderAndTheConsolesOrigin() throws Exception {
        Browser browser = new Browser(api);
        browser.signIn("alice", SOC);
        String body = "{\"status\":\"acknowledged\"}";
        Map<String, String> json = Map.of("Content-Type", "application/json");

        HttpResponse<String> noHeader = browser.send("/api/findings/f-1", "PATCH", body, json);
        assertThat(noHeader.statusCode()).isEqualTo(403);
        assertThat(json(noHeader).at("/error/message").asText()).isEqualTo(ConsoleLogin.CROSS_SITE);
        HttpResponse<String> wrongValue = browser.send("/api/findings/f-1", "PATCH", body,
                Map.of("Content-Type", "application/json", "X-Bulwark-Console", "true"));
        assertThat(wrongValue.statusCode()).isEqualTo(403);
        HttpResponse<String> otherOrigin = browser.send("/api/findings/f-1", "PATCH", body,
                Map.of("Content-Type", "application/json", "X-Bulwark-Console", "1", "Origin", "https://evil.example"));
        assertThat(otherOrigin.statusCode()).isEqualTo(403);
        HttpResponse<String> crossSite = browser.send("/api/findings/f-1", "PATCH", body,
                Map.of("Content-Type", "application/json", "X-Bulwark-Console", "1", "Sec-Fetch-Site", "cross-site"));
        assertThat(crossSite.statusCode()).isEqualTo(403);
        // A random cookie gets the same 403 as a valid one: the header is checked before the session is looked up.
        Browser forger = new Browser(api);
        forger.cookies.put("__Host-bulwark-session", "A".repeat(43));
        assertThat(forger.send("/api/findings/f-1", "PATCH", body, json).body()).isEqualTo(noHeader.body());
        assertThat(searches()).as("no refused change reached Elasticsearch").isEmpty();

        HttpResponse<String> console = browser.send("/api/findings/f-1", "PATCH", body,
                Map.of("Content-Type", "application/json", "X-Bulwark-Console", "1", "Origin", api.url(),
                        "Sec-Fetch-Site", "same-origin"));
        // Past authentication and the CSRF check: the triage runs (the recorder knows no such finding).
        assertThat(console.statusCode()).as(console.body()).isNotIn(401, 403).isEqualTo(404);
        assertThat(searches()).isNotEmpty();
    }

    @Test
    void theSessionEndsWhenTheAccessTokenExpires() throws Exception {
        Browser browser = new Browser(api);
        long exp = Instant.now().getEpochSecond() + 4;
        Map<String, Object> claims = new LinkedHashMap<>(SOC);
        claims.put("exp", exp);
        assertThat(browser.signIn("alice", claims).statusCode()).isEqualTo(302);
        assertThat(browser.setCookies).anySatisfy(cookie -> assertThat(cookie)
                .matches("__Host-bulwark-session=.*; Max-Age=[1-4]; .*"));
        JsonNode me = json(browser.get("/api/whoami"));
        assertThat(me.get("session_expires_at").asText()).isEqualTo(Instant.ofEpochSecond(exp).toString());
        while (Instant.now().getEpochSecond() <= exp) {
            Thread.sleep(200);
        }
        assertThat(browser.get("/api/whoami").statusCode()).isEqualTo(401);
    }

    @Test
    void theSessionLastsAtMostTheConfiguredTimeAndPlainHttpOnLoopbackUsesAPlainCookie() throws Exception {
        ApiServer dev = startApi(false, port -> new ConsoleLogin(new ConsoleLogin.Settings(
                URI.create("http://127.0.0.1:" + port), null, CLIENT_ID, null, List.of("openid"),
                Duration.ofSeconds(2)), oidc));
        extra.add(dev);
        Browser browser = new Browser(dev);
        assertThat(query(browser.startSignIn())).containsEntry("redirect_uri", dev.url() + "/auth/callback");
        assertThat(browser.setCookies).singleElement().satisfies(cookie -> assertThat(cookie)
                .startsWith("bulwark-login=").doesNotContain("Secure"));
        browser.cookies.clear();
        HttpResponse<String> callback = browser.signIn("alice", SOC); // a public client: PKCE and client_id only
        assertThat(callback.statusCode()).as(callback.body()).isEqualTo(302);
        assertThat(browser.setCookies).anySatisfy(cookie -> assertThat(cookie)
                .matches("bulwark-session=[A-Za-z0-9_-]{43}; Path=/; Max-Age=[12]; HttpOnly; SameSite=Strict"));
        assertThat(browser.get("/api/whoami").statusCode()).isEqualTo(200);
        Thread.sleep(2500);
        assertThat(browser.get("/api/whoami").statusCode()).as("the token is valid for minutes; the TTL is 2 s")
                .isEqualTo(401);
    }

    @Test
    void aFloodOfSignInsDoesNotGrowThePendingStoreBeyondItsBound() throws Exception {
        ApiServer small = startApi(true, port -> new ConsoleLogin(new ConsoleLogin.Settings(
                URI.create("https://127.0.0.1:" + port), null, CLIENT_ID, null, List.of("openid"),
                Duration.ofHours(1)), oidc, Clock.systemUTC(), 50, 50));
        extra.add(small);
        Browser first = new Browser(small);
        URI firstRequest = first.startSignIn();
        Browser flood = new Browser(small);
        for (int i = 0; i < 200; i++) {
            flood.startSignIn();
            assertThat(small.login().pendingSignIns()).isLessThanOrEqualTo(50);
        }
        // The oldest sign-in was pushed out; one started after the flood still completes.
        HttpResponse<String> evicted = first.get(provider.signIn(firstRequest, "alice", SOC).toString());
        assertThat(evicted.statusCode()).isEqualTo(400);
        Browser late = new Browser(small);
        assertThat(late.signIn("alice", SOC).statusCode()).isEqualTo(302);
        assertThat(late.get("/api/whoami").statusCode()).isEqualTo(200);
    }

    @Test
    void withoutSignInConfiguredTheAuthEndpointsAreNotThere() throws Exception {
        ApiServer plain = startApi(true, null);
        extra.add(plain);
        Browser browser = new Browser(plain);
        assertThat(json(browser.get("/auth/config")).get("login").asBoolean()).isFalse();
        assertThat(browser.get("/auth/login").statusCode()).isEqualTo(404);
        assertThat(browser.get("/auth/callback?state=x&code=y").statusCode()).isEqualTo(404);
        assertThat(browser.send("/auth/logout", "POST", "", Map.of("X-Bulwark-Console", "1")).statusCode())
                .isEqualTo(404);
        assertThat(browser.setCookies).isEmpty();
        // A session cookie means nothing to a server without sign-in.
        browser.cookies.put("__Host-bulwark-session", "A".repeat(43));
        assertThat(browser.get("/api/whoami").statusCode()).isEqualTo(401);
    }

    @Test
    void noCodeStateSessionIdOrTokenIsLogged() throws Exception {
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        List<String> secrets = new ArrayList<>();
        try {
            Browser browser = new Browser(api);
            URI authorize = browser.startSignIn();
            secrets.add(query(authorize).get("state"));
            secrets.add(query(authorize).get("nonce"));
            secrets.add(query(authorize).get("code_challenge"));
            secrets.add(browser.cookies.get("__Host-bulwark-login"));
            URI back = provider.signIn(authorize, "alice", SOC);
            secrets.add(query(back).get("code"));
            browser.get(back.toString());
            secrets.add(browser.session());
            browser.get("/api/whoami");
            browser.get(back.toString()); // a replay, refused
            Browser refused = new Browser(api);
            URI other = provider.signIn(refused.startSignIn(), "erin", Map.of("groups", List.of("staff")));
            secrets.add(query(other).get("code"));
            refused.get(other.toString()); // refused by the role mapping
            browser.send("/auth/logout", "POST", "", Map.of("X-Bulwark-Console", "1"));
        } finally {
            System.setErr(err);
        }
        String log = captured.toString(StandardCharsets.UTF_8);
        assertThat(log).contains("console sign-in: alice as soc").contains("console sign-in refused")
                .contains("console sign-out: alice");
        assertThat(secrets).hasSize(7).doesNotContainNull();
        for (String secret : secrets) {
            assertThat(log).doesNotContain(secret);
        }
    }

    @Test
    void theConsoleOffersTheProvidersSignInUnderTheSameStrictPolicy() throws Exception {
        HttpResponse<String> page = new Browser(api).get("/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("id=\"sso-login\"").contains("href=\"/auth/login\"")
                .contains("id=\"token\"").doesNotContainPattern("<script>|<script [^>]*>[^<]+</script>|\\son[a-z]+=\"");
        String csp = page.headers().firstValue("Content-Security-Policy").orElseThrow();
        assertThat(csp).contains("script-src 'self'", "connect-src 'self'", "form-action 'none'",
                "frame-ancestors 'none'").doesNotContain("unsafe");
        for (String path : List.of("/auth/config", "/auth/login")) {
            HttpResponse<String> response = new Browser(api).get(path);
            assertThat(response.headers().firstValue("Cache-Control")).as(path).hasValue("no-store");
            assertThat(response.headers().firstValue("Content-Security-Policy")).as(path).hasValue(csp);
        }
    }

    @Test
    void settingsRefuseWhatWouldBreakOrWeakenTheSignIn() {
        URI https = URI.create("https://bulwark.example.com");
        assertThatThrownBy(() -> new ConsoleLogin.Settings(URI.create("http://bulwark.example.com"), CLIENT_ID))
                .hasMessageContaining("https://");
        assertThatThrownBy(() -> new ConsoleLogin.Settings(URI.create("https://bulwark.example.com/console"), CLIENT_ID))
                .hasMessageContaining("no path");
        assertThatThrownBy(() -> new ConsoleLogin.Settings(https, URI.create("https://evil.example/auth/callback"),
                CLIENT_ID, null, List.of("openid"), Duration.ofHours(1))).hasMessageContaining("origin");
        assertThatThrownBy(() -> new ConsoleLogin.Settings(https, null, CLIENT_ID, null, List.of("profile"),
                Duration.ofHours(1))).hasMessageContaining("openid");
        assertThatThrownBy(() -> new ConsoleLogin.Settings(https, null, " ", null, List.of("openid"),
                Duration.ofHours(1))).hasMessageContaining("client id");
        assertThatThrownBy(() -> new ConsoleLogin(new ConsoleLogin.Settings(https, CLIENT_ID), null))
                .hasMessageContaining("api.oidc.issuer");

        ConsoleLogin.Settings settings = new ConsoleLogin.Settings(URI.create("https://Bulwark.example.com:443/"),
                URI.create("https://bulwark.example.com/bulwark/auth/callback"), CLIENT_ID, "s3cret-value",
                List.of("openid"), Duration.ofHours(1));
        assertThat(settings.publicUrl()).hasToString("https://bulwark.example.com");
        assertThat(settings.sessionCookie()).isEqualTo("__Host-bulwark-session");
        assertThat(settings.toString()).doesNotContain("s3cret-value");
        assertThat(new ConsoleLogin.Settings(URI.create("http://localhost:8080"), CLIENT_ID).sessionCookie())
                .isEqualTo("bulwark-session");
    }
}
