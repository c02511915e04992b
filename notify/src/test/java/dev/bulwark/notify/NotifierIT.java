package dev.bulwark.notify;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.bulwark.deploy.LocalStack;
import dev.bulwark.deploy.RealStack;
import dev.bulwark.schemas.DeadLetter;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.Incident;
import dev.bulwark.schemas.IncidentFinding;
import dev.bulwark.schemas.TopicAdmin;
import dev.bulwark.schemas.Topics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * The notifier against the real broker and real local HTTP receivers: each format gets what its route selects, an
 * incident once per update batch; a receiver down for a minute loses nothing; a receiver that refuses gets the record
 * dead-lettered with its original bytes.
 */
class NotifierIT {

    private LocalStack stack;
    private Topics topics;
    private String prefix;
    private KafkaProducer<String, byte[]> producer;
    private Notifier notifier;
    private SimpleMeterRegistry metrics;
    private final List<Receiver> receivers = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        stack = RealStack.get();
        prefix = RealStack.uniquePrefix("notify");
        topics = Topics.withPrefix(prefix);
        try (Admin admin = admin()) {
            TopicAdmin.ensureTopics(admin, topics, 3, (short) 1);
        }
        producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap(),
                ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new ByteArraySerializer());
        metrics = new SimpleMeterRegistry();
    }

    @AfterEach
    void tearDown() throws Exception {
        if (notifier != null) {
            notifier.close();
        }
        receivers.forEach(Receiver::close);
        if (producer != null) {
            producer.close();
        }
    }

    @Test
    void shouldDeliverEachFormatWhatItsRouteSelectsAndEachIncidentOncePerUpdateBatch() throws Exception {
        Receiver webhook = receiver(200);
        Receiver slack = receiver(200);
        Receiver alertmanager = receiver(200);
        List<Route> routes = List.of(
                route("soc-findings", Route.Kind.FINDINGS, null, null, Route.Format.WEBHOOK, webhook, "/hook"),
                route("soc-incidents", Route.Kind.INCIDENTS, null, null, Route.Format.WEBHOOK, webhook, "/hook"),
                route("acme-findings", Route.Kind.FINDINGS, "acme", null, Route.Format.SLACK, slack, "/services/T1/B2/s3cr3t"),
                route("acme-incidents", Route.Kind.INCIDENTS, "acme", null, Route.Format.SLACK, slack, "/services/T1/B2/s3cr3t"),
                route("am-high", Route.Kind.FINDINGS, null, "high", Route.Format.ALERTMANAGER, alertmanager, ""));

        Finding crossTenant = Finding.newBuilder(Fixtures.finding("fa3", "acme", "critical"))
                .setOtherTenants(List.of("globex")).build();
        sendFinding(Fixtures.finding("fa1", "acme", "low"));
        sendFinding(Fixtures.finding("fa2", "acme", "high"));
        sendFinding(crossTenant);
        sendFinding(Fixtures.finding("fg1", "globex", "high"));
        sendFinding(Fixtures.finding("fg2", "globex", "low"));
        sendFinding(Fixtures.finding("fa2", "acme", "high", 2)); // a repeat: summarised, not notified again
        sendFinding(Finding.newBuilder(Fixtures.finding("fs", "acme", "critical")).setShadow(true).build());

        IncidentFinding a2 = Fixtures.entry("fa2", "acme", "high", List.of(), Fixtures.T0);
        IncidentFinding g1 = Fixtures.entry("fg1", "globex", "high", List.of(), Fixtures.T0 + 10);
        IncidentFinding a3 = Fixtures.entry("fa3", "acme", "critical", List.of("globex"), Fixtures.T0 + 20);
        // Two updates of inc-1 before the notifier starts: one poll batch, one notification of the last state.
        sendIncident(Fixtures.incident("inc-1", List.of(a2, g1)));
        Incident v2 = Fixtures.incident("inc-1", List.of(a2, g1, a3));
        sendIncident(v2);
        sendIncident(Fixtures.incident("inc-2", List.of(Fixtures.entry("fg9", "globex", "medium", List.of(), Fixtures.T0))));

        start(routes, NotifySettings.defaults(prefix + "app").withWindow(Duration.ofSeconds(3))
                .withMaxBackoff(Duration.ofSeconds(2)));

        webhook.await(r -> kinds(r, "incident").size() >= 2 && kinds(r, "summary").size() >= 1
                && kinds(r, "finding").size() >= 5, Duration.ofSeconds(60));
        // An update that adds nothing (same findings_total and last_seen) sends nothing; the next one that adds does.
        sendIncident(Incident.newBuilder(v2).setRisk(99.0).build());
        Thread.sleep(3_000);
        IncidentFinding a4 = Fixtures.entry("fa4", "acme", "high", List.of(), Fixtures.T0 + 30);
        sendIncident(Fixtures.incident("inc-1", List.of(a2, g1, a3, a4)));

        List<Receiver.Request> hooks = webhook.await(r -> incidentTotals(r, "inc-1").size() >= 2, Duration.ofSeconds(30));
        for (Receiver.Request r : hooks) {
            assertThat(WebhookSignature.verify(Fixtures.SECRET, r.header("X-Bulwark-Timestamp"), r.body(),
                    r.header("X-Bulwark-Signature"), Instant.now(), WebhookSignature.DEFAULT_TOLERANCE))
                    .as("signature of %s", r.text()).isTrue();
            assertThat(r.header("X-Bulwark-Delivery")).isEqualTo(json(r).path("delivery").asText());
            assertThat(r.path()).isEqualTo("/hook");
        }
        assertThat(kinds(hooks, "finding")).extracting(j -> j.path("finding").path("id").asText())
                .containsExactlyInAnyOrder("fa1", "fa2", "fa3", "fg1", "fg2");
        assertThat(kinds(hooks, "summary")).extracting(j -> j.path("summary").path("text").asText())
                .containsExactly("1 more finding for tenant acme: Interactive shell in a container ×1"
                        + " (1 is a repeat of findings already notified)");
        assertThat(incidentTotals(hooks, "inc-1")).as("once per update batch, nothing for the update that added nothing")
                .containsExactly(3L, 4L);
        assertThat(kinds(hooks, "incident").stream().filter(j -> j.path("incident").path("id").asText().equals("inc-1"))
                .findFirst().orElseThrow().path("updates").asInt()).isEqualTo(2);
        assertThat(incidentTotals(hooks, "inc-2")).containsExactly(1L);

        // The tenant route: only acme's findings and acme's view of inc-1, nothing of globex.
        List<Receiver.Request> slacks = slack.await(r -> r.size() >= 6, Duration.ofSeconds(30));
        assertThat(slacks).allSatisfy(r -> {
            assertThat(r.text()).doesNotContainIgnoringCase("globex");
            assertThat(r.path()).isEqualTo("/services/T1/B2/s3cr3t");
            assertThat(json(r).has("text")).isTrue();
            assertThat(json(r).path("blocks").isArray()).isTrue();
        });
        List<String> slackTexts = slacks.stream().map(r -> json(r).path("blocks").get(1).toString()).toList();
        assertThat(slackTexts.stream().filter(t -> t.contains("finding fa")).count()).isEqualTo(3);
        assertThat(slackTexts.stream().filter(t -> t.contains("incident inc-1")).count()).isEqualTo(2);
        assertThat(slackTexts).noneMatch(t -> t.contains("inc-2"));
        assertThat(slacks.stream().map(Receiver.Request::text).filter(t -> t.contains("Incident inc-1")))
                .allMatch(t -> t.contains("Another tenant was involved"));
        assertThat(slacks).hasSize(6); // 3 findings, 1 summary, 2 incident updates

        // Alertmanager, severity >= high: the high and critical findings, one alert each, keyed by finding id.
        List<Receiver.Request> alerts = alertmanager.await(r -> r.size() >= 4, Duration.ofSeconds(30));
        assertThat(alerts).allSatisfy(r -> assertThat(r.path()).isEqualTo("/api/v2/alerts"));
        List<JsonNode> labels = alerts.stream().map(r -> json(r).get(0).path("labels")).toList();
        assertThat(labels.stream().filter(l -> l.has("finding")).map(l -> l.path("finding").asText()))
                .containsExactlyInAnyOrder("fa2", "fa3", "fg1");
        assertThat(labels).filteredOn(l -> l.has("finding"))
                .allSatisfy(l -> assertThat(l.path("alertname").asText()).isEqualTo("bulwark.container.interactive_shell"));
        assertThat(labels).filteredOn(l -> !l.has("finding")).singleElement()
                .satisfies(l -> assertThat(l.path("alertname").asText()).isEqualTo("BulwarkSummary"));
        assertThat(labels).allSatisfy(l -> l.elements().forEachRemaining(v -> assertThat(v.isTextual()).isTrue()));

        assertThat(sum("bulwark.notify.dead.letters")).isZero();
        assertThat(sum("bulwark.notify.skipped")).isGreaterThan(0);
        awaitCommittedToEnd(routes, NotifySettings.defaults(prefix + "app"));
    }

    /**
     * Debian's Alertmanager, as an operator runs it: its own routing tree sends acme's alerts to acme's webhook and
     * the rest to the SOC's, by the {@code tenant} label Bulwark sets; so existing Alertmanager routing works.
     */
    @Test
    void shouldRouteThroughARealAlertmanagerByTenantLabel() throws Exception {
        Path binary = Path.of(System.getenv().getOrDefault("BULWARK_ALERTMANAGER", "/usr/bin/prometheus-alertmanager"));
        assertThat(Files.isExecutable(binary)).as("Alertmanager at %s: install Debian's prometheus-alertmanager "
                + "(./bulwark test does) or set BULWARK_ALERTMANAGER", binary).isTrue();
        Receiver acme = receiver(200);
        Receiver soc = receiver(200);
        Path dir = Files.createTempDirectory("bulwark-alertmanager-");
        Files.writeString(dir.resolve("alertmanager.yml"), """
                route:
                  receiver: soc
                  group_by: [alertname, tenant]
                  group_wait: 1s
                  group_interval: 1s
                  repeat_interval: 1h
                  routes:
                    - matchers: ['tenant="acme"']
                      receiver: acme
                receivers:
                  - name: soc
                    webhook_configs: [{url: '%s'}]
                  - name: acme
                    webhook_configs: [{url: '%s'}]
                """.formatted(soc.url("/soc"), acme.url("/acme")));
        int port;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        Process alertmanager = new ProcessBuilder(binary.toString(),
                "--config.file=" + dir.resolve("alertmanager.yml"), "--storage.path=" + dir.resolve("data"),
                "--web.listen-address=127.0.0.1:" + port, "--cluster.listen-address=")
                .redirectErrorStream(true).redirectOutput(dir.resolve("alertmanager.log").toFile()).start();
        try {
            java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
            long ready = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            boolean up = false;
            while (!up && System.nanoTime() < ready) {
                try {
                    up = http.send(java.net.http.HttpRequest.newBuilder(
                            java.net.URI.create("http://127.0.0.1:" + port + "/-/ready")).build(),
                            java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
                } catch (java.io.IOException e) {
                    Thread.sleep(200);
                }
            }
            assertThat(up).as("Alertmanager ready; its log: %s", Files.readString(dir.resolve("alertmanager.log")))
                    .isTrue();
            Route route = new Route("am", Route.Kind.FINDINGS, null, "high", Route.Format.ALERTMANAGER,
                    java.net.URI.create("http://127.0.0.1:" + port), null, 30, null, null).checkUrl(false);
            sendFinding(Fixtures.finding("am-acme", "acme", "high"));
            sendFinding(Fixtures.finding("am-globex", "globex", "critical"));
            sendFinding(Fixtures.finding("am-low", "acme", "low"));
            start(List.of(route), NotifySettings.defaults(prefix + "app"));

            List<Receiver.Request> toAcme = acme.await(r -> !r.isEmpty(), Duration.ofSeconds(60));
            List<Receiver.Request> toSoc = soc.await(r -> !r.isEmpty(), Duration.ofSeconds(60));
            Thread.sleep(2_000); // anything misrouted would have come by now (group_wait 1 s)
            assertThat(alertFindings(acme.requests())).as("Alertmanager's acme route").containsExactly("am-acme");
            assertThat(alertFindings(soc.requests())).as("Alertmanager's default route").containsExactly("am-globex");
            assertThat(json(toAcme.get(0)).path("receiver").asText()).isEqualTo("acme");
            assertThat(json(toSoc.get(0)).path("alerts").get(0).path("labels").path("severity").asText())
                    .isEqualTo("critical");
        } finally {
            alertmanager.destroy();
            alertmanager.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    /** The finding ids of the alerts Alertmanager sent in its webhook payloads. */
    private static List<String> alertFindings(List<Receiver.Request> requests) {
        List<String> ids = new ArrayList<>();
        for (Receiver.Request r : requests) {
            json(r).path("alerts").forEach(a -> ids.add(a.path("labels").path("finding").asText()));
        }
        return ids.stream().distinct().toList();
    }

    @Test
    void shouldLoseNothingWhileTheReceiverIsDownForAMinute() throws Exception {
        Receiver webhook = receiver(200);
        List<Route> routes = List.of(
                route("out-findings", Route.Kind.FINDINGS, null, null, Route.Format.WEBHOOK, webhook, "/hook", 1000),
                route("out-incidents", Route.Kind.INCIDENTS, null, null, Route.Format.WEBHOOK, webhook, "/hook", 1000));
        NotifySettings settings = NotifySettings.defaults(prefix + "app").withMaxBackoff(Duration.ofSeconds(3));
        start(routes, settings);

        Set<String> expected = new HashSet<>();
        for (int i = 0; i < 10; i++) {
            sendFinding(Fixtures.finding("before-" + i, i % 2 == 0 ? "acme" : "globex", "high"));
            expected.add("before-" + i);
        }
        List<IncidentFinding> timeline = new ArrayList<>(List.of(Fixtures.entry("x0", "acme", "high", List.of(), Fixtures.T0)));
        sendIncident(Fixtures.incident("inc-out", List.copyOf(timeline)));
        webhook.await(r -> findingIds(r).size() >= 10 && !incidentTotals(r, "inc-out").isEmpty(), Duration.ofSeconds(60));
        assertThat(findingIds(webhook.requests())).containsAll(expected);

        webhook.stop();
        long down = System.nanoTime();
        for (int i = 0; i < 40; i++) {
            sendFinding(Fixtures.finding("during-" + i, i % 2 == 0 ? "acme" : "globex", i % 3 == 0 ? "critical" : "medium"));
            expected.add("during-" + i);
            if (i % 10 == 9) {
                timeline.add(Fixtures.entry("x" + (i + 1), "globex", "high", List.of(), Fixtures.T0 + i + 1));
                sendIncident(Fixtures.incident("inc-out", List.copyOf(timeline)));
                sendIncident(Fixtures.incident("inc-during-" + i, List.of(Fixtures.entry("y" + i, "acme", "low", List.of(), Fixtures.T0))));
            }
            Thread.sleep(500);
        }
        long deadline = down + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            Thread.sleep(Math.min(1000, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
        }
        assertThat(sum("bulwark.notify.retries")).as("the notifier kept retrying while the receiver was down")
                .isGreaterThanOrEqualTo(2.0);
        assertThat(sum("bulwark.notify.dead.letters")).isZero();
        webhook.restart();

        List<Receiver.Request> got = webhook.await(r -> findingIds(r).containsAll(expected)
                && incidentTotals(r, "inc-out").contains((long) timeline.size())
                && incidentIds(r).containsAll(Set.of("inc-during-9", "inc-during-19", "inc-during-29", "inc-during-39")),
                Duration.ofSeconds(60));
        assertThat(findingIds(got)).isEqualTo(expected);
        assertThat(incidentIds(got)).isEqualTo(Set.of("inc-out", "inc-during-9", "inc-during-19", "inc-during-29",
                "inc-during-39"));
        List<Long> totals = incidentTotals(got, "inc-out");
        assertThat(totals.get(totals.size() - 1)).isEqualTo(timeline.size());
        for (Receiver.Request r : got) {
            assertThat(WebhookSignature.verify(Fixtures.SECRET, r.header("X-Bulwark-Timestamp"), r.body(),
                    r.header("X-Bulwark-Signature"), Instant.now(), WebhookSignature.DEFAULT_TOLERANCE)).isTrue();
        }
        assertThat(sum("bulwark.notify.dead.letters")).isZero();
        awaitCommittedToEnd(routes, settings);
        assertThat(deadLetters()).isEmpty();
    }

    @Test
    void shouldDeadLetterARefusedNotificationWithItsOriginalBytes() throws Exception {
        Receiver refusing = receiver(400);
        List<Route> routes = List.of(route("refused", Route.Kind.FINDINGS, null, null, Route.Format.WEBHOOK, refusing, "/hook"));
        NotifySettings settings = NotifySettings.defaults(prefix + "app");
        Finding finding = Fixtures.finding("f-refused", "acme", "critical");
        byte[] original = topics.findings().valueSerde().serializer().serialize(topics.findings().name(), finding);
        producer.send(new ProducerRecord<>(topics.findings().name(), finding.getId(), original)).get();
        producer.send(new ProducerRecord<>(topics.findings().name(), "garbage", new byte[] {1, 2, 3})).get();
        start(routes, settings);

        List<DeadLetter> letters = List.of();
        long deadline = System.nanoTime() + Duration.ofSeconds(45).toNanos();
        while (letters.size() < 2 && System.nanoTime() < deadline) {
            Thread.sleep(500);
            letters = deadLetters();
        }
        assertThat(letters).hasSize(2);
        DeadLetter refused = letters.stream().filter(l -> l.getError().contains("HTTP 400")).findFirst().orElseThrow();
        byte[] kept = new byte[refused.getOriginal().remaining()];
        refused.getOriginal().duplicate().get(kept);
        assertThat(kept).isEqualTo(original);
        assertThat(refused.getStage()).isEqualTo("notify");
        assertThat(refused.getSourceFormat()).isEqualTo("avro:Finding");
        assertThat(refused.getOrigin()).startsWith(topics.findings().name() + "-").contains("@");
        assertThat(refused.getError()).contains("route refused").doesNotContain("127.0.0.1").doesNotContain(Fixtures.SECRET);
        DeadLetter garbage = letters.stream().filter(l -> l != refused).findFirst().orElseThrow();
        assertThat(garbage.getError()).contains("not a readable Finding");
        assertThat(garbage.getOriginalSize()).isEqualTo(3);
        assertThat(sum("bulwark.notify.delivered")).isZero();
        awaitCommittedToEnd(routes, settings);
    }

    // --- helpers ---

    private Receiver receiver(int status) throws Exception {
        Receiver receiver = new Receiver(status);
        receivers.add(receiver);
        return receiver;
    }

    private static Route route(String name, Route.Kind kind, String tenant, String minSeverity, Route.Format format,
                               Receiver receiver, String path) {
        return route(name, kind, tenant, minSeverity, format, receiver, path, 30);
    }

    private static Route route(String name, Route.Kind kind, String tenant, String minSeverity, Route.Format format,
                               Receiver receiver, String path, int rate) {
        return new Route(name, kind, tenant, minSeverity, format, receiver.url(path),
                format == Route.Format.WEBHOOK ? Fixtures.SECRET : null, rate, null, null).checkUrl(false);
    }

    private void start(List<Route> routes, NotifySettings settings) {
        notifier = new Notifier(routes, this::consumer, producer, topics, settings, metrics).start();
    }

    private Consumer<String, byte[]> consumer(String groupId) {
        return new KafkaConsumer<>(Map.<String, Object>of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap(),
                ConsumerConfig.GROUP_ID_CONFIG, groupId,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 100), new StringDeserializer(), new ByteArrayDeserializer());
    }

    private Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap()));
    }

    private void sendFinding(Finding finding) throws Exception {
        producer.send(new ProducerRecord<>(topics.findings().name(), finding.getId(),
                topics.findings().valueSerde().serializer().serialize(topics.findings().name(), finding))).get();
    }

    private void sendIncident(Incident incident) throws Exception {
        producer.send(new ProducerRecord<>(topics.incidents().name(), incident.getId(),
                topics.incidents().valueSerde().serializer().serialize(topics.incidents().name(), incident))).get();
    }

    private double sum(String name) {
        return metrics.find(name).counters().stream().mapToDouble(Counter::count).sum();
    }

    private static JsonNode json(Receiver.Request request) {
        try {
            return Views.JSON.readTree(request.body());
        } catch (java.io.IOException e) {
            throw new AssertionError("not JSON: " + request.text(), e);
        }
    }

    private static List<JsonNode> kinds(List<Receiver.Request> requests, String kind) {
        return requests.stream().map(NotifierIT::json).filter(j -> j.path("kind").asText().equals(kind)).toList();
    }

    private static Set<String> findingIds(List<Receiver.Request> requests) {
        return kinds(requests, "finding").stream().map(j -> j.path("finding").path("id").asText()).collect(Collectors.toSet());
    }

    private static Set<String> incidentIds(List<Receiver.Request> requests) {
        return kinds(requests, "incident").stream().map(j -> j.path("incident").path("id").asText()).collect(Collectors.toSet());
    }

    /** The findings_total of each notification of incident {@code id}, in the order received. */
    private static List<Long> incidentTotals(List<Receiver.Request> requests, String id) {
        return kinds(requests, "incident").stream().map(j -> j.path("incident"))
                .filter(i -> i.path("id").asText().equals(id)).map(i -> i.path("findings_total").asLong()).toList();
    }

    /** Waits until every route's group has committed the end of its topic. */
    private void awaitCommittedToEnd(List<Route> routes, NotifySettings settings) throws Exception {
        try (Admin admin = admin()) {
            for (Route route : routes) {
                String topic = route.kind() == Route.Kind.FINDINGS ? topics.findings().name() : topics.incidents().name();
                Map<TopicPartition, OffsetSpec> latest = new java.util.HashMap<>();
                for (int p = 0; p < 3; p++) {
                    latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
                }
                Map<TopicPartition, Long> ends = new java.util.HashMap<>();
                admin.listOffsets(latest).all().get().forEach((tp, info) -> ends.put(tp, info.offset()));
                Map<TopicPartition, Long> committed = Map.of();
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (System.nanoTime() < deadline) {
                    committed = new java.util.HashMap<>();
                    for (var e : admin.listConsumerGroupOffsets(settings.groupId(route)).partitionsToOffsetAndMetadata()
                            .get().entrySet()) {
                        if (e.getValue() != null) {
                            committed.put(e.getKey(), e.getValue().offset());
                        }
                    }
                    Map<TopicPartition, Long> c = committed;
                    if (ends.entrySet().stream().allMatch(e -> e.getValue() == 0
                            || e.getValue().equals(c.get(e.getKey())))) {
                        break;
                    }
                    Thread.sleep(250);
                }
                Map<TopicPartition, Long> c = committed;
                assertThat(ends).as("route %s committed %s", route.name(), c)
                        .allSatisfy((tp, end) -> assertThat(end == 0 ? 0L : c.get(tp)).isEqualTo(end));
            }
        }
    }

    /** Every dead letter on the topic. */
    private List<DeadLetter> deadLetters() {
        try (KafkaConsumer<String, byte[]> reader = new KafkaConsumer<>(Map.<String, Object>of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap(),
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false), new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = reader.partitionsFor(topics.deadLetters().name()).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            reader.assign(partitions);
            reader.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = reader.endOffsets(partitions);
            List<DeadLetter> letters = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (partitions.stream().anyMatch(p -> reader.position(p) < ends.get(p)) && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> r : reader.poll(Duration.ofMillis(200))) {
                    letters.add(topics.deadLetters().valueSerde().deserializer().deserialize(r.topic(), r.value()));
                }
            }
            return letters;
        }
    }
}
