package dev.bulwark.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import dev.bulwark.cli.BulwarkConfig;
import dev.bulwark.cli.Pipeline;
import dev.bulwark.deploy.LocalStack;
import dev.bulwark.detectors.DetectionTopology;
import dev.bulwark.detectors.Detectors;
import dev.bulwark.detectors.TenantResolver;
import dev.bulwark.ingest.EventKeys;
import dev.bulwark.ingest.EventPublisher;
import dev.bulwark.ingest.ParseException;
import dev.bulwark.ingest.Parsers;
import dev.bulwark.schemas.ContainerInfo;
import dev.bulwark.schemas.KubernetesInfo;
import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.schemas.TenantContext;
import dev.bulwark.schemas.TopicAdmin;
import dev.bulwark.schemas.Topics;
import dev.bulwark.sink.ElasticsearchClients;
import dev.bulwark.sink.FindingDocument;
import dev.bulwark.sink.FindingIndex;
import dev.bulwark.sink.FindingSearch;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The whole pipeline on the local stack: detector throughput beside a pass-through Kafka Streams app on the same
 * events, and the latency from producing an event to its finding being searchable in Elasticsearch.
 *
 * <p>Why: users choosing Bulwark ask how many events per second per core the detectors take and how fast an attack
 * becomes a finding. A pass-through Streams app (consume, produce, no logic) on the same topic is the ceiling the
 * detectors are measured against. The workload mixes real Tetragon, Kubernetes audit and container-log records spread
 * over tenants' namespaces, with a fraction of malicious events (interactive shells in containers).
 */
@Command(name = "pipeline", mixinStandardHelpOptions = true,
        description = "Detector events/s vs. a pass-through Streams app, and produce-to-searchable-finding latency.")
final class PipelineBench implements Callable<Integer> {

    @Option(names = "--events", description = "Events for the throughput phase (default ${DEFAULT-VALUE}).", defaultValue = "200000")
    int events;

    @Option(names = "--tenants", description = "Tenants, two namespaces each (default ${DEFAULT-VALUE}).", defaultValue = "10")
    int tenants;

    @Option(names = "--malicious", description = "Fraction of malicious events (default ${DEFAULT-VALUE}).", defaultValue = "0.01")
    double malicious;

    @Option(names = "--rate", description = "Events/s produced in the latency phase (default ${DEFAULT-VALUE}).", defaultValue = "2000")
    int rate;

    @Option(names = "--latency-seconds", description = "Length of the latency phase (default ${DEFAULT-VALUE}).", defaultValue = "20")
    int latencySeconds;

    @Option(names = "--rules", description = "Sigma rules loaded: all (shipped), none (default ${DEFAULT-VALUE}).", defaultValue = "all")
    String rules;

    @Option(names = "--quick", description = "40,000 events and a 10 s latency phase.")
    boolean quick;

    @Option(names = "--rounds", description = "Interleaved rounds of the throughput phase; medians are compared "
            + "(default ${DEFAULT-VALUE}).", defaultValue = "3")
    int rounds;

    @Option(names = "--sweep", description = "Also measure detector events/s with 1, 10 and 100 tenants and with no "
            + "Sigma rules vs. all shipped rules, each beside the pass-through app on the same events.")
    boolean sweep;

    private final Map<String, Long> producedAt = new ConcurrentHashMap<>();

