package dev.bulwark.ingest.http;

import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.bulwark.http.oidc.OidcVerifier;

/**
 * Which OIDC bearer tokens may post to the ingest receiver: valid ones ({@link OidcVerifier}: signature, issuer,
 * audience, lifetime, subject) whose roles claim holds one of the sender groups.
 *
 * <p>Why a role and not just a valid token: an organisation's identity provider issues tokens to many clients; the
 * audience says a token was meant for the receiver, the role says its holder may write events (which become findings
 * every tenant's SOC reads). The receiver has no tenant scope: events carry their own tenant context.
 *
 * @param rolesClaim the claim holding groups or roles ({@link OidcVerifier.Verified#strings})
 * @param senderGroups a token must hold one of these values in that claim
 */
public record OidcSenders(OidcVerifier verifier, String rolesClaim, Set<String> senderGroups) {

    private static final Logger LOG = LoggerFactory.getLogger(OidcSenders.class);

    public OidcSenders {
        if (verifier == null) {
            throw new IllegalArgumentException("an OIDC verifier is required");
        }
        if (rolesClaim == null || rolesClaim.isBlank()) {
            throw new IllegalArgumentException("the receiver's OIDC roles claim must be named");
        }
        if (senderGroups == null || senderGroups.isEmpty()) {
            throw new IllegalArgumentException("the receiver needs at least one OIDC sender group");
        }
        senderGroups = Set.copyOf(senderGroups);
    }

    /** Whether a bearer token (without the {@code Bearer } prefix) may post events. */
    public boolean accepts(String token) {
        return verifier.verify(token).map(verified -> {
            boolean sender = verified.strings(rolesClaim).stream().anyMatch(senderGroups::contains);
            if (!sender) {
                LOG.debug("OIDC bearer token refused: its {} claim holds no sender group", rolesClaim);
            }
            return sender;
        }).orElse(false);
    }
}
