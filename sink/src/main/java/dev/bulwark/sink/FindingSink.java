package dev.bulwark.sink;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import co.elastic.clients.elasticsearch._helpers.bulk.BulkIngester;
import co.elastic.clients.elasticsearch._helpers.bulk.BulkListener;
import co.elastic.clients.elasticsearch._types.ElasticsearchException;
import co.elastic.clients.elasticsearch.core.BulkRequest;
import co.elastic.clients.elasticsearch.core.BulkResponse;
import co.elastic.clients.elasticsearch.core.bulk.BulkOperation;
import co.elastic.clients.elasticsearch.core.bulk.BulkResponseItem;
import dev.bulwark.schemas.DeadLetter;
import dev.bulwark.schemas.DeadLetters;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.Topics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * Consumes findings from Kafka and indexes them into Elasticsearch through elasticsearch-java's {@link BulkIngester},
 * one document per finding id.
 *
 * <p>Why: findings must become searchable exactly once, and an analyst's triage must survive the detector reporting
 * the same finding again. Each finding is a bulk {@code update} keyed by the finding id with two bodies: a partial
 * {@code doc} (everything the finding says now, without {@code finding.first_seen} and without {@code triage}) merged
 * into an existing document, and an {@code upsert} (the whole document with {@code first_seen} and triage status
 * {@code open}) used only when the document does not exist yet. So a replay updates instead of duplicating, occurrence
 * updates move {@code count} and {@code last_seen} forward, and neither first_seen nor triage is ever overwritten
 * (no scripts needed; {@code doc_as_upsert} would instead create documents without them).
 *
 * <p>Offsets are committed only after Elasticsearch confirmed every document of the batch (or the document was
 * dead-lettered because Elasticsearch rejected it for good, with the reason). While Elasticsearch is down or pushing
 * back (429, 5xx, connection errors), the sink pauses its partitions, keeps its group membership, retries with
 * exponential backoff, and Kafka holds the backlog. When a tenant first shows up in a daily index the sink adds the
 * tenant's filtered alias ({@link FindingIndex#tenantAlias}) before committing.
 */
