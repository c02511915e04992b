package dev.bulwark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.Counter;

class MetricsServerTest {

    @Test
    void servesRegisteredMetersInPrometheusFormat() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        try (MetricsServer server = new MetricsServer(port)) {
            Counter.builder("bulwark.ingest.records.in").tag("format", "falco").register(server.registry()).increment(3);
            HttpResponse<String> response = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create(server.url())).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/plain"));
            assertThat(response.body()).contains("bulwark_ingest_records_in_total{format=\"falco\"} 3.0");
        }
    }

    @Test
    void metricsHostBindsTheProbesBeyondLoopback() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        BulwarkConfig config = BulwarkConfig.from(java.util.Map.of(), java.util.Map.of("BULWARK_METRICS_HOST", "0.0.0.0"));
        assertThat(BulwarkConfig.from(java.util.Map.of(), java.util.Map.of()).metrics.host).isEqualTo("127.0.0.1");
        try (MetricsServer server = new MetricsServer(config.metrics.host, port, config.httpLimits(), null)) {
            assertThat(server.healthUrl()).isEqualTo("http://127.0.0.1:" + port);
            // Another address of the host answers too (as the pod's IP does for a kubelet's probe): 127.0.0.2, which
            // a server on 127.0.0.1 alone refuses.
            try (java.net.Socket other = new java.net.Socket()) {
                other.connect(new java.net.InetSocketAddress(java.net.InetAddress.getByName("127.0.0.2"), port), 2000);
                assertThat(other.isConnected()).isTrue();
            }
            HttpResponse<String> livez = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create(server.healthUrl() + "/livez")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(livez.statusCode()).isEqualTo(200);
        }
        try (MetricsServer loopback = new MetricsServer(port);
             java.net.Socket other = new java.net.Socket()) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> other.connect(
                    new java.net.InetSocketAddress(java.net.InetAddress.getByName("127.0.0.2"), port), 2000))
                    .as("the default, 127.0.0.1 only").isInstanceOf(java.io.IOException.class);
        }
    }

    @Test
    void portZeroTurnsTheEndpointOff() throws Exception {
        try (MetricsServer server = new MetricsServer(0)) {
            assertThat(server.url()).isNull();
            assertThat(server.registry()).isNotNull();
        }
    }

    @Test
    void readyzIs503UntilStartedAndEveryCheckPassesAndSaysWhy() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        try (MetricsServer server = new MetricsServer(port)) {
            HttpClient http = HttpClient.newHttpClient();
            URI readyz = URI.create(server.healthUrl() + "/readyz");
            URI livez = URI.create(server.healthUrl() + "/livez");
            HttpResponse<String> starting = http.send(HttpRequest.newBuilder(readyz).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(starting.statusCode()).isEqualTo(503);
            assertThat(starting.body()).contains("\"startup\":\"components are starting\"");

            java.util.concurrent.atomic.AtomicReference<String> sink = new java.util.concurrent.atomic.AtomicReference<>(
                    "no partition of bulwark.findings assigned");
            server.readiness("sink", sink::get);
            server.readiness("detectors", () -> null);
            server.liveness("detectors", () -> null);
            server.started();
            HttpResponse<String> notReady = http.send(HttpRequest.newBuilder(readyz).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(notReady.statusCode()).isEqualTo(503);
            assertThat(notReady.body()).isEqualTo("{\"status\":\"unavailable\",\"checks\":{\"detectors\":\"ok\","
                    + "\"sink\":\"no partition of bulwark.findings assigned\",\"startup\":\"ok\"}}\n");
            assertThat(http.send(HttpRequest.newBuilder(livez).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
                    .isEqualTo(200);

            sink.set(null);
            HttpResponse<String> ready = http.send(HttpRequest.newBuilder(readyz).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(ready.statusCode()).isEqualTo(200);
            assertThat(ready.body()).startsWith("{\"status\":\"ok\"");

            server.readiness("api", () -> {
                throw new IllegalStateException("boom \"quoted\"");
            });
            HttpResponse<String> failing = http.send(HttpRequest.newBuilder(readyz).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(failing.statusCode()).isEqualTo(503);
            assertThat(failing.body()).contains("\"api\":\"check failed: java.lang.IllegalStateException: boom \\\"quoted\\\"\"");
        }
    }
}
