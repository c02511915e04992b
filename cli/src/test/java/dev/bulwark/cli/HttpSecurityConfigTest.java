package dev.bulwark.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The http.tls.*, api.oidc.* and ingest.oidc.* settings: what they build, and the combinations refused at load. */
class HttpSecurityConfigTest {

    @TempDir
    Path dir;

    private BulwarkConfig load(String yaml, Map<String, String> env) throws Exception {
        return BulwarkConfig.load(Files.writeString(dir.resolve("b.yaml"), yaml), env);
    }

    @Test
    void nothingSetMeansPlainHttpAndStaticTokensOnly() throws Exception {
        BulwarkConfig config = BulwarkConfig.load(null, Map.of());
        assertThat(config.tls()).isNull();
        assertThat(config.apiOidc()).isNull();
        assertThat(config.ingestOidc()).isNull();
        assertThat(config.consoleLogin()).isNull();
        assertThat(config.api.oidc.rolesClaim).isEqualTo("groups");
        assertThat(config.api.oidc.socGroups).containsExactly("soc");
        assertThat(config.api.oidc.tenantGroupPrefix).isEqualTo("tenant:");
        assertThat(config.api.oidc.clockSkew).isEqualTo(Duration.ofSeconds(60));
        assertThat(config.ingest.oidc.senderGroups).containsExactly("bulwark-ingest");
    }

