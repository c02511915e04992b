package dev.bulwark.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.bulwark.ingest.http.IngestReceiver;
import dev.bulwark.samples.Samples;
import dev.bulwark.schemas.SecurityEvent;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/** {@code --follow} and the HTTP receiver against the real broker. */
class FollowAndReceiveIT {

    @TempDir
    Path temp;

    private static String cri(int n) {
        return String.format("2024-05-01T10:00:%02d.123456789Z stdout F line %d%n", n % 60, n);
    }

    @Test
    void followingThroughRotationAndARestartPublishesEveryLineExactlyOnce() throws Exception {
        BrokerIngest broker = BrokerIngest.create("follow");
        Path dir = Files.createDirectories(temp.resolve("var/log/containers"));
        Path log = dir.resolve("api-5f6d_shop_app-" + "ab".repeat(32) + ".log");
        Path state = temp.resolve("state.json");
        IngestStats stats = new IngestStats(new SimpleMeterRegistry(), "cri");
        SourceParser parser = Parsers.forFormat("cri");
        try (EventPublisher publisher = new EventPublisher(broker.producerConfig(), broker.topics, stats)) {
            FileFollower first = new FileFollower(List.of(dir + "/*.log"), parser, publisher, state, 1 << 20,
                    Duration.ofMillis(10));
            for (int i = 0; i < 50; i++) {
                Files.writeString(log, cri(i), StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            }
            first.pollOnce();
            for (int i = 50; i < 60; i++) {
                Files.writeString(log, cri(i), StandardOpenOption.APPEND);
            }
            Files.move(log, dir.resolve(log.getFileName() + ".1"));     // the kubelet's rotation: rename, then a new file
            for (int i = 60; i < 80; i++) {
                Files.writeString(log, cri(i), StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            }
            first.pollOnce();
            first.pollOnce();
            first.run(() -> false);                                      // a clean stop saves positions
            for (int i = 80; i < 100; i++) {
                Files.writeString(log, cri(i), StandardOpenOption.APPEND);
            }
            FileFollower restarted = new FileFollower(List.of(dir + "/*.log"), parser, publisher, state, 1 << 20,
                    Duration.ofMillis(10));
            restarted.pollOnce();
            // The last line waits in the framer (a continuation may follow) until the file has been quiet for a second.
            Thread.sleep(1_100);
            restarted.pollOnce();
            restarted.run(() -> false);
        }
        assertThat(stats.balanced()).isTrue();
        List<SecurityEvent> events = broker.events(100);
        assertThat(events).extracting(e -> e.getLog().getMessage())
                .containsExactlyInAnyOrderElementsOf(java.util.stream.IntStream.range(0, 100).mapToObj(i -> "line " + i).toList());
        assertThat(events).allSatisfy(e -> assertThat(e.getKubernetes().getNamespace()).isEqualTo("shop"));
    }

    @Test
    void theReceiverTakesFalcoAlertsAndAuditWebhookBatchesAndAnswersAfterKafka() throws Exception {
        BrokerIngest broker = BrokerIngest.create("receiver");
        ArrayNode items = SafeJson.mapper().createArrayNode();
        try (Stream<Path> files = Files.list(Samples.path("k8s_audit/falco_trace_files"))) {
            for (Path file : files.filter(p -> p.getFileName().toString().matches("(exec|attach)_pod\\.json|create_.*privileged\\.json")).toList()) {
                items.add(SafeJson.readObject(Files.readAllBytes(file)));
            }
        }
        ObjectNode eventList = SafeJson.mapper().createObjectNode().put("kind", "EventList").put("apiVersion", "audit.k8s.io/v1");
        eventList.set("items", items);
        String alert = Samples.lines("falco/falco_alerts_real.ndjson").get(0);
        String token = "test-token-0123456789abcdef";
        HttpClient http = HttpClient.newHttpClient();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(broker.producerConfig(), new StringSerializer(),
                new ByteArraySerializer());
                IngestReceiver receiver = new IngestReceiver(new IngestReceiver.Settings("127.0.0.1", 0, 1 << 20, 1 << 20,
                        List.of(token), 4, Duration.ofSeconds(30)), producer, broker.topics, new SimpleMeterRegistry())) {
            HttpResponse<String> audit = http.send(HttpRequest.newBuilder(URI.create(receiver.url() + "/v1/k8s-audit"))
                    .header("Authorization", "Bearer " + token)
                    .POST(HttpRequest.BodyPublishers.ofString(eventList.toString())).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(audit.statusCode()).as(audit.body()).isEqualTo(200);
            assertThat(SafeJson.read(audit.body().getBytes()).get("events").asInt()).isEqualTo(items.size());

            HttpResponse<String> falco = http.send(HttpRequest.newBuilder(URI.create(receiver.url() + "/"))
                    .header("Authorization", "Bearer " + token)
                    .POST(HttpRequest.BodyPublishers.ofString(alert)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(falco.statusCode()).isEqualTo(200);

            HttpResponse<String> unauthorized = http.send(HttpRequest.newBuilder(URI.create(receiver.url() + "/"))
                    .POST(HttpRequest.BodyPublishers.ofString(alert)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(unauthorized.statusCode()).isEqualTo(401);

            HttpResponse<String> bad = http.send(HttpRequest.newBuilder(URI.create(receiver.url() + "/v1/ingest/tetragon"))
                    .header("Authorization", "Bearer " + token)
                    .POST(HttpRequest.BodyPublishers.ofString("{\"process_exec\": 7}\n")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(bad.statusCode()).isEqualTo(400);
            assertThat(bad.body()).contains("process_exec");
        }
        // 200 meant acknowledged: everything is on the topics already.
        List<SecurityEvent> events = broker.events(items.size() + 1);
        assertThat(events).hasSize(items.size() + 1);
        assertThat(events).filteredOn(e -> "k8s-audit".equals(e.getSourceFormat())).hasSize(items.size())
                .anySatisfy(e -> assertThat(e.getKubernetesAudit().getSubresource()).isEqualTo("exec"));
        assertThat(broker.deadLetters(1)).singleElement()
                .satisfies(l -> assertThat(l.getOrigin()).startsWith("http:/v1/ingest/tetragon"));
    }
}
