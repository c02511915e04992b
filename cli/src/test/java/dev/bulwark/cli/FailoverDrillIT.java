package dev.bulwark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import dev.bulwark.deploy.LocalStack;
import dev.bulwark.deploy.Probes;
import dev.bulwark.deploy.RealStack;
import dev.bulwark.detectors.container.InteractiveShellInContainerDetector;
import dev.bulwark.schemas.Topics;
import dev.bulwark.sink.ElasticsearchClients;
import dev.bulwark.sink.FindingDocument;
import dev.bulwark.sink.FindingIndex;

/**
 * Failover drills on the scale-out stack ({@code up --brokers 3 --es-nodes 2}: three KRaft brokers, topics replicated 3
 * ways with min.insync.replicas 2, and a two-node Elasticsearch cluster with one replica per index), each component a
 * {@code bulwark run} process of its own. In every drill {@link #ALERTS} distinct Falco alerts arrive through the HTTP
 * receiver at a steady rate, each resent after a 503 as the receiver's contract says, and each must become exactly one
 * interactive-shell finding: at the end Elasticsearch holds exactly that many, and their counts add up to that many
 * (nothing lost, nothing counted twice), with nothing dead-lettered. The figures go to docs/operating.md.
 */
class FailoverDrillIT {

    static final int ALERTS = 400;
    static final Duration LOAD = Duration.ofSeconds(20);
    static final Duration SESSION_TIMEOUT = Duration.ofSeconds(10);

    private static LocalStack stack;
    private static Path home;

    @TempDir
    Path work;

