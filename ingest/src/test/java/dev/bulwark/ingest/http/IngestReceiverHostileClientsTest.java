package dev.bulwark.ingest.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.bulwark.http.HostileClients;
import dev.bulwark.http.HttpLimits;
import dev.bulwark.samples.Samples;
import dev.bulwark.schemas.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/** The receiver against connections that never finish their headers or body (the unauthenticated freeze of issue 13). */
@Timeout(60)
class IngestReceiverHostileClientsTest {

    private static final HttpLimits SHORT = HttpLimits.defaults().withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(2), Duration.ofSeconds(2),
                Duration.ofSeconds(2));
    private final Topics topics = Topics.withPrefix("bulwark.");
    private final MockProducer<String, byte[]> producer = new MockProducer<>(true, null, new StringSerializer(),
            new ByteArraySerializer());
    private IngestReceiver receiver;

    @AfterEach
    void stop() {
        if (receiver != null) {
            receiver.close();
        }
    }

    private IngestReceiver start() throws Exception {
        receiver = new IngestReceiver(new IngestReceiver.Settings("127.0.0.1", 0, 1 << 20, 1 << 20,
                List.of("s3cret"), 4, Duration.ofSeconds(5)).withHttp(SHORT), producer, topics, new SimpleMeterRegistry());
        return receiver;
    }

    private int port() {
        return URI.create(receiver.url()).getPort();
    }

    @Test
    void heldConnectionsDoNotFreezeTheReceiverAndAreClosed() throws Exception {
        start();
        try (HostileClients hostile = new HostileClients(port())) {
            hostile.partialHeaders(200, "POST", "/v1/falco")
                    .slowBodies(20, "POST", "/v1/falco", "Authorization: Bearer s3cret\r\n");
            long began = System.nanoTime();
            HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create(receiver.url() + "/v1/falco")).timeout(Duration.ofSeconds(1))
                    .header("Authorization", "Bearer s3cret")
                    .POST(HttpRequest.BodyPublishers.ofString(Samples.lines("falco/falco_alerts_real.ndjson").get(0)))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(Duration.ofNanos(System.nanoTime() - began)).isLessThan(Duration.ofSeconds(1));
            hostile.assertAllClosedWithin(Duration.ofSeconds(2 + 3));
        }
        assertThat(producer.history()).hasSize(1);
    }

    @Test
    void aDeclaredHugeBodyIs413AtOnceAndRecorded() throws Exception {
        start();
        long began = System.nanoTime();
        try (Socket socket = HostileClients.raw(port(), "POST /v1/falco HTTP/1.1\r\nHost: x\r\n"
                + "Authorization: Bearer s3cret\r\nContent-Length: 100000000\r\n\r\n")) {
            assertThat(HostileClients.status(socket, Duration.ofSeconds(1))).isEqualTo(413);
        }
        assertThat(Duration.ofNanos(System.nanoTime() - began)).isLessThan(Duration.ofSeconds(1));
        assertThat(producer.history()).singleElement()
                .satisfies(record -> assertThat(record.topic()).isEqualTo(topics.deadLetters().name()));
    }

    @Test
    void aChunkedBodyWithoutItsLastChunkIsClosedAndTheReceiverStillAnswers() throws Exception {
        start();
        try (Socket socket = HostileClients.raw(port(), "POST /v1/falco HTTP/1.1\r\nHost: x\r\n"
                + "Authorization: Bearer s3cret\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n")) {
            assertThat(HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(receiver.url() + "/healthz"))
                    .timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
                    .isEqualTo(200);
            assertThat(HostileClients.closedBy(socket, System.nanoTime() + Duration.ofSeconds(2 + 3).toNanos()))
                    .as("closed at the body timeout").isTrue();
        }
        assertThat(producer.history()).isEmpty();
    }
}
