package dev.bulwark.http.oidc;

import java.io.IOException;
import java.net.URI;
import java.net.URL;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jose.util.ResourceRetriever;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.ConfigurableJWTProcessor;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;

/**
 * Validates OIDC bearer JWTs (access tokens or ID tokens) from one issuer, for one audience, with Nimbus JOSE+JWT.
 *
 * <p>Why a library and these settings: token validation has many ways to go subtly wrong ({@code alg: none}, an HMAC
 * "signed" with the issuer's public key, a key picked by an attacker-chosen header), so nothing here parses or checks
 * a token by hand. What is checked:
 * <ul>
 *   <li>The issuer's keys come from its discovery document ({@code <issuer>/.well-known/openid-configuration}, whose
 *       {@code issuer} must be the configured one) and its {@code jwks_uri}; they are cached (15 minutes), fetched
 *       again when a token names an unknown {@code kid} (key rotation), at most once every 30 seconds, so a flood of
 *       tokens with random {@code kid}s cannot make Bulwark hammer the identity provider.</li>
 *   <li>The signature, with only asymmetric algorithms ({@link #ALGORITHMS}: RS*, PS*, ES*) and only a key of the
 *       issuer's JWKS that fits the token's {@code kid} and algorithm. Unsigned ({@code alg: none}), HMAC
 *       ({@code HS*}) and encrypted tokens are refused whatever their header says.</li>
 *   <li>{@code iss} equal to the issuer, {@code aud} containing one of the audiences, {@code exp} in the future and
 *       {@code nbf} (when present) in the past, both within the allowed clock skew; {@code sub} present, printable and
 *       at most 255 characters. The {@code typ} header, when present, is {@code JWT} or {@code at+jwt}.</li>
 * </ul>
 *
 * <p>The same discovery gives the issuer's authorization and token endpoints ({@link #endpoints()}) to the console's
 * sign-in, whose ID tokens {@link #verifyIdToken} checks with the same keys: one discovery, one key cache.
 *
 * <p>The issuer is discovered at the first token (then at most every 10 seconds while it fails), not at start-up, so
 * a server whose identity provider is briefly away still starts and serves its static tokens. The issuer must be
 * {@code https} unless it is on loopback (tests, or a provider reached through a local proxy).
 *
 * <p>Refusals are reported as an empty result, never as an exception with the token in it; the reason is logged at
 * debug level, never with the token.
 */
public final class OidcVerifier {

    private static final Logger LOG = LoggerFactory.getLogger(OidcVerifier.class);

    /** The signature algorithms a token may use: asymmetric only. */
    public static final Set<JWSAlgorithm> ALGORITHMS = Set.of(JWSAlgorithm.RS256, JWSAlgorithm.RS384,
            JWSAlgorithm.RS512, JWSAlgorithm.PS256, JWSAlgorithm.PS384, JWSAlgorithm.PS512, JWSAlgorithm.ES256,
            JWSAlgorithm.ES384, JWSAlgorithm.ES512);
    /** Longest token looked at; real ones are a few KiB at most. */
    public static final int MAX_TOKEN_CHARS = 8192;
    private static final long RETRY_DISCOVERY_NANOS = Duration.ofSeconds(10).toNanos();
    private static final int HTTP_TIMEOUT_MILLIS = 5000;
    private static final int HTTP_SIZE_LIMIT = 512 * 1024;

    /**
     * What to accept.
     *
     * @param issuer the issuer URL exactly as the provider writes it in {@code iss}
     * @param audiences a token's {@code aud} must hold one of these
     * @param clockSkew how far {@code exp} and {@code nbf} may be off (at most 5 minutes)
     */
    public record Settings(String issuer, Set<String> audiences, Duration clockSkew) {
        public Settings {
            if (issuer == null || issuer.isBlank()) {
                throw new IllegalArgumentException("an OIDC issuer URL is required");
            }
            URI uri;
            try {
                uri = URI.create(issuer);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("the OIDC issuer " + issuer + " is not a URL");
            }
            if (!"https".equals(uri.getScheme()) && !("http".equals(uri.getScheme()) && isLoopback(uri.getHost()))) {
                throw new IllegalArgumentException("the OIDC issuer must be an https:// URL (http:// only on loopback), got "
                        + issuer);
            }
            if (audiences == null || audiences.isEmpty() || audiences.stream().anyMatch(a -> a == null || a.isBlank())) {
                throw new IllegalArgumentException("an OIDC audience is required: the value the provider puts in aud for "
                        + "tokens meant for this server");
            }
            audiences = Set.copyOf(audiences);
            if (clockSkew == null || clockSkew.isNegative() || clockSkew.compareTo(Duration.ofMinutes(5)) > 0) {
                throw new IllegalArgumentException("the OIDC clock skew must be 0 to 5 minutes, got " + clockSkew);
            }
        }
    }

