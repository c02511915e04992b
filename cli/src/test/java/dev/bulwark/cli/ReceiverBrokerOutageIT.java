package dev.bulwark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

import dev.bulwark.deploy.LocalStack;
import dev.bulwark.deploy.Probes;
import dev.bulwark.deploy.RealStack;
import dev.bulwark.schemas.Topics;

/**
 * Fault drill: the broker is killed ({@code kill -9}) and stays away for longer than the receiver's producer waits,
 * while senders keep posting and resend what is answered 503. Afterwards every alert is on the events topic, none lost,
 * and every answer told the truth: 200 only for what Kafka holds, 503 only for what the producer had given up.
 */
class ReceiverBrokerOutageIT {

    @Test
    void aBrokerOutageLosesNothingAndEvery503IsResentSafely() throws Exception {
        LocalStack stack = RealStack.get();
        String prefix = RealStack.uniquePrefix("outage");
        BulwarkConfig config = EndToEndIT.config(stack, prefix);
        config.ingest.port = Probes.freePort();
        config.metrics.port = 0;
        // Short delivery timeout so the drill lasts seconds, not minutes: the receiver then waits 15 s before a 503.
        config.kafka.properties = Map.of("delivery.timeout.ms", "5000", "request.timeout.ms", "3000",
                "max.block.ms", "20000");
        Topics topics = Topics.withPrefix(prefix);
        int alerts = 40;
        Map<Integer, Integer> attempts = new ConcurrentHashMap<>();
        List<Integer> statuses = java.util.Collections.synchronizedList(new ArrayList<>());
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        URI falco = URI.create("http://127.0.0.1:" + config.ingest.port + "/v1/falco");
        String run = UUID.randomUUID().toString().substring(0, 8);
        try (MetricsServer metrics = new MetricsServer(0);
             BulwarkRuntime runtime = BulwarkRuntime.start(config, java.util.EnumSet.of(BulwarkRuntime.Component.ingest), metrics)) {
            ExecutorService senders = Executors.newFixedThreadPool(4);
            List<Future<?>> sent = new ArrayList<>();
            for (int i = 0; i < alerts; i++) {
                int n = i;
                sent.add(senders.submit(() -> {
                    String body = alert(run + "-" + n);
                    long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
                    while (System.nanoTime() < deadline) {
                        attempts.merge(n, 1, Integer::sum);
                        try {
                            int status = http.send(HttpRequest.newBuilder(falco).timeout(Duration.ofSeconds(60))
                                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                                    HttpResponse.BodyHandlers.discarding()).statusCode();
                            statuses.add(status);
                            if (status == 200) {
                                return null;
                            }
                            assertThat(status).as("only 200 or 503").isEqualTo(503);
                        } catch (java.io.IOException e) {
                            statuses.add(-1);
                        }
                        Thread.sleep(1000); // then resend, as the contract says
                    }
                    throw new AssertionError("alert " + n + " never acknowledged");
                }));
                if (i == 10) {
                    assertThat(stack.run("down", "--kill", "kafka")).as("kill -9 of the broker").isZero();
                }
                if (i == 30) {
                    Thread.sleep(20_000); // longer than the producer's delivery timeout: the 503s happen now
                    assertThat(stack.run("up", "kafka")).isZero();
                }
                Thread.sleep(200);
            }
            for (Future<?> future : sent) {
                future.get();
            }
            senders.shutdown();
        } finally {
            if (!stack.kafkaReachable()) {
                stack.run("up", "kafka");
            }
        }

        // Every alert is on the topic at least once; a resend of a 503 may add a copy with the same event id.
        Set<String> keys = new HashSet<>();
        long records = 0;
        try (var consumer = new KafkaConsumer<>(Map.<String, Object>of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap(),
                ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topics.events().name()));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (keys.size() < alerts && System.nanoTime() < deadline) {
                for (var record : consumer.poll(Duration.ofMillis(500))) {
                    keys.add(topics.events().valueSerde().deserializer().deserialize("t", record.value()).getId());
                    records++;
                }
            }
        }
        long fiveOhThrees = statuses.stream().filter(s -> s == 503).count();
        System.out.println("[outage drill] " + alerts + " alerts, " + statuses.size() + " answers (" + fiveOhThrees
                + " x 503, " + statuses.stream().filter(s -> s == -1).count() + " connection errors), " + records
                + " records on the topic, " + keys.size() + " distinct events");
        assertThat(keys).as("distinct events on the topic").hasSize(alerts);
        assertThat(fiveOhThrees).as("the outage outlasted the producer's delivery timeout").isPositive();
        assertThat(records).as("copies only from resent 503s").isLessThanOrEqualTo(alerts + fiveOhThrees);
    }

    private static String alert(String container) {
        return ("{\"output\":\"A shell was spawned\",\"priority\":\"Critical\",\"rule\":\"Terminal shell in container\","
                + "\"source\":\"syscall\",\"time\":\"%s\",\"output_fields\":{\"container.id\":\"%s\",\"proc.name\":\"bash\","
                + "\"proc.tty\":34816,\"k8s.ns.name\":\"payments\",\"k8s.pod.name\":\"api-1\"}}").formatted(Instant.now(), container);
    }
}
