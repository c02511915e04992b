package dev.bulwark.http.oidc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The token checks against a real provider (a separate process): what passes, and every forgery that must not. */
@Timeout(120)
class OidcVerifierTest {

    @TempDir
    static Path dir;
    private static OidcProvider provider;
    private static OidcVerifier verifier;

    @BeforeAll
    static void start() throws Exception {
        provider = OidcProvider.start(TestTokens.scenarios(), dir);
        verifier = new OidcVerifier(new OidcVerifier.Settings(provider.issuer(), Set.of(TestTokens.API_AUDIENCE),
                Duration.ofSeconds(60)));
    }

    @AfterAll
    static void stop() {
        if (provider != null) {
            provider.close();
        }
    }

    @Test
    void aTokenFromTheProviderIsVerifiedThroughDiscoveryAndItsClaimsAreRead() throws Exception {
        Optional<OidcVerifier.Verified> verified = verifier.verify(provider.token("soc"));
        assertThat(verified).isPresent();
        assertThat(verified.get().subject()).isEqualTo("alice");
        assertThat(verified.get().strings("groups")).containsExactly("soc", "staff");
        assertThat(verified.get().strings("roles")).isEmpty();
    }

    @Test
    void tokensFailingTheClaimChecksAreRefused() throws Exception {
        for (String scenario : TestTokens.REFUSED_SCENARIOS) {
            assertThat(verifier.verify(provider.token(scenario))).as(scenario).isEmpty();
        }
    }