    /** A token that passed every check: its subject and its claims. */
    public record Verified(String subject, Map<String, Object> claims) {

        /** When the token expires ({@code exp}), or null when it has none (a verified token always has one). */
        public Instant expiresAt() {
            Object exp = claims.get("exp");
            if (exp instanceof Date date) {
                return date.toInstant();
            }
            if (exp instanceof Number seconds) {
                return Instant.ofEpochSecond(seconds.longValue());
            }
            return null;
        }

        /**
         * The string values of a claim: a JSON array of strings, or a single string. The name is looked up as is first
         * (claim names may contain dots, e.g. {@code https://example.com/groups}), then as a dotted path into nested
         * objects (e.g. {@code realm_access.roles}). Values that are not strings are skipped.
         */
        public List<String> strings(String claim) {
            Object value = claims.get(claim);
            if (value == null && claim.contains(".")) {
                Object node = claims;
                for (String part : claim.split("\\.")) {
                    node = node instanceof Map<?, ?> map ? map.get(part) : null;
                }
                value = node;
            }
            List<String> values = new ArrayList<>();
            if (value instanceof String text) {
                values.add(text);
            } else if (value instanceof Collection<?> items) {
                for (Object item : items) {
                    if (item instanceof String text) {
                        values.add(text);
                    }
                }
            }
            return values;
        }
    }

    /**
     * Where a client signs a user in at the issuer, from its discovery document: the {@code authorization_endpoint},
     * the {@code token_endpoint} and the client authentication methods the token endpoint names
     * ({@code token_endpoint_auth_methods_supported}; empty when the document names none, which means
     * {@code client_secret_basic}). Either endpoint is null when the document has none; both are {@code https}
     * (or {@code http} on loopback).
     */
    public record Endpoints(URI authorization, URI token, Set<String> tokenAuthMethods) {
        public Endpoints {
            tokenAuthMethods = tokenAuthMethods == null ? Set.of() : Set.copyOf(tokenAuthMethods);
        }
    }

    /** What discovery found: the keys (shared by every kind of token) and the endpoints. */
    private record Discovered(ConfigurableJWTProcessor<SecurityContext> accessTokens, JWKSource<SecurityContext> keys,
            Endpoints endpoints) {
    }

    private final Settings settings;
    private final ResourceRetriever retriever;
    private volatile Discovered discovered;
    private long nextDiscovery = System.nanoTime();

    /** A verifier that discovers the issuer at its first token. */
    public OidcVerifier(Settings settings) {
        this.settings = settings;
        this.retriever = new DefaultResourceRetriever(HTTP_TIMEOUT_MILLIS, HTTP_TIMEOUT_MILLIS, HTTP_SIZE_LIMIT, true);
    }

    /** The settings. */
    public Settings settings() {
        return settings;
    }

    /**
     * The verified token, or empty when it fails any check or the issuer cannot be reached now. Never throws for a bad
     * token.
     */
    public Optional<Verified> verify(String token) {
        if (token == null || token.isEmpty() || token.length() > MAX_TOKEN_CHARS) {
            return refused("empty or longer than " + MAX_TOKEN_CHARS + " characters");
        }
        ConfigurableJWTProcessor<SecurityContext> jwt;
        try {
            jwt = discovered().accessTokens();
        } catch (IOException | RuntimeException e) {
            return refused("the issuer's keys are not available (" + clip(e.toString()) + ")");
        }
        return verified(jwt, token);
    }

