package dev.bulwark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import dev.bulwark.deploy.LocalStack;
import dev.bulwark.deploy.RealStack;
import dev.bulwark.ingest.Parsers;
import dev.bulwark.samples.Samples;
import dev.bulwark.schemas.TenantContext;
import dev.bulwark.schemas.Topics;
import dev.bulwark.sink.ElasticsearchClients;
import dev.bulwark.sink.FindingDocument;
import dev.bulwark.sink.FindingIndex;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * The backtest on the real stack: an hour of events (by event time) goes through the live detectors with a rule, and
 * {@code rules backtest} of the same rule over the same events reports the same findings, matches, tenants and pods
 * as the live findings index holds, with each event attributed by the tenant context as of its time (a namespace
 * changes tenant between two episodes); it honours {@code --from} and {@code --tenant}, writes nothing live, and
 * leaves no scratch topic or consumer group behind.
 */
class BacktestIT {

    private static final String RULE_ID = "0d6f7a38-5c1e-4b7a-9d55-2a4e8c3f9b10";
    private static final String RULE = ShadowRulesIT.shellFallbackRule(RULE_ID, "Shell fallback chain (backtest)");

    @TempDir
    Path state;

    @TempDir
    Path files;

    @Test
    void aBacktestReportsWhatTheLiveDetectorsFoundForTheSameEvents() throws Exception {
        LocalStack stack = RealStack.get();
        BulwarkConfig config = EndToEndIT.config(stack, RealStack.uniquePrefix("backtest"));
        config.detection.detectors.put("sigma", Map.of("emit-interval", "0s"));
        config.detection.ruleStatsInterval = Duration.ofSeconds(1);
        config.tenants.put("acme", List.of("default"));
        config.tenants.put("globex", List.of("payments"));
        InProcessCli cli = InProcessCli.of(files, stack, config, """
                tenants: {acme: [default], globex: [payments]}
                detection:
                  applicationId: "%s"
                  detectors: {sigma: {emit-interval: 0s}}
                """.formatted(config.detection.applicationId));
        Path rules = Files.createDirectories(files.resolve("rules"));
        Files.writeString(rules.resolve("shell-fallback.yml"), RULE);
        ElasticsearchClient client = ElasticsearchClients.create(stack.elasticsearchUrl());
        FindingIndex index = new FindingIndex(config.elasticsearch.indexPrefix);
        KafkaClients kafka = new KafkaClients(config);
        kafka.ensureTopics();
        // On the rules topic before the detectors start: they restore it before their first event.
        assertThat(cli.run("rules", "push", rules.toString()).code()).isZero();
        try (Pipeline pipeline = Pipeline.start(config, state, new SimpleMeterRegistry())) {
            assertThat(pipeline.awaitRunning(Duration.ofSeconds(60))).isTrue();
            Instant hourAgo = Instant.now().minus(Duration.ofHours(1));
            ingest(config, List.of(alert(hourAgo, "default", "early-0", "c0", "root", true),
                    alert(hourAgo.plusSeconds(60), "default", "early-0", "c0", "root", true)));
            Thread.sleep(1500);
            Instant from = Instant.now();
            Thread.sleep(20);
            List<String> hour = new ArrayList<>();
            int matching = 0;
            int firstHalf = 0;
            for (int i = 0; i < 24; i++) {
                firstHalf = i == 12 ? hour.size() : firstHalf;
                int pod = i % 3;
                if (pod == 2 && i >= 11 && i <= 17) {
                    continue; // a gap of 30 minutes in db-0: a second episode, so a second finding
                }
                String user = pod == 0 && i >= 12 ? "deploy" : "root"; // web-1's new user escalates: a new finding
                boolean matches = i % 7 != 3; // and some events the rule does not match
                hour.add(alert(hourAgo.plusSeconds(150L * i), pod == 2 ? "payments" : "default",
                        List.of("web-1", "web-2", "db-0").get(pod), "c" + (pod + 1), user, matches));
                matching += matches ? 1 : 0;
            }
            // The payments namespace changes hands while its pod rests: its first episode is globex's (from the
            // static tenants), its second initech's (from the namespace's context). The backtest must attribute each
            // as the live detectors did, not both to the context of today.
            ingest(config, hour.subList(0, firstHalf));
            Thread.sleep(1500);
            Topics topics = Topics.withPrefix(config.kafka.topicPrefix);
            try (KafkaProducer<String, TenantContext> producer = new KafkaProducer<>(kafka.producer("backtest-it"),
                    new StringSerializer(), topics.context().valueSerde().serializer())) {
                producer.send(new ProducerRecord<>(topics.context().name(), "namespace/payments",
                        TenantContext.newBuilder().setKind("namespace").setKey("payments").setName("payments")
                                .setNamespace("payments").setTenant("initech")
                                .setObservedAt(System.currentTimeMillis()).build())).get();
            }
            Thread.sleep(3000); // the live detectors' tenant directory has it
            ingest(config, hour.subList(firstHalf, hour.size()));

            List<FindingDocument> liveAll = awaitSettled(client, index, matching + 2);
            List<FindingDocument> live = liveAll.stream().filter(d -> !"early-0".equals(d.kubernetes().pod())).toList();
            assertThat(liveAll).as("the early events' finding is live").hasSizeGreaterThan(live.size());
            long liveMatches = live.stream().mapToLong(d -> d.finding().count()).sum();
            assertThat(liveMatches).isEqualTo(matching);
            assertThat(live).as("episodes, an escalation and a gap give several findings").hasSizeGreaterThanOrEqualTo(4);

            Path json = files.resolve("report.json");
            InProcessCli.Output run = cli.run("rules", "backtest", rules.toString(), "--from", from.toString(),
                    "--json", json.toString());
            assertThat(run.code()).as(run.text()).isZero();
            assertThat(run.text()).contains("[backtest] copying events: ", "[backtest] detecting: ", "report written to");
            JsonNode report = new ObjectMapper().readTree(json.toFile());
            assertThat(report.at("/replay/events").asLong()).isEqualTo(hour.size());
            JsonNode row = rule(report);
            assertThat(row.get("findings").asLong()).as("findings").isEqualTo(live.size());
            assertThat(row.get("matches").asLong()).as("matches").isEqualTo(liveMatches);
            assertThat(row.get("folded").asLong()).isEqualTo(liveMatches - live.size());
            assertThat(texts(row.get("tenants"))).isEqualTo(new TreeSet<>(live.stream().map(d -> d.tenant().name()).toList()))
                    .containsExactly("acme", "globex", "initech");
            assertThat(report.at("/replay/context_changes").asLong()).as("the relabelling, replayed at its time")
                    .isEqualTo(1);
            assertThat(texts(row.get("pods"))).isEqualTo(new TreeSet<>(live.stream()
                    .map(d -> d.kubernetes().namespace() + "/" + d.kubernetes().pod()).toList()));
            assertThat(texts(row.get("users"))).containsExactly("deploy", "root");
            assertThat(row.get("examples")).hasSize(Backtest.EXAMPLES);

            for (String tenant : List.of("globex", "initech")) {
                Path file = files.resolve(tenant + ".json");
                InProcessCli.Output scoped = cli.run("rules", "backtest", RULE_ID, "--from", from.toString(),
                        "--tenant", tenant, "--json", file.toString());
                assertThat(scoped.code()).as(scoped.text()).isZero();
                JsonNode scopedRow = rule(new ObjectMapper().readTree(file.toFile()));
                List<FindingDocument> liveOfTenant = live.stream().filter(d -> d.tenant().name().equals(tenant)).toList();
                assertThat(liveOfTenant).as("live findings of " + tenant).isNotEmpty();
                assertThat(scopedRow.get("findings").asLong()).as("findings of " + tenant).isEqualTo(liveOfTenant.size());
                assertThat(scopedRow.get("matches").asLong()).as("matches of " + tenant)
                        .isEqualTo(liveOfTenant.stream().mapToLong(d -> d.finding().count()).sum());
                assertThat(texts(scopedRow.get("tenants"))).containsExactly(tenant);
            }

            assertThat(awaitSettled(client, index, matching + 2)).as("nothing the backtest found went live")
                    .hasSameSizeAs(liveAll);

            // The live detectors' per-rule telemetry, through the rule-stats topic.
            Thread.sleep(2_000); // one publication interval (1 s) and then some
            InProcessCli.Output statsOut = cli.run("rules", "list", "--stats", "--sort", "matches");
            assertThat(statsOut.code()).as(statsOut.text()).isZero();
            assertThat(statsOut.text()).containsPattern(RULE_ID + " +sigma +[1-9]\\d* +[0-9.]+ +" + (matching + 2)
                    + " +[1-9]\\d* +[1-9]\\d* ");
            try (Admin admin = kafka.admin()) {
                assertThat(admin.listTopics().names().get()).as("no scratch or internal topic is left")
                        .noneMatch(t -> t.startsWith(Backtest.scratchPrefix(config))
                                || t.startsWith(Backtest.applicationPrefix(config)));
                assertThat(admin.listConsumerGroups().all().get()).as("no consumer group is left")
                        .noneMatch(g -> g.groupId().startsWith(Backtest.applicationPrefix(config)));
            }
        } finally {
            index.deleteAll(client);
            client._transport().close();
        }
    }