    @Override
    public Integer call() throws Exception {
        if (rounds < 1 || events < 1 || tenants < 1 || rate < 1) {
            throw new IllegalArgumentException("--rounds, --events, --tenants and --rate must be at least 1");
        }
        if (quick) {
            events = Math.min(events, 40_000);
            latencySeconds = Math.min(latencySeconds, 10);
        }
        LocalStack stack = LocalStack.defaults(LocalStack.findRepoRoot());
        if (!stack.healthy() && stack.run("up") != 0) {
            throw new IllegalStateException("the local stack did not start; see ./bulwark local logs");
        }
        String run = "bench-pipeline-" + System.currentTimeMillis();
        Path stateDir = Files.createTempDirectory("bulwark-bench-state-");
        List<SecurityEvent> templates = templates();
        BenchCommand.say(String.format(Locale.ROOT, "workload: %d templates (Tetragon, audit, CRI), %d tenants, %.1f%% malicious",
                templates.size(), tenants, malicious * 100));

        // Warm-up: both apps drain a smaller topic first, so the measured runs do not pay for class loading and JIT.
        int measured = events;
        events = Math.max(5_000, measured / 4);
        Topics warmup = Topics.withPrefix(run + "-warmup.");
        createTopics(stack, warmup);
        publishContext(stack, warmup);
        produce(stack, warmup, templates, events, 0, false);
        BenchCommand.say("warming up both apps on " + events + " events...");
        passThrough(stack, warmup, stateDir.resolve("warmup"));
        detectors(stack, warmup, stateDir.resolve("warmup"), new SimpleMeterRegistry());
        events = measured;

        // Latency right after the warm-up (JIT done) and before the throughput rounds (whose many Streams apps leave
        // garbage and threads behind): pipeline with sink at a steady rate; time until each malicious event's finding
        // is searchable.
        Topics latencyTopics = Topics.withPrefix(run + "-latency.");
        double[] latency = latency(stack, latencyTopics, templates, stateDir);
        Runtime.getRuntime().gc();

        // Throughput: preload the events, then drain them with each app.
        Topics topics = Topics.withPrefix(run + ".");
        createTopics(stack, topics);
        publishContext(stack, topics);
        BenchCommand.say("producing " + events + " events...");
        produce(stack, topics, templates, events, 0, false);
        Runtime.getRuntime().gc();

        // Interleaved rounds on the same preloaded topic (each app instance is a new consumer group), medians compared:
        // the apps share a noisy machine, so neither gets the quiet minute.
        double[] passRounds = new double[rounds];
        double[] detectRounds = new double[rounds];
        double[] consumeRounds = new double[rounds];
        for (int round = 0; round < rounds; round++) {
            passRounds[round] = passThrough(stack, topics, stateDir.resolve("round-" + round), "-" + round);
            consumeRounds[round] = consumerPerformance(stack, topics, "-" + round);
            detectRounds[round] = detectors(stack, topics, stateDir.resolve("round-" + round), new SimpleMeterRegistry(),
                    "-" + round);
            BenchCommand.say(String.format(Locale.ROOT, "round %d/%d: pass-through %,.0f, ConsumerPerformance %,.0f, "
                    + "detectors %,.0f events/s", round + 1, rounds, passRounds[round], consumeRounds[round], detectRounds[round]));
        }
        double passThrough = median(passRounds);
        double consume = median(consumeRounds);
        double detect = median(detectRounds);
        long stateBytes = size(stateDir);
        BenchCommand.say(String.format(Locale.ROOT, "detectors: %,.0f events/s", detect));

        List<String> sweepRows = sweep ? sweep(stack, run, templates, stateDir) : List.of();

        long heap = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
        long rss = rssBytes();

        System.out.println();
        System.out.println(String.format(Locale.ROOT, "Pipeline on the local stack, %d cores, Java %s; %d tenants, %.1f%% malicious, "
                + "Sigma rules: %s", Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), tenants,
                malicious * 100, rules));
        System.out.println();
        System.out.println("| measure | Bulwark | baseline | ratio |");
        System.out.println("|---|---:|---:|---:|");
        System.out.println(String.format(Locale.ROOT, "| events/s, %,d events, median of %d | %,.0f (detectors) | %,.0f (pass-through Streams app) | %.2f |",
                events, rounds, detect, passThrough, detect / passThrough));
        System.out.println(String.format(Locale.ROOT, "| events/s, %,d events, median of %d | %,.0f (detectors) | %,.0f (ConsumerPerformance) | %.2f |",
                events, rounds, detect, consume, detect / consume));
        System.out.println(String.format(Locale.ROOT, "| produce → searchable finding, %d events/s for %d s: p50 / p99 / max | "
                + "%.0f / %.0f / %.0f ms (%d findings) | Elasticsearch refresh 1 s | |", rate, latencySeconds,
                latency[0], latency[1], latency[2], (long) latency[3]));
        System.out.println(String.format(Locale.ROOT, "| memory of the one JVM (ingest producer, detectors, sink) | heap %d MB, RSS %d MB | | |",
                heap >> 20, rss >> 20));
        System.out.println(String.format(Locale.ROOT, "| detector state on disk after %,d events | %,d KB | | |", events, stateBytes >> 10));
        if (!sweepRows.isEmpty()) {
            System.out.println();
            System.out.println("| tenants | Sigma rules | detectors events/s | pass-through events/s | ratio |");
            System.out.println("|---:|---|---:|---:|---:|");
            sweepRows.forEach(System.out::println);
        }
        return 0;
    }

    private List<SecurityEvent> templates() throws Exception {
        List<SecurityEvent> out = new ArrayList<>();
        for (String format : List.of("tetragon", "k8s-audit", "cri")) {
            var parser = Parsers.forFormat(format);
            for (byte[] record : Workloads.records(format)) {
                try {
                    out.addAll(parser.normalize(record, "bench-workload-7d9c_bench-ns_app-" + "ab".repeat(32) + ".log:1").events());
                } catch (ParseException e) {
                    // Workloads.records already left out records that do not normalize
                }
            }
        }
        return out;
    }

    private void createTopics(LocalStack stack, Topics topics) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap()))) {
            TopicAdmin.ensureTopics(admin, topics, 3, (short) 1);
            admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(topics.prefix() + "passthrough", 3, (short) 1)))
                    .all().get();
        }
    }

    private void publishContext(LocalStack stack, Topics topics) {
        try (KafkaProducer<String, byte[]> producer = producer(stack)) {
            for (int t = 0; t < tenants; t++) {
                for (int n = 0; n < 2; n++) {
                    String namespace = "tenant-" + t + "-ns-" + n;
                    TenantContext context = TenantContext.newBuilder().setKind("namespace").setKey(namespace)
                            .setNamespace(namespace).setName(namespace).setTenant("tenant-" + t)
                            .setObservedAt(System.currentTimeMillis()).build();
                    producer.send(new ProducerRecord<>(topics.context().name(), "namespace/" + namespace,
                            topics.context().valueSerde().serializer().serialize(topics.context().name(), context)));
                }
            }
            producer.flush();
        }
    }

    private KafkaProducer<String, byte[]> producer(LocalStack stack) {
        Map<String, Object> config = new HashMap<>();
        EventPublisher.producerConfig(stack.kafkaBootstrap(), "bulwark-bench-pipeline").forEach((k, v) -> config.put((String) k, v));
        return new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
    }

    /** The i-th event of the workload: a template placed in a tenant namespace and container, or an attack. */
    private SecurityEvent event(List<SecurityEvent> templates, long i, String run) {
        SecurityEvent template = templates.get((int) (i % templates.size()));
        int tenant = (int) (i % tenants);
        String namespace = "tenant-" + tenant + "-ns-" + (i / tenants % 2);
        boolean attack = malicious > 0 && (i % Math.max(1, Math.round(1 / malicious))) == 0;
        SecurityEvent.Builder event = SecurityEvent.newBuilder(template)
                .setId(run + "-" + i)
                .setTimestamp(System.currentTimeMillis() * 1_000_000L)
                .setKubernetes(KubernetesInfo.newBuilder().setNamespace(namespace).setPod("pod-" + (i % 200)).build())
                .setContainer(ContainerInfo.newBuilder(template.getContainer() == null ? ContainerInfo.newBuilder().build()
                        : template.getContainer()).setId(attack ? "attack-" + i : "c-" + (i % 500)).build());
        if (attack) {
            event.setKubernetesAudit(null).setLog(null)
                    .setProcess(dev.bulwark.schemas.ProcessInfo.newBuilder().setName("sh").setExecutable("/bin/sh")
                            .setCommandLine("sh -i").setInteractive(true).setTty(34816L).build());
        }
        return event.build();
    }

    private void produce(LocalStack stack, Topics topics, List<SecurityEvent> templates, long count, int perSecond,
                         boolean trackAttacks) throws InterruptedException {
        String run = topics.prefix();
        try (KafkaProducer<String, byte[]> producer = producer(stack)) {
            long start = System.nanoTime();
            for (long i = 0; i < count; i++) {
                if (perSecond > 0) {
                    long due = start + i * 1_000_000_000L / perSecond;
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    }
                }
                SecurityEvent event = event(templates, i, run);
                if (trackAttacks && event.getContainer().getId().startsWith("attack-")) {
                    producedAt.put(event.getId(), System.currentTimeMillis());
                }
                producer.send(new ProducerRecord<>(topics.events().name(), EventKeys.of(event),
                        topics.events().valueSerde().serializer().serialize(topics.events().name(), event)));
            }
            producer.flush();
        }
    }

    private double passThrough(LocalStack stack, Topics topics, Path stateDir) throws Exception {
        return passThrough(stack, topics, stateDir, "");
    }

    private double passThrough(LocalStack stack, Topics topics, Path stateDir, String suffix) throws Exception {
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream(topics.events().name(), Consumed.with(Serdes.String(), Serdes.ByteArray()))
                .to(topics.prefix() + "passthrough", Produced.with(Serdes.String(), Serdes.ByteArray()));
        Properties props = DetectionTopology.streamsConfig(stack.kafkaBootstrap(), topics.prefix() + "passthrough" + suffix,
                stateDir.resolve("passthrough").toString(), false);
        try (KafkaStreams streams = new KafkaStreams(builder.build(), props)) {
            streams.start();
            return drainRate(() -> processed(streams, "process-total"));
        }
    }

    /**
     * Events per second while the app drains the preloaded topic: from the first processed event to the last, so the
     * consumer-group join and state restoration at start are not counted.
     */
    private double drainRate(java.util.function.DoubleSupplier processed) throws InterruptedException {
        while (processed.getAsDouble() < 1) {
            Thread.sleep(5);
        }
        long start = System.nanoTime();
        double first = processed.getAsDouble();
        while (processed.getAsDouble() < events) {
            Thread.sleep(20);
        }
        return (events - first) / ((System.nanoTime() - start) / 1e9);
    }

    /** Sum of a Kafka Streams thread-level total (records processed by the source nodes of all tasks). */
    private static double processed(KafkaStreams streams, String name) {
        double total = 0;
        for (var entry : streams.metrics().entrySet()) {
            if (entry.getKey().name().equals(name) && "stream-thread-metrics".equals(entry.getKey().group())) {
                Object value = entry.getValue().metricValue();
                if (value instanceof Number number) {
                    total += number.doubleValue();
                }
            }
        }
        return total;
    }

    private Map<String, Map<String, String>> detectorConfig() {
        Map<String, Map<String, String>> config = new HashMap<>();
        if ("none".equals(rules)) {
            config.put("sigma", Map.of("bundled", "false"));
        }
        return config;
    }

    private double detectors(LocalStack stack, Topics topics, Path stateDir, SimpleMeterRegistry registry) throws Exception {
        return detectors(stack, topics, stateDir, registry, "");
    }

    private double detectors(LocalStack stack, Topics topics, Path stateDir, SimpleMeterRegistry registry, String suffix)
            throws Exception {
        var topology = DetectionTopology.build(topics, Detectors.discover(), TenantResolver.none(), detectorConfig(), registry);
        Properties props = DetectionTopology.streamsConfig(stack.kafkaBootstrap(), topics.prefix() + "detectors" + suffix,
                stateDir.resolve("detectors").toString(), false);
        try (KafkaStreams streams = new KafkaStreams(topology, props)) {
            var decoded = registry.counter("bulwark.detect.events.in");
            streams.start();
            return drainRate(decoded::count);
        }
    }

    /** Detector and pass-through events/s for 1, 10 and 100 tenants, with no Sigma rules and with all. */
    private List<String> sweep(LocalStack stack, String run, List<SecurityEvent> templates, Path stateDir) throws Exception {
        List<String> rows = new ArrayList<>();
        int savedTenants = tenants;
        String savedRules = rules;
        try {
            for (int t : new int[] {1, 10, 100}) {
                for (String r : new String[] {"none", "all"}) {
                    tenants = t;
                    rules = r;
                    Topics topics = Topics.withPrefix(run + "-t" + t + "-" + r + ".");
                    createTopics(stack, topics);
                    publishContext(stack, topics);
                    produce(stack, topics, templates, events, 0, false);
                    double pass = passThrough(stack, topics, stateDir.resolve(topics.prefix()));
                    double detect = detectors(stack, topics, stateDir.resolve(topics.prefix()), new SimpleMeterRegistry());
                    String row = String.format(Locale.ROOT, "| %d | %s | %,.0f | %,.0f | %.2f |", t, r, detect, pass, detect / pass);
                    BenchCommand.say("sweep " + row);
                    rows.add(row);
                }
            }
        } finally {
            tenants = savedTenants;
            rules = savedRules;
        }
        return rows;
    }

    /** Kafka's ConsumerPerformance from the broker's own distribution on the events topic; records/s of fetching. */
    private double consumerPerformance(LocalStack stack, Topics topics, String suffix) throws Exception {
        String output = stack.runCapturing("kafka-tool", "org.apache.kafka.tools.ConsumerPerformance",
                "--bootstrap-server", stack.kafkaBootstrap(), "--topic", topics.events().name(),
                "--messages", Integer.toString(events), "--group", topics.prefix() + "consumer-performance" + suffix,
                "--timeout", "60000");
        String[] lines = output.strip().split("\n");
        String header = null;
        for (int i = 0; i < lines.length - 1; i++) {
            if (lines[i].contains("nMsg.sec")) {
                header = lines[i];
                String[] names = header.split(",\\s*");
                String[] values = lines[i + 1].split(",\\s*");
                for (int c = 0; c < names.length && c < values.length; c++) {
                    if (names[c].strip().equals("fetch.nMsg.sec")) {
                        return Double.parseDouble(values[c].strip());
                    }
                }
            }
        }
        throw new IllegalStateException("no fetch.nMsg.sec in ConsumerPerformance output:\n" + output);
    }

    private double[] latency(LocalStack stack, Topics topics, List<SecurityEvent> templates, Path stateDir) throws Exception {
        createTopics(stack, topics);
        publishContext(stack, topics);
        BulwarkConfig config = BulwarkConfig.load(null, Map.of(
                "BULWARK_KAFKA_BOOTSTRAP", stack.kafkaBootstrap(), "BULWARK_ES_URL", stack.elasticsearchUrl(),
                "BULWARK_TOPIC_PREFIX", topics.prefix(), "BULWARK_INDEX_PREFIX", topics.prefix().replace(".", "") + "-findings"));
        config.detection.applicationId = topics.prefix() + "latency";
        config.detection.detectors.putAll(detectorConfig());
        ElasticsearchClient client = ElasticsearchClients.create(stack.elasticsearchUrl());
        FindingIndex index = new FindingIndex(config.elasticsearch.indexPrefix);
        Map<String, Long> searchableAt = new ConcurrentHashMap<>();
        try (Pipeline pipeline = Pipeline.start(config, stateDir.resolve("latency"), new SimpleMeterRegistry())) {
            if (!pipeline.awaitRunning(Duration.ofSeconds(60))) {
                throw new IllegalStateException("the pipeline did not start");
            }
            BenchCommand.say("latency: producing " + rate + " events/s for " + latencySeconds + " s...");
            Thread producerThread = new Thread(() -> {
                try {
                    produce(stack, topics, templates, (long) rate * latencySeconds, rate, true);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "bench-producer");
            Instant since = Instant.now().minusSeconds(60);
            producerThread.start();
            long deadline = System.currentTimeMillis() + (latencySeconds + 60) * 1000L;
            while (System.currentTimeMillis() < deadline) {
                try {
                    for (FindingDocument doc : new FindingSearch(null, null, null, since, null, 1000).run(client, index)) {
                        long now = System.currentTimeMillis();
                        for (String id : doc.evidence().eventIds()) {
                            if (producedAt.containsKey(id)) {
                                searchableAt.putIfAbsent(id, now);
                            }
                        }
                    }
                } catch (java.io.IOException | RuntimeException e) {
                    // the daily index may still be initializing
                }
                if (!producerThread.isAlive() && searchableAt.size() >= producedAt.size()) {
                    break;
                }
                Thread.sleep(100);
            }
            producerThread.join();
        } finally {
            client.indices().delete(d -> d.index(index.prefix() + "-*"));
            client._transport().close();
        }
        long[] latencies = searchableAt.entrySet().stream().mapToLong(e -> e.getValue() - producedAt.get(e.getKey())).sorted().toArray();
        if (latencies.length < producedAt.size()) {
            BenchCommand.say("WARNING: " + (producedAt.size() - latencies.length) + " of " + producedAt.size()
                    + " attack findings were not searchable within 60 s after producing stopped");
        }
        if (latencies.length == 0) {
            return new double[] {Double.NaN, Double.NaN, Double.NaN, 0};
        }
        return new double[] {percentile(latencies, 0.50), percentile(latencies, 0.99), latencies[latencies.length - 1],
                latencies.length};
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        java.util.Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static double percentile(long[] sorted, double p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
    }

    private static long size(Path dir) throws java.io.IOException {
        try (var files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    private static long rssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (java.io.IOException | NumberFormatException e) {
            // not Linux
        }
        return 0;
    }
}
