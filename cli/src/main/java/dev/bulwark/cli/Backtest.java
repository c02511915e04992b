package dev.bulwark.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;

import dev.bulwark.detection.DeadLetterHandlers;
import dev.bulwark.detection.DetectionTopology;
import dev.bulwark.detection.Detectors;
import dev.bulwark.detection.TenantResolver;
import dev.bulwark.detectors.api.Detector;
import dev.bulwark.schemas.ContextChange;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.TenantContext;
import dev.bulwark.schemas.TopicAdmin;
import dev.bulwark.schemas.Topics;
import dev.bulwark.sigma.RuleDirectory;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * Replays the retained events topic through candidate Sigma rules in an isolated Kafka Streams application, and
 * reports what the rules would have found ({@code bulwark rules backtest}).
 *
 * <p>How, and why this way:
 * <ol>
 * <li>The events whose records reached Kafka in {@code [from, to)} are copied, partition by partition with their
 * keys, headers and timestamps, to scratch topics under {@code <topicPrefix>backtest.<id>.}. Copying fixes the range
 * exactly (a Streams application cannot stop at an offset) and keeps each partition's order, so stream time, and
 * with it folding and correlation windows, runs as it ran live.</li>
 * <li>The tenant context as of {@code from} (today's context with every change recorded since undone, see
 * {@link ContextReplay}) and each change within the range, at its own time, go to every partition of the scratch
 * context topic; each task keeps its own tenant directory from it, read in timestamp order with its events, so each
 * event meets the context as of the time it reached Kafka, as the live detectors did. The live per-tenant overrides
 * are copied too, and the candidate rules go to the scratch rules topic.</li>
 * <li>The detection topology is the live one ({@link DetectionTopology}) with the Sigma detector alone, its field
 * mapping, folding and correlation settings as configured, but none of the shipped or configured rule files: only the
 * candidates run. The application id is {@code <detection.applicationId>-backtest-<id>}, so it shares no consumer
 * group, state or internal topic with the live detectors.</li>
 * <li>Its findings land on the scratch findings topic, never on the live one nor in Elasticsearch; the report is read
 * from there. Then every scratch and internal topic, the consumer group and the local state are deleted, also when
 * the run fails or is interrupted.</li>
 * </ol>
 */
public final class Backtest {

    /** The first findings of each rule the report shows. */
    static final int EXAMPLES = 3;

    private final BulwarkConfig config;
    private final KafkaClients kafka;
    private final Topics live;
    private final Topics scratch;
    private final String applicationId;
    private final Consumer<String> progress;
    private final int threads;

    /** What the replay measured, besides the findings. */
    public record Replay(Instant from, Instant to, long events, long deadLettered, long contextRecords,
                         long contextChanges, long contextUnreadable, Duration copyTime, Duration startTime, Duration drainTime) {

        /**
         * Events per second of detection, from the first event processed to the last: the copy and the application's
         * start (its stores restored) are not counted, as the live detectors' rate counts neither.
         */
        public double eventsPerSecond() {
            double seconds = Math.max(drainTime.toNanos(), 1) / 1e9;
            return events / seconds;
        }

        /** Events per second of the whole run: copy, start and detection. */
        public double overallEventsPerSecond() {
            double seconds = Math.max(copyTime.plus(startTime).plus(drainTime).toNanos(), 1) / 1e9;
            return events / seconds;
        }
    }

    public Backtest(BulwarkConfig config, String id, int threads, Consumer<String> progress) {
        if (!id.matches("[a-z0-9]{1,16}")) {
            throw new IllegalArgumentException("backtest id must be 1-16 lower-case letters or digits: " + id);
        }
        this.config = config;
        this.kafka = new KafkaClients(config).as(KafkaSecurity.Component.RULES);
        this.live = Topics.withPrefix(config.kafka.topicPrefix);
        this.scratch = Topics.withPrefix(scratchPrefix(config, id));
        this.applicationId = applicationPrefix(config) + id;
        this.threads = threads;
        this.progress = progress;
    }

    /** Every backtest's scratch topics start with this. */
    static String scratchPrefix(BulwarkConfig config) {
        return config.kafka.topicPrefix + "backtest.";
    }

    private static String scratchPrefix(BulwarkConfig config, String id) {
        return scratchPrefix(config) + id + ".";
    }

