package dev.bulwark.bench;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import co.elastic.clients.elasticsearch.core.BulkResponse;
import co.elastic.clients.elasticsearch.core.bulk.BulkOperation;
import dev.bulwark.deploy.LocalStack;
import dev.bulwark.schemas.Evidence;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.FindingRule;
import dev.bulwark.schemas.MitreAttack;
import dev.bulwark.schemas.TopicAdmin;
import dev.bulwark.schemas.Topics;
import dev.bulwark.sink.ElasticsearchClients;
import dev.bulwark.sink.FindingDocument;
import dev.bulwark.sink.FindingIndex;
import dev.bulwark.sink.FindingSink;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Findings per second the sink indexes from Kafka into Elasticsearch, beside a plain bulk load of the same documents
 * into the same node in the same run.
 *
 * <p>Why: the sink does more than a bulk load (consume, decode Avro, merge updates with an upsert, add tenant aliases,
 * commit offsets only after Elasticsearch confirmed); the ratio says what that costs against what the node takes. Each
 * round the sink is warmed up (template installed, group joined, indices created) and held paused while the findings
 * are produced, so the clock runs only while it drains the backlog; the baseline sends the same documents with
 * {@code index} operations in bulks of the same size, one request at a time like the sink's ingester.
 */
@Command(name = "sink", mixinStandardHelpOptions = true,
        description = "Sink findings/s (Kafka -> Elasticsearch) vs. a plain bulk load of the same documents.")
final class SinkBench implements Callable<Integer> {

