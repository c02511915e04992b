package dev.bulwark.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;

import javax.net.ssl.SSLHandshakeException;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The shared server with TLS: HTTPS from PEM files or a PKCS#12 keystore, and no plaintext on the same port. */
@Timeout(120)
class BulwarkHttpServerTlsTest {

    @TempDir
    static Path dir;
    private static TestCertificates rsa;
    private static TestCertificates ec;
    private BulwarkHttpServer server;

    @BeforeAll
    static void certificates() throws Exception {
        rsa = TestCertificates.create(dir.resolve("rsa"), "RSA");
        ec = TestCertificates.create(dir.resolve("ec"), "EC");
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private BulwarkHttpServer start(Tls tls) throws IOException {
        server = BulwarkHttpServer.start(new BulwarkHttpServer.Spec("tls-test", "127.0.0.1", 0,
                BulwarkHttpServerTest.SHORT, 2, 16, 1000, Set.of("/healthz"), exchange -> {
                    if ("/slow".equals(exchange.path())) {
                        Thread.sleep(3000); // longer than the 2 s header timeout
                    }
                    exchange.send(200, "text/plain", ("hello " + exchange.method()).getBytes(StandardCharsets.UTF_8));
                }, tls));
        return server;
    }

    private HttpClient trusting(TestCertificates certificates) throws Exception {
        return HttpClient.newBuilder().sslContext(certificates.clientContext()).connectTimeout(Duration.ofSeconds(2))
                .build();
    }

    private static HttpResponse<String> get(HttpClient client, String url) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void pemChainAndKeyServeHttpsAndPlainHttpToThePortFails() throws Exception {
        start(rsa.pemTls());
        assertThat(server.scheme()).isEqualTo("https");
        HttpResponse<String> response = get(trusting(rsa), "https://127.0.0.1:" + server.port() + "/hello");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("hello GET");
        assertThat(response.sslSession()).hasValueSatisfying(session ->
                assertThat(session.getProtocol()).isIn("TLSv1.3", "TLSv1.2"));
        // Same name, checked against the certificate's subject alternative names.
        assertThat(get(trusting(rsa), "https://localhost:" + server.port() + "/hello").statusCode()).isEqualTo(200);

        assertThatThrownBy(() -> get(HttpClient.newHttpClient(), "http://127.0.0.1:" + server.port() + "/hello"))
                .isInstanceOf(IOException.class);
    }

    @Test
    void aPlaintextRequestGetsNoHttpAnswerAtAll() throws Exception {
        start(rsa.pemTls());
        try (Socket socket = HostileClients.raw(server.port(), "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")) {
            socket.setSoTimeout(5000);
            byte[] answer = socket.getInputStream().readNBytes(5);
            assertThat(new String(answer, StandardCharsets.ISO_8859_1)).doesNotStartWith("HTTP/");
        } catch (IOException reset) {
            // a reset is as good: nothing was answered in the clear
        }
    }

    @Test
    void aClientThatDoesNotTrustTheCaIsRefused() throws Exception {
        start(rsa.pemTls());
        assertThatThrownBy(() -> get(HttpClient.newHttpClient(), "https://127.0.0.1:" + server.port() + "/hello"))
                .isInstanceOf(SSLHandshakeException.class);
        assertThatThrownBy(() -> get(trusting(ec), "https://127.0.0.1:" + server.port() + "/hello"))
                .isInstanceOf(SSLHandshakeException.class);
    }

    @Test
    void ecKeysWorkToo() throws Exception {
        start(ec.pemTls());
        assertThat(get(trusting(ec), "https://127.0.0.1:" + server.port() + "/hello").statusCode()).isEqualTo(200);
    }

    @Test
    void aPkcs12KeystoreServesHttps() throws Exception {
        start(Tls.keystore(rsa.keystore(), TestCertificates.KEYSTORE_PASSWORD.toCharArray()));
        assertThat(get(trusting(rsa), "https://127.0.0.1:" + server.port() + "/hello").body()).isEqualTo("hello GET");
    }

    @Test
    void aWrongKeystorePasswordFailsTheStartWithoutShowingIt() {
        assertThatThrownBy(() -> start(Tls.keystore(rsa.keystore(), "not-the-password-42".toCharArray())))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(rsa.keystore().toString())
                .hasMessageNotContaining("not-the-password-42");
    }

    @Test
    void aKeyThatIsNotTheCertificatesFailsTheStart() {
        assertThatThrownBy(() -> start(Tls.pem(rsa.chainPem(), ec.keyPem())))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("does not belong");
    }

    @Test
    void otherKeyEncodingsAreRefusedWithTheConversionCommandAndNoKeyMaterial() throws Exception {
        String body = Files.readString(rsa.keyPem()).replace("PRIVATE KEY", "RSA PRIVATE KEY");
        Path pkcs1 = dir.resolve("pkcs1.pem");
        Files.writeString(pkcs1, body);
        String secretLine = body.lines().skip(1).findFirst().orElseThrow();
        assertThatThrownBy(() -> start(Tls.pem(rsa.chainPem(), pkcs1)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("openssl pkcs8 -topk8")
                .hasMessageNotContaining(secretLine);
        assertThat(Tls.pem(rsa.chainPem(), rsa.keyPem()).toString()).doesNotContain("BEGIN");
        assertThat(Tls.keystore(rsa.keystore(), "secret-password".toCharArray()).toString())
                .doesNotContain("secret-password");
    }

    @Test
    void aClientThatNeverHandshakesIsClosedAtTheHeaderDeadlineAndASlowAnswerIsNotCut() throws Exception {
        start(rsa.pemTls());
        try (Socket silent = new Socket()) {
            silent.connect(new InetSocketAddress("127.0.0.1", server.port()), 2000);
            long deadline = System.nanoTime() + Duration.ofSeconds(2 + 3).toNanos();
            assertThat(HostileClients.closedBy(silent, deadline)).as("closed within the header timeout").isTrue();
        }
        // The TLS connection itself has no deadline of its own: a handler slower than the header timeout still answers.
        assertThat(get(trusting(rsa), "https://127.0.0.1:" + server.port() + "/slow").statusCode()).isEqualTo(200);
        assertThat(server.connections()).isLessThanOrEqualTo(1);
    }
}