    @Test
    void oidcSettingsComeFromTheFileAndTheEnvironment() throws Exception {
        BulwarkConfig config = load("""
                api:
                  oidc:
                    issuer: https://login.example.com/realms/bulwark
                    audience: [bulwark-api]
                    rolesClaim: realm_access.roles
                    socGroups: [bulwark-soc]
                    tenantGroupPrefix: bulwark-tenant-
                    clockSkew: 30s
                """, Map.of("BULWARK_INGEST_OIDC_ISSUER", "https://login.example.com/realms/bulwark",
                "BULWARK_INGEST_OIDC_AUDIENCE", "bulwark-ingest"));
        assertThat(config.apiOidc()).isNotNull();
        assertThat(config.api.oidc.socGroups).containsExactly("bulwark-soc");
        assertThat(config.api.oidc.clockSkew).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.ingestOidc().senderGroups()).containsExactly("bulwark-ingest");
        assertThat(config.ingestOidc().verifier().settings().audiences()).containsExactly("bulwark-ingest");
    }

    @Test
    void refusesAnIssuerWithoutAudienceOverPlainHttpOrSharingTheOtherServersAudience() {
        assertThatThrownBy(() -> load("api:\n  oidc:\n    issuer: https://idp.example.com\n", Map.of()))
                .hasMessageContaining("audience");
        assertThatThrownBy(() -> load("api:\n  oidc:\n    issuer: http://idp.example.com\n    audience: [a]\n",
                Map.of())).hasMessageContaining("https://");
        assertThatThrownBy(() -> load("""
                api:
                  oidc: {issuer: "https://idp.example.com", audience: [bulwark]}
                ingest:
                  oidc: {issuer: "https://idp.example.com", audience: [bulwark]}
                """, Map.of())).hasMessageContaining("share");
        assertThatThrownBy(() -> load("api:\n  oidc:\n    clockSkew: 10m\n", Map.of()))
                .hasMessageContaining("api.oidc.clockSkew");
    }

    @Test
    void theConsoleSignsInWhenAClientIdIsSetAndItsSecretComesFromAFile() throws Exception {
        Path secret = Files.writeString(dir.resolve("client-secret"), "console-secret-value\n");
        BulwarkConfig config = load("""
                api:
                  publicUrl: https://bulwark.example.com
                  oidc:
                    issuer: https://idp.example.com/realms/soc
                    audience: [bulwark-api]
                    clientId: bulwark-console
                    scopes: [openid, bulwark-api]
                    sessionTtl: 4h
                """, Map.of("BULWARK_API_OIDC_CLIENT_SECRET_FILE", secret.toString()));
        var login = config.consoleLogin();
        assertThat(login.clientId()).isEqualTo("bulwark-console");
        assertThat(login.clientSecret()).isEqualTo("console-secret-value");
        assertThat(login.redirectUri()).hasToString("https://bulwark.example.com/auth/callback");
        assertThat(login.scopes()).containsExactly("openid", "bulwark-api");
        assertThat(login.sessionTtl()).isEqualTo(Duration.ofHours(4));
        assertThat(login.sessionCookie()).isEqualTo("__Host-bulwark-session");
        assertThat(login.toString()).doesNotContain("console-secret-value");

        BulwarkConfig publicClient = load("""
                api:
                  publicUrl: http://127.0.0.1:8080
                  oidc: {issuer: "https://idp.example.com", audience: [bulwark-api], clientId: bulwark-console,
                         redirectUri: "http://127.0.0.1:8080/auth/callback"}
                """, Map.of());
        assertThat(publicClient.consoleLogin().clientSecret()).isNull();
        assertThat(publicClient.consoleLogin().sessionTtl()).isEqualTo(Duration.ofHours(8));
        assertThat(publicClient.consoleLogin().sessionCookie()).isEqualTo("bulwark-session");
    }

    @Test
    void refusesASignInWithoutIssuerOrPublicUrlOrOverPlainHttpBeyondLoopback() {
        assertThatThrownBy(() -> load("api:\n  publicUrl: https://b.example.com\n  oidc:\n    clientId: c\n",
                Map.of())).hasMessageContaining("api.oidc.issuer");
        assertThatThrownBy(() -> load("api:\n  oidc: {issuer: \"https://idp.example.com\", audience: [a], "
                + "clientId: c}\n", Map.of())).hasMessageContaining("api.publicUrl");
        assertThatThrownBy(() -> load("api:\n  publicUrl: http://bulwark.example.com\n  oidc: {issuer: "
                + "\"https://idp.example.com\", audience: [a], clientId: c}\n", Map.of()))
                .hasMessageContaining("https://");
        assertThatThrownBy(() -> load("api:\n  publicUrl: https://b.example.com\n  oidc: {issuer: "
                + "\"https://idp.example.com\", audience: [a], clientId: c, redirectUri: \"https://evil.example/cb\"}\n",
                Map.of())).hasMessageContaining("origin");
        assertThatThrownBy(() -> load("api:\n  publicUrl: https://b.example.com\n  oidc: {issuer: "
                + "\"https://idp.example.com\", audience: [a], clientId: c, scopes: [profile]}\n", Map.of()))
                .hasMessageContaining("openid");
        assertThatThrownBy(() -> load("api:\n  oidc:\n    redirectUri: https://b.example.com/auth/callback\n",
                Map.of())).hasMessageContaining("api.oidc.clientId");
        assertThatThrownBy(() -> load("api:\n  oidc:\n    sessionTtl: 30d\n", Map.of()))
                .hasMessageContaining("api.oidc.sessionTtl");
    }

    @Test
    void tlsFromPemFilesOrAKeystoreWhosePasswordComesFromAFileOrTheEnvironment() throws Exception {
        assertThat(load("http:\n  tls:\n    certFile: /c.pem\n    keyFile: /k.pem\n", Map.of()).tls().certFile())
                .isEqualTo(Path.of("/c.pem"));
        Path password = Files.writeString(dir.resolve("password"), "from-a-file\n");
        assertThat(load("http:\n  tls:\n    keystoreFile: /s.p12\n    keystorePasswordFile: " + password + "\n",
                Map.of()).tls().keystorePassword()).isEqualTo("from-a-file".toCharArray());
        assertThat(load("http:\n  tls:\n    keystoreFile: /s.p12\n", Map.of("BULWARK_TLS_KEYSTORE_PASSWORD", "from-env"))
                .tls().keystorePassword()).isEqualTo("from-env".toCharArray());
    }

    @Test
    void refusesHalfOrDoubleTlsSettingsWithoutShowingThePassword() {
        assertThatThrownBy(() -> load("http:\n  tls:\n    certFile: /c.pem\n", Map.of())).hasMessageContaining("both");
        assertThatThrownBy(() -> load("http:\n  tls:\n    keystoreFile: /s.p12\n", Map.of()))
                .hasMessageContaining("keystorePasswordFile");
        assertThatThrownBy(() -> load("http:\n  tls:\n    certFile: /c.pem\n    keyFile: /k.pem\n"
                + "    keystoreFile: /s.p12\n", Map.of("BULWARK_TLS_KEYSTORE_PASSWORD", "very-secret-pw")))
                .hasMessageContaining("not both").hasMessageNotContaining("very-secret-pw");
        String shown = BulwarkConfig.FIELDS.parse(Map.of(), Map.of("BULWARK_TLS_KEYSTORE_PASSWORD", "very-secret-pw"))
                .toString();
        assertThat(shown).doesNotContain("very-secret-pw");
    }
}
