package dev.bulwark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import dev.bulwark.deploy.LocalStack;
import dev.bulwark.deploy.RealStack;
import dev.bulwark.detectors.container.InteractiveShellInContainerDetector;
import dev.bulwark.schemas.ContainerInfo;
import dev.bulwark.schemas.EventInfo;
import dev.bulwark.schemas.KubernetesInfo;
import dev.bulwark.schemas.ProcessInfo;
import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.schemas.Topics;
import dev.bulwark.sink.ElasticsearchClients;
import dev.bulwark.sink.FindingDocument;
import dev.bulwark.sink.FindingIndex;

/**
 * The {@code kill -9} drill under sustained load, on real processes: two detector instances and a sink, each a
 * {@code bulwark run} of its own, while events arrive at a steady rate. During the load the drill kills one detector
 * instance and brings it back, kills the sink and brings it back, kills both detector instances at once and brings
 * them back, then kills one instance for good so the other must take its partitions over.
 *
 * <p>Every event is an interactive shell that a Sigma rule also matches, in one of {@link #CONTAINERS} containers.
 * Each event must become exactly one interactive-shell finding (a lost event is a missing document), and each
 * container's Sigma finding must fold exactly its {@link #PER_CONTAINER} events: a lost event makes the count smaller,
 * an event counted twice after a replay makes it larger. Nothing may be dead-lettered. Run under both guarantees.
 */
class KillDrillIT {

    static final int CONTAINERS = 120;
    static final int PER_CONTAINER = 15;
    static final int EVENTS = CONTAINERS * PER_CONTAINER;
    /** The load lasts about this long; the kills happen within it. */
    static final Duration LOAD = Duration.ofSeconds(32);
    static final Duration SESSION_TIMEOUT = Duration.ofSeconds(10);

    static final String RULE = """
            title: Drill shell
            id: 7d1c5f0e-6b0a-4c59-9d43-0c8a1f2e5b77
            status: test
            description: Matches the drill's events, to count them folded per container.
            logsource:
                product: linux
                category: process_creation
            detection:
                selection:
                    Image|endswith: /bash
                    CommandLine|contains: drill
                condition: selection
            level: high
            """;

    @TempDir
    Path work;

    @ParameterizedTest(name = "exactlyOnce={0}")
    @ValueSource(booleans = {false, true})
    void killing9EachComponentUnderLoadLosesNothingAndCountsNothingTwice(boolean exactlyOnce) throws Exception {
        LocalStack stack = RealStack.get();
        String prefix = RealStack.uniquePrefix("kill" + (exactlyOnce ? "eos" : "alos"));
        Path rules = Files.createDirectories(work.resolve("rules"));
        Files.writeString(rules.resolve("drill_shell.yml"), RULE);
        String yaml = RunProcess.yaml(stack, prefix, SESSION_TIMEOUT, """
                detection:
                  applicationId: "%sdetectors"
                  exactlyOnce: %s
                  detectors:
                    sigma:
                      bundled: false
                      rules: ["%s"]
                      emit-interval: 0s
                      fold-window: 1h
                tenants:
                  acme: [payments]
                """.formatted(prefix, exactlyOnce, rules));
        Topics topics = Topics.withPrefix(prefix);
        FindingIndex index = new FindingIndex(RunProcess.indexPrefix(prefix));
        ElasticsearchClient client = ElasticsearchClients.create(stack.elasticsearchUrl());
        List<String> log = new ArrayList<>();
        ExecutorService load = Executors.newSingleThreadExecutor();
        try (RunProcess first = new RunProcess(work, "detectors-1", "detectors", yaml);
             RunProcess second = new RunProcess(work, "detectors-2", "detectors", yaml);
             RunProcess sink = new RunProcess(work, "sink", "sink", yaml)) {
            // The first start creates the topics; the others wait for it so they do not race to create them.
            first.start().awaitReady(Duration.ofSeconds(120));
            second.start();
            sink.start();
            second.awaitReady(Duration.ofSeconds(120));
            sink.awaitReady(Duration.ofSeconds(120));

            long began = System.nanoTime();
            Future<Integer> sent = load.submit(() -> send(stack, topics));
            at(began, 5, log, "kill -9 of detector instance 1, restarted");
            first.kill();
            first.start();
            at(began, 11, log, "kill -9 of the sink, restarted");
            sink.kill();
            sink.start();
            at(began, 17, log, "kill -9 of both detector instances, restarted");
            first.kill();
            second.kill();
            first.start();
            second.start();
            at(began, 25, log, "kill -9 of detector instance 2 for good");
            first.awaitReady(Duration.ofSeconds(60));
            second.awaitReady(Duration.ofSeconds(60));
            second.kill();
            assertThat(sent.get(LOAD.toSeconds() + 60, TimeUnit.SECONDS)).as("events sent").isEqualTo(EVENTS);
            log.add("load ended after " + (System.nanoTime() - began) / 1_000_000 + " ms");

            Counts counts = awaitCounts(client, index, Duration.ofSeconds(180));
            log.add("settled " + (System.nanoTime() - began) / 1_000_000 + " ms after the load began");
            long deadLetters = records(stack, topics.deadLetters().name());
            // More records than documents: replays after the kills and folded re-emissions, absorbed by ids.
            long findingRecords = records(stack, topics.findings().name());
            System.out.println("[kill drill, exactlyOnce=" + exactlyOnce + "] " + String.join("; ", log) + "; "
                    + counts + ", dead letters " + deadLetters + ", offsets on the findings topic " + findingRecords);
            assertThat(counts.shells).as("interactive-shell findings: one per event, none lost").isEqualTo(EVENTS);
            assertThat(counts.sigmaCounts).as("Sigma finding per container").hasSize(CONTAINERS);
            assertThat(counts.sigmaCounts.values()).as("events folded per container: none lost, none counted twice")
                    .allMatch(count -> count == PER_CONTAINER);
            assertThat(deadLetters).as("dead letters").isZero();
        } finally {
            load.shutdownNow();
            try {
                index.deleteAll(client);
            } finally {
                client._transport().close();
            }
        }
    }

