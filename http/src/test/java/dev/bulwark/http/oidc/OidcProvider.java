package dev.bulwark.http.oidc;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.JSONObjectUtils;

/**
 * A real OAuth 2.0 / OpenID Connect provider for tests: {@code no.nav.security:mock-oauth2-server}, run as a separate
 * Java process on a free loopback port, serving discovery, a JWKS and signed tokens over HTTP.
 *
 * <p>Why a separate process: the code under test must reach its identity provider the way it does in production
 * (discovery and JWKS over HTTP, from another process), and nothing of the provider may leak into the test's own JVM
 * (its logging, its Nimbus version, its threads). The process runs the provider's standalone main with the test's
 * class path, configured through {@code SERVER_HOSTNAME}, {@code SERVER_PORT} and {@code JSON_CONFIG}.
 *
 * <p>Tokens are issued by the provider for named scenarios: each scenario is a set of claims, and a
 * client-credentials request with {@code scope=<scenario>} gets a token with exactly those claims (plus {@code iss},
 * {@code iat}, {@code jti} and the default {@code exp} and {@code nbf}, which a scenario may override to make an
 * expired or not-yet-valid token). The provider signs with an RSA key the test generates and hands it at start, so a
 * test can also forge tokens that differ from a valid one in one respect only (an attacker-chosen header, a wrong
 * issuer); {@link #signingKey()} is that key.
 *
 * <p>A user signs in with the authorization code flow: the client sends the browser to the provider's authorization
 * endpoint; {@link #signIn} submits the provider's login form there as the user would (a user name, which becomes
 * {@code sub}, and claims such as {@code groups}), and the provider redirects back to the client with a code. A
 * browser that is just redirected through the provider (no form) signs in as {@link #DEFAULT_USER}, a SOC analyst. The
 * tokens it then issues for that code carry {@code aud} {@value TestTokens#API_AUDIENCE} and the client id, the
 * user's claims, and the nonce of the authorization request; it checks the PKCE verifier against the challenge.
 */
public final class OidcProvider implements AutoCloseable {

    /** Who a browser that is redirected through the provider without its login form signs in as (groups: soc). */
    public static final String DEFAULT_USER = "sso-default-analyst";

    /** The issuer id: the provider's issuer URL is {@code http://127.0.0.1:<port>/bulwark}, its key id this. */
    public static final String ISSUER_ID = "bulwark";

    private final Process process;
    private final int port;
    private final RSAKey key;
    private final Path log;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private OidcProvider(Process process, int port, RSAKey key, Path log) {
        this.process = process;
        this.port = port;
        this.key = key;
        this.log = log;
    }