    /** Every backtest's application id (consumer group, internal topics) starts with this. */
    static String applicationPrefix(BulwarkConfig config) {
        return config.detection.applicationId + "-backtest-";
    }

    Topics scratchTopics() {
        return scratch;
    }

    String applicationId() {
        return applicationId;
    }

    /**
     * Runs the candidates over the events of {@code [from, to)} and returns the findings they produced (every emission,
     * as the scratch findings topic holds them) with what the replay measured. Cleans up before it returns or throws.
     */
    public Result run(List<RuleDirectory.RuleRecord> candidates, Instant from, Instant to, Path stateDir)
            throws InterruptedException, IOException {
        Thread cleanupOnExit = new Thread(this::cleanUpQuietly, "bulwark-backtest-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanupOnExit);
        try (Admin admin = kafka.admin()) {
            int partitions = partitions(admin, live.events().name());
            TopicAdmin.ensureTopics(admin, scratch, partitions, config.kafka.replicationFactor);
            long started = System.nanoTime();
            Map<TopicPartition, long[]> ranges = ranges(admin, partitions, from, to);
            long events = copyEvents(ranges);
            long[] context = copyContext(admin, partitions, from, to);
            copyOverrides();
            publish(candidates);
            Duration copyTime = Duration.ofNanos(System.nanoTime() - started);
            progress.accept("replaying " + events + " event(s) through " + candidates.size() + " rule record(s) in "
                    + applicationId);
            long[] times = new long[3];
            long deadLettered = detect(admin, events, stateDir, times);
            List<Finding> findings = readFindings();
            return new Result(findings, new Replay(from, to, events, deadLettered, context[0], context[1], context[2], copyTime,
                    Duration.ofNanos(times[1] - times[0]), Duration.ofNanos(times[2] - times[1])));
        } finally {
            cleanUpQuietly();
            try {
                Runtime.getRuntime().removeShutdownHook(cleanupOnExit);
            } catch (IllegalStateException e) {
                // the JVM is shutting down: the hook runs (and finds nothing left to do)
            }
        }
    }

    /** The findings of a replay and its measurements. */
    public record Result(List<Finding> findings, Replay replay) {
    }

    private static int partitions(Admin admin, String topic) throws InterruptedException {
        try {
            return admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic)
                    .partitions().size();
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot describe " + topic + ": " + reason(e) + " (does it exist? ingest "
                    + "some events first, or check the kafka.* settings)", e);
        }
    }