    /** Sleeps until {@code seconds} after {@code began}, then notes {@code what}. */
    private static void at(long began, int seconds, List<String> log, String what) throws InterruptedException {
        long wait = began + TimeUnit.SECONDS.toNanos(seconds) - System.nanoTime();
        if (wait > 0) {
            TimeUnit.NANOSECONDS.sleep(wait);
        }
        log.add(what + " at " + (System.nanoTime() - began) / 1_000_000 + " ms");
    }

    /** Sends the events at a steady rate over {@link #LOAD}, round robin over the containers. */
    private static int send(LocalStack stack, Topics topics) throws Exception {
        long intervalNanos = LOAD.toNanos() / EVENTS;
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap(),
                ProducerConfig.LINGER_MS_CONFIG, 5), new StringSerializer(), new ByteArraySerializer())) {
            long start = System.nanoTime();
            List<Future<?>> acks = new ArrayList<>(EVENTS);
            for (int i = 0; i < EVENTS; i++) {
                long due = start + i * intervalNanos - System.nanoTime();
                if (due > 0) {
                    TimeUnit.NANOSECONDS.sleep(due);
                }
                String container = "drill-c" + (i % CONTAINERS);
                SecurityEvent event = SecurityEvent.newBuilder()
                        .setId("drill-e" + i)
                        .setTimestamp(System.currentTimeMillis() * 1_000_000L)
                        .setSourceFormat("tetragon")
                        .setEvent(EventInfo.newBuilder().setKind("event").setCategory(List.of("process"))
                                .setType(List.of("start")).build())
                        .setKubernetes(KubernetesInfo.newBuilder().setNamespace("payments").setPod("api-" + (i % CONTAINERS)).build())
                        .setContainer(ContainerInfo.newBuilder().setId(container).setImageName("docker.io/library/alpine").build())
                        .setProcess(ProcessInfo.newBuilder().setName("bash").setExecutable("/bin/bash")
                                .setCommandLine("bash -i drill " + i).setTty(34816L).build())
                        .build();
                acks.add(producer.send(new ProducerRecord<>(topics.events().name(), "container/" + container,
                        topics.events().valueSerde().serializer().serialize(topics.events().name(), event))));
            }
            for (Future<?> ack : acks) {
                ack.get(60, TimeUnit.SECONDS);
            }
            return acks.size();
        }
    }

    /** What Elasticsearch holds: interactive-shell documents, and each container's folded Sigma count. */
    record Counts(long shells, Map<String, Long> sigmaCounts) {
        @Override
        public String toString() {
            return "interactive-shell findings " + shells + " of " + EVENTS + ", Sigma findings " + sigmaCounts.size()
                    + " of " + CONTAINERS + " folding " + sigmaCounts.values().stream().mapToLong(Long::longValue).sum()
                    + " of " + EVENTS + " events";
        }

        boolean complete() {
            return shells >= EVENTS && sigmaCounts.size() >= CONTAINERS
                    && sigmaCounts.values().stream().allMatch(count -> count >= PER_CONTAINER);
        }
    }

    /** Reads the counts until they are complete and stay so for 3 s (a late double count would show), or time is up. */
    private static Counts awaitCounts(ElasticsearchClient client, FindingIndex index, Duration wait)
            throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        Counts last = new Counts(0, Map.of());
        Long completeSince = null;
        while (System.nanoTime() < deadline) {
            try {
                last = counts(client, index);
            } catch (java.io.IOException | RuntimeException e) {
                // no index yet, or a new daily index not yet serving
            }
            if (last.complete()) {
                completeSince = completeSince == null ? System.nanoTime() : completeSince;
                if (System.nanoTime() - completeSince > TimeUnit.SECONDS.toNanos(3)) {
                    return last;
                }
            } else {
                completeSince = null;
            }
            Thread.sleep(1000);
        }
        return last;
    }

    private static Counts counts(ElasticsearchClient client, FindingIndex index) throws java.io.IOException {
        long shells = client.count(c -> c.index(index.alias()).query(q -> q.term(t -> t.field("rule.id")
                .value(InteractiveShellInContainerDetector.RULE_ID)))).count();
        var hits = client.search(s -> s.index(index.alias()).size(1000)
                .query(q -> q.term(t -> t.field("finding.detector").value("sigma"))), FindingDocument.class)
                .hits().hits();
        Map<String, Long> sigma = new TreeMap<>();
        for (var hit : hits) {
            FindingDocument document = hit.source();
            sigma.merge(document.finding().id(), document.finding().count(), Long::sum);
        }
        return new Counts(shells, sigma);
    }

    /** The sum of a topic's end offsets: its records, and under exactly-once its transaction markers too. */
    static long records(LocalStack stack, String topic) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", stack.kafkaBootstrap()))) {
            var partitions = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions();
            Map<TopicPartition, OffsetSpec> latest = new java.util.HashMap<>();
            partitions.forEach(p -> latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
            return admin.listOffsets(latest).all().get().values().stream().mapToLong(info -> info.offset()).sum();
        }
    }
}