public final class FindingSink implements Runnable, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(FindingSink.class);
    private static final Duration ATTEMPT_TIMEOUT = Duration.ofMinutes(5);

    private final Consumer<String, byte[]> consumer;
    private final Producer<String, byte[]> deadLetterProducer;
    private final ElasticsearchClient client;
    private final Topics topics;
    private final FindingIndex index;
    private final FindingIndex shadowIndex;
    private BulkIngester<Op> ingester;
    private final AtomicBoolean running = new AtomicBoolean(true);
    /** Written by the sink thread, read by readiness probes. */
    private volatile boolean templateInstalled;
    private volatile int assignedPartitions;
    private volatile String elasticsearchProblem;
    private final Set<String> aliased = ConcurrentHashMap.newKeySet();
    private final Set<String> invalidTenantsLogged = ConcurrentHashMap.newKeySet();
    private final Counter indexed;
    private final Counter deadLettered;
    private final Counter retries;
    private final Counter invalidTenants;
    private final Timer bulkLatency;
    private final Timer endToEndLatency;

    public FindingSink(Consumer<String, byte[]> consumer, Producer<String, byte[]> deadLetterProducer,
                       ElasticsearchClient client, Topics topics, FindingIndex index, MeterRegistry metrics) {
        this.consumer = consumer;
        this.deadLetterProducer = deadLetterProducer;
        this.client = client;
        this.topics = topics;
        this.index = index;
        this.shadowIndex = index.shadow();
        this.indexed = Counter.builder("bulwark.sink.findings.indexed").description("findings Elasticsearch confirmed")
                .register(metrics);
        this.deadLettered = Counter.builder("bulwark.sink.dead.letters")
                .description("findings dead-lettered (undecodable or rejected by Elasticsearch)").register(metrics);
        this.retries = Counter.builder("bulwark.sink.retries").description("bulk attempts that must be retried")
                .register(metrics);
        this.invalidTenants = Counter.builder("bulwark.sink.invalid.tenant.names")
                .description("findings whose tenant name cannot name an alias (indexed, visible to SOC only)")
                .register(metrics);
        this.bulkLatency = Timer.builder("bulwark.sink.bulk.latency").description("duration of one bulk request")
                .publishPercentiles(0.5, 0.99).register(metrics);
        this.endToEndLatency = Timer.builder("bulwark.sink.indexing.lag")
                .description("time from a finding's last event to Elasticsearch confirming it")
                .publishPercentiles(0.5, 0.99).register(metrics);
        this.ingester = ingester(false);
    }

    private BulkIngester<Op> ingester(boolean waitForRefresh) {
        return BulkIngester.of(b -> b
                .client(client)
                .maxOperations(1000)
                .maxSize(5L << 20)
                .maxConcurrentRequests(2)
                .globalSettings(g -> waitForRefresh ? g.refresh(co.elastic.clients.elasticsearch._types.Refresh.WaitFor)
                        : g)
                .listener(new Listener()));
    }

    /**
     * Read-after-write: each bulk request returns only once its findings are searchable ({@code refresh=wait_for}), so
     * offsets are committed only for searchable findings. It costs throughput: a bulk waits for the next refresh (1 s
     * by default). Call before {@link #run()}.
     */
    public FindingSink withRefreshWaitFor(boolean waitFor) {
        if (waitFor) {
            ingester.close();
            ingester = ingester(true);
        }
        return this;
    }

    /** Installs the index template, then consumes until {@link #close()} is called. */
    @Override
    public void run() {
        try {
            installTemplateWithRetry();
            consumer.subscribe(List.of(topics.findings().name()), new org.apache.kafka.clients.consumer.ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(java.util.Collection<TopicPartition> partitions) {
                    assignedPartitions = Math.max(0, assignedPartitions - partitions.size());
                }

                @Override
                public void onPartitionsAssigned(java.util.Collection<TopicPartition> partitions) {
                    assignedPartitions = consumer.assignment().size();
                }

                @Override
                public void onPartitionsLost(java.util.Collection<TopicPartition> partitions) {
                    assignedPartitions = consumer.assignment().size() - partitions.size();
                }
            });
            while (running.get()) {
                ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofMillis(500));
                if (!records.isEmpty()) {
                    processBatch(records);
                }
            }
        } catch (WakeupException e) {
            if (running.get()) {
                throw e;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            ingester.close();
            assignedPartitions = 0;
            // Leave the group at once (a static member would otherwise keep its partitions until the session times
            // out), so a restarted or remaining sink takes them over without waiting.
            consumer.close(org.apache.kafka.clients.consumer.CloseOptions.groupMembershipOperation(
                    org.apache.kafka.clients.consumer.CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                    .withTimeout(Duration.ofSeconds(10)));
        }
    }

    /**
     * Why the sink cannot index findings right now, or {@code null} when it can: the index template is installed, the
     * sink owns partitions of the findings topic, and Elasticsearch accepted its last request.
     */
    public String notReadyReason() {
        if (!running.get()) {
            return "stopped";
        }
        if (!templateInstalled) {
            return "index template not installed yet" + (elasticsearchProblem == null ? "" : ": " + elasticsearchProblem);
        }
        if (elasticsearchProblem != null) {
            return "Elasticsearch: " + elasticsearchProblem;
        }
        if (assignedPartitions <= 0) {
            return "no partition of " + topics.findings().name() + " assigned";
        }
        return null;
    }

    private void installTemplateWithRetry() throws InterruptedException {
        Duration backoff = Duration.ofMillis(500);
        while (running.get()) {
            try {
                index.installTemplate(client);
                shadowIndex.installTemplate(client);
                templateInstalled = true;
                elasticsearchProblem = null;
                return;
            } catch (IOException | ElasticsearchException e) {
                elasticsearchProblem = e.getMessage();
                LOG.warn("cannot install the index template in Elasticsearch ({}); retrying in {} ms", e.getMessage(),
                        backoff.toMillis());
                Thread.sleep(backoff.toMillis());
                backoff = Backoff.next(backoff);
            }
        }
    }

    /** A decoded finding and the record it came from. */
    private record Pending(ConsumerRecord<String, byte[]> record, Finding finding) {
    }

    private volatile java.time.Duration maxFuture = java.time.Duration.ofDays(365L * 250);
    private volatile java.time.Duration maxAge = java.time.Duration.ofDays(365L * 250);

    /**
     * Names daily indices only after times within [now - maxAge, now + maxFuture]: a finding dated outside is indexed
     * into the nearest day inside (its own times are kept in the document), so no sender can make indices appear for
     * arbitrary days. Without a call every time names its own day.
     *
     * @return this sink
     */
    public FindingSink withIndexTimeBounds(java.time.Duration maxFuture, java.time.Duration maxAge) {
        this.maxFuture = maxFuture;
        this.maxAge = maxAge;
        return this;
    }

    /** The time that names {@code finding}'s daily index: its first sighting, within the bounds. */
    long indexTime(Finding finding) {
        long now = System.currentTimeMillis();
        return Math.max(now - maxAge.toMillis(), Math.min(now + maxFuture.toMillis(), finding.getFirstSeen()));
    }

    private String targetIndex(Pending pending) {
        return (pending.finding().getShadow() ? shadowIndex : index).indexFor(indexTime(pending.finding()));
    }

    /** One bulk attempt at a set of findings; the listener fills it from the ingester's threads. */
    private static final class Attempt {
        final CountDownLatch done;
        final ConcurrentLinkedQueue<Pending> succeeded = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<Pending> retry = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<Map.Entry<Pending, String>> rejected = new ConcurrentLinkedQueue<>();

        Attempt(int size) {
            done = new CountDownLatch(size);
        }
    }

    /** The ingester's per-operation context: which finding, in which attempt. */
    private record Op(Pending pending, Attempt attempt, long startNanos) {
    }

    private final class Listener implements BulkListener<Op> {
        @Override
        public void beforeBulk(long executionId, BulkRequest request, List<Op> contexts) {
        }

        @Override
        public void afterBulk(long executionId, BulkRequest request, List<Op> contexts, BulkResponse response) {
            long now = System.currentTimeMillis();
            List<BulkResponseItem> items = response.items();
            for (int i = 0; i < contexts.size(); i++) {
                Op op = contexts.get(i);
                BulkResponseItem item = items.get(i);
                if (i == 0) {
                    bulkLatency.record(Duration.ofNanos(System.nanoTime() - op.startNanos()));
                }
                if (item.error() == null) {
                    indexed.increment();
                    endToEndLatency.record(Duration.ofMillis(Math.max(0, now - op.pending().finding().getLastSeen())));
                    op.attempt().succeeded.add(op.pending());
                } else if (item.status() == 429 || item.status() == 409 || item.status() >= 500) {
                    op.attempt().retry.add(op.pending());
                } else {
                    op.attempt().rejected.add(Map.entry(op.pending(), "Elasticsearch rejected the document ("
                            + item.status() + " " + item.error().type() + "): " + item.error().reason()));
                }
                op.attempt().done.countDown();
            }
        }

        @Override
        public void afterBulk(long executionId, BulkRequest request, List<Op> contexts, Throwable failure) {
            LOG.warn("Elasticsearch bulk request failed ({}); {} findings wait in Kafka and will be retried",
                    failure.getMessage(), contexts.size());
            for (Op op : contexts) {
                op.attempt().retry.add(op.pending());
                op.attempt().done.countDown();
            }
        }
    }

    private void processBatch(ConsumerRecords<String, byte[]> records) throws InterruptedException {
        List<Future<RecordMetadata>> deadLetterAcks = new ArrayList<>();
        // The latest state of each finding in this batch: older occurrences in the same batch are superseded.
        Map<String, Pending> latest = new LinkedHashMap<>();
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (ConsumerRecord<String, byte[]> record : records) {
            offsets.put(new TopicPartition(record.topic(), record.partition()), new OffsetAndMetadata(record.offset() + 1));
            try {
                Finding finding = topics.findings().valueSerde().deserializer().deserialize(record.topic(), record.value());
                if (finding == null) {
                    throw new IllegalArgumentException("record has no value (null)");
                }
                latest.merge(finding.getId(), new Pending(record, finding), FindingSink::newer);
            } catch (RuntimeException e) {
                deadLetterAcks.add(deadLetter(record, "avro:Finding", e.getMessage()));
            }
        }

        List<Pending> pending = new ArrayList<>(latest.values());
        Set<Map.Entry<String, String>> indexTenants = new LinkedHashSet<>();
        Duration backoff = Duration.ofMillis(200);
        while (!pending.isEmpty() && running.get()) {
            Attempt attempt = bulkIndex(pending);
            for (Pending p : attempt.succeeded) {
                if (!p.finding().getShadow()) { // shadow findings are for the SOC alone: no tenant alias
                    indexTenants.add(Map.entry(targetIndex(p), p.finding().getTenant()));
                }
            }
            for (Map.Entry<Pending, String> rejection : attempt.rejected) {
                LOG.warn("finding {} dead-lettered: {}", rejection.getKey().finding().getId(), rejection.getValue());
                deadLetterAcks.add(deadLetter(rejection.getKey().record(), "avro:Finding", rejection.getValue()));
            }
            List<Pending> retry = new ArrayList<>(attempt.retry);
            elasticsearchProblem = retry.isEmpty() ? null
                    : retry.size() + " of " + pending.size() + " findings must be retried (Elasticsearch unavailable or pushing back)";
            if (!retry.isEmpty()) {
                retries.increment();
                Backoff.waitPaused(consumer, backoff, running::get);
                backoff = Backoff.next(backoff);
            }
            pending = retry;
        }
        backoff = Duration.ofMillis(200);
        while (running.get() && !ensureTenantAliases(indexTenants)) {
            retries.increment();
            Backoff.waitPaused(consumer, backoff, running::get);
            backoff = Backoff.next(backoff);
        }
        if (!pending.isEmpty() || !running.get()) {
            return; // shutting down: leave offsets uncommitted, the batch is redone on restart
        }
        for (Future<RecordMetadata> ack : deadLetterAcks) {
            try {
                ack.get();
            } catch (ExecutionException e) {
                throw new IllegalStateException("cannot write to the dead-letter topic, so offsets are not committed: "
                        + e.getCause().getMessage(), e.getCause());
            }
        }
        try {
            consumer.commitSync(offsets);
        } catch (CommitFailedException | RebalanceInProgressException e) {
            // Partitions moved while we waited; the new owner redoes the batch and ids keep it idempotent.
            LOG.info("offsets not committed after a rebalance ({}); the batch will be indexed again", e.getMessage());
        }
    }

    /** The later of two states of one finding (last seen, then count, then offset order). */
    private static Pending newer(Pending a, Pending b) {
        Finding x = a.finding();
        Finding y = b.finding();
        if (x.getLastSeen() != y.getLastSeen()) {
            return x.getLastSeen() > y.getLastSeen() ? a : b;
        }
        return x.getCount() > y.getCount() ? a : b;
    }

    /** The bulk operation for a finding: merge the occurrence into the document, or create it whole. */
    public static BulkOperation operation(FindingIndex index, Finding finding) {
        return operation((finding.getShadow() ? index.shadow() : index).indexFor(finding.getFirstSeen()), finding);
    }

    /** The bulk operation for a finding into the daily index {@code targetIndex}. */
    public static BulkOperation operation(String targetIndex, Finding finding) {
        FindingDocument whole = FindingDocument.of(finding);
        FindingDocument occurrence = whole.occurrenceUpdate();
        return BulkOperation.of(b -> b.update(u -> u
                .index(targetIndex)
                .id(finding.getId())
                .retryOnConflict(3)
                .action(a -> a.doc(occurrence).upsert(whole))));
    }

    /** One attempt through the ingester; returns when Elasticsearch answered for every finding. */
    private Attempt bulkIndex(List<Pending> pending) throws InterruptedException {
        Attempt attempt = new Attempt(pending.size());
        long start = System.nanoTime();
        for (Pending p : pending) {
            ingester.add(operation(targetIndex(p), p.finding()), new Op(p, attempt, start));
        }
        ingester.flush();
        if (!attempt.done.await(ATTEMPT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            // Nothing answered: retry everything not yet confirmed (updates are idempotent).
            Attempt timedOut = new Attempt(0);
            Set<Pending> answered = new LinkedHashSet<>(attempt.succeeded);
            attempt.rejected.forEach(r -> answered.add(r.getKey()));
            for (Pending p : pending) {
                if (!answered.contains(p)) {
                    timedOut.retry.add(p);
                }
            }
            timedOut.succeeded.addAll(attempt.succeeded);
            timedOut.rejected.addAll(attempt.rejected);
            return timedOut;
        }
        return attempt;
    }

    /**
     * Adds the filtered alias of each tenant to each daily index it now has findings in, once per sink.
     *
     * @return false when Elasticsearch could not be reached (the caller retries before committing)
     */
    private boolean ensureTenantAliases(Set<Map.Entry<String, String>> indexTenants) {
        for (Map.Entry<String, String> pair : indexTenants) {
            String key = pair.getKey() + "\u0000" + pair.getValue();
            if (aliased.contains(key)) {
                continue;
            }
            if (!TenantNames.isValid(pair.getValue())) {
                invalidTenants.increment();
                if (invalidTenantsLogged.add(pair.getValue()) && invalidTenantsLogged.size() < 1000) {
                    LOG.warn("tenant name {} cannot name an alias; its findings are visible to SOC principals only",
                            pair.getValue().length() > 80 ? pair.getValue().substring(0, 80) + "..." : pair.getValue());
                }
                aliased.add(key);
                continue;
            }
            try {
                index.addTenantAlias(client, pair.getKey(), pair.getValue());
                aliased.add(key);
            } catch (ElasticsearchException e) {
                if (e.status() == 429 || e.status() >= 500) {
                    LOG.warn("cannot add the alias {} to {} ({}); retrying", index.tenantAlias(pair.getValue()),
                            pair.getKey(), e.getMessage());
                    return false;
                }
                // Refused for good (e.g. a name taken by an index): the findings stay visible to SOC principals.
                LOG.error("Elasticsearch refused the alias {} on {}: {}", index.tenantAlias(pair.getValue()),
                        pair.getKey(), e.getMessage());
                aliased.add(key);
            } catch (IOException e) {
                LOG.warn("cannot add the alias {} to {} ({}); retrying", index.tenantAlias(pair.getValue()),
                        pair.getKey(), e.getMessage());
                return false;
            }
        }
        return true;
    }

    private Future<RecordMetadata> deadLetter(ConsumerRecord<String, byte[]> record, String format, String reason) {
        deadLettered.increment();
        String origin = DeadLetters.origin(record.topic(), record.partition(), record.offset());
        DeadLetter letter = DeadLetters.of(record.value(), format, origin, "sink", reason);
        return DeadLetters.send(deadLetterProducer, topics, record.key(), letter);
    }

    /** Stops consuming; a batch in flight is either finished or left uncommitted. */
    @Override
    public void close() {
        running.set(false);
        consumer.wakeup();
    }
}