    /**
     * Starts the provider and waits until its discovery document and keys are served.
     *
     * @param scenarios scenario name (the {@code scope} of a token request) to the claims of its tokens
     * @param workDir where the provider's output goes (read it when a test fails)
     */
    public static OidcProvider start(Map<String, Map<String, Object>> scenarios, Path workDir)
            throws IOException, InterruptedException {
        RSAKey key;
        try {
            key = new RSAKeyGenerator(2048).keyID("initial").generate();
        } catch (JOSEException e) {
            throw new IOException(e);
        }
        List<Object> mappings = new ArrayList<>();
        scenarios.forEach((scope, claims) -> mappings.add(Map.of("requestParam", "scope", "match", scope,
                "claims", claims)));
        // Sign-ins (authorization code grant): the access token is for the API and the client, the ID token for the
        // client (the provider puts one aud in both). A browser that is simply redirected through the provider signs
        // in as DEFAULT_USER; signIn's login form overrides the user and every claim.
        mappings.add(Map.of("requestParam", "grant_type", "match", "authorization_code",
                "claims", Map.of("aud", List.of(TestTokens.API_AUDIENCE, "${clientId}"), "sub", DEFAULT_USER,
                        "groups", List.of("soc"))));
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("interactiveLogin", false);
        config.put("httpServer", "NettyWrapper");
        config.put("tokenProvider", Map.of("keyProvider", Map.of("initialKeys", key.toJSONString(),
                "algorithm", "RS256")));
        config.put("tokenCallbacks", List.of(Map.of("issuerId", ISSUER_ID, "tokenExpiry", 300,
                "requestMappings", mappings)));

        Files.createDirectories(workDir);
        Path log = workDir.resolve("oidc-provider.log");
        IOException last = null;
        for (int attempt = 0; attempt < 3; attempt++) { // a free port can be taken between the probe and the bind
            int port = freePort();
            ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx128m", "-XX:TieredStopAtLevel=1", "-cp", classPath(),
                    "no.nav.security.mock.oauth2.StandaloneMockOAuth2ServerKt")
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile());
            builder.environment().put("SERVER_HOSTNAME", "127.0.0.1");
            builder.environment().put("SERVER_PORT", String.valueOf(port));
            builder.environment().put("JSON_CONFIG", JSONObjectUtils.toJSONString(config));
            Process process = builder.start();
            OidcProvider provider = new OidcProvider(process, port, key, log);
            Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly));
            try {
                provider.awaitReady();
                return provider;
            } catch (IOException e) {
                provider.close();
                last = e;
            }
        }
        throw last;
    }

    /** The issuer URL, as in the tokens' {@code iss}. */
    public String issuer() {
        return "http://127.0.0.1:" + port + "/" + ISSUER_ID;
    }

    /** The key the provider signs with, private part included, with the provider's key id. */
    public RSAKey signingKey() {
        return new RSAKey.Builder(key).keyID(ISSUER_ID).build();
    }

    /** A token the provider issues for a scenario. */
    public String token(String scenario) throws IOException, InterruptedException {
        String form = "grant_type=client_credentials&client_id=bulwark-tests&client_secret=unused&scope="
                + URLEncoder.encode(scenario, StandardCharsets.UTF_8);
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(issuer() + "/token"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException("the provider answered " + response.statusCode() + ": " + response.body());
        }
        try {
            return JSONObjectUtils.getString(JSONObjectUtils.parse(response.body()), "access_token");
        } catch (ParseException e) {
            throw new IOException("unexpected token response: " + response.body(), e);
        }
    }

    /**
     * Signs a user in at the provider, as its login form does: posts the user name and claims to the authorization
     * request (the URL the client redirected the browser to) and returns where the provider redirects the browser
     * (the client's redirect URI with {@code code} and {@code state}).
     *
     * @param claims claims of the user's tokens, e.g. {@code groups}; {@code exp} (epoch seconds) overrides expiry
     */
    public URI signIn(URI authorizationRequest, String username, Map<String, Object> claims)
            throws IOException, InterruptedException {
        if (!authorizationRequest.toString().startsWith(issuer() + "/authorize?")) {
            throw new IOException("not an authorization request to this provider: " + authorizationRequest);
        }
        Map<String, Object> user = new LinkedHashMap<>(claims);
        user.put("sub", username);
        user.putIfAbsent("groups", List.of()); // only the claims given: none of the default user's
        String form = "username=" + URLEncoder.encode(username, StandardCharsets.UTF_8) + "&claims="
                + URLEncoder.encode(JSONObjectUtils.toJSONString(user), StandardCharsets.UTF_8);
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(authorizationRequest)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 302 || response.headers().firstValue("Location").isEmpty()) {
            throw new IOException("the provider answered " + response.statusCode() + ": " + response.body());
        }
        return URI.create(response.headers().firstValue("Location").get());
    }

    /** The provider's token endpoint. */
    public URI tokenEndpoint() {
        return URI.create(issuer() + "/token");
    }

    private void awaitReady() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() - deadline < 0) {
            if (!process.isAlive()) {
                throw new IOException("the OIDC provider exited: " + Files.readString(log));
            }
            try {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                        URI.create(issuer() + "/.well-known/openid-configuration")).timeout(Duration.ofSeconds(2))
                        .build(), HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    // The first key the provider hands out is the one given at start; this binds it to our issuer.
                    String jwks = http.send(HttpRequest.newBuilder(URI.create(issuer() + "/jwks"))
                            .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body();
                    RSAKey served = JWKSet.parse(jwks).getKeyByKeyId(ISSUER_ID).toRSAKey();
                    if (!served.toRSAPublicKey().equals(key.toRSAPublicKey())) {
                        throw new IOException("the provider signs with a key of its own, not the one given");
                    }
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            } catch (ParseException | JOSEException | NullPointerException e) {
                throw new IOException("unexpected JWKS from the provider", e);
            }
            Thread.sleep(200);
        }
        throw new IOException("the OIDC provider did not start within 60 s: " + Files.readString(log));
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** The test's class path, which holds the provider and its dependencies (Surefire names it in a property). */
    private static String classPath() {
        String surefire = System.getProperty("surefire.test.class.path");
        return surefire != null && !surefire.isBlank() ? surefire : System.getProperty("java.class.path");
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