    private static JsonNode rule(JsonNode report) {
        for (JsonNode row : report.get("rules")) {
            if (row.get("ruleId").asText().equals(RULE_ID)) {
                return row;
            }
        }
        throw new AssertionError("no row for the rule in " + report);
    }

    private static TreeSet<String> texts(JsonNode array) {
        TreeSet<String> values = new TreeSet<>();
        array.forEach(v -> values.add(v.asText()));
        return values;
    }

    /** The sample shell alert at {@code time} in the given pod, by {@code user}; a plain {@code ls} unless it matches. */
    static String alert(Instant time, String namespace, String pod, String container, String user,
                                boolean matches) throws Exception {
        String line = Files.readAllLines(Samples.path("falco/falco_alerts_real.ndjson")).get(0);
        String alert = line.replace("2023-05-25T13:44:05.478445995Z", time.toString())
                .replace("1685022245478445995", Long.toString(time.toEpochMilli() * 1_000_000L))
                .replace("\"k8s.ns.name\":\"default\"", "\"k8s.ns.name\":\"" + namespace + "\"")
                .replace("k8s.ns=default", "k8s.ns=" + namespace)
                .replace("kubecon", pod).replace("ee97d9c4186f", container)
                .replace("\"user.name\":\"root\"", "\"user.name\":\"" + user + "\"")
                .replace("user=root", "user=" + user);
        return matches ? alert : alert.replace("(bash || ash || sh)", "ls");
    }

