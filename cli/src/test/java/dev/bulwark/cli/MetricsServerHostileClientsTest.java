package dev.bulwark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.bulwark.http.HostileClients;
import dev.bulwark.http.HttpLimits;

/** The metrics and probe endpoint against connections that never finish their headers or body. */
@Timeout(60)
class MetricsServerHostileClientsTest {

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Test
    void probesAndScrapesAnswerWhileConnectionsAreHeldAndTheHeldOnesAreClosed() throws Exception {
        int port = freePort();
        try (MetricsServer server = new MetricsServer(port, HttpLimits.defaults().withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(2), Duration.ofSeconds(2),
                Duration.ofSeconds(2)));
             HostileClients hostile = new HostileClients(port)) {
            server.started();
            hostile.partialHeaders(200, "GET", "/metrics").slowBodies(20, "POST", "/livez", "");
            HttpClient http = HttpClient.newHttpClient();
            long began = System.nanoTime();
            HttpResponse<String> livez = http.send(HttpRequest.newBuilder(URI.create(server.healthUrl() + "/livez"))
                    .timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(livez.statusCode()).isEqualTo(200);
            assertThat(http.send(HttpRequest.newBuilder(URI.create(server.url())).timeout(Duration.ofSeconds(1)).build(),
                    HttpResponse.BodyHandlers.ofString()).body()).contains("jvm_memory_used_bytes");
            assertThat(Duration.ofNanos(System.nanoTime() - began)).isLessThan(Duration.ofSeconds(1));
            hostile.assertAllClosedWithin(Duration.ofSeconds(2 + 3));
        }
    }

    @Test
    void aDeclaredHugeBodyIs413AtOnce() throws Exception {
        int port = freePort();
        try (MetricsServer server = new MetricsServer(port);
             Socket socket = HostileClients.raw(port, "POST /metrics HTTP/1.1\r\nHost: x\r\n"
                     + "Content-Length: 100000000\r\n\r\n")) {
            assertThat(server.url()).isNotNull();
            assertThat(HostileClients.status(socket, Duration.ofSeconds(1))).isEqualTo(413);
        }
    }

    @Test
    void aTakenPortNamesTheSetting() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> new MetricsServer(taken.getLocalPort()))
                    .isInstanceOf(java.io.IOException.class).hasMessageContaining("metrics.port");
        }
    }
}
