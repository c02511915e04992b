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
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import dev.bulwark.deploy.LocalStack;
import dev.bulwark.detection.DetectionTopology;
import dev.bulwark.detection.Detectors;
import dev.bulwark.detection.TenantResolver;
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
        description = {"Detector events/s vs. a pass-through Streams app; latency and memory of each component.",
                "Also Kafka's ConsumerPerformance as the broker's read limit; the ingest receiver, detectors and sink",
                "each run in their own JVM for the latency phase; --sweep varies the rule and tenant counts."})
final class PipelineBench implements Callable<Integer> {

    @Option(names = "--events", description = "Events for the throughput phase (default ${DEFAULT-VALUE}).", defaultValue = "200000")
    int events;

    @Option(names = "--tenants", description = "Tenants, two namespaces each (default ${DEFAULT-VALUE}).", defaultValue = "10")
    int tenants;

    @Option(names = "--pods", description = "Pods per namespace (default ${DEFAULT-VALUE}).", defaultValue = "10")
    int pods;

    @Option(names = "--malicious", description = "Fraction of malicious events (default ${DEFAULT-VALUE}).", defaultValue = "0.01")
    double malicious;

    @Option(names = "--rate", description = "Events/s in the latency phase (default ${DEFAULT-VALUE}).", defaultValue = "2000")
    int rate;

    @Option(names = "--ingest-share", description = "Share of the latency phase's events sent as raw records through the "
            + "ingest receiver (the rest is produced as tenant-placed events) (default ${DEFAULT-VALUE}).", defaultValue = "0.5")
    double ingestShare;

    @Option(names = "--latency-seconds", description = "Length of the latency phase (default ${DEFAULT-VALUE}).", defaultValue = "20")
    int latencySeconds;

    @Option(names = "--refresh", description = "The sink's elasticsearch.refresh in the latency phase: false, or "
            + "wait_for (each bulk returns once its findings are searchable) (default ${DEFAULT-VALUE}).",
            defaultValue = "false")
    String refresh;

    @Option(names = "--detection", paramLabel = "KEY=VALUE", description = "A detection.* setting of the latency "
            + "phase's detectors process, e.g. --detection sessionWait=0s or --detection incidents=false (repeatable); "
            + "to see where latency goes.")
    Map<String, String> detectionSettings = new java.util.LinkedHashMap<>();

    @Option(names = "--rules", description = "Sigma rules loaded: none, 1, all (the shipped ones), a number of rules "
            + "(shipped plus variants), or a rule folder such as a SigmaHQ checkout (its loadable rules only) "
            + "(default ${DEFAULT-VALUE}).", defaultValue = "all")
    String rules;

    @Option(names = "--threads", description = "Kafka Streams threads of both apps (default ${DEFAULT-VALUE}).", defaultValue = "1")
    int threads;

    @Option(names = "--component-jvm-options", description = "JVM options of each component process (default ${DEFAULT-VALUE}).",
            defaultValue = "-Xmx1g")
    String componentJvmOptions;

    @Option(names = "--quick", description = "30,000 events, one warm-up pass, one round, an 8 s latency phase after 5 s "
            + "of warm-up: a smoke run, not a figure to quote for the detector ratio.")
    boolean quick;

    @Option(names = "--rounds", description = "Interleaved rounds of the throughput phase; medians are compared "
            + "(default ${DEFAULT-VALUE}).", defaultValue = "3")
    int rounds;

    @Option(names = "--sweep", description = "Also measure detector events/s, each beside the pass-through app on the same "
            + "events, with 1, all shipped, 100 and 1000 Sigma rules, and with 1, 10 and 100 tenants.")
    boolean sweep;

    /** The headline figures of the last run. */
    final Summary summary = new Summary();

    private final Map<String, Long> producedAt = new ConcurrentHashMap<>();
    private Path ruleDir;

    @Override
    public Integer call() throws Exception {
        String run = "bench-pipeline-" + System.currentTimeMillis();
        try {
            return measure(run);
        } finally {
            BenchTopics.deleteStartingWith(LocalStack.defaults(LocalStack.findRepoRoot()).kafkaBootstrap(), run);
        }
    }

