package dev.bulwark.api;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

import dev.bulwark.sink.TenantNames;

/**
 * The bearer tokens the query API accepts, each mapped to a {@link Principal}.
 *
 * <p>Why: tokens come from the configuration file ({@code api.tokens}) and, for quick starts, from
 * {@code BULWARK_API_TOKENS=tok1=soc,tok2=tenant:acme}; both are parsed and validated here once, at start-up, so a
 * typo in a role fails loudly instead of granting the wrong scope. Only SHA-256 digests are kept, and a presented token
 * is compared against every configured digest in constant time.
 */
public final class ApiTokens {

    /** Shortest token accepted. */
    public static final int MIN_TOKEN_LENGTH = 16;

    /** One configured token: the secret, its role ({@code soc} or {@code tenant:<name>}) and an optional name. */
    public record Entry(String token, String role, String name) {
    }

    private record Digested(byte[] digest, Principal principal) {
    }

    private final List<Digested> tokens;

    private ApiTokens(List<Digested> tokens) {
        this.tokens = tokens;
    }

    /**
     * Validates and keeps the entries.
     *
     * @throws IllegalArgumentException naming the first bad entry (never printing the token itself)
     */
    public static ApiTokens of(List<Entry> entries) {
        List<Digested> digested = new ArrayList<>();
        List<String> seen = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            Entry entry = entries.get(i);
            String where = "API token #" + (i + 1);
            if (entry.token() == null || entry.token().length() < MIN_TOKEN_LENGTH) {
                throw new IllegalArgumentException(where + " must be at least " + MIN_TOKEN_LENGTH
                        + " characters; generate one with: openssl rand -hex 24");
            }
            if (!entry.token().chars().allMatch(c -> c > 0x20 && c < 0x7f) || entry.token().contains(",")
                    || entry.token().contains("=")) {
                throw new IllegalArgumentException(where + " may only hold printable ASCII without spaces, ',' or '='");
            }
            byte[] digest = digest(entry.token());
            String hex = HexFormat.of().formatHex(digest);
            if (seen.contains(hex)) {
                throw new IllegalArgumentException(where + " is configured twice");
            }
            seen.add(hex);
            String name = entry.name() == null || entry.name().isBlank() ? null : entry.name().strip();
            if (name != null && !name.matches("[A-Za-z0-9._@-]{1,64}")) {
                throw new IllegalArgumentException(where + ": names are 1-64 letters, digits, '.', '_', '@' or '-'");
            }
            String role = entry.role() == null ? "" : entry.role().strip();
            String fallbackName = role.replace("tenant:", "") + "#" + hex.substring(0, 6);
            Principal principal;
            if ("soc".equals(role)) {
                principal = Principal.soc(name == null ? fallbackName : name);
            } else if (role.startsWith("tenant:")) {
                String tenant = role.substring("tenant:".length());
                try {
                    TenantNames.require(tenant);
                } catch (IllegalArgumentException ex) {
                    throw new IllegalArgumentException(where + ": " + ex.getMessage(), ex);
                }
                principal = Principal.tenant(name == null ? fallbackName : name, tenant);
            } else {
                throw new IllegalArgumentException(where + " has role \"" + role + "\"; roles are soc or tenant:<name>");
            }
            digested.add(new Digested(digest, principal));
        }
        return new ApiTokens(List.copyOf(digested));
    }

    /**
     * Parses {@code BULWARK_API_TOKENS}: comma-separated {@code token=role} pairs, a role being {@code soc} or
     * {@code tenant:<name>}, optionally followed by {@code @<principal name>}.
     */
    public static List<Entry> parseEnvironment(String value) {
        List<Entry> entries = new ArrayList<>();
        if (value == null) {
            return entries;
        }
        int n = 0;
        for (String part : value.split(",")) {
            n++;
            String item = part.strip();
            if (item.isEmpty()) {
                continue;
            }
            int eq = item.indexOf('=');
            if (eq <= 0 || eq == item.length() - 1) {
                throw new IllegalArgumentException("BULWARK_API_TOKENS entry #" + n + " must look like token=soc or "
                        + "token=tenant:acme");
            }
            String role = item.substring(eq + 1).strip();
            String name = null;
            int at = role.indexOf('@');
            if (at >= 0) {
                name = role.substring(at + 1);
                role = role.substring(0, at);
            }
            entries.add(new Entry(item.substring(0, eq).strip(), role, name));
        }
        return entries;
    }

    /** True when no token is configured (the API then refuses every request). */
    public boolean isEmpty() {
        return tokens.isEmpty();
    }

    /** The principal an {@code Authorization} header value authenticates, if any. */
    public Optional<Principal> authenticate(String authorizationHeader) {
        if (authorizationHeader == null || authorizationHeader.length() > 1024) {
            return Optional.empty();
        }
        String header = authorizationHeader.strip();
        if (header.length() < 7 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return Optional.empty();
        }
        byte[] presented = digest(header.substring(7).strip());
        Principal match = null;
        for (Digested token : tokens) {
            // Every digest is compared, whatever matched, so timing says nothing about which token is close.
            if (MessageDigest.isEqual(token.digest(), presented)) {
                match = token.principal();
            }
        }
        return Optional.ofNullable(match);
    }

    private static byte[] digest(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException("SHA-256 is required by the Java platform", ex);
        }
    }
}