    @BeforeAll
    static void startScaleOutStack() throws Exception {
        LocalStack test = RealStack.get(); // for the repository root
        home = Files.createTempDirectory("bulwark-scale-stack-");
        // Brokers 2 and 3 listen 100 and 200 ports above broker 1, Elasticsearch node 2 one above node 1.
        stack = new LocalStack(test.repoRoot(), home, Probes.freePort(), Probes.freePort(), Probes.freePort(),
                Probes.freePort());
        long t0 = System.nanoTime();
        assertThat(stack.run("up", "--brokers", "3", "--es-nodes", "2")).as("stack.sh up --brokers 3 --es-nodes 2")
                .isZero();
        System.out.printf("[failover drills] three brokers and two Elasticsearch nodes up in %d s%n",
                TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0));
        assertThat(stack.brokers()).isEqualTo(3);
        assertThat(stack.elasticsearchNodes()).isEqualTo(2);
        String status = stack.runCapturing("status");
        assertThat(status.lines().filter(l -> l.matches("(kafka-[123]|elasticsearch-[12]) +running +pid=\\d+.*")))
                .as("every process with its pid:\n" + status).hasSize(5);
    }

    @AfterAll
    static void stopScaleOutStack() throws Exception {
        if (stack != null) {
            stack.run("down", "--purge");
        }
    }

    @Test
    void killing9OneBrokerUnderLoadLosesNoAcknowledgedAlert() throws Exception {
        killOneNodeUnderLoad("broker", "kafka-2", "kafka", "broker 2");
    }

    @Test
    void killing9OneElasticsearchNodeUnderLoadLosesNoFinding() throws Exception {
        killOneNodeUnderLoad("esnode", "es-2", "es", "Elasticsearch node 2");
    }

    /** The pipeline in one process under load; {@code kill -9} of one node at 6 s, started again at 14 s. */
    private void killOneNodeUnderLoad(String name, String node, String component, String what) throws Exception {
        Drill drill = new Drill(work, name);
        try (RunProcess pipeline = drill.process("pipeline", "ingest,detectors,sink")) {
            pipeline.start().awaitReady(Duration.ofSeconds(120));
            Load load = drill.load(pipeline);
            drill.at(load, 6, "kill -9 of " + what);
            assertThat(stack.run("down", "--kill", node)).isZero();
            drill.at(load, 14, what + " restarted");
            assertThat(stack.run("up", component)).isZero();
            drill.finish(load);
        }
    }

    @Test
    void threeDetectorInstancesWithStandbysTakeOverFromOneKilled() throws Exception {
        Drill drill = new Drill(work, "standby");
        try (RunProcess receiver = drill.process("receiver", "ingest,sink");
             RunProcess first = drill.process("detectors-1", "detectors");
             RunProcess second = drill.process("detectors-2", "detectors");
             RunProcess third = drill.process("detectors-3", "detectors")) {
            receiver.start().awaitReady(Duration.ofSeconds(120));
            first.start().awaitReady(Duration.ofSeconds(120));
            second.start();
            third.start();
            second.awaitReady(Duration.ofSeconds(120));
            third.awaitReady(Duration.ofSeconds(120));
            Load load = drill.load(receiver);
            int members = drill.members();
            drill.at(load, 7, "kill -9 of detector instance 2");
            long killed = System.nanoTime();
            second.kill();
            long takeover = drill.awaitStableGroup(members * 2 / 3, Duration.ofSeconds(60)) - killed;
            drill.log.add("its partitions assigned to the other two instances "
                    + TimeUnit.NANOSECONDS.toMillis(takeover) + " ms after the kill (session timeout "
                    + SESSION_TIMEOUT.toMillis() + " ms)");
            assertThat(takeover).as("takeover").isLessThan(TimeUnit.SECONDS.toNanos(45));
            drill.finish(load);
        }
    }

    @Test
    void scalingDetectorInstancesFromOneToThreeUnderLoadLosesNothing() throws Exception {
        Drill drill = new Drill(work, "scale");
        try (RunProcess receiver = drill.process("receiver", "ingest,sink");
             RunProcess first = drill.process("detectors-1", "detectors");
             RunProcess second = drill.process("detectors-2", "detectors");
             RunProcess third = drill.process("detectors-3", "detectors")) {
            receiver.start().awaitReady(Duration.ofSeconds(120));
            first.start().awaitReady(Duration.ofSeconds(120));
            Load load = drill.load(receiver);
            drill.at(load, 5, "instance 2 started");
            second.start();
            drill.at(load, 10, "instance 3 started");
            third.start();
            second.awaitReady(Duration.ofSeconds(60));
            third.awaitReady(Duration.ofSeconds(60));
            drill.log.add("three instances ready at " + load.elapsedMillis() + " ms");
            drill.finish(load);
        }
    }

    /** One drill: its topics and index, processes, load, log, and the final check. */
    private static final class Drill {
        final Path work;
        final String prefix;
        final String yaml;
        final Topics topics;
        final FindingIndex index;
        final int receiverPort;
        final List<String> log = new ArrayList<>();

        Drill(Path work, String name) throws java.io.IOException {
            this.work = work;
            this.receiverPort = Probes.freePort();
            this.prefix = RealStack.uniquePrefix("fail" + name);
            this.topics = Topics.withPrefix(prefix);
            this.index = new FindingIndex(RunProcess.indexPrefix(prefix));
            this.yaml = RunProcess.yaml(stack, prefix, SESSION_TIMEOUT, """
                    detection:
                      applicationId: "%sdetectors"
                      detectors:
                        sigma:
                          bundled: false
                    ingest:
                      port: %d
                    tenants:
                      acme: [payments]
                    """.formatted(prefix, receiverPort)).replace("kafka:\n", """
                    kafka:
                      replicationFactor: 3
                      properties:
                        num.standby.replicas: "1"
                    """);
        }

        RunProcess process(String name, String components) throws java.io.IOException {
            return new RunProcess(work, name, components, yaml);
        }

        /** Starts sending: {@link #ALERTS} distinct alerts over {@link #LOAD}, each resent until answered 200. */
        Load load(RunProcess receiver) {
            Load load = new Load();
            load.future = load.senders.submit(() -> send(load));
            return load;
        }

        private int send(Load load) throws Exception {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            URI falco = URI.create("http://127.0.0.1:" + receiverPort + "/v1/falco");
            ExecutorService posts = Executors.newFixedThreadPool(8);
            List<Future<?>> acknowledged = new ArrayList<>();
            long interval = LOAD.toNanos() / ALERTS;
            for (int i = 0; i < ALERTS; i++) {
                long due = load.began + i * interval - System.nanoTime();
                if (due > 0) {
                    TimeUnit.NANOSECONDS.sleep(due);
                }
                String body = alert(prefix + "-c" + i);
                acknowledged.add(posts.submit(() -> {
                    long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
                    while (System.nanoTime() < deadline) {
                        try {
                            int status = http.send(HttpRequest.newBuilder(falco).timeout(Duration.ofSeconds(60))
                                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                                    HttpResponse.BodyHandlers.discarding()).statusCode();
                            if (status == 200) {
                                load.ok.incrementAndGet();
                                return null;
                            }
                            assertThat(status).as("only 200 or 503").isEqualTo(503);
                            load.unavailable.incrementAndGet();
                        } catch (java.io.IOException e) {
                            load.unavailable.incrementAndGet();
                        }
                        Thread.sleep(500); // then resend, as the receiver's contract says
                    }
                    throw new AssertionError("an alert was never acknowledged");
                }));
            }
            for (Future<?> future : acknowledged) {
                future.get(4, TimeUnit.MINUTES);
            }
            posts.shutdown();
            return acknowledged.size();
        }

        /** Sleeps until {@code seconds} into the load, then notes {@code what}. */
        void at(Load load, int seconds, String what) throws InterruptedException {
            long wait = load.began + TimeUnit.SECONDS.toNanos(seconds) - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            log.add(what + " at " + load.elapsedMillis() + " ms (" + load.ok.get() + " acknowledged)");
        }

        /** The detectors' group members now (one per stream thread of each instance). */
        int members() throws Exception {
            String group = prefix + "detectors";
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", stack.kafkaBootstrap()))) {
                return admin.describeConsumerGroups(List.of(group)).all().get().get(group).members().size();
            }
        }

        /**
         * Waits until the detectors' group is stable with {@code expected} members holding every partition; returns
         * System.nanoTime() then.
         */
        long awaitStableGroup(int expected, Duration wait) throws Exception {
            long deadline = System.nanoTime() + wait.toNanos();
            String group = prefix + "detectors";
            int partitions;
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", stack.kafkaBootstrap()))) {
                partitions = admin.describeTopics(List.of(topics.events().name())).allTopicNames().get()
                        .get(topics.events().name()).partitions().size();
                while (System.nanoTime() < deadline) {
                    var description = admin.describeConsumerGroups(List.of(group)).all().get().get(group);
                    long eventPartitions = description.members().stream()
                            .flatMap(m -> m.assignment().topicPartitions().stream())
                            .filter(tp -> tp.topic().equals(topics.events().name())).count();
                    if (description.members().size() == expected && "STABLE".equals(description.groupState().name())
                            && eventPartitions == partitions) {
                        return System.nanoTime();
                    }
                    Thread.sleep(100);
                }
            }
            throw new AssertionError("the detectors' group did not settle on " + expected + " members within " + wait);
        }

        /** Waits for the load, then for Elasticsearch to hold exactly one finding per alert; prints the figures. */
        void finish(Load load) throws Exception {
            assertThat(load.future.get(LOAD.toSeconds() + 240, TimeUnit.SECONDS)).isEqualTo(ALERTS);
            long loadMillis = load.elapsedMillis();
            log.add("all " + ALERTS + " alerts acknowledged after " + loadMillis + " ms (" + load.unavailable.get()
                    + " answers 503 or refused, each resent)");
            ElasticsearchClient client = ElasticsearchClients.create(stack.elasticsearchUrl());
            try {
                long[] counts = awaitFindings(client);
                long settled = load.elapsedMillis();
                long deadLetters = KillDrillIT.records(stack, topics.deadLetters().name());
                System.out.println("[failover drill " + prefix + "] " + String.join("; ", log) + "; findings "
                        + counts[0] + " of " + ALERTS + " folding " + counts[1] + " events, settled at " + settled
                        + " ms; events on the topic " + KillDrillIT.records(stack, topics.events().name()) + ", dead letters " + deadLetters);
                assertThat(counts[0]).as("interactive-shell findings: one per alert, none lost").isEqualTo(ALERTS);
                assertThat(counts[1]).as("the sum of their counts: none counted twice").isEqualTo(ALERTS);
                assertThat(deadLetters).as("dead letters").isZero();
            } finally {
                try {
                    index.deleteAll(client);
                } finally {
                    client._transport().close();
                    load.senders.shutdownNow();
                }
            }
        }

        /** {findings, sum of counts}, read until they reach {@link #ALERTS} and stay for 3 s, or 3 minutes pass. */
        private long[] awaitFindings(ElasticsearchClient client) throws InterruptedException {
            long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
            long[] last = {0, 0};
            Long completeSince = null;
            while (System.nanoTime() < deadline) {
                try {
                    client.indices().refresh(r -> r.index(index.alias()));
                    var hits = client.search(s -> s.index(index.alias()).size(ALERTS + 100)
                            .query(q -> q.term(t -> t.field("rule.id").value(InteractiveShellInContainerDetector.RULE_ID))),
                            FindingDocument.class).hits();
                    long sum = 0;
                    for (var hit : hits.hits()) {
                        sum += hit.source().finding().count();
                    }
                    last = new long[] {hits.hits().size(), sum};
                } catch (java.io.IOException | RuntimeException e) {
                    // no index yet, or a node coming back
                }
                if (last[0] >= ALERTS) {
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

        private static String alert(String container) {
            return ("{\"output\":\"A shell was spawned\",\"priority\":\"Critical\",\"rule\":\"Terminal shell in container\","
                    + "\"source\":\"syscall\",\"time\":\"%s\",\"output_fields\":{\"container.id\":\"%s\",\"proc.name\":\"bash\","
                    + "\"proc.tty\":34816,\"k8s.ns.name\":\"payments\",\"k8s.pod.name\":\"api-1\"}}")
                    .formatted(Instant.now(), container);
        }
    }

    /** The running load: when it began, what was acknowledged. */
    private static final class Load {
        final long began = System.nanoTime();
        final ExecutorService senders = Executors.newSingleThreadExecutor();
        final AtomicInteger ok = new AtomicInteger();
        final AtomicInteger unavailable = new AtomicInteger();
        Future<Integer> future;

        long elapsedMillis() {
            return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began);
        }
    }
}
