package dev.bulwark.cli;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Properties;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import co.elastic.clients.elasticsearch._types.ElasticsearchException;
import co.elastic.clients.elasticsearch.security.IndicesPrivileges;

/**
 * Creates Bulwark's roles, and a user or an API key for the sink and for the API, on a cluster with the native realm
 * ({@code bulwark security es-setup}); writes their credentials to a file only the owner can read.
 *
 * <p>Why: the admin credential is given once, to this command, and the components then run with the smallest rights
 * ({@link ElasticsearchRoles}). Running it again rotates the passwords or makes new keys (the old keys stay valid
 * until invalidated, so running components keep working until they are restarted with the new file).
 */
final class ElasticsearchSetup {

    private static final SecureRandom RANDOM = new SecureRandom();

    /** What was created: role names, then users or API key names. Never a secret. */
    record Result(List<String> roles, List<String> principals) {
    }

    private ElasticsearchSetup() {
    }

    /**
     * @param admin a client as a user with the {@code manage_security} privilege
     * @param namePrefix roles are {@code <namePrefix>_sink} and {@code _api}, users or keys {@code <namePrefix>-sink}
     *                   and {@code -api}
     * @param apiKeys API keys instead of users
     * @param credentialsFile written (other lines kept) with {@code sink.} and {@code api.} entries, mode 600
     */
    static Result run(ElasticsearchClient admin, String namePrefix, String indexPrefix, boolean apiKeys,
                      Path credentialsFile) throws IOException {
        if (!namePrefix.matches("[a-z][a-z0-9_-]{0,40}")) {
            throw new IllegalArgumentException("--name-prefix must be lower case letters, digits, _ or - (at most 41), "
                    + "starting with a letter");
        }
        Properties credentials = new Properties();
        if (Files.exists(credentialsFile)) {
            credentials = SecretFiles.properties(credentialsFile, "the credentials file");
        }
        List<String> roles = new ArrayList<>();
        List<String> principals = new ArrayList<>();
        try {
            for (ElasticsearchRoles.Role role : ElasticsearchRoles.roles(namePrefix, indexPrefix)) {
                List<IndicesPrivileges> indices = role.indices().stream().map(grant -> IndicesPrivileges.of(i -> i
                        .names(grant.pattern()).privileges(grant.privileges()))).toList();
                admin.security().putRole(r -> r.name(role.name()).cluster(role.cluster()).indices(indices));
                roles.add(role.name());
                String key = role.user().name().toLowerCase(java.util.Locale.ROOT);
                String principal = namePrefix + "-" + key;
                for (String field : List.of("username", "password", "apiKey")) {
                    credentials.remove(key + "." + field);
                }
                if (apiKeys) {
                    var created = admin.security().createApiKey(k -> k.name(principal)
                            .roleDescriptors(role.name(), d -> d.cluster(role.cluster()).indices(indices)));
                    credentials.setProperty(key + ".apiKey", created.encoded());
                } else {
                    String password = secret();
                    admin.security().putUser(u -> u.username(principal).password(password).roles(role.name())
                            .fullName("Bulwark " + key));
                    credentials.setProperty(key + ".username", principal);
                    credentials.setProperty(key + ".password", password);
                }
                principals.add(principal);
            }
        } catch (ElasticsearchException e) {
            if (e.status() == 401 || e.status() == 403) {
                throw new IllegalStateException("Elasticsearch refused the admin user (HTTP " + e.status() + "): "
                        + "es-setup needs a user with the manage_security privilege, e.g. elastic, given as the admin "
                        + "entry of elasticsearch.credentialsFile or as elasticsearch.username with its password", e);
            }
            throw new IllegalStateException("Elasticsearch refused a security request: " + e.error().reason()
                    + " (is the native realm available? security must be enabled)", e);
        }
        write(credentialsFile, credentials);
        return new Result(roles, principals);
    }

    /** 24 random bytes, URL-safe base64 (32 characters). */
    private static String secret() {
        byte[] bytes = new byte[24];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** Writes the file atomically, readable and writable by its owner only from the first byte. */
    private static void write(Path file, Properties credentials) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, ".es-credentials", ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            StringWriter text = new StringWriter();
            credentials.store(text, "Bulwark's Elasticsearch credentials (bulwark security es-setup); "
                    + "elasticsearch.credentialsFile");
            Files.writeString(tmp, text.toString(), StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
