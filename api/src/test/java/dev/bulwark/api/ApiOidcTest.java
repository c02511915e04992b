package dev.bulwark.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;

import dev.bulwark.http.HttpLimits;
import dev.bulwark.http.TestCertificates;
import dev.bulwark.http.oidc.OidcProvider;
import dev.bulwark.http.oidc.OidcVerifier;
import dev.bulwark.http.oidc.TestTokens;
import dev.bulwark.sink.ElasticsearchClients;
import dev.bulwark.sink.FindingIndex;

/**
 * The query API with OIDC bearer tokens from a real provider (mock-oauth2-server in a separate process), over HTTPS.
 *
 * <p>Elasticsearch is a recorder on a loopback port that answers every search with no hits: what matters here is
 * which alias and filter the API sends for each principal, not what Elasticsearch does with them (the isolation
 * integration test covers that on the real stack).
 */
@Timeout(180)
class ApiOidcTest {

    private static final String STATIC_TOKEN = "static-soc-token-0123456789abcdef";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    private static OidcProvider provider;
    private static TestCertificates certificates;
    private static HttpServer elasticsearch;
    private static final List<String> searches = new ArrayList<>();
    private static ApiServer api;
    private static HttpClient client;

    @BeforeAll
    static void start() throws Exception {
        provider = OidcProvider.start(TestTokens.scenarios(), dir.resolve("provider"));
        certificates = TestCertificates.create(dir.resolve("tls"), "EC");
        elasticsearch = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        elasticsearch.createContext("/", exchange -> {
            synchronized (searches) {
                searches.add(exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath() + " "
                        + new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            }
            byte[] body = ("{\"took\":1,\"timed_out\":false,\"_shards\":{\"total\":1,\"successful\":1,\"skipped\":0,"
                    + "\"failed\":0},\"hits\":{\"total\":{\"value\":0,\"relation\":\"eq\"},\"max_score\":null,"
                    + "\"hits\":[]}}").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.getResponseHeaders().add("X-Elastic-Product", "Elasticsearch");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        elasticsearch.start();
        OidcPrincipals oidc = new OidcPrincipals(new OidcVerifier(new OidcVerifier.Settings(provider.issuer(),
                Set.of(TestTokens.API_AUDIENCE), Duration.ofSeconds(60))), OidcPrincipals.Mapping.defaults());
        api = new ApiServer(new ApiServer.Settings("127.0.0.1", 0, 4, HttpLimits.defaults(), certificates.pemTls()),
                ApiTokens.of(ApiTokens.parseEnvironment(STATIC_TOKEN + "=soc@static-alice")), oidc,
                new FindingsService(ElasticsearchClients.create("http://127.0.0.1:"
                        + elasticsearch.getAddress().getPort()), new FindingIndex("oidc-findings"), Clock.systemUTC()));
        client = HttpClient.newBuilder().sslContext(certificates.clientContext()).build();
    }

    @AfterAll
    static void stop() {
        if (api != null) {
            api.close();
        }
        if (elasticsearch != null) {
            elasticsearch.stop(0);
        }
        if (provider != null) {
            provider.close();
        }
    }

    @BeforeEach
    void forget() {
        synchronized (searches) {
            searches.clear();
        }
    }

    private static HttpResponse<String> get(String path, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(api.url() + path)).timeout(Duration.ofSeconds(20));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static List<String> searches() {
        synchronized (searches) {
            return List.copyOf(searches);
        }
    }

    @Test
    void theServerIsHttpsOnly() {
        assertThat(api.url()).startsWith("https://127.0.0.1:");
    }

    @Test
    void aSocTokenIsTheSocAndSearchesEveryTenant() throws Exception {
        HttpResponse<String> whoami = get("/api/whoami", provider.token("soc"));
        assertThat(whoami.statusCode()).isEqualTo(200);
        JsonNode me = JSON.readTree(whoami.body());
        assertThat(me.get("name").asText()).isEqualTo("alice");
        assertThat(me.get("role").asText()).isEqualTo("soc");
        assertThat(me.get("may_triage").asBoolean()).isTrue();

        assertThat(get("/api/findings", provider.token("soc")).statusCode()).isEqualTo(200);
        assertThat(searches()).singleElement().satisfies(search -> {
            assertThat(search).startsWith("POST /oidc-findings/_search");
            assertThat(search).doesNotContain("tenant.name");
        });
    }

    @Test
    void aTenantTokenSeesOnlyItsTenantWhateverItAsksFor() throws Exception {
        String acme = provider.token("acme");
        JsonNode me = JSON.readTree(get("/api/whoami", acme).body());
        assertThat(me.get("name").asText()).isEqualTo("bob");
        assertThat(me.get("role").asText()).isEqualTo("tenant:acme");
        assertThat(me.get("tenant").asText()).isEqualTo("acme");
        assertThat(me.get("may_triage").asBoolean()).isFalse();

        assertThat(get("/api/findings", acme).statusCode()).isEqualTo(200);
        assertThat(get("/api/findings?tenant=globex", acme).statusCode()).isEqualTo(200);
        // Asking for globex only narrows acme's scope further (to nothing): the alias and the first filter are acme's.
        assertThat(searches()).hasSize(2).allSatisfy(search -> {
            assertThat(search).startsWith("POST /oidc-findings-tenant-acme/_search");
            assertThat(JSON.readTree(search.substring(search.indexOf('{')))
                    .at("/query/bool/filter/0/term/tenant.name/value").asText()).isEqualTo("acme");
        });
    }

    @Test
    void staticTokensKeepWorkingBesideOidc() throws Exception {
        HttpResponse<String> whoami = get("/api/whoami", STATIC_TOKEN);
        assertThat(whoami.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(whoami.body()).get("name").asText()).isEqualTo("static-alice");
    }

    @Test
    void everyBadTokenGetsTheSame401AndIsNeitherEchoedNorLogged() throws Exception {
        Map<String, String> bad = new LinkedHashMap<>();
        for (String scenario : TestTokens.REFUSED_SCENARIOS) {
            bad.put(scenario, provider.token(scenario));
        }
        for (String scenario : List.of("tenant-in-other-claim", "two-tenants", "soc-and-tenant", "no-role")) {
            bad.put(scenario, provider.token(scenario));
        }
        bad.put("token-for-the-receiver", provider.token("ingest"));
        bad.putAll(TestTokens.forged(provider, provider.token("acme")));
        bad.put("static-token-with-a-typo", STATIC_TOKEN + "x");

        String reference = get("/api/whoami", null).body();
        assertThat(reference).contains(ApiServer.UNAUTHORIZED);
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            for (Map.Entry<String, String> token : bad.entrySet()) {
                for (String path : List.of("/api/whoami", "/api/findings")) {
                    HttpResponse<String> response = get(path, token.getValue());
                    assertThat(response.statusCode()).as(token.getKey() + " " + path).isEqualTo(401);
                    assertThat(response.body()).as(token.getKey() + " " + path).isEqualTo(reference);
                    assertThat(response.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"bulwark\"");
                }
            }
        } finally {
            System.setErr(err);
        }
        assertThat(searches()).as("no refused request reached Elasticsearch").isEmpty();
        String log = captured.toString(StandardCharsets.UTF_8);
        assertThat(log).contains("refused");
        for (String token : bad.values()) {
            for (String part : token.split("\\.")) {
                if (part.length() > 16) {
                    assertThat(log).as("the log holds no part of a refused token").doesNotContain(part);
                }
            }
        }
    }

    @Test
    void theMappingGrantsExactlyOneRoleFromTheConfiguredClaimOnly() {
        OidcPrincipals mapping = new OidcPrincipals(null, new OidcPrincipals.Mapping("roles", Set.of("analysts"),
                "bulwark-tenant-"));
        assertThat(mapping.principal(verified(Map.of("roles", List.of("analysts", "x"))))).get()
                .extracting(Principal::role).isEqualTo("soc");
        assertThat(mapping.principal(verified(Map.of("roles", "bulwark-tenant-acme")))).get()
                .extracting(Principal::role).isEqualTo("tenant:acme");
        assertThat(mapping.principal(verified(Map.of("groups", List.of("analysts"))))).isEmpty();
        assertThat(mapping.principal(verified(Map.of("roles", List.of("bulwark-tenant-Not Valid"))))).isEmpty();
        assertThat(mapping.principal(verified(Map.of("roles", List.of("bulwark-tenant-a", "bulwark-tenant-b"))))).isEmpty();
        assertThat(mapping.principal(verified(Map.of("roles", List.of("bulwark-tenant-a", "bulwark-tenant-a")))))
                .get().extracting(Principal::tenant).isEqualTo("a");
        OidcPrincipals noTenants = new OidcPrincipals(null, new OidcPrincipals.Mapping("groups", Set.of("soc"), ""));
        assertThat(noTenants.principal(verified(Map.of("groups", List.of("tenant:acme"))))).isEmpty();
    }

    private static OidcVerifier.Verified verified(Map<String, Object> claims) {
        return new OidcVerifier.Verified("someone", claims);
    }

    @Test
    void theConsoleIsServedOverHttpsAndTakesLongTokens() throws Exception {
        HttpResponse<String> page = get("/", null);
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("id=\"token\"").contains("maxlength=\"" + OidcVerifier.MAX_TOKEN_CHARS + "\"");
    }
}