    private static final String[] TENANTS = {"acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "tyrell"};
    private static final String[] SEVERITIES = {"low", "medium", "high", "critical"};
    private static final String[] RULES = {"bulwark.container.interactive_shell", "bulwark.container.package_manager",
            "bulwark.isolation.cross_tenant_secret_read", "bulwark.k8s.exec_into_pod", "bulwark.network.egress_to_metadata"};
    private static final int BULK_SIZE = 1000;

    @Option(names = "--findings", description = "Findings per round (default ${DEFAULT-VALUE}).", defaultValue = "50000")
    int findings;

    @Option(names = "--quick", description = "20,000 findings per round.")
    boolean quick;

    @Option(names = "--rounds", description = "Interleaved rounds; medians are compared (default ${DEFAULT-VALUE}).",
            defaultValue = "3")
    int rounds;

    @Option(names = "--bootstrap", description = "Kafka bootstrap servers (default: the local stack, started if needed).")
    String bootstrap;

    @Option(names = "--es-url", description = "Elasticsearch URL (default: the local stack).")
    String esUrl;

    /** The headline figures of the last run. */
    final Summary summary = new Summary();

    @Override
    public Integer call() throws Exception {
        int n = quick ? Math.min(findings, 20_000) : findings;
        if (n < 1000 || rounds < 1) {
            throw new IllegalArgumentException("--findings must be at least 1000 and --rounds at least 1");
        }
        LocalStack stack = LocalStack.defaults(LocalStack.findRepoRoot());
        if (bootstrap == null || esUrl == null) {
            if (!stack.healthy()) {
                BenchCommand.say("starting the local stack...");
                if (stack.run("up") != 0) {
                    throw new IllegalStateException("the local stack did not start; see ./bulwark local logs");
                }
            }
            bootstrap = bootstrap == null ? stack.kafkaBootstrap() : bootstrap;
            esUrl = esUrl == null ? stack.elasticsearchUrl() : esUrl;
        }
        List<Finding> workload = workload(n, new Random(42));
        ElasticsearchClient client = ElasticsearchClients.create(esUrl);
        double[] sink = new double[rounds];
        double[] bulk = new double[rounds];
        double[] bulkUpdate = new double[rounds];
        try {
            for (int round = 0; round < rounds; round++) {
                String prefix = "bench-sink-" + System.currentTimeMillis() + "-" + round;
                try {
                    sink[round] = sinkRound(client, prefix, workload);
                } finally {
                    BenchTopics.deleteStartingWith(bootstrap, prefix);
                }
                BenchCommand.say(String.format("round %d: sink %,.0f findings/s", round + 1, sink[round]));
                bulk[round] = bulkRound(client, prefix + "-bulk", workload, false);
                BenchCommand.say(String.format("round %d: plain bulk %,.0f documents/s", round + 1, bulk[round]));
                bulkUpdate[round] = bulkRound(client, prefix + "-bulkupd", workload, true);
                BenchCommand.say(String.format("round %d: plain bulk of the sink's update+upsert operations %,.0f documents/s",
                        round + 1, bulkUpdate[round]));
            }
        } finally {
            client._transport().close();
        }
        double sinkMedian = median(sink);
        double bulkMedian = median(bulk);
        System.out.println();
        System.out.printf("Sink vs. plain bulk load, %,d findings per round, %d rounds, Kafka %s, Elasticsearch %s%n",
                n, rounds, bootstrap, esUrl);
        System.out.println("| path | findings/s (median) | rounds |");
        System.out.println("|---|---:|---|");
        System.out.printf("| sink (Kafka -> update+upsert via BulkIngester -> commit) | %,.0f | %s |%n", sinkMedian, list(sink));
        System.out.printf("| plain bulk load (index ops, %d per request) | %,.0f | %s |%n", BULK_SIZE, bulkMedian, list(bulk));
        System.out.printf("| plain bulk of the same update+upsert operations, %d per request | %,.0f | %s |%n", BULK_SIZE,
                median(bulkUpdate), list(bulkUpdate));
        System.out.printf("ratio sink / plain bulk: %.2f (sink / same operations without Kafka: %.2f)%n",
                sinkMedian / bulkMedian, sinkMedian / median(bulkUpdate));
        summary.add("sink", String.format("findings Kafka → Elasticsearch (update+upsert), %,d findings, median of %d", n, rounds),
                Summary.perSecond(sinkMedian, "findings"), Summary.perSecond(bulkMedian, "docs") + " (plain bulk load)",
                sinkMedian / bulkMedian, "");
        summary.add("sink", "same, against a plain bulk of the sink's own update+upsert operations",
                Summary.perSecond(sinkMedian, "findings"), Summary.perSecond(median(bulkUpdate), "docs") + " (bulk updates)",
                sinkMedian / median(bulkUpdate), "");
        return 0;
    }

    /** Deterministic findings spread over tenants, severities, rules and three days. */
    static List<Finding> workload(int n, Random random) {
        long base = Instant.now().minus(Duration.ofDays(2)).toEpochMilli();
        List<Finding> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String tenant = TENANTS[random.nextInt(TENANTS.length)];
            String rule = RULES[random.nextInt(RULES.length)];
            long seen = base + random.nextInt((int) Duration.ofDays(2).toMillis());
            String namespace = tenant + "-" + (random.nextBoolean() ? "web" : "data");
            String pod = "pod-" + Integer.toHexString(random.nextInt(1 << 20));
            out.add(Finding.newBuilder()
                    .setId(String.format("bench-%08d", i)).setDetector("bench")
                    .setRule(FindingRule.newBuilder().setId(rule).setName(rule.substring(rule.lastIndexOf('.') + 1)
                            .replace('_', ' ')).setVersion("1").build())
                    .setSeverity(SEVERITIES[random.nextInt(SEVERITIES.length)]).setRiskScore(random.nextInt(100))
                    .setMitre(MitreAttack.newBuilder().setTactics(List.of("execution")).setTechniques(List.of("T1059.004"))
                            .build())
                    .setTenant(tenant)
                    .setOtherTenants(rule.contains("isolation") ? List.of(TENANTS[random.nextInt(TENANTS.length)]) : List.of())
                    .setSummary("Interactive shell 'bash' started in pod " + namespace + "/" + pod + " by root")
                    .setFirstSeen(seen).setLastSeen(seen + random.nextInt(60_000)).setCount(1 + random.nextInt(20))
                    .setCluster("prod-eu-1").setNamespace(namespace).setPod(pod)
                    .setContainerId(Long.toHexString(random.nextLong())).setImage("registry.example/" + tenant + "/api:1." + i % 7)
                    .setEvidence(Evidence.newBuilder().setEventIds(List.of("e-" + i, "e-" + (i + 1)))
                            .setFields(Map.of("process.name", "bash", "process.command_line", "bash -i",
                                    "process.parent.name", "runc", "user.name", "root",
                                    "source.ip", "10.0." + random.nextInt(256) + "." + random.nextInt(256),
                                    "kubernetes.namespace", namespace)).build())
                    .build());
        }
        return out;
    }

