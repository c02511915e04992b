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
    void portZeroTurnsTheEndpointOff() throws Exception {
        try (MetricsServer server = new MetricsServer(0)) {
            assertThat(server.url()).isNull();
            assertThat(server.registry()).isNotNull();
        }
    }
}
