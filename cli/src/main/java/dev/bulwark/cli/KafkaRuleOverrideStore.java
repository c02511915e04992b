package dev.bulwark.cli;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.bulwark.api.RuleOverrideStore;
import dev.bulwark.schemas.AvroSerde;
import dev.bulwark.schemas.RuleOverride;
import dev.bulwark.schemas.Topics;

/**
 * The query API's view of the rule-overrides topic, as the {@code api} Kafka principal: a thread reads the compacted
 * topic from the beginning and follows it into memory (a few records per tenant), and writes go to Kafka and are seen
 * at once by the next read of this process.
 */
final class KafkaRuleOverrideStore implements RuleOverrideStore, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaRuleOverrideStore.class);
    private static final AvroSerde<RuleOverride> SERDE = AvroSerde.of(RuleOverride.class);
    private static final Duration ACK_TIMEOUT = Duration.ofSeconds(15);

    private final String topic;
    private final KafkaProducer<String, byte[]> producer;
    private final KafkaConsumer<String, byte[]> consumer;
    private final Map<String, RuleOverride> held = new ConcurrentHashMap<>();
    private final Thread reader;
    /** The detectors' engine (field mapping), to refuse exceptions they could not apply. */
    private final dev.bulwark.sigma.SigmaEngine engine;
    private volatile boolean caughtUp;
    private volatile boolean running = true;

    KafkaRuleOverrideStore(BulwarkConfig config) {
        try {
            this.engine = RulesCommand.engine(config);
        } catch (Exception e) {
            throw new IllegalStateException("cannot load the Sigma field mapping: " + e.getMessage(), e);
        }
        KafkaClients kafka = new KafkaClients(config).as(KafkaSecurity.Component.API);
        this.topic = Topics.withPrefix(config.kafka.topicPrefix).ruleOverrides().name();
        this.producer = new KafkaProducer<>(kafka.producer("bulwark-api"), new StringSerializer(), new ByteArraySerializer());
        this.consumer = new KafkaConsumer<>(kafka.reader(), new StringDeserializer(), new ByteArrayDeserializer());
        this.reader = new Thread(this::follow, "bulwark-api-rule-overrides");
        reader.setDaemon(true);
        reader.start();
    }

    private void follow() {
        try {
            List<TopicPartition> partitions = List.of();
            while (running && partitions.isEmpty()) {
                try {
                    partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                            .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
                } catch (org.apache.kafka.common.errors.TimeoutException e) {
                    LOG.warn("the query API cannot reach {} yet ({}); rule overrides answer 503 until it can", topic,
                            e.getMessage());
                }
                if (partitions.isEmpty()) {
                    Thread.sleep(2_000);
                }
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            while (running) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    apply(record);
                }
                if (!caughtUp && partitions.stream().allMatch(p -> consumer.position(p) >= end.get(p))) {
                    caughtUp = true;
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.error("the query API cannot read {} ({}); rule overrides answer 503 until it restarts", topic,
                    e.getMessage());
        }
    }

    private void apply(ConsumerRecord<String, byte[]> record) {
        if (record.key() == null) {
            return;
        }
        if (record.value() == null) {
            held.remove(record.key());
            return;
        }
        try {
            held.put(record.key(), SERDE.decode(record.value()));
        } catch (RuntimeException e) {
            held.remove(record.key());
            LOG.warn("rule override {} on {} is unreadable and not listed", dev.bulwark.detection.RuleOverrides.printable(record.key()),
                    topic);
        }
    }

    @Override
    public List<RuleOverride> all() throws IOException {
        if (!caughtUp) {
            throw new IOException("still reading " + topic);
        }
        return List.copyOf(held.values());
    }

    @Override
    public void check(RuleOverride override) {
        OverrideChecks.check(engine, override);
    }

    @Override
    public void put(RuleOverride override) throws IOException {
        String key = Topics.overrideKey(override.getTenant(), override.getTarget());
        send(key, SERDE.encode(override));
        held.put(key, override);
    }

    @Override
    public void delete(String tenant, String target) throws IOException {
        String key = Topics.overrideKey(tenant, target);
        send(key, null);
        held.remove(key);
    }

    private void send(String key, byte[] value) throws IOException {
        try {
            producer.send(new ProducerRecord<>(topic, key, value)).get(ACK_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("Kafka did not take the override on " + topic + ": "
                    + (e.getCause() == null ? e.getMessage() : e.getCause().getMessage()), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while writing to " + topic, e);
        }
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            reader.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        consumer.close(Duration.ofSeconds(5));
        producer.close(Duration.ofSeconds(5));
    }
}