    @Test
    void forgedTokensAreRefusedAndNeitherLoggedNorEchoed() throws Exception {
        String valid = provider.token("soc");
        Map<String, String> forged = TestTokens.forged(provider, valid);
        assertThat(forged).hasSizeGreaterThanOrEqualTo(7);
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            forged.forEach((name, token) -> assertThat(verifier.verify(token)).as(name).isEmpty());
            assertThat(verifier.verify("not a token")).isEmpty();
            assertThat(verifier.verify("a".repeat(OidcVerifier.MAX_TOKEN_CHARS + 1))).isEmpty();
        } finally {
            System.setErr(err);
        }
        String log = captured.toString(StandardCharsets.UTF_8);
        assertThat(log).as("refusals are logged at debug").contains("OIDC bearer token refused");
        for (String token : forged.values()) {
            for (String part : token.split("\\.")) {
                if (part.length() > 16) {
                    assertThat(log).doesNotContain(part);
                }
            }
        }
        // The valid token still passes after the forgeries (an unknown kid did not break the key cache).
        assertThat(verifier.verify(valid)).isPresent();
    }

    @Test
    void anIssuerThatIsNotTheOneTheDiscoveryDocumentNamesIsNeverTrusted() throws Exception {
        OidcVerifier slash = new OidcVerifier(new OidcVerifier.Settings(provider.issuer() + "/",
                Set.of(TestTokens.API_AUDIENCE), Duration.ofSeconds(60)));
        assertThat(slash.verify(provider.token("soc"))).isEmpty();
    }

    @Test
    void anUnreachableIssuerRefusesWithoutThrowing() throws Exception {
        OidcVerifier away = new OidcVerifier(new OidcVerifier.Settings("http://127.0.0.1:9/realm",
                Set.of(TestTokens.API_AUDIENCE), Duration.ofSeconds(60)));
        assertThat(away.verify(provider.token("soc"))).isEmpty();
        assertThat(away.verify(provider.token("soc"))).as("and retries later, not at every request").isEmpty();
    }

    @Test
    void settingsRefusePlainHttpBeyondLoopbackAndMissingAudiencesAndLargeSkews() {
        assertThatThrownBy(() -> new OidcVerifier.Settings("http://idp.example.com/realm", Set.of("a"),
                Duration.ofSeconds(60))).hasMessageContaining("https://");
        assertThatThrownBy(() -> new OidcVerifier.Settings("https://idp.example.com/realm", Set.of(),
                Duration.ofSeconds(60))).hasMessageContaining("audience");
        assertThatThrownBy(() -> new OidcVerifier.Settings("https://idp.example.com/realm", Set.of("a"),
                Duration.ofMinutes(10))).hasMessageContaining("clock skew");
        assertThat(new OidcVerifier.Settings("https://idp.example.com/realm", Set.of("a"), Duration.ZERO).issuer())
                .isEqualTo("https://idp.example.com/realm");
    }

    @Test
    void claimValuesComeFromArraysStringsOrNestedObjects() {
        OidcVerifier.Verified verified = new OidcVerifier.Verified("x", Map.of(
                "groups", List.of("a", 3, "b"),
                "role", "soc",
                "realm_access", Map.of("roles", List.of("tenant:acme")),
                "https://example.com/groups", List.of("c")));
        assertThat(verified.strings("groups")).containsExactly("a", "b");
        assertThat(verified.strings("role")).containsExactly("soc");
        assertThat(verified.strings("realm_access.roles")).containsExactly("tenant:acme");
        assertThat(verified.strings("https://example.com/groups")).containsExactly("c");
        assertThat(verified.strings("missing.path")).isEmpty();
    }

    @Test
    void discoveryGivesTheSignInEndpoints() throws Exception {
        OidcVerifier.Endpoints endpoints = verifier.endpoints();
        assertThat(endpoints.authorization()).hasToString(provider.issuer() + "/authorize");
        assertThat(endpoints.token()).isEqualTo(provider.tokenEndpoint());
    }

    @Test
    void anIdTokenIsVerifiedForItsClientAndTheNonceOfItsSignIn() throws Exception {
        String nonce = "n-" + java.util.UUID.randomUUID();
        Map<String, Object> tokens = signIn("bulwark-console", nonce);
        String idToken = (String) tokens.get("id_token");
        String accessToken = (String) tokens.get("access_token");

        Optional<OidcVerifier.Verified> verified = verifier.verifyIdToken(idToken, "bulwark-console", nonce);
        assertThat(verified).isPresent();
        assertThat(verified.get().subject()).isEqualTo("carol");
        assertThat(verified.get().expiresAt()).isAfter(java.time.Instant.now());
        assertThat(verifier.verifyIdToken(idToken, "bulwark-console", nonce + "x")).as("another sign-in's nonce")
                .isEmpty();
        assertThat(verifier.verifyIdToken(idToken, "another-client", nonce)).as("another client's token").isEmpty();
        assertThat(verifier.verifyIdToken(idToken, "bulwark-console", null)).isEmpty();
        for (String forged : TestTokens.forged(provider, idToken).values()) {
            assertThat(verifier.verifyIdToken(forged, "bulwark-console", nonce)).isEmpty();
        }
        // The access token of the same sign-in is for the API: the bearer checks accept it.
        assertThat(verifier.verify(accessToken)).get().extracting(OidcVerifier.Verified::subject).isEqualTo("carol");
    }

    /** A sign-in at the provider with the authorization code flow and PKCE, as a client would make it. */
    private static Map<String, Object> signIn(String clientId, String nonce) throws Exception {
        String verifierValue = "v".repeat(43);
        String challenge = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(
                java.security.MessageDigest.getInstance("SHA-256").digest(verifierValue.getBytes(StandardCharsets.US_ASCII)));
        String redirect = "http://127.0.0.1:1/auth/callback";
        java.net.URI authorize = java.net.URI.create(verifier.endpoints().authorization() + "?response_type=code"
                + "&client_id=" + clientId + "&redirect_uri=" + java.net.URLEncoder.encode(redirect, StandardCharsets.UTF_8)
                + "&scope=openid&state=s1&nonce=" + nonce + "&code_challenge=" + challenge
                + "&code_challenge_method=S256");
        java.net.URI back = provider.signIn(authorize, "carol", Map.of("groups", List.of("soc")));
        assertThat(back.toString()).startsWith(redirect + "?").contains("state=s1");
        String code = java.util.Arrays.stream(back.getRawQuery().split("&")).filter(p -> p.startsWith("code="))
                .findFirst().orElseThrow().substring(5);
        java.net.http.HttpResponse<String> response = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(provider.tokenEndpoint())
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString("grant_type=authorization_code&code="
                                + code + "&redirect_uri=" + java.net.URLEncoder.encode(redirect, StandardCharsets.UTF_8)
                                + "&client_id=" + clientId + "&code_verifier=" + verifierValue)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return com.nimbusds.jose.util.JSONObjectUtils.parse(response.body());
    }
}
