package dev.bulwark.notify;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.bulwark.schemas.DeadLetter;
import dev.bulwark.schemas.DeadLetters;
import dev.bulwark.schemas.Topic;
import dev.bulwark.schemas.Topics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Delivers one route: consumes the findings or incidents topic in the route's own consumer group and sends what the
 * {@link Planner} decides, committing offsets only behind records that are done.
 *
 * <p>A record is done when it was delivered, included in a delivered summary, not selected by the route (skipped), or
 * dead-lettered; an offset is committed only when every record before it is done, so a crash or rebalance replays
 * rather than loses (at-least-once: receivers dedupe on the delivery id). While the receiver fails (connection errors,
 * 408, 429, 5xx) the route retries with exponential backoff, honouring {@code Retry-After}, its partitions paused and
 * the consumer polling so it stays in the group; a receiver that refuses (other 4xx, a redirect) dead-letters the
 * records at once, and one that has failed for the route's {@code deadLetterAfter} has its records dead-lettered one
 * notification after another until it answers again. Each route has its own thread, so a receiver that is down stalls
 * only its own route.
 */
public final class RouteNotifier implements Runnable, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RouteNotifier.class);

    private final Route route;
    private final Consumer<String, byte[]> consumer;
    private final Producer<String, byte[]> deadLetters;
    private final Topics topics;
    private final Topic<String, ?> topic;
    private final String recordType;
    private final Encoder encoder;
    private final Transport transport;
    private final Planner planner;
    private final NotifySettings settings;
    private final Clock clock;
    private final AtomicBoolean running = new AtomicBoolean(true);
    /** Per partition, the offset after the last record handled in a completed batch. */
    private final Map<TopicPartition, Long> handled = new HashMap<>();
    private final Map<TopicPartition, Long> committed = new HashMap<>();
    /** Bumped on every rebalance: a batch that saw one does not advance {@link #handled}. */
    private int generation;
    /** When deliveries started failing without a success since; null while the receiver answers. */
    private Long failingSince;
    private final Counter delivered;
    private final Counter summarised;
    private final Counter deadLettered;
    private final Counter retries;
    private final MeterRegistry metrics;

    public RouteNotifier(Route route, Consumer<String, byte[]> consumer, Producer<String, byte[]> deadLetters,
                         Topics topics, NotifySettings settings, MeterRegistry metrics) {
        this(route, consumer, deadLetters, topics, settings, metrics, Clock.systemUTC(),
                new Transport(Duration.ofSeconds(5), settings.requestTimeout()));
    }

    RouteNotifier(Route route, Consumer<String, byte[]> consumer, Producer<String, byte[]> deadLetters, Topics topics,
                  NotifySettings settings, MeterRegistry metrics, Clock clock, Transport transport) {
        this.route = route;
        this.consumer = consumer;
        this.deadLetters = deadLetters;
        this.topics = topics;
        this.topic = route.kind() == Route.Kind.FINDINGS ? topics.findings() : topics.incidents();
        this.recordType = route.kind() == Route.Kind.FINDINGS ? "Finding" : "Incident";
        this.encoder = Encoder.of(route);
        this.transport = transport;
        this.settings = settings;
        this.clock = clock;
        this.planner = new Planner(route, clock, settings.window(), settings.maxHeldRecords());
        this.metrics = metrics;
        this.delivered = counter("bulwark.notify.delivered", "records whose notification the receiver accepted");
        this.summarised = counter("bulwark.notify.summarised", "records counted in a delivered rate-limit summary");
        this.deadLettered = counter("bulwark.notify.dead.letters", "records dead-lettered (undecodable, refused, or the"
                + " receiver failed too long)");
        this.retries = counter("bulwark.notify.retries", "delivery attempts that failed and are retried");
    }

    private Counter counter(String name, String description) {
        return Counter.builder(name).tag("route", route.name()).description(description).register(metrics);
    }

    private void skipped(String reason, int count) {
        Counter.builder("bulwark.notify.skipped").tag("route", route.name()).tag("reason", reason)
                .description("records the route does not notify (another tenant, below its severity, shadow, unchanged)")
                .register(metrics).increment(count);
    }

    public Route route() {
        return route;
    }

    @Override
    public void run() {
        try {
            consumer.subscribe(List.of(topic.name()), new Rebalance());
            LOG.info("Route {} ({} {} to {}) started", route.name(), route.kind().label(),
                    route.allTenants() ? "of every tenant" : "of tenant " + route.tenant(), route.format().label());
            while (running.get()) {
                handle(consumer.poll(Duration.ofSeconds(1)));
            }
        } catch (WakeupException e) {
            if (running.get()) {
                throw e;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            consumer.close();
            LOG.info("Route {} stopped", route.name());
        }
    }

    /** Plans and delivers one batch (or the summaries due when it is empty), then commits what is done. */
    void handle(ConsumerRecords<String, byte[]> records) throws InterruptedException {
        int batchGeneration = generation;
        List<Future<RecordMetadata>> letters = new ArrayList<>();
        List<Planner.Item> items = new ArrayList<>();
        Map<TopicPartition, Long> next = new HashMap<>();
        for (ConsumerRecord<String, byte[]> record : records) {
            RecordRef ref = new RecordRef(record.topic(), record.partition(), record.offset(), record.key(),
                    record.value(), recordType);
            next.put(ref.topicPartition(), record.offset() + 1);
            Object value;
            try {
                value = topic.valueSerde().deserializer().deserialize(record.topic(), record.value());
            } catch (RuntimeException e) {
                value = null;
            }
            if (value == null) {
                letters.add(deadLetter(ref, "not a readable " + recordType + " (wrong schema or corrupt bytes); the"
                        + " record was not notified"));
            } else {
                items.add(new Planner.Item(ref, value));
            }
        }
        Planner.Plan plan = items.isEmpty() ? new Planner.Plan(planner.due(), Map.of()) : planner.plan(items);
        plan.skipped().forEach(this::skipped);
        for (Planner.Outgoing outgoing : plan.outgoing()) {
            deliver(outgoing, letters);
            if (!running.get()) {
                return;
            }
        }
        for (Future<RecordMetadata> letter : letters) {
            try {
                letter.get();
            } catch (Exception e) {
                throw new IllegalStateException("route " + route.name() + ": the dead-letter topic "
                        + topics.deadLetters().name() + " did not take a record (" + e.getClass().getSimpleName()
                        + "); the route stops without committing, so the records are read again on restart", e);
            }
        }
        if (batchGeneration == generation) {
            handled.putAll(next);
        }
        if (!next.isEmpty() || !plan.outgoing().isEmpty()) {
            commit();
        }
    }

    /** Sends one notification until it is delivered or dead-lettered (or the route stops). */
    private void deliver(Planner.Outgoing outgoing, List<Future<RecordMetadata>> letters) throws InterruptedException {
        Duration backoff = settings.initialBackoff();
        while (running.get()) {
            Transport.Outcome outcome = transport.send(encoder.encode(outgoing.notice(), clock.instant()));
            switch (outcome.kind()) {
                case DELIVERED -> {
                    if (failingSince != null) {
                        LOG.info("Route {}: the receiver answers again after {} s", route.name(),
                                (clock.millis() - failingSince) / 1000);
                        failingSince = null;
                    }
                    (outgoing.summary() ? summarised : delivered).increment(outgoing.records().size());
                    return;
                }
                case PERMANENT -> {
                    LOG.warn("Route {}: {}; {} record(s) dead-lettered", route.name(), outcome.reason(),
                            outgoing.records().size());
                    deadLetterAll(outgoing, letters, "route " + route.name() + ": " + outcome.reason());
                    return;
                }
                case RETRY -> {
                    long now = clock.millis();
                    if (failingSince == null) {
                        failingSince = now;
                        LOG.warn("Route {}: {}; retrying with backoff, nothing is committed meanwhile, records are"
                                + " dead-lettered after {}", route.name(), outcome.reason(), route.deadLetterAfter());
                    }
                    if (now - failingSince >= route.deadLetterAfter().toMillis()) {
                        LOG.warn("Route {}: the receiver has failed for {} ({}); {} record(s) dead-lettered",
                                route.name(), route.deadLetterAfter(), outcome.reason(), outgoing.records().size());
                        deadLetterAll(outgoing, letters, "route " + route.name() + ": the receiver failed for "
                                + route.deadLetterAfter().toSeconds() + " s (last: " + outcome.reason()
                                + "); replay the record once the receiver works again");
                        return;
                    }
                    retries.increment();
                    Duration wait = backoff;
                    if (outcome.retryAfter() != null && outcome.retryAfter().compareTo(wait) > 0) {
                        wait = outcome.retryAfter().compareTo(settings.maxRetryAfter()) > 0
                                ? settings.maxRetryAfter() : outcome.retryAfter();
                    }
                    Duration left = Duration.ofMillis(failingSince + route.deadLetterAfter().toMillis() - now);
                    waitPaused(wait.compareTo(left) > 0 ? left : wait);
                    Duration doubled = backoff.multipliedBy(2);
                    backoff = doubled.compareTo(settings.maxBackoff()) > 0 ? settings.maxBackoff() : doubled;
                }
            }
        }
    }

    /** Waits paused, in the consumer group ({@link dev.bulwark.schemas.PausedWait}). */
    private void waitPaused(Duration wait) {
        dev.bulwark.schemas.PausedWait.waitPaused(consumer, wait, running::get);
    }

    private void deadLetterAll(Planner.Outgoing outgoing, List<Future<RecordMetadata>> letters, String reason) {
        for (RecordRef ref : outgoing.records()) {
            letters.add(deadLetter(ref, reason));
        }
    }

    private Future<RecordMetadata> deadLetter(RecordRef ref, String reason) {
        deadLettered.increment();
        DeadLetter letter = DeadLetters.of(ref.value(), "avro:" + ref.recordType(), ref.origin(), "notify", reason);
        return DeadLetters.send(deadLetters, topics, ref.key(), letter);
    }

    /** What may be committed now: per partition, the end of what is handled, or the first record still held. */
    private Map<TopicPartition, OffsetAndMetadata> committable(Collection<TopicPartition> partitions) {
        Map<TopicPartition, Long> held = planner.minHeldOffsets();
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (TopicPartition partition : partitions) {
            Long end = handled.get(partition);
            if (end == null) {
                continue;
            }
            long offset = Math.min(end, held.getOrDefault(partition, Long.MAX_VALUE));
            if (offset > committed.getOrDefault(partition, -1L)) {
                offsets.put(partition, new OffsetAndMetadata(offset));
            }
        }
        return offsets;
    }

    private void commit() {
        Map<TopicPartition, OffsetAndMetadata> offsets = committable(consumer.assignment());
        if (offsets.isEmpty()) {
            return;
        }
        try {
            consumer.commitSync(offsets);
            offsets.forEach((partition, offset) -> committed.put(partition, offset.offset()));
        } catch (WakeupException e) {
            throw e;
        } catch (KafkaException e) {
            // A rebalance took the partitions: their records are read again by the new owner (at-least-once).
            LOG.warn("Route {}: cannot commit ({}); the records after the last commit will be notified again",
                    route.name(), e.getClass().getSimpleName());
        }
    }

    private final class Rebalance implements ConsumerRebalanceListener {

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            commit();
            // What is held for summaries is not sent: everything from the first held record is read again, on the
            // partitions kept as on those handed to another member.
            Set<TopicPartition> kept = new HashSet<>(consumer.assignment());
            kept.removeAll(partitions);
            Map<TopicPartition, Long> held = planner.minHeldOffsets();
            planner.dropHolds();
            for (TopicPartition partition : kept) {
                Long restart = held.get(partition);
                if (restart != null) {
                    consumer.seek(partition, restart);
                }
            }
            for (TopicPartition partition : partitions) {
                handled.remove(partition);
                committed.remove(partition);
            }
            generation++;
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            // Nothing to do: positions come from the committed offsets.
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            planner.dropHolds();
            for (TopicPartition partition : partitions) {
                handled.remove(partition);
                committed.remove(partition);
            }
            generation++;
        }
    }

    @Override
    public void close() {
        running.set(false);
        consumer.wakeup();
    }
}