    static void ingest(BulwarkConfig config, List<String> alerts) throws Exception {
        byte[] bytes = (String.join("\n", alerts) + "\n").getBytes(StandardCharsets.UTF_8);
        var stats = Ingestion.ingest(config, Parsers.forFormat("falco"),
                List.of(new Ingestion.Source("alerts", () -> new ByteArrayInputStream(bytes))), 1 << 20, false);
        assertThat(stats.eventsOut()).isEqualTo(alerts.size());
    }

    /** The rule's findings in the index once their counts add up to {@code matches} and stay so for two seconds. */
    private static List<FindingDocument> awaitSettled(ElasticsearchClient client, FindingIndex index, long matches)
            throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        List<FindingDocument> last = List.of();
        long settledSince = 0;
        while (System.nanoTime() < deadline) {
            List<FindingDocument> docs = search(client, index);
            long sum = docs.stream().mapToLong(d -> d.finding().count()).sum();
            if (sum == matches && docs.size() == last.size()) {
                if (settledSince != 0 && System.nanoTime() - settledSince > 2_000_000_000L) {
                    return docs;
                }
                settledSince = settledSince == 0 ? System.nanoTime() : settledSince;
            } else {
                settledSince = 0;
            }
            last = docs;
            Thread.sleep(300);
        }
        throw new AssertionError("the live findings never added up to " + matches + " matches: " + last.size()
                + " finding(s), counts " + last.stream().map(d -> d.finding().count()).toList());
    }

    private static List<FindingDocument> search(ElasticsearchClient client, FindingIndex index) {
        try {
            client.indices().refresh(r -> r.index(index.alias()).ignoreUnavailable(true).allowNoIndices(true));
            var response = client.search(s -> s.index(index.alias()).ignoreUnavailable(true).allowNoIndices(true)
                    .size(100).query(q -> q.term(t -> t.field("rule.id").value(RULE_ID))), FindingDocument.class);
            List<FindingDocument> docs = new ArrayList<>();
            response.hits().hits().forEach(hit -> docs.add(hit.source()));
            return docs;
        } catch (co.elastic.clients.elasticsearch._types.ElasticsearchException | java.io.IOException e) {
            return List.of(); // no index yet, or a just-created daily index answering 503 until its shard is active
        }
    }
}
