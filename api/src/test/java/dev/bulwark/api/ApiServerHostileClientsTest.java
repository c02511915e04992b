package dev.bulwark.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.bulwark.http.HostileClients;
import dev.bulwark.http.HttpLimits;
import dev.bulwark.sink.ElasticsearchClients;
import dev.bulwark.sink.FindingIndex;

/**
 * The query API against connections that never finish their headers or body. Nothing here reaches Elasticsearch (the
 * client points at a closed port), so it runs without the test stack.
 */
@Timeout(60)
class ApiServerHostileClientsTest {

    private static final String TOKEN = "soc-token-0123456789abcdef";
    private ApiServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private ApiServer start() throws Exception {
        server = new ApiServer(new ApiServer.Settings("127.0.0.1", 0, 4, HttpLimits.defaults().withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(2), Duration.ofSeconds(2),
                Duration.ofSeconds(2))),
                ApiTokens.of(ApiTokens.parseEnvironment(TOKEN + "=soc@alice")),
                new FindingsService(ElasticsearchClients.create("http://127.0.0.1:9"), new FindingIndex("none-findings"),
                        Clock.systemUTC()));
        return server;
    }

    private int port() {
        return URI.create(server.url()).getPort();
    }

    @Test
    void heldConnectionsDoNotStopTheApiAndAreClosed() throws Exception {
        start();
        try (HostileClients hostile = new HostileClients(port())) {
            hostile.partialHeaders(200, "PATCH", "/api/findings/a-1")
                    .slowBodies(20, "PATCH", "/api/findings/a-1", "Authorization: Bearer " + TOKEN + "\r\n");
            HttpClient http = HttpClient.newHttpClient();
            long began = System.nanoTime();
            HttpResponse<String> whoami = http.send(HttpRequest.newBuilder(URI.create(server.url() + "/api/whoami"))
                    .header("Authorization", "Bearer " + TOKEN).timeout(Duration.ofSeconds(1)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(whoami.statusCode()).isEqualTo(200);
            assertThat(whoami.body()).contains("\"name\":\"alice\"");
            assertThat(whoami.headers().firstValue("Content-Security-Policy")).isPresent();
            assertThat(http.send(HttpRequest.newBuilder(URI.create(server.url() + "/healthz"))
                    .timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
                    .isEqualTo(200);
            assertThat(Duration.ofNanos(System.nanoTime() - began)).isLessThan(Duration.ofSeconds(1));
            hostile.assertAllClosedWithin(Duration.ofSeconds(2 + 3));
        }
    }

    @Test
    void aDeclaredHugePatchIs413AtOnceWithTheErrorShapeAndSecurityHeaders() throws Exception {
        start();
        long began = System.nanoTime();
        try (Socket socket = HostileClients.raw(port(), "PATCH /api/findings/a-1 HTTP/1.1\r\nHost: x\r\n"
                + "Authorization: Bearer " + TOKEN + "\r\nContent-Type: application/json\r\n"
                + "Content-Length: 100000000\r\n\r\n")) {
            assertThat(HostileClients.status(socket, Duration.ofSeconds(1))).isEqualTo(413);
            socket.setSoTimeout(2000);
            String rest = new String(socket.getInputStream().readNBytes(4000), StandardCharsets.UTF_8);
            assertThat(rest).contains("X-Frame-Options: DENY").contains("{\"error\":{").contains("\"status\":413");
        }
        assertThat(Duration.ofNanos(System.nanoTime() - began)).isLessThan(Duration.ofSeconds(3));
    }
}