    /**
     * The issuer's authorization and token endpoints (discovering the issuer first if needed, at most every 10 s
     * while that fails).
     *
     * @throws IOException when the issuer cannot be discovered now
     */
    public Endpoints endpoints() throws IOException {
        return discovered().endpoints();
    }

    /**
     * A verified OpenID Connect ID token, or empty: signed by one of the issuer's keys with an asymmetric algorithm,
     * {@code iss} the issuer, {@code aud} holding {@code clientId} (and {@code azp}, when present, equal to it),
     * {@code exp} in the future and {@code iat} present (within the clock skew), and {@code nonce} equal to the one
     * the client sent in its authorization request. Checks the same keys as {@link #verify}; the audience is the
     * client's, not {@link Settings#audiences()}.
     */
    public Optional<Verified> verifyIdToken(String token, String clientId, String nonce) {
        if (token == null || token.isEmpty() || token.length() > MAX_TOKEN_CHARS) {
            return refused("ID token empty or longer than " + MAX_TOKEN_CHARS + " characters");
        }
        if (clientId == null || clientId.isBlank() || nonce == null || nonce.isBlank()) {
            return refused("no client id or nonce to check an ID token against");
        }
        JWKSource<SecurityContext> keys;
        try {
            keys = discovered().keys();
        } catch (IOException | RuntimeException e) {
            return refused("the issuer's keys are not available (" + clip(e.toString()) + ")");
        }
        DefaultJWTProcessor<SecurityContext> jwt = new DefaultJWTProcessor<>();
        jwt.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(JOSEObjectType.JWT, null));
        jwt.setJWSKeySelector(new JWSVerificationKeySelector<>(ALGORITHMS, keys));
        DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(Set.of(clientId),
                new JWTClaimsSet.Builder().issuer(settings.issuer()).claim("nonce", nonce).build(),
                Set.of("iss", "aud", "sub", "exp", "iat", "nonce"), null);
        claims.setMaxClockSkew((int) settings.clockSkew().toSeconds());
        jwt.setJWTClaimsSetVerifier(claims);
        Optional<Verified> verified = verified(jwt, token);
        if (verified.isPresent()) {
            Object azp = verified.get().claims().get("azp");
            if (azp != null && !clientId.equals(azp)) {
                return refused("ID token azp is not the client");
            }
        }
        return verified;
    }

    private static Optional<Verified> verified(ConfigurableJWTProcessor<SecurityContext> jwt, String token) {
        JWTClaimsSet claims;
        try {
            claims = jwt.process(token, null);
        } catch (ParseException e) {
            return refused("not a JWT (" + clip(e.getMessage()) + ")");
        } catch (Exception e) { // BadJOSEException, JOSEException, and key source failures
            return refused(e.getClass().getSimpleName() + ": " + clip(e.getMessage()));
        }
        String subject = claims.getSubject();
        if (subject == null || subject.isBlank() || subject.length() > 255
                || !subject.codePoints().allMatch(c -> c >= 0x20 && c != 0x7f && !Character.isISOControl(c))) {
            return refused("sub is missing, longer than 255 characters or not printable");
        }
        return Optional.of(new Verified(subject, claims.getClaims()));
    }

    private static Optional<Verified> refused(String reason) {
        LOG.debug("OIDC bearer token refused: {}", reason);
        return Optional.empty();
    }

    /** What discovery found, discovering the issuer first if needed (and not retrying more than every 10 s). */
    private Discovered discovered() throws IOException {
        Discovered ready = discovered;
        if (ready != null) {
            return ready;
        }
        synchronized (this) {
            if (discovered != null) {
                return discovered;
            }
            long now = System.nanoTime();
            if (now - nextDiscovery < 0) {
                throw new IOException("discovery failed recently; retrying in at most 10 s");
            }
            nextDiscovery = now + RETRY_DISCOVERY_NANOS;
            try {
                discovered = discover();
            } catch (IOException | RuntimeException e) {
                LOG.warn("cannot discover the OIDC issuer {}: {}", settings.issuer(), clip(e.getMessage()));
                throw e;
            }
            LOG.info("OIDC issuer {} discovered", settings.issuer());
            return discovered;
        }
    }

    /**
     * Reads the issuer's discovery document, after checking it names this issuer: its {@code jwks_uri} (required), its
     * authorization and token endpoints (optional: only signing in needs them).
     */
    private Discovered discover() throws IOException {
        String issuer = settings.issuer();
        URL configuration = URI.create((issuer.endsWith("/") ? issuer.substring(0, issuer.length() - 1) : issuer)
                + "/.well-known/openid-configuration").toURL();
        Map<String, Object> document;
        try {
            document = JSONObjectUtils.parse(retriever.retrieveResource(configuration).getContent());
        } catch (ParseException e) {
            throw new IOException(configuration + " is not a JSON object");
        }
        Object named = document.get("issuer");
        if (!issuer.equals(named)) {
            throw new IOException(configuration + " names issuer " + clip(String.valueOf(named)) + ", not " + issuer);
        }
        URI jwks = endpoint(document, "jwks_uri", configuration);
        if (jwks == null) {
            throw new IOException(configuration + " has no jwks_uri");
        }
        Set<String> methods = new HashSet<>();
        if (document.get("token_endpoint_auth_methods_supported") instanceof List<?> listed) {
            for (Object method : listed) {
                if (method instanceof String text) {
                    methods.add(text);
                }
            }
        }
        JWKSource<SecurityContext> keys = keys(jwks.toURL());
        return new Discovered(build(keys), keys, new Endpoints(endpoint(document, "authorization_endpoint",
                configuration), endpoint(document, "token_endpoint", configuration), methods));
    }

    /** An endpoint of the discovery document: absent is null; present must be https (http only on loopback). */
    private URI endpoint(Map<String, Object> document, String name, URL configuration) throws IOException {
        Object value = document.get(name);
        if (value == null) {
            return null;
        }
        if (!(value instanceof String text)) {
            throw new IOException(configuration + " has an invalid " + name);
        }
        URI uri;
        try {
            uri = URI.create(text);
        } catch (IllegalArgumentException e) {
            throw new IOException(configuration + " has an invalid " + name);
        }
        if (!"https".equals(uri.getScheme()) && !("http".equals(uri.getScheme()) && isLoopback(uri.getHost()))) {
            throw new IOException("the " + name + " of " + settings.issuer() + " must be https:// (http:// only on "
                    + "loopback)");
        }
        if (uri.getRawFragment() != null || uri.getHost() == null) {
            throw new IOException(configuration + " has an invalid " + name);
        }
        return uri;
    }

    private JWKSource<SecurityContext> keys(URL jwksUri) {
        return JWKSourceBuilder.<SecurityContext>create(jwksUri, retriever)
                .cache(Duration.ofMinutes(15).toMillis(), Duration.ofSeconds(15).toMillis())
                .rateLimited(Duration.ofSeconds(30).toMillis())
                .refreshAheadCache(false)
                .retrying(false)
                .build();
    }

    private ConfigurableJWTProcessor<SecurityContext> build(JWKSource<SecurityContext> keys) {
        DefaultJWTProcessor<SecurityContext> jwt = new DefaultJWTProcessor<>();
        jwt.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(JOSEObjectType.JWT, new JOSEObjectType("at+jwt"),
                null));
        jwt.setJWSKeySelector(new JWSVerificationKeySelector<>(ALGORITHMS, keys));
        DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(
                new HashSet<>(settings.audiences()),
                new JWTClaimsSet.Builder().issuer(settings.issuer()).build(),
                Set.of("iss", "aud", "sub", "exp"), null);
        claims.setMaxClockSkew((int) settings.clockSkew().toSeconds());
        jwt.setJWTClaimsSetVerifier(claims);
        return jwt;
    }

    /** Whether a URL host is a loopback address or localhost (where plain http is allowed). */
    public static boolean isLoopback(String host) {
        return host != null && ("localhost".equals(host) || host.startsWith("127.") || "[::1]".equals(host)
                || "::1".equals(host));
    }

    private static String clip(String text) {
        if (text == null) {
            return "";
        }
        String printable = text.replaceAll("[^\\x20-\\x7e]", "?");
        return printable.length() > 200 ? printable.substring(0, 200) + "..." : printable;
    }
}
