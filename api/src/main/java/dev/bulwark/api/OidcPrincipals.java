package dev.bulwark.api;

import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.bulwark.http.oidc.OidcVerifier;
import dev.bulwark.sink.TenantNames;

/**
 * Turns a verified OIDC bearer token into a {@link Principal}: the token's subject and the one role its roles claim
 * grants.
 *
 * <p>The mapping, from the values of {@link Mapping#rolesClaim()} (a JSON array of strings, or one string):
 * <ul>
 *   <li>a value in {@link Mapping#socGroups()} grants {@code soc};</li>
 *   <li>a value {@code <tenantPrefix><name>} grants {@code tenant:<name>} (the name must be a valid tenant name);</li>
 *   <li>other values are ignored (a token usually carries many groups).</li>
 * </ul>
 * A token must grant exactly one role. One that grants none, two tenants, or {@code soc} and a tenant, or names an
 * invalid tenant, is refused: a principal has one scope, and guessing which of two the identity provider meant could
 * widen it (a SOC analyst who is also a tenant's user gets two accounts or two groups in two tokens, not one token).
 * Only the configured claim is read: a role written in any other claim grants nothing.
 *
 * <p>The principal's name is the token's {@code sub}: stable, unique at the issuer, and what triage records as
 * {@code updated_by}.
 */
public final class OidcPrincipals {

    private static final Logger LOG = LoggerFactory.getLogger(OidcPrincipals.class);

    /**
     * How claims map to roles.
     *
     * @param rolesClaim the claim holding groups or roles, e.g. {@code groups}, {@code roles} or {@code realm_access.roles}
     * @param socGroups values that grant {@code soc}
     * @param tenantPrefix values starting with this grant {@code tenant:<rest>}; empty = no tenant roles from tokens
     */
    public record Mapping(String rolesClaim, Set<String> socGroups, String tenantPrefix) {
        public Mapping {
            if (rolesClaim == null || rolesClaim.isBlank()) {
                throw new IllegalArgumentException("the OIDC roles claim must be named");
            }
            socGroups = socGroups == null ? Set.of() : Set.copyOf(socGroups);
            String prefix = tenantPrefix == null ? "" : tenantPrefix;
            if (!prefix.isEmpty() && socGroups.stream().anyMatch(g -> g.startsWith(prefix))) {
                throw new IllegalArgumentException("an OIDC SOC group may not start with the tenant group prefix \""
                        + prefix + "\"");
            }
            tenantPrefix = prefix;
        }

        /** The defaults: {@code groups}, {@code soc}, {@code tenant:} (the claim holds Bulwark's role names). */
        public static Mapping defaults() {
            return new Mapping("groups", Set.of("soc"), "tenant:");
        }
    }

    private final OidcVerifier verifier;
    private final Mapping mapping;

    public OidcPrincipals(OidcVerifier verifier, Mapping mapping) {
        this.verifier = verifier;
        this.mapping = mapping;
    }

    /** The principal a bearer token (without the {@code Bearer } prefix) stands for, if it is valid and maps to one role. */
    public Optional<Principal> authenticate(String token) {
        return verifier.verify(token).flatMap(this::principal);
    }

    /** A token's principal and when the token expires. */
    record Authenticated(Principal principal, Instant expiresAt) {
    }

    /**
     * Like {@link #authenticate}, with the token's expiry: what a console sign-in turns the access token it receives
     * into, with the same checks and mapping as a bearer token's.
     */
    Optional<Authenticated> authenticateWithExpiry(String token) {
        return verifier.verify(token).flatMap(verified -> verified.expiresAt() == null ? Optional.empty()
                : principal(verified).map(principal -> new Authenticated(principal, verified.expiresAt())));
    }

    /** The verifier (its discovery also gives the endpoints a console sign-in needs). */
    OidcVerifier verifier() {
        return verifier;
    }

    /** The principal of a verified token, if its roles claim grants exactly one role. */
    Optional<Principal> principal(OidcVerifier.Verified token) {
        List<String> values = token.strings(mapping.rolesClaim());
        boolean soc = false;
        Set<String> tenants = new LinkedHashSet<>();
        for (String value : values) {
            if (mapping.socGroups().contains(value)) {
                soc = true;
            } else if (!mapping.tenantPrefix().isEmpty() && value.startsWith(mapping.tenantPrefix())) {
                String tenant = value.substring(mapping.tenantPrefix().length());
                if (!TenantNames.isValid(tenant)) {
                    return refused("its " + mapping.rolesClaim() + " claim names an invalid tenant");
                }
                tenants.add(tenant);
            }
        }
        int roles = tenants.size() + (soc ? 1 : 0);
        if (roles != 1) {
            return refused(roles == 0 ? "its " + mapping.rolesClaim() + " claim grants no role"
                    : "its " + mapping.rolesClaim() + " claim grants " + roles + " roles; exactly one is allowed");
        }
        return Optional.of(soc ? Principal.soc(token.subject()) : Principal.tenant(token.subject(), tenants.iterator().next()));
    }

    private static Optional<Principal> refused(String reason) {
        LOG.debug("OIDC bearer token refused: {}", reason);
        return Optional.empty();
    }
}