    /** Per events partition, the offsets {@code [start, end)} of the records stamped within {@code [from, to)}. */
    private Map<TopicPartition, long[]> ranges(Admin admin, int partitions, Instant from, Instant to)
            throws InterruptedException {
        try {
            Map<TopicPartition, OffsetSpec> starts = new HashMap<>();
            Map<TopicPartition, OffsetSpec> ends = new HashMap<>();
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (int p = 0; p < partitions; p++) {
                TopicPartition partition = new TopicPartition(live.events().name(), p);
                starts.put(partition, OffsetSpec.forTimestamp(from.toEpochMilli()));
                ends.put(partition, OffsetSpec.forTimestamp(to.toEpochMilli()));
                latest.put(partition, OffsetSpec.latest());
            }
            var startOffsets = admin.listOffsets(starts).all().get(30, TimeUnit.SECONDS);
            var endOffsets = admin.listOffsets(ends).all().get(30, TimeUnit.SECONDS);
            var latestOffsets = admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS);
            Map<TopicPartition, long[]> ranges = new LinkedHashMap<>();
            for (TopicPartition partition : starts.keySet()) {
                long last = latestOffsets.get(partition).offset();
                long start = offsetOr(startOffsets.get(partition), last);
                long end = offsetOr(endOffsets.get(partition), last);
                ranges.put(partition, new long[] {start, Math.max(start, end)});
            }
            return ranges;
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot look up the offsets of " + live.events().name() + ": " + reason(e), e);
        }
    }

    /** A looked-up offset, or {@code fallback} when no record is that late (Kafka answers -1). */
    private static long offsetOr(ListOffsetsResult.ListOffsetsResultInfo info, long fallback) {
        return info == null || info.offset() < 0 ? fallback : info.offset();
    }

    /** Copies each partition's range to the same partition of the scratch events topic; returns how many records. */
    private long copyEvents(Map<TopicPartition, long[]> ranges) throws InterruptedException {
        long total = ranges.values().stream().mapToLong(r -> r[1] - r[0]).sum();
        Meter meter = new Meter("copying events", total, progress);
        long copied = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(kafka.reader(), new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(kafka.producer("bulwark-backtest"),
                     new ByteArraySerializer(), new ByteArraySerializer())) {
            List<TopicPartition> pending = new ArrayList<>();
            ranges.forEach((partition, range) -> {
                if (range[1] > range[0]) {
                    pending.add(partition);
                }
            });
            consumer.assign(pending);
            pending.forEach(p -> consumer.seek(p, ranges.get(p)[0]));
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            while (!pending.isEmpty()) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    TopicPartition partition = new TopicPartition(record.topic(), record.partition());
                    if (record.offset() >= ranges.get(partition)[1]) {
                        continue;
                    }
                    sent.add(producer.send(new ProducerRecord<>(scratch.events().name(), record.partition(),
                            record.timestamp(), record.key(), record.value(), record.headers())));
                    copied++;
                    meter.add(1);
                }
                List<TopicPartition> finished = pending.stream()
                        .filter(p -> consumer.position(p) >= ranges.get(p)[1]).toList();
                consumer.pause(finished); // nothing past the range is read
                pending.removeAll(finished);
                if (sent.size() > 10_000) {
                    await(sent);
                }
            }
            await(sent);
        }
        meter.done();
        return copied;
    }

    /**
     * Writes the tenant context as of {@code from}, then each change within the range at its own time, to every
     * partition of the scratch context topic ({@link ContextReplay}). Each task of the application keeps its own tenant
     * directory from its partition and reads it in timestamp order with its events, so every event meets the context
     * as of its own time. Returns {objects as of {@code from}, changes within the range, records unreadable (left out:
     * the live detectors dead-lettered them too)}.
     */
    private long[] copyContext(Admin admin, int partitions, Instant from, Instant to) throws InterruptedException {
        var contextSerde = live.context().valueSerde();
        long[] unreadable = new long[1];
        Map<String, TenantContext> current = new LinkedHashMap<>();
        readAll(live.context().name(), record -> {
            if (record.key() == null) {
                unreadable[0]++;
            } else if (record.value() == null) {
                current.remove(record.key());
            } else {
                try {
                    current.put(record.key(), contextSerde.deserializer().deserialize(record.topic(), record.value()));
                } catch (RuntimeException e) {
                    unreadable[0]++; // the live directory kept the previous version, as this does
                }
            }
        });
        var changeDecoder = live.contextHistory().valueSerde().deserializer();
        List<ContextReplay.Change> history = new ArrayList<>();
        readAll(live.contextHistory().name(), record -> {
            try {
                ContextChange change = record.value() == null ? null
                        : changeDecoder.deserialize(record.topic(), record.value());
                if (change != null) {
                    history.add(new ContextReplay.Change(change.getKey(), change.getBefore(), change.getAfter(),
                            record.timestamp()));
                }
            } catch (RuntimeException e) {
                unreadable[0]++;
            }
        });
        warnIfTheHistoryIsShort(admin, history, from);
        ContextReplay.Plan plan = ContextReplay.plan(current, history, from.toEpochMilli(), to.toEpochMilli());
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        long before = Math.max(0, from.toEpochMilli() - 1);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(kafka.producer("bulwark-backtest"),
                new StringSerializer(), new ByteArraySerializer())) {
            var encoder = contextSerde.serializer();
            String topic = scratch.context().name();
            for (int p = 0; p < partitions; p++) {
                for (var object : plan.start().entrySet()) {
                    sent.add(producer.send(new ProducerRecord<>(topic, p, before, object.getKey(),
                            encoder.serialize(topic, object.getValue()))));
                }
                for (ContextReplay.Change change : plan.changes()) {
                    sent.add(producer.send(new ProducerRecord<>(topic, p, change.at(), change.key(),
                            change.after() == null ? null : encoder.serialize(topic, change.after()))));
                }
                if (sent.size() > 10_000) {
                    await(sent);
                }
            }
            await(sent);
        }
        progress.accept("tenant context as of " + from + ": " + plan.start().size() + " object(s), then "
                + plan.changes().size() + " change(s) within the range" + (unreadable[0] == 0 ? ""
                : "; " + unreadable[0] + " unreadable record(s) left out (the live detectors dead-lettered them too)"));
        return new long[] {plan.start().size(), plan.changes().size(), unreadable[0]};
    }

    /**
     * Says so when the context history cannot reach back to {@code from}: none is recorded (detectors older than the
     * history), or its retention dropped changes after {@code from}. The events before its first change then meet
     * the context as of that change.
     */
    private void warnIfTheHistoryIsShort(Admin admin, List<ContextReplay.Change> history, Instant from)
            throws InterruptedException {
        if (history.isEmpty()) {
            progress.accept("no tenant context history is recorded yet on " + live.contextHistory().name()
                    + ": every event meets today's context (the detectors record the history from this version on)");
            return;
        }
        long first = history.stream().mapToLong(ContextReplay.Change::at).min().orElse(0);
        if (first <= from.toEpochMilli()) {
            return;
        }
        try {
            String topic = live.contextHistory().name();
            Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
            admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic).partitions()
                    .forEach(p -> earliest.put(new TopicPartition(topic, p.partition()), OffsetSpec.earliest()));
            boolean truncated = admin.listOffsets(earliest).all().get(30, TimeUnit.SECONDS).values().stream()
                    .anyMatch(info -> info.offset() > 0);
            if (truncated) {
                progress.accept("the tenant context history retained starts at " + Instant.ofEpochMilli(first)
                        + ", after --from: older changes are past its retention, so events before then meet the "
                        + "context as of then (raise retention.ms of " + topic + " to reach further back)");
            }
        } catch (ExecutionException | TimeoutException e) {
            progress.accept("cannot tell whether the context history reaches back to --from: " + reason(e));
        }
    }

    private void copyOverrides() throws InterruptedException {
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(kafka.producer("bulwark-backtest"),
                new StringSerializer(), new ByteArraySerializer())) {
            readAll(live.ruleOverrides().name(), record -> sent.add(producer.send(new ProducerRecord<>(
                    scratch.ruleOverrides().name(), null, record.timestamp(), record.key(), record.value()))));
            await(sent);
        }
    }

    private void publish(List<RuleDirectory.RuleRecord> candidates) throws InterruptedException {
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(kafka.producer("bulwark-backtest"),
                new StringSerializer(), new StringSerializer())) {
            for (RuleDirectory.RuleRecord candidate : candidates) {
                sent.add(producer.send(new ProducerRecord<>(scratch.rules().name(), candidate.key(), candidate.text())));
            }
            await(sent);
        }
    }

    /** Reads a topic from its beginning to its end as of now, as the {@code rules} principal. */
    private void readAll(String topic, Consumer<ConsumerRecord<String, byte[]>> each) {
        RulesCommand.readToEnd(config, topic, new ByteArrayDeserializer(), KafkaSecurity.Component.RULES, null, each);
    }

    /**
     * Runs the detection application until it has committed every copied event, then lets the folded findings' last
     * emission through; returns the events the detectors dead-lettered.
     */
    private long detect(Admin admin, long events, Path stateDir, long[] times) throws InterruptedException, IOException {
        MeterRegistry metrics = new SimpleMeterRegistry();
        List<Detector> detectors = Detectors.discover(Detectors.withPlugins(
                config.detection.plugins.stream().map(Path::of).toList())).stream()
                .filter(d -> d.name().equals("sigma")).toList();
        if (detectors.isEmpty()) {
            throw new IllegalStateException("the sigma detector is not on the class path");
        }
        Map<String, Object> sigma = new LinkedHashMap<>(config.detection.detectors.getOrDefault("sigma", Map.of()));
        sigma.put("bundled", false); // only the candidates
        sigma.put("rules", List.of());
        Duration emit = dev.bulwark.sigma.SigmaSettings.from(config.detection.detectors.getOrDefault("sigma", Map.of()))
                .emitInterval();
        // A folded finding's count is re-emitted at most once per interval: a short one lets the last counts out
        // sooner. It changes no finding, no id and no count, only how often the same finding is written.
        Duration replayEmit = emit.compareTo(Duration.ofSeconds(1)) < 0 ? emit : Duration.ofSeconds(1);
        sigma.put("emit-interval", replayEmit.toMillis() + "ms");
        Topology topology = DetectionTopology.build(scratch, detectors, new TenantResolver(config.tenantByNamespace()),
                Map.of("sigma", sigma), metrics, new DetectionTopology.EnrichmentSettings(config.detection.contextWait,
                        config.detection.maxPendingEvents, config.detection.maxFindingBytes, true,
                        config.sessionSettings()),
                new DetectionTopology.PostureSettings(false, Duration.ofMinutes(1)));
        Path state = Files.createDirectories(stateDir.resolve(applicationId));
        Properties props = kafka.streams(scratch, applicationId, state, threads);
        props.put(DeadLetterHandlers.DETECTORS_CONFIG, List.of("sigma"));
        props.put(DeadLetterHandlers.METRICS_CONFIG, metrics);
        Meter meter = new Meter("detecting", events, progress);
        KafkaStreams streams = new KafkaStreams(topology, props);
        try {
            java.util.concurrent.atomic.AtomicReference<Throwable> failed = new java.util.concurrent.atomic.AtomicReference<>();
            streams.setUncaughtExceptionHandler(e -> {
                failed.compareAndSet(null, e);
                return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse
                        .SHUTDOWN_CLIENT;
            });
            times[0] = System.nanoTime();
            streams.start();
            while (true) {
                if (failed.get() != null) {
                    throw new IllegalStateException("the backtest's detection stopped: " + failed.get().getMessage(),
                            failed.get());
                }
                long processed = (long) (count(metrics, "bulwark.detect.events.in")
                        + count(metrics, "bulwark.detect.dead.letters"));
                meter.set(Math.min(processed, events));
                if (processed > 0 && times[1] == 0) {
                    times[1] = System.nanoTime();
                }
                if (processed >= events && times[2] == 0) {
                    times[2] = System.nanoTime();
                    times[1] = times[1] == 0 ? times[2] : times[1];
                }
                if (processed >= events && drained(admin)) {
                    break;
                }
                if (times[2] != 0 && System.nanoTime() - times[2] > 5_000_000_000L
                        && System.nanoTime() - lastWaitNote > 5_000_000_000L) {
                    lastWaitNote = System.nanoTime();
                    progress.accept("every event is in; waiting for the application to commit the last ones ("
                            + lagging + ")");
                }
                Thread.sleep(processed >= events ? 250 : 20);
            }
            // The last repeats' counts leave on the folder's next wall-clock emission.
            Thread.sleep(replayEmit.toMillis() + 2_000);
            meter.done();
            return (long) count(metrics, "bulwark.detect.dead.letters");
        } finally {
            // Leaving the group (Kafka Streams otherwise stays until its session times out) lets it be deleted now.
            streams.close(org.apache.kafka.streams.CloseOptions.groupMembershipOperation(
                    org.apache.kafka.streams.CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                    .withTimeout(Duration.ofSeconds(30)));
            deleteTree(state);
        }
    }

    private static double count(MeterRegistry metrics, String name) {
        var counter = metrics.find(name).counter();
        return counter == null ? 0 : counter.count();
    }

    /**
     * True when the application has read and committed everything: the end of every partition of the scratch events
     * topic and of its own repartition topics (the matches on their way to folding and correlation).
     */
    private boolean drained(Admin admin) throws InterruptedException {
        try {
            List<String> sources = admin.listTopics().names().get(10, TimeUnit.SECONDS).stream()
                    .filter(t -> t.equals(scratch.events().name())
                            || (t.startsWith(applicationId + "-") && t.endsWith("-repartition")))
                    .toList();
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            admin.describeTopics(sources).allTopicNames().get(10, TimeUnit.SECONDS).forEach((name, topic) ->
                    topic.partitions().forEach(p -> latest.put(new TopicPartition(name, p.partition()),
                            OffsetSpec.latest())));
            var ends = admin.listOffsets(latest).all().get(10, TimeUnit.SECONDS);
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(applicationId)
                    .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
            for (var end : ends.entrySet()) {
                OffsetAndMetadata done = committed.get(end.getKey());
                if (end.getValue().offset() > 0 && (done == null || done.offset() < end.getValue().offset())) {
                    lagging = end.getKey() + " at " + (done == null ? "nothing committed" : done.offset()) + " of "
                            + end.getValue().offset();
                    return false;
                }
            }
            return true;
        } catch (ExecutionException | TimeoutException e) {
            progress.accept("asking Kafka how far the replay got: " + reason(e) + "; asking again");
            return false;
        }
    }

    /** Every record of the scratch findings topic, in order per partition. */
    private List<Finding> readFindings() {
        var decoder = scratch.findings().valueSerde().deserializer();
        List<Finding> findings = new ArrayList<>();
        readAll(scratch.findings().name(), record -> {
            if (record.value() != null) {
                findings.add(decoder.deserialize(record.topic(), record.value()));
            }
        });
        return findings;
    }

    private static void await(List<Future<RecordMetadata>> sent) throws InterruptedException {
        try {
            for (Future<RecordMetadata> future : sent) {
                future.get(2, TimeUnit.MINUTES);
            }
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot write the backtest's scratch topics: " + reason(e), e);
        } finally {
            sent.clear();
        }
    }

    private static String reason(Exception e) {
        Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
        return cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    }

    private volatile boolean cleaned;
    /** The partition the last {@link #drained} check found behind, for the progress line. */
    private String lagging = "-";
    private long lastWaitNote;

    /** Deletes the scratch topics, the application's internal topics and its consumer group; logs what it cannot. */
    private synchronized void cleanUpQuietly() {
        if (cleaned) {
            return;
        }
        cleaned = true;
        try (Admin admin = kafka.admin()) {
            List<String> doomed = admin.listTopics().names().get(30, TimeUnit.SECONDS).stream()
                    .filter(t -> t.startsWith(scratch.prefix()) || t.startsWith(applicationId + "-")).sorted().toList();
            admin.deleteTopics(doomed).all().get(60, TimeUnit.SECONDS);
            for (int attempt = 1; ; attempt++) {
                try {
                    admin.deleteConsumerGroups(List.of(applicationId)).all().get(30, TimeUnit.SECONDS);
                    break;
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof org.apache.kafka.common.errors.GroupIdNotFoundException) {
                        break; // the application never joined
                    }
                    if (!(e.getCause() instanceof org.apache.kafka.common.errors.GroupNotEmptyException) || attempt == 20) {
                        throw e;
                    }
                    Thread.sleep(500); // its members' leave is still being processed
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            System.err.println("bulwark: could not remove the backtest's scratch topics (" + scratch.prefix() + "*, "
                    + applicationId + "-*) or its consumer group " + applicationId + ": " + reason(e)
                    + "; remove them with kafka-topics.sh --delete and kafka-consumer-groups.sh --delete");
        }
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (var paths = Files.walk(root)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temporary folder: what is left is harmless
        }
    }

    /** Progress of a long phase: done of total, rate and ETA, at most one line every two seconds. */
    static final class Meter {
        private final String phase;
        private final long total;
        private final Consumer<String> out;
        private final long started = System.nanoTime();
        private long done;
        private long lastPrinted = started;

        Meter(String phase, long total, Consumer<String> out) {
            this.phase = phase;
            this.total = total;
            this.out = out;
        }

        void add(long n) {
            set(done + n);
        }

        void set(long value) {
            done = value;
            long now = System.nanoTime();
            if (now - lastPrinted >= 2_000_000_000L) {
                lastPrinted = now;
                out.accept(line(now));
            }
        }

        void done() {
            out.accept(phase + ": " + done + "/" + total + " in " + seconds(System.nanoTime() - started));
        }

        String line(long now) {
            double elapsed = Math.max(now - started, 1) / 1e9;
            double rate = done / elapsed;
            String eta = rate <= 0 ? "unknown" : seconds((long) ((total - done) / rate * 1e9));
            return String.format(java.util.Locale.ROOT, "%s: %d/%d (%d%%), %.0f events/s, ETA %s", phase, done, total,
                    total == 0 ? 100 : done * 100 / total, rate, eta);
        }

        private static String seconds(long nanos) {
            long s = Math.round(nanos / 1e9);
            return s >= 3600 ? s / 3600 + " h " + (s % 3600) / 60 + " min" : s >= 60 ? s / 60 + " min " + s % 60 + " s"
                    : s + " s";
        }
    }
}
