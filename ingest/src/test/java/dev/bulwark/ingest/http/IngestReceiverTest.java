package dev.bulwark.ingest.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.bulwark.ingest.SafeJson;
import dev.bulwark.samples.Samples;
import dev.bulwark.schemas.DeadLetter;
import dev.bulwark.schemas.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/** The receiver over real HTTP, with Kafka replaced by a producer whose acknowledgements the test controls. */
class IngestReceiverTest {

    private final Topics topics = Topics.withPrefix("bulwark.");
    private final HttpClient http = HttpClient.newHttpClient();
    private MockProducer<String, byte[]> producer;
    private IngestReceiver receiver;

    private IngestReceiver start(boolean autoAcknowledge, List<String> tokens, int maxBodyBytes) throws Exception {
        producer = new MockProducer<>(autoAcknowledge, null, new StringSerializer(), new ByteArraySerializer());
        receiver = new IngestReceiver(new IngestReceiver.Settings("127.0.0.1", 0, maxBodyBytes, 1 << 20, tokens, 4,
                Duration.ofSeconds(5)), producer, topics, new SimpleMeterRegistry());
        return receiver;
    }

    @AfterEach
    void stop() {
        if (receiver != null) {
            receiver.close();
        }
    }

    private HttpResponse<String> post(String path, String body, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(receiver.url() + path))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> response) throws Exception {
        return SafeJson.read(response.body().getBytes(StandardCharsets.UTF_8));
    }

    private long sentTo(String topic) {
        return producer.history().stream().filter(r -> r.topic().equals(topic)).count();
    }

    @Test
    void aFalcoAlertPostedLikeFalcosidekickIsPublishedAndAcknowledged() throws Exception {
        start(true, List.of(), 1 << 20);
        String alert = Samples.lines("falco/falco_alerts_real.ndjson").get(0);
        HttpResponse<String> response = post("/", alert, null);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(json(response).get("events").asInt()).isEqualTo(1);
        assertThat(sentTo(topics.events().name())).isEqualTo(1);
        assertThat(post("/v1/falco", alert, null).statusCode()).isEqualTo(200);
        assertThat(post("/v1/ingest/falco", alert + "\n" + alert + "\n", null).statusCode()).isEqualTo(200);
        assertThat(sentTo(topics.events().name())).isEqualTo(4);
        assertThat(receiver.stats("falco").balanced()).isTrue();
    }

    @Test
    void badRecordsGet400WithTheReasonAndAreDeadLetteredWhileGoodOnesArePublished() throws Exception {
        start(true, List.of(), 1 << 20);
        String alert = Samples.lines("falco/falco_alerts_real.ndjson").get(0);
        HttpResponse<String> response = post("/v1/ingest/falco", alert + "\n{\"rule\": \"x\"\n", null);
        assertThat(response.statusCode()).isEqualTo(400);
        JsonNode reply = json(response);
        assertThat(reply.get("records").asInt()).isEqualTo(2);
        assertThat(reply.get("dead_lettered").asInt()).isEqualTo(1);
        assertThat(reply.get("rejected").get(0).get("reason").asText()).contains("invalid JSON");
        assertThat(sentTo(topics.events().name())).isEqualTo(1);
        assertThat(sentTo(topics.deadLetters().name())).isEqualTo(1);
        DeadLetter letter = topics.deadLetters().valueSerde().deserializer().deserialize(topics.deadLetters().name(),
                producer.history().stream().filter(r -> r.topic().equals(topics.deadLetters().name())).findFirst()
                        .orElseThrow().value());
        assertThat(StandardCharsets.UTF_8.decode(letter.getOriginal()).toString()).isEqualTo("{\"rule\": \"x\"");
    }

    @Test
    void tokensAreRequiredWhenConfigured() throws Exception {
        start(true, List.of("s3cret-token", "other"), 1 << 20);
        String alert = Samples.lines("falco/falco_alerts_real.ndjson").get(0);
        assertThat(post("/", alert, null).statusCode()).isEqualTo(401);
        assertThat(post("/", alert, "wrong").statusCode()).isEqualTo(401);
        assertThat(post("/", alert, "s3cret-token ").statusCode()).isEqualTo(200);
        assertThat(post("/", alert, "other").statusCode()).isEqualTo(200);
        assertThat(sentTo(topics.events().name())).isEqualTo(2);
    }

    @Test
    void unknownPathsFormatsAndMethodsAreRefusedReadably() throws Exception {
        start(true, List.of(), 1 << 20);
        assertThat(post("/v1/ingest/nope", "{}", null).statusCode()).isEqualTo(404);
        assertThat(post("/v1/ingest/nope", "{}", null).body()).contains("supported");
        assertThat(post("/admin", "{}", null).statusCode()).isEqualTo(404);
        assertThat(post("/v1/ingest/falco", "", null).statusCode()).isEqualTo(400);
        HttpResponse<String> get = http.send(HttpRequest.newBuilder(URI.create(receiver.url() + "/v1/falco")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(get.statusCode()).isEqualTo(405);
        HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(receiver.url() + "/healthz")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(producer.history()).isEmpty();
    }

    @Test
    void anOversizedBodyGets413AndItsStartIsDeadLettered() throws Exception {
        start(true, List.of(), 1000);
        HttpResponse<String> response = post("/v1/ingest/falco", "{\"x\":\"" + "a".repeat(5000) + "\"}", null);
        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(sentTo(topics.deadLetters().name())).isEqualTo(1);
        assertThat(sentTo(topics.events().name())).isZero();
    }

    @Test
    void theAnswerWaitsForKafkaAndAKafkaFailureIs503() throws Exception {
        start(false, List.of(), 1 << 20);
        String alert = Samples.lines("falco/falco_alerts_real.ndjson").get(0);
        CompletableFuture<HttpResponse<String>> pending = http.sendAsync(HttpRequest.newBuilder(
                URI.create(receiver.url() + "/")).POST(HttpRequest.BodyPublishers.ofString(alert)).build(),
                HttpResponse.BodyHandlers.ofString());
        waitForSends(1);
        Thread.sleep(200);
        assertThat(pending).isNotDone();
        producer.errorNext(new org.apache.kafka.common.errors.TimeoutException("broker unavailable"));
        HttpResponse<String> response = pending.get();
        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.body()).contains("broker unavailable");

        CompletableFuture<HttpResponse<String>> second = http.sendAsync(HttpRequest.newBuilder(
                URI.create(receiver.url() + "/")).POST(HttpRequest.BodyPublishers.ofString(alert)).build(),
                HttpResponse.BodyHandlers.ofString());
        waitForSends(2);
        producer.completeNext();
        assertThat(second.get().statusCode()).isEqualTo(200);
    }

    private void waitForSends(int count) throws InterruptedException {
        for (int i = 0; i < 500 && producer.history().size() < count; i++) {
            Thread.sleep(10);
        }
        assertThat(producer.history()).hasSize(count);
    }
}