    /** One sink round; returns findings/s while draining a backlog of the whole workload. */
    private double sinkRound(ElasticsearchClient client, String prefix, List<Finding> workload) throws Exception {
        Topics topics = Topics.withPrefix(prefix + ".");
        FindingIndex index = new FindingIndex(prefix);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            TopicAdmin.ensureTopics(admin, topics, 3, (short) 1);
        }
        SimpleMeterRegistry metrics = new SimpleMeterRegistry();
        AtomicBoolean gate = new AtomicBoolean(true);
        GatedConsumer consumer = new GatedConsumer(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, prefix + "-sink",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000), gate);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.LINGER_MS_CONFIG, 10, ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024),
                new StringSerializer(), new ByteArraySerializer())) {
            FindingSink sink = new FindingSink(consumer, producer, client, topics, index, metrics);
            Thread thread = new Thread(sink, "bench-sink");
            thread.start();
            try {
                // Warm up: one finding per tenant creates the indices and aliases and proves the group has joined.
                List<Finding> warmUp = new ArrayList<>();
                for (String tenant : TENANTS) {
                    warmUp.add(Finding.newBuilder(workload.get(0)).setId("warm-up-" + tenant).setTenant(tenant).build());
                }
                send(producer, topics, warmUp);
                awaitIndexed(metrics, warmUp.size());
                gate.set(false);
                Thread.sleep(1500); // a poll in flight returns before the backlog is written
                send(producer, topics, workload);
                long start = System.nanoTime();
                gate.set(true);
                awaitIndexed(metrics, warmUp.size() + workload.size());
                return workload.size() / ((System.nanoTime() - start) / 1e9);
            } finally {
                sink.close();
                thread.join(30_000);
                index.deleteAll(client);
                try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
                    admin.deleteTopics(List.of(topics.findings().name(), topics.events().name(), topics.context().name(),
                            topics.rules().name(), topics.deadLetters().name())).all().get();
                }
            }
        }
    }

    private static void send(KafkaProducer<String, byte[]> producer, Topics topics, List<Finding> findings) {
        var serializer = topics.findings().valueSerde().serializer();
        for (Finding finding : findings) {
            producer.send(new ProducerRecord<>(topics.findings().name(), finding.getId(),
                    serializer.serialize(topics.findings().name(), finding)));
        }
        producer.flush();
    }

    private static void awaitIndexed(SimpleMeterRegistry metrics, long expected) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        while (metrics.counter("bulwark.sink.findings.indexed").count() < expected) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the sink did not index " + expected + " findings within 10 minutes");
            }
            if (metrics.counter("bulwark.sink.dead.letters").count() > 0) {
                throw new IllegalStateException("the sink dead-lettered findings; the benchmark is void");
            }
            Thread.sleep(20);
        }
    }

    /**
     * One plain bulk load of the same documents, as {@code index} operations or as the sink's own update+upsert
     * operations; returns documents/s.
     */
    private static double bulkRound(ElasticsearchClient client, String prefix, List<Finding> workload, boolean asSinkOps)
            throws Exception {
        FindingIndex index = new FindingIndex(prefix);
        index.installTemplate(client);
        try {
            // Same warm-up as the sink: the daily indices exist before the clock starts.
            List<BulkOperation> warmUp = new ArrayList<>();
            for (long day = -3; day <= 1; day++) {
                long at = Instant.now().plus(Duration.ofDays(day)).toEpochMilli();
                Finding f = Finding.newBuilder(workload.get(0)).setId("warm-up-" + day).setFirstSeen(at).build();
                warmUp.add(BulkOperation.of(b -> b.index(i -> i.index(index.indexFor(f.getFirstSeen())).id(f.getId())
                        .document(FindingDocument.of(f)))));
            }
            client.bulk(b -> b.operations(warmUp));
            long start = System.nanoTime();
            for (int from = 0; from < workload.size(); from += BULK_SIZE) {
                List<BulkOperation> operations = new ArrayList<>(BULK_SIZE);
                for (Finding f : workload.subList(from, Math.min(workload.size(), from + BULK_SIZE))) {
                    if (asSinkOps) {
                        operations.add(FindingSink.operation(index, f));
                    } else {
                        FindingDocument document = FindingDocument.of(f);
                        operations.add(BulkOperation.of(b -> b.index(i -> i.index(index.indexFor(f.getFirstSeen()))
                                .id(f.getId()).document(document))));
                    }
                }
                BulkResponse response = client.bulk(b -> b.operations(operations));
                if (response.errors()) {
                    throw new IllegalStateException("the baseline bulk load had item errors: "
                            + response.items().stream().filter(i -> i.error() != null).findFirst().map(i -> i.error().reason())
                                    .orElse("?"));
                }
            }
            return workload.size() / ((System.nanoTime() - start) / 1e9);
        } finally {
            index.deleteAll(client);
        }
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted.length % 2 == 1 ? sorted[sorted.length / 2]
                : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
    }

    private static String list(double[] values) {
        StringBuilder out = new StringBuilder();
        for (double v : values) {
            out.append(out.length() == 0 ? "" : ", ").append(String.format("%,.0f", v));
        }
        return out.toString();
    }

    /**
     * A consumer the benchmark can hold: while the gate is closed, polls keep the group membership but return nothing
     * (the assigned partitions are paused).
     */
    private static final class GatedConsumer extends KafkaConsumer<String, byte[]> {
        private final AtomicBoolean gate;
        private boolean held;

        GatedConsumer(Map<String, Object> config, AtomicBoolean gate) {
            super(config, new StringDeserializer(), new ByteArrayDeserializer());
            this.gate = gate;
        }

        @Override
        public ConsumerRecords<String, byte[]> poll(Duration timeout) {
            if (!gate.get()) {
                if (!held) {
                    pause(assignment());
                    held = true;
                }
                ConsumerRecords<String, byte[]> early = super.poll(Duration.ofMillis(Math.min(timeout.toMillis(), 100)));
                // Partitions assigned while held are not paused yet: rewind and pause them, so nothing is skipped.
                for (var partition : early.partitions()) {
                    seek(partition, early.records(partition).get(0).offset());
                    pause(java.util.List.of(partition));
                }
                return ConsumerRecords.empty();
            }
            if (held) {
                resume(paused());
                held = false;
            }
            return super.poll(timeout);
        }
    }
}