    private Integer measure(String run) throws Exception {
        if (!refresh.equals("false") && !refresh.equals("wait_for")) {
            throw new IllegalArgumentException("--refresh must be false or wait_for");
        }
        if (rounds < 1 || events < 1 || tenants < 1 || rate < 1 || pods < 1 || threads < 1 || latencySeconds < 1) {
            throw new IllegalArgumentException("--rounds, --events, --tenants, --pods, --threads, --rate and "
                    + "--latency-seconds must be at least 1");
        }
        if (malicious < 0 || malicious > 1 || ingestShare < 0 || ingestShare > 1) {
            throw new IllegalArgumentException("--malicious and --ingest-share must be between 0 and 1");
        }
        if (quick) {
            events = Math.min(events, 30_000);
            latencySeconds = Math.min(latencySeconds, 8);
            rounds = 1;
        }
        LocalStack stack = LocalStack.defaults(LocalStack.findRepoRoot());
        if (!stack.healthy()) {
            BenchCommand.say("starting the local stack...");
            if (stack.run("up") != 0) {
                throw new IllegalStateException("the local stack did not start; see ./bulwark local logs");
            }
        }
        Path stateDir = Files.createTempDirectory("bulwark-bench-state-");
        ruleDir = stateDir.resolve("rules");
        List<SecurityEvent> templates = templates();
        BenchCommand.say(String.format(Locale.ROOT, "workload: %d templates (Tetragon, audit, CRI), %d tenants x 2 namespaces x "
                + "%d pods, %.1f%% malicious, Sigma rules: %s", templates.size(), tenants, pods, malicious * 100,
                BenchRules.label(rules)));

        // Warm-up: both apps drain a smaller topic first, so the measured runs do not pay for class loading and JIT.
        int measured = events;
        events = quick ? 10_000 : Math.max(10_000, measured / 3);
        Topics warmup = Topics.withPrefix(run + "-warmup.");
        createTopics(stack, warmup);
        publishContext(stack, warmup);
        produce(stack, warmup, templates, events, 0, false);
        BenchCommand.say("warming up both apps on " + events + " events...");
        // The detectors run far more code than the pass-through app, so the JIT needs more of it (measured: after one
        // pass the detectors still got faster from round to round by half): each app drains the warm-up topic again
        // until its rate changes by less than 10 % from one pass to the next.
        warmUntilSteady("pass-through", pass -> passThrough(stack, warmup, stateDir.resolve("warmup-p" + pass), "-" + pass));
        warmUntilSteady("detectors", pass -> detectors(stack, warmup, stateDir.resolve("warmup-d" + pass),
                new SimpleMeterRegistry(), "-" + pass));
        events = measured;

        // Latency and memory: each component in its own JVM, at a steady rate.
        Topics latencyTopics = Topics.withPrefix(run + "-latency.");
        LatencyResult latency = latency(stack, latencyTopics, templates, stateDir);
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
        double[] quietRounds = new double[rounds];
        for (int round = 0; round < rounds; round++) {
            passRounds[round] = passThrough(stack, topics, stateDir.resolve("round-" + round), "-" + round);
            consumeRounds[round] = consumerPerformance(stack, topics, "-" + round);
            detectRounds[round] = detectors(stack, topics, stateDir.resolve("round-" + round), new SimpleMeterRegistry(),
                    "-" + round);
            quietRounds[round] = detectors(stack, topics, stateDir.resolve("round-q" + round), new SimpleMeterRegistry(),
                    "-q" + round, false);
            BenchCommand.say(String.format(Locale.ROOT, "round %d/%d: pass-through %,.0f, ConsumerPerformance %,.0f, "
                    + "detectors %,.0f (without per-rule telemetry %,.0f) events/s", round + 1, rounds, passRounds[round],
                    consumeRounds[round], detectRounds[round], quietRounds[round]));
        }
        double passThrough = median(passRounds);
        double consume = median(consumeRounds);
        double detect = median(detectRounds);
        double quiet = median(quietRounds);
        BenchCommand.say(String.format(Locale.ROOT, "detectors: %,.0f events/s", detect));

        dev.bulwark.cli.Backtest.Replay replay = "none".equals(rules) ? null : backtest(stack, topics, stateDir);

        List<String> sweepRows = sweep ? sweep(stack, run, templates, stateDir) : List.of();

        String conditions = String.format(Locale.ROOT, "%,d events, %d tenants, %s rules, %d thread%s, median of %d",
                events, tenants, BenchRules.label(rules), threads, threads == 1 ? "" : "s", rounds);
        summary.add("detectors", "detection topology vs. pass-through Streams app, " + conditions,
                Summary.perSecond(detect, "events"), Summary.perSecond(passThrough, "events") + " (pass-through)",
                detect / passThrough, Summary.atLeast(detect / passThrough, 0.5));
        summary.add("detectors", "detection topology with per-rule telemetry vs. without (its overhead: target "
                        + "under 2 %), " + conditions, Summary.perSecond(detect, "events"),
                Summary.perSecond(quiet, "events") + " (no per-rule telemetry)", detect / quiet,
                Summary.atLeast(detect / quiet, 0.98));
        summary.add("detectors", "detection topology vs. ConsumerPerformance (the broker's read limit), " + conditions,
                Summary.perSecond(detect, "events"), Summary.perSecond(consume, "records") + " (ConsumerPerformance)",
                detect / consume, "");
        if (replay != null) {
            summary.add("backtest", "bulwark rules backtest of the same events with the same Sigma rules, in its own "
                    + "application: replay vs. the live detection topology (every detector), " + conditions,
                    Summary.perSecond(replay.eventsPerSecond(), "events"), Summary.perSecond(detect, "events")
                            + " (live detectors)", replay.eventsPerSecond() / detect, "");
            summary.add("backtest", String.format(Locale.ROOT, "the same backtest counting the copy of the range "
                            + "(%.1f s) and the application's start (%.1f s)", replay.copyTime().toMillis() / 1000.0,
                    replay.startTime().toMillis() / 1000.0), Summary.perSecond(replay.overallEventsPerSecond(), "events"),
                    Summary.perSecond(detect, "events") + " (live detectors)", replay.overallEventsPerSecond() / detect,
                    "");
        }
        summary.add("end to end", String.format(Locale.ROOT, "produce → searchable finding, %d events/s for %d s, "
                + "%d findings, refresh %s: p50 / p99 / max", rate, latencySeconds, latency.findings(), refresh),
                String.format(Locale.ROOT, "%.0f / %.0f / %.0f ms", latency.p50(), latency.p99(), latency.max()),
                "Elasticsearch refresh 1 s", Double.NaN,
                latency.p99() < 2000 ? "p99 < 2 s: met" : "p99 < 2 s: **not met**");
        summary.add("end to end", "of which produce → finding on the findings topic (detection): p50 / p99",
                String.format(Locale.ROOT, "%.0f / %.0f ms", latency.detectP50(), latency.detectP99()));
        long[] toIncident = latency.toIncident();
        summary.add("end to end", String.format(Locale.ROOT, "produce → incident searchable (the incident document "
                        + "holds the event's finding), %,d attack events in incidents: p50 / p99 / max",
                        toIncident.length),
                toIncident.length == 0 ? "none" : String.format(Locale.ROOT, "%.0f / %.0f / %d ms",
                        percentile(toIncident, 0.50), percentile(toIncident, 0.99), toIncident[toIncident.length - 1]),
                "Elasticsearch refresh 1 s", Double.NaN, toIncident.length == 0 ? "no incident: **not measured**"
                        : percentile(toIncident, 0.99) < 2000 ? "p99 < 2 s: met" : "p99 < 2 s: **not met**");
        long[] toIncidentTopic = latency.toIncidentTopic();
        summary.add("end to end", "of which produce → incident on the incidents topic (detectors): p50 / p99",
                toIncidentTopic.length == 0 ? "none" : String.format(Locale.ROOT, "%.0f / %.0f ms",
                        percentile(toIncidentTopic, 0.50), percentile(toIncidentTopic, 0.99)));
        summary.add("end to end", "the sink's bulk requests to Elasticsearch (update+upsert): p50 / p99",
                String.format(Locale.ROOT, "%.0f / %.0f ms", latency.sinkBulkP50(), latency.sinkBulkP99()));
        for (ComponentProcess.Memory memory : latency.memory()) {
            summary.add("memory", memory.component() + " process (" + componentJvmOptions + ") at " + rate
                    + " events/s: heap in use peak / mean, RSS peak", String.format(Locale.ROOT, "%s / %s, %s",
                    Summary.megabytes(memory.peakHeapBytes()), Summary.megabytes(memory.meanHeapBytes()),
                    Summary.megabytes(memory.peakRssBytes())));
        }
        summary.add("memory", "detector state on disk after the latency phase (RocksDB and checkpoints)",
                String.format(Locale.ROOT, "%,d KB", latency.stateBytes() >> 10));

        System.out.println();
        System.out.println(String.format(Locale.ROOT, "Pipeline on the local stack, %d cores, Java %s; %d tenants x 2 namespaces x "
                + "%d pods, %.1f%% malicious, Sigma rules: %s", Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"), tenants, pods, malicious * 100, BenchRules.label(rules)));
        System.out.println();
        System.out.println(String.format(Locale.ROOT, "rounds: pass-through %s; ConsumerPerformance %s; detectors %s; "
                + "detectors without per-rule telemetry %s events/s", list(passRounds), list(consumeRounds),
                list(detectRounds), list(quietRounds)));
        System.out.println(String.format(Locale.ROOT, "latency phase: %,d raw records through the ingest receiver and %,d "
                + "events produced directly: %,d events sent, %,d decoded by the detectors process", latency.ingested(),
                latency.produced(), latency.sent(), (long) latency.detected()));
        System.out.println();
        summary.print(System.out);
        if (!sweepRows.isEmpty()) {
            System.out.println();
            System.out.println("| tenants | Sigma rules | detectors events/s | pass-through events/s | ratio |");
            System.out.println("|---:|---|---:|---:|---:|");
            sweepRows.forEach(System.out::println);
        }
        try (var paths = Files.walk(stateDir)) {
            for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
        return 0;
    }

    /**
     * {@code bulwark rules backtest} over the preloaded events with the benchmark's Sigma rules as candidates, as an
     * operator runs it: the range copied to scratch topics, then replayed in an application of its own.
     */
    private dev.bulwark.cli.Backtest.Replay backtest(LocalStack stack, Topics topics, Path stateDir) throws Exception {
        dev.bulwark.cli.BulwarkConfig config = dev.bulwark.cli.BulwarkConfig.load(null, Map.of(
                "BULWARK_KAFKA_BOOTSTRAP", stack.kafkaBootstrap(), "BULWARK_TOPIC_PREFIX", topics.prefix()));
        config.detection.applicationId = topics.prefix() + "detectors";
        Path dir = Files.createDirectories(stateDir.resolve("backtest-rules"));
        if (Files.isDirectory(Path.of(rules))) {
            dir = Path.of(rules); // a rule folder of the user's: its applicable files are the candidates
        } else {
            Map<String, String> files = "all".equals(rules) ? dev.bulwark.sigma.RuleSource.bundledTexts()
                    : BenchRules.files(rules);
            int n = 0;
            for (String text : files.values()) {
                Files.writeString(dir.resolve("rule-" + n++ + ".yml"), text);
            }
        }
        var engine = dev.bulwark.sigma.SigmaEngine.create();
        var candidates = dev.bulwark.sigma.RuleDirectory.validate(engine, dir, dev.bulwark.sigma.ParsedRules.empty())
                .records();
        BenchCommand.say("backtest: " + candidates.size() + " rule file(s) over the preloaded " + events + " events...");
        var backtest = new dev.bulwark.cli.Backtest(config, "bench" + Long.toHexString(System.nanoTime() & 0xffffff),
                threads, line -> BenchCommand.say("backtest: " + line));
        var result = backtest.run(candidates, Instant.now().minus(Duration.ofDays(1)), Instant.now(),
                Files.createDirectories(stateDir.resolve("backtest-state")));
        BenchCommand.say(String.format(Locale.ROOT, "backtest: %,d events at %,.0f events/s, %,d finding records",
                result.replay().events(), result.replay().eventsPerSecond(), result.findings().size()));
        return result.replay();
    }

    /** One pass of an app over a preloaded topic; returns its events/s. */
    @FunctionalInterface
    private interface Pass {
        double run(int pass) throws Exception;
    }

    private void warmUntilSteady(String app, Pass pass) throws Exception {
        int maxPasses = quick ? 1 : 6;
        double previous = pass.run(1);
        for (int n = 2; n <= maxPasses; n++) {
            double rate = pass.run(n);
            BenchCommand.say(String.format(Locale.ROOT, "warm-up %s pass %d: %,.0f events/s (previous %,.0f)", app, n, rate,
                    previous));
            if (Math.abs(rate - previous) < 0.10 * previous) {
                return;
            }
            previous = rate;
        }
    }

    private static String list(double[] values) {
        StringBuilder out = new StringBuilder();
        for (double value : values) {
            out.append(out.length() == 0 ? "" : " / ").append(String.format(Locale.ROOT, "%,.0f", value));
        }
        return out.toString();
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
        String pod = "pod-" + (i / (tenants * 2L) % pods);
        boolean attack = malicious > 0 && (i % Math.max(1, Math.round(1 / malicious))) == 0;
        SecurityEvent.Builder event = SecurityEvent.newBuilder(template)
                .setId(run + "-" + i)
                .setTimestamp(System.currentTimeMillis() * 1_000_000L)
                .setKubernetes(KubernetesInfo.newBuilder().setNamespace(namespace).setPod(pod).build())
                .setContainer(ContainerInfo.newBuilder(template.getContainer() == null ? ContainerInfo.newBuilder().build()
                        : template.getContainer()).setId(attack ? "attack-" + run + "-" + i : "c-" + namespace + "-" + pod).build());
        if (template.getKubernetesAudit() != null && template.getKubernetesAudit().getObjectNamespace() != null) {
            // audited requests on namespaced objects concern the tenant's namespace too
            event.setKubernetesAudit(dev.bulwark.schemas.KubernetesAudit.newBuilder(template.getKubernetesAudit())
                    .setObjectNamespace(namespace).build());
        }
        if (attack) {
            event.setKubernetesAudit(null).setLog(null)
                    // A shell the application spawned (remote code execution), not a kubectl exec: its parent is
                    // the app's process, so it never waits for an exec session's audit event (docs/sessions.md).
                    .setProcess(dev.bulwark.schemas.ProcessInfo.newBuilder().setName("sh").setExecutable("/bin/sh")
                            .setCommandLine("sh -i").setInteractive(true).setTty(34816L)
                            .setParent(dev.bulwark.schemas.ParentProcess.newBuilder().setName("node")
                                    .setExecutable("/usr/local/bin/node").build()).build());
        }
        return event.build();
    }

    private void produce(LocalStack stack, Topics topics, List<SecurityEvent> templates, long count, int perSecond,
                         boolean trackAttacks) throws InterruptedException {
        // Unique per call: a later phase's events and attacks never repeat an earlier phase's ids or containers.
        String run = topics.prefix() + Long.toString(System.nanoTime(), 36);
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
        Properties props = DetectionTopology.streamsConfig(topics, stack.kafkaBootstrap(), topics.prefix() + "passthrough" + suffix,
                stateDir.resolve("passthrough").toString(), false);
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, threads);
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

    private Map<String, Map<String, String>> detectorConfig() throws java.io.IOException {
        Map<String, Map<String, String>> config = new HashMap<>();
        config.put("sigma", BenchRules.sigmaSettings(rules, ruleDir));
        return config;
    }

    private double detectors(LocalStack stack, Topics topics, Path stateDir, SimpleMeterRegistry registry) throws Exception {
        return detectors(stack, topics, stateDir, registry, "");
    }

    private double detectors(LocalStack stack, Topics topics, Path stateDir, SimpleMeterRegistry registry, String suffix)
            throws Exception {
        return detectors(stack, topics, stateDir, registry, suffix, true);
    }

    /** @param telemetry with per-rule telemetry (the default), or without (its overhead is the difference) */
    private double detectors(LocalStack stack, Topics topics, Path stateDir, SimpleMeterRegistry registry, String suffix,
                             boolean telemetry) throws Exception {
        var topology = DetectionTopology.build(topics, Detectors.discover(), TenantResolver.none(), detectorConfig(),
                registry, DetectionTopology.EnrichmentSettings.DEFAULTS, DetectionTopology.PostureSettings.DEFAULTS,
                new dev.bulwark.detection.RuleTelemetryRegistry(registry,
                        telemetry ? dev.bulwark.detection.RuleTelemetryRegistry.DEFAULT_MAX_RULES : 0));
        Properties props = DetectionTopology.streamsConfig(topics, stack.kafkaBootstrap(), topics.prefix() + "detectors" + suffix,
                stateDir.resolve("detectors").toString(), false);
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, threads);
        try (KafkaStreams streams = new KafkaStreams(topology, props)) {
            var decoded = registry.counter("bulwark.detect.events.in");
            streams.start();
            return drainRate(decoded::count);
        }
    }

    /**
     * Detector and pass-through events/s with 1, all shipped, 100 and 1000 Sigma rules (at the configured tenants), and
     * with 1, 10 and 100 tenants (with all shipped rules): each cell on its own preloaded topic.
     */
    private List<String> sweep(LocalStack stack, String run, List<SecurityEvent> templates, Path stateDir) throws Exception {
        List<String[]> cells = new ArrayList<>();
        for (String r : new String[] {"1", "all", "100", "1000"}) {
            cells.add(new String[] {Integer.toString(tenants), r});
        }
        for (int t : new int[] {1, 10, 100}) {
            if (t != tenants) {
                cells.add(new String[] {Integer.toString(t), "all"});
            }
        }
        List<String> rows = new ArrayList<>();
        int savedTenants = tenants;
        String savedRules = rules;
        try {
            int cell = 0;
            for (String[] c : cells) {
                tenants = Integer.parseInt(c[0]);
                rules = c[1];
                BenchCommand.say(String.format(Locale.ROOT, "sweep %d/%d: %d tenants, %s rules...", ++cell, cells.size(),
                        tenants, BenchRules.label(rules)));
                Topics topics = Topics.withPrefix(run + "-t" + tenants + "-r" + rules + ".");
                createTopics(stack, topics);
                publishContext(stack, topics);
                produce(stack, topics, templates, events, 0, false);
                double pass = passThrough(stack, topics, stateDir.resolve(topics.prefix()));
                double detect = detectors(stack, topics, stateDir.resolve(topics.prefix()), new SimpleMeterRegistry());
                String row = String.format(Locale.ROOT, "| %d | %s | %,.0f | %,.0f | %.2f |", tenants, BenchRules.label(rules),
                        detect, pass, detect / pass);
                BenchCommand.say("sweep " + row);
                rows.add(row);
                summary.add("detectors (sweep)", String.format(Locale.ROOT, "%,d events, %d tenants, %s rules, single run",
                        events, tenants, BenchRules.label(rules)), Summary.perSecond(detect, "events"),
                        Summary.perSecond(pass, "events") + " (pass-through)", detect / pass, "");
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

    /** What the latency phase measured. */
    record LatencyResult(double p50, double p99, double max, long findings, List<ComponentProcess.Memory> memory,
                         long stateBytes, long ingested, long produced, long sent, double detected, double detectP50,
                         double detectP99, double sinkBulkP50, double sinkBulkP99, long[] toIncident,
                         long[] toIncidentTopic) {
    }

    /**
     * Runs the ingest receiver, the detectors and the sink each in its own JVM, sends {@code rate} events/s for
     * {@code latencySeconds} (a share as raw records through the receiver, the rest produced as tenant-placed events
     * with the attacks), and measures for every attack the time from producing it to its finding being returned by a
     * search, and each process's memory.
     */
    private LatencyResult latency(LocalStack stack, Topics topics, List<SecurityEvent> templates, Path stateDir) throws Exception {
        createTopics(stack, topics);
        publishContext(stack, topics);
        Path dir = Files.createDirectories(stateDir.resolve("latency"));
        String indexPrefix = topics.prefix().replace(".", "") + "-findings";
        String applicationId = topics.prefix() + "latency";
        Path configFile = dir.resolve("bulwark.yaml");
        Map<String, Object> detection = new java.util.LinkedHashMap<>();
        detection.put("applicationId", applicationId);
        detection.put("streamThreads", threads);
        detection.put("detectors", detectorConfig());
        detection.putAll(detectionSettings);
        new com.fasterxml.jackson.databind.ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory())
                .writeValue(configFile.toFile(), Map.of("detection", detection));
        int ingestPort = ComponentProcess.freePort();
        Map<String, String> environment = new HashMap<>(Map.of(
                "BULWARK_KAFKA_BOOTSTRAP", stack.kafkaBootstrap(), "BULWARK_ES_URL", stack.elasticsearchUrl(),
                "BULWARK_TOPIC_PREFIX", topics.prefix(), "BULWARK_INDEX_PREFIX", indexPrefix,
                "BULWARK_API_PORT", "0", "BULWARK_INGEST_PORT", Integer.toString(ingestPort),
                "BULWARK_HOME", dir.resolve("home").toString(), "BULWARK_CONFIG", configFile.toString()));
        environment.put("BULWARK_ES_REFRESH", refresh);
        Path cliJar = stack.repoRoot().resolve("cli/target/bulwark.jar");
        List<String> jvm = componentJvmOptions.isBlank() ? List.of() : List.of(componentJvmOptions.strip().split("\\s+"));
        ElasticsearchClient client = ElasticsearchClients.create(stack.elasticsearchUrl());
        FindingIndex index = new FindingIndex(indexPrefix);
        Map<String, Long> searchableAt = new ConcurrentHashMap<>();
        // When each finding is first seen in an incident document (the incident index is searchable).
        String incidentIndex = dev.bulwark.sink.IncidentIndex.forFindings(index).prefix();
        Map<String, Long> inIncidentAt = new ConcurrentHashMap<>();
        List<ComponentProcess> components = new ArrayList<>();
        long[] ingested = {0};
        int warmupSeconds = quick ? 5 : Math.max(10, latencySeconds);
        int producedRate = (int) Math.round(rate * (1 - ingestShare));
        long sent = 0;
        List<ComponentProcess.Memory> memory = new ArrayList<>();
        double detected = Double.NaN;
        double sinkBulkP50 = Double.NaN;
        double sinkBulkP99 = Double.NaN;
        try {
            BenchCommand.say("latency: starting the ingest receiver, the detectors and the sink, each in its own JVM...");
            components.add(ComponentProcess.start("ingest", cliJar, jvm, environment, dir, "ingest", "serve"));
            components.add(ComponentProcess.start("detectors", cliJar, jvm, environment, dir, "run", "--components", "detectors"));
            components.add(ComponentProcess.start("sink", cliJar, jvm, environment, dir, "run", "--components", "sink"));
            for (ComponentProcess component : components) {
                component.awaitLog("press Ctrl-C", Duration.ofSeconds(120));
            }
            awaitStableGroups(stack, List.of(applicationId, applicationId + "-sink"));
            int ingestRate = rate - producedRate;
            String receiver = "http://127.0.0.1:" + ingestPort;
            // The same load untracked first: the components' JITs warm up as they would in a long-running deployment.
            BenchCommand.say(String.format(Locale.ROOT, "latency: warming the components up at %d events/s for %d s...",
                    rate, warmupSeconds));
            Thread warmProducer = new Thread(() -> {
                try {
                    produce(stack, topics, templates, (long) producedRate * warmupSeconds, producedRate, false);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "bench-warmup-producer");
            warmProducer.start();
            ingested[0] += postRaw(receiver, ingestRate, warmupSeconds);
            warmProducer.join();
            Thread.sleep(2000);
            BenchCommand.say(String.format(Locale.ROOT, "latency: %d events/s for %d s (%.0f%% as raw records through the "
                    + "ingest receiver)...", rate, latencySeconds, ingestShare * 100));
            Thread producerThread = new Thread(() -> {
                try {
                    if (producedRate > 0) {
                        produce(stack, topics, templates, (long) producedRate * latencySeconds, producedRate, true);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "bench-producer");
            Thread ingestThread = new Thread(() -> ingested[0] += postRaw(receiver, ingestRate, latencySeconds),
                    "bench-ingest-client");
            Instant since = Instant.now().minusSeconds(60);
            // Where the time goes: when each attack's finding reaches the findings topic (detection), apart from when it
            // becomes searchable (sink, Elasticsearch refresh).
            java.util.concurrent.atomic.AtomicBoolean watching = new java.util.concurrent.atomic.AtomicBoolean(true);
            Thread findingsWatcher = new Thread(() -> watchFindings(stack, topics, watching), "bench-findings-watcher");
            findingsWatcher.start();
            Thread incidentsWatcher = new Thread(() -> watchIncidents(stack, topics, watching), "bench-incidents-watcher");
            incidentsWatcher.start();
            producerThread.start();
            ingestThread.start();
            long deadline = System.currentTimeMillis() + (latencySeconds + 60) * 1000L;
            long nextSample = 0;
            long allSearchableAt = 0;
            while (System.currentTimeMillis() < deadline) {
                if (System.currentTimeMillis() >= nextSample) {
                    components.forEach(ComponentProcess::sample);
                    nextSample = System.currentTimeMillis() + 1000;
                }
                try {
                    for (FindingDocument doc : new FindingSearch(null, null,
                            dev.bulwark.detectors.container.InteractiveShellInContainerDetector.RULE_ID, since, null, 1000)
                            .run(client, index)) {
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
                long incidentsSeen = inIncidentAt.size();
                pollIncidents(client, incidentIndex, inIncidentAt);
                boolean allSearchable = searchableAt.size() >= producedAt.size();
                if (allSearchable && allSearchableAt == 0) {
                    allSearchableAt = System.currentTimeMillis();
                }
                // Once every attack's finding is searchable, the incidents get 3 s more to take in the last of them.
                if (!producerThread.isAlive() && !ingestThread.isAlive() && allSearchable
                        && inIncidentAt.size() == incidentsSeen && System.currentTimeMillis() - allSearchableAt > 3_000) {
                    break;
                }
                Thread.sleep(100);
            }
            producerThread.join();
            ingestThread.join();
            watching.set(false);
            findingsWatcher.join();
            incidentsWatcher.join();
            components.forEach(ComponentProcess::sample);
            // Every event sent must reach the detectors (the raw records of unknown namespaces may still be waiting
            // for their context when the last attack's finding is searchable).
            ComponentProcess detectorsProcess = components.get(1);
            sent = (long) components.get(0).metric("bulwark_ingest_events_out_total")
                    + (long) producedRate * (latencySeconds + warmupSeconds);
            long drainDeadline = System.currentTimeMillis() + 30_000;
            while (detectorsProcess.metric("bulwark_detect_events_in_total") < sent
                    && System.currentTimeMillis() < drainDeadline) {
                Thread.sleep(200);
            }
        } finally {
            for (ComponentProcess component : components) {
                memory.add(component.memory());
                if (component.name().equals("detectors")) {
                    detected = component.metric("bulwark_detect_events_in_total");
                }
                if (component.name().equals("sink")) {
                    sinkBulkP50 = component.metricLine("bulwark_sink_bulk_latency_seconds{quantile=\"0.5\"") * 1000;
                    sinkBulkP99 = component.metricLine("bulwark_sink_bulk_latency_seconds{quantile=\"0.99\"") * 1000;
                }
            }
            for (ComponentProcess component : components) {
                component.close();
            }
            index.deleteAll(client); // the indices and the template the sink installed
            for (String sibling : List.of(incidentIndex, dev.bulwark.sink.EntityIndex.forFindings(index).prefix())) {
                client.indices().delete(d -> d.index(sibling).ignoreUnavailable(true).allowNoIndices(true));
            }
            client._transport().close();
        }
        long stateBytes = size(dir.resolve("home"));
        long[] latencies = searchableAt.entrySet().stream().mapToLong(e -> e.getValue() - producedAt.get(e.getKey())).sorted().toArray();
        long[] toTopic = detectedAt.entrySet().stream().filter(e -> producedAt.containsKey(e.getKey()))
                .mapToLong(e -> e.getValue() - producedAt.get(e.getKey())).sorted().toArray();
        double detectP50 = toTopic.length == 0 ? Double.NaN : percentile(toTopic, 0.50);
        double detectP99 = toTopic.length == 0 ? Double.NaN : percentile(toTopic, 0.99);
        if (latencies.length < producedAt.size()) {
            BenchCommand.say("WARNING: " + (producedAt.size() - latencies.length) + " of " + producedAt.size()
                    + " attack findings were not searchable within 60 s after producing stopped");
        }
        long produced = (long) producedRate * (latencySeconds + warmupSeconds);
        // Event → incident: each attack event whose finding joined an incident, from producing it to the incident
        // document holding that finding being searchable.
        long[] toIncident = sinceProduced(inIncidentAt);
        long[] toIncidentTopic = sinceProduced(onIncidentTopicAt);
        if (latencies.length == 0) {
            return new LatencyResult(Double.NaN, Double.NaN, Double.NaN, 0, memory, stateBytes, ingested[0], produced, sent,
                    detected, detectP50, detectP99, sinkBulkP50, sinkBulkP99, toIncident, toIncidentTopic);
        }
        return new LatencyResult(percentile(latencies, 0.50), percentile(latencies, 0.99), latencies[latencies.length - 1],
                latencies.length, memory, stateBytes, ingested[0], produced, sent, detected, detectP50, detectP99,
                sinkBulkP50, sinkBulkP99, toIncident, toIncidentTopic);
    }

    private final Map<String, Long> detectedAt = new ConcurrentHashMap<>();
    /** The events of each finding seen on the findings topic (an attack's finding may fold several). */
    private final Map<String, List<String>> findingEvents = new ConcurrentHashMap<>();

    private final Map<String, Long> onIncidentTopicAt = new ConcurrentHashMap<>();

    /** Records when each finding first appears in an incident on the incidents topic, until {@code watching} is false. */
    private void watchIncidents(LocalStack stack, Topics topics, java.util.concurrent.atomic.AtomicBoolean watching) {
        watch(stack, topics.incidents(), topics.prefix() + "bench-incidents-watcher", watching, (incident, now) ->
                incident.getTimeline().forEach(f -> onIncidentTopicAt.putIfAbsent(f.getFindingId(), now)));
    }

    /** For each finding seen at a time, the time from producing each of its attack events to then, sorted. */
    private long[] sinceProduced(Map<String, Long> findingAt) {
        List<Long> latencies = new ArrayList<>();
        findingAt.forEach((finding, at) -> {
            for (String event : findingEvents.getOrDefault(finding, List.of())) {
                Long producedTime = producedAt.get(event);
                if (producedTime != null) {
                    latencies.add(at - producedTime);
                }
            }
        });
        return latencies.stream().mapToLong(Long::longValue).sorted().toArray();
    }

    /** Reads {@code topic} from its end in a group of its own, handing each value and its arrival time on. */
    private static <T> void watch(LocalStack stack, dev.bulwark.schemas.Topic<String, T> topic, String group,
                                  java.util.concurrent.atomic.AtomicBoolean watching,
                                  java.util.function.ObjLongConsumer<T> each) {
        Map<String, Object> config = Map.of(
                org.apache.kafka.clients.consumer.ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap(),
                org.apache.kafka.clients.consumer.ConsumerConfig.GROUP_ID_CONFIG, group,
                org.apache.kafka.clients.consumer.ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        try (var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<>(config,
                new org.apache.kafka.common.serialization.StringDeserializer(),
                new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic.name()));
            while (watching.get()) {
                for (var record : consumer.poll(Duration.ofMillis(50))) {
                    long now = System.currentTimeMillis();
                    each.accept(topic.valueSerde().deserializer().deserialize(record.topic(), record.value()), now);
                }
            }
        }
    }

    /** Records when each finding is first seen in a document of the incident index (absent until the first incident). */
    @SuppressWarnings("unchecked")
    private static void pollIncidents(ElasticsearchClient client, String incidentIndex, Map<String, Long> inIncidentAt) {
        try {
            var response = client.search(s -> s.index(incidentIndex).ignoreUnavailable(true).allowNoIndices(true)
                    .size(1000).source(src -> src.filter(f -> f.includes("timeline.finding_id"))), Map.class);
            long now = System.currentTimeMillis();
            for (var hit : response.hits().hits()) {
                Object timeline = hit.source() == null ? null : hit.source().get("timeline");
                if (timeline instanceof List<?> entries) {
                    for (Object entry : entries) {
                        if (entry instanceof Map<?, ?> map && map.get("finding_id") != null) {
                            inIncidentAt.putIfAbsent(String.valueOf(map.get("finding_id")), now);
                        }
                    }
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            // no incident yet
        }
    }

    /** Records when each event's finding arrives on the findings topic, until {@code watching} turns false. */
    private void watchFindings(LocalStack stack, Topics topics, java.util.concurrent.atomic.AtomicBoolean watching) {
        watch(stack, topics.findings(), topics.prefix() + "bench-findings-watcher", watching, (finding, now) -> {
            for (String id : finding.getEvidence().getEventIds()) {
                detectedAt.putIfAbsent(id, now);
            }
            findingEvents.merge(finding.getId(), List.copyOf(finding.getEvidence().getEventIds()),
                    (a, b) -> java.util.stream.Stream.concat(a.stream(), b.stream()).distinct().toList());
        });
    }


    /** Waits until each consumer group has members and is stable (the component has joined and got its partitions). */
    private static void awaitStableGroups(LocalStack stack, List<String> groups) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap()))) {
            long deadline = System.currentTimeMillis() + 120_000;
            while (System.currentTimeMillis() < deadline) {
                var descriptions = admin.describeConsumerGroups(groups).all().get();
                boolean stable = descriptions.values().stream().allMatch(d ->
                        d.groupState() == org.apache.kafka.common.GroupState.STABLE && !d.members().isEmpty());
                if (stable) {
                    return;
                }
                Thread.sleep(200);
            }
            throw new IllegalStateException("consumer groups " + groups + " did not become stable within 120 s");
        }
    }

    /**
     * Sends the bundled raw Tetragon, Kubernetes audit and CRI records to the ingest receiver at {@code perSecond}
     * records/s in batches of a tenth of a second, as a Falcosidekick-style client would; returns the records accepted.
     */
    private long postRaw(String receiver, int perSecond, int seconds) {
        if (perSecond <= 0) {
            return 0;
        }
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        Map<String, List<byte[]>> raw = new java.util.LinkedHashMap<>();
        try {
            for (String format : List.of("tetragon", "k8s-audit", "cri")) {
                raw.put(format, Workloads.records(format));
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        List<String> formats = List.copyOf(raw.keySet());
        long accepted = 0;
        long start = System.nanoTime();
        int batches = seconds * 10;
        int perBatch = Math.max(1, perSecond / 10);
        for (int batch = 0; batch < batches; batch++) {
            long due = start + batch * 100_000_000L;
            long wait = due - System.nanoTime();
            try {
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
                String format = formats.get(batch % formats.size());
                List<byte[]> records = raw.get(format);
                java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
                for (int i = 0; i < perBatch; i++) {
                    body.write(records.get((batch * perBatch + i) % records.size()));
                    body.write('\n');
                }
                var response = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(receiver + "/v1/ingest/" + format))
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build(),
                        java.net.http.HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() != 200) {
                    throw new IllegalStateException("the ingest receiver answered " + response.statusCode() + " to a "
                            + format + " batch");
                }
                accepted += perBatch;
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return accepted;
            }
        }
        return accepted;
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
}
