package dev.bulwark.http.oidc;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

/**
 * The tokens the OIDC tests present: scenarios the provider issues (valid ones, and ones whose claims are wrong), and
 * tokens an attacker forges from a valid one.
 *
 * <p>Audiences: {@value #API_AUDIENCE} for the query API, {@value #INGEST_AUDIENCE} for the receiver. Roles are in the
 * {@code groups} claim.
 */
public final class TestTokens {

    public static final String API_AUDIENCE = "bulwark-api";
    public static final String INGEST_AUDIENCE = "bulwark-ingest";
    /** 2001-09-09: long expired, whatever the skew. */
    private static final long PAST = 1_000_000_000L;
    /** 2100-01-01. */
    private static final long FUTURE = 4_102_444_800L;

    private TestTokens() {
    }

    /** The scenarios the provider is started with; the first few are valid, the rest are refused for their claims. */
    public static Map<String, Map<String, Object>> scenarios() {
        Map<String, Map<String, Object>> scenarios = new LinkedHashMap<>();
        scenarios.put("soc", Map.of("sub", "alice", "aud", List.of(API_AUDIENCE), "groups", List.of("soc", "staff")));
        scenarios.put("acme", Map.of("sub", "bob", "aud", List.of(API_AUDIENCE), "groups", List.of("tenant:acme", "staff")));
        scenarios.put("ingest", Map.of("sub", "falco-shipper", "aud", List.of(INGEST_AUDIENCE),
                "groups", List.of("bulwark-ingest")));
        // Refused by the token checks.
        scenarios.put("expired", Map.of("sub", "alice", "aud", List.of(API_AUDIENCE), "groups", List.of("soc"),
                "exp", PAST));
        scenarios.put("not-yet-valid", Map.of("sub", "alice", "aud", List.of(API_AUDIENCE), "groups", List.of("soc"),
                "nbf", FUTURE, "exp", FUTURE + 3600));
        scenarios.put("wrong-audience", Map.of("sub", "alice", "aud", List.of("some-other-service"),
                "groups", List.of("soc")));
        scenarios.put("no-subject", Map.of("aud", List.of(API_AUDIENCE), "groups", List.of("soc")));
        // Valid tokens whose roles are refused by the mapping.
        scenarios.put("tenant-in-other-claim", Map.of("sub", "mallory", "aud", List.of(API_AUDIENCE),
                "roles", List.of("tenant:acme", "soc")));
        scenarios.put("two-tenants", Map.of("sub", "carol", "aud", List.of(API_AUDIENCE),
                "groups", List.of("tenant:acme", "tenant:globex")));
        scenarios.put("soc-and-tenant", Map.of("sub", "dave", "aud", List.of(API_AUDIENCE),
                "groups", List.of("soc", "tenant:acme")));
        scenarios.put("no-role", Map.of("sub", "erin", "aud", List.of(API_AUDIENCE), "groups", List.of("staff")));
        scenarios.put("ingest-without-role", Map.of("sub", "random-client", "aud", List.of(INGEST_AUDIENCE),
                "groups", List.of("staff")));
        return scenarios;
    }

    /** Scenarios the provider issues that fail the token checks themselves (whatever the role mapping). */
    public static final List<String> REFUSED_SCENARIOS = List.of("expired", "not-yet-valid", "wrong-audience",
            "no-subject");

    /**
     * Tokens forged from a valid one (its claims kept, so only the forgery can make them fail): unsigned
     * ({@code alg: none}), HMAC-signed with the provider's public key as the secret, signed with the provider's own key
     * but naming an unknown {@code kid} or another issuer, signed by another key under the provider's {@code kid}, and
     * the valid token with its claims changed after signing.
     */
    public static Map<String, String> forged(OidcProvider provider, String valid) throws IOException {
        try {
            SignedJWT original = SignedJWT.parse(valid);
            JWTClaimsSet claims = original.getJWTClaimsSet();
            RSAKey key = provider.signingKey();
            Map<String, String> forged = new LinkedHashMap<>();

            forged.put("alg-none", encode("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + encode(claims.toString()) + ".");
            forged.put("alg-none-with-kid", encode("{\"alg\":\"none\",\"kid\":\"" + OidcProvider.ISSUER_ID + "\"}") + "."
                    + encode(claims.toString()) + "." + original.getSignature());

            String publicPem = "-----BEGIN PUBLIC KEY-----\n"
                    + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(key.toRSAPublicKey().getEncoded())
                    + "\n-----END PUBLIC KEY-----\n";
            SignedJWT hmac = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(OidcProvider.ISSUER_ID)
                    .type(JOSEObjectType.JWT).build(), claims);
            hmac.sign(new MACSigner(publicPem.getBytes(StandardCharsets.US_ASCII)));
            forged.put("hs256-with-public-key", hmac.serialize());

            forged.put("unknown-kid", sign(key, "rotated-away", claims));
            forged.put("wrong-issuer", sign(key, OidcProvider.ISSUER_ID, new JWTClaimsSet.Builder(claims)
                    .issuer(provider.issuer().replace("/" + OidcProvider.ISSUER_ID, "/other")).build()));
            RSAKey other = new RSAKeyGenerator(2048).keyID(OidcProvider.ISSUER_ID).generate();
            forged.put("same-kid-other-key", sign(other, OidcProvider.ISSUER_ID, claims));

            String[] parts = valid.split("\\.");
            forged.put("claims-changed-after-signing", parts[0] + "." + encode(new JWTClaimsSet.Builder(claims)
                    .claim("groups", List.of("soc")).subject("root").build().toString()) + "." + parts[2]);
            return forged;
        } catch (ParseException | JOSEException e) {
            throw new IOException(e);
        }
    }

    private static String sign(RSAKey key, String kid, JWTClaimsSet claims) throws JOSEException {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(kid).type(JOSEObjectType.JWT)
                .build(), claims);
        jwt.sign(new RSASSASigner(key));
        return jwt.serialize();
    }

    private static String encode(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }
}
