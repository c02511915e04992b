package dev.bulwark.cli;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import dev.bulwark.api.RuleStatsStore;
import dev.bulwark.schemas.AvroSerde;
import dev.bulwark.schemas.RuleStats;
import dev.bulwark.schemas.Topics;

/**
 * The rule-stats topic as the query API reads it, as the {@code api} Kafka principal (or {@code rules} for the command
 * line): the latest record of each instance and rule, read again at most every five seconds.
 */
final class KafkaRuleStatsStore implements RuleStatsStore {

    private static final AvroSerde<RuleStats> SERDE = AvroSerde.of(RuleStats.class);
    private static final long FRESH_NANOS = 5_000_000_000L;

    private final BulwarkConfig config;
    private final KafkaSecurity.Component as;
    private List<RuleStats> cached;
    private long readAt;

    KafkaRuleStatsStore(BulwarkConfig config, KafkaSecurity.Component as) {
        this.config = config;
        this.as = as;
    }

    @Override
    public synchronized List<RuleStats> all() throws IOException {
        if (cached != null && System.nanoTime() - readAt < FRESH_NANOS) {
            return cached;
        }
        try {
            String topic = Topics.withPrefix(config.kafka.topicPrefix).ruleStats().name();
            List<RuleStats> records = new ArrayList<>();
            RulesCommand.readCompacted(config, topic, new ByteArrayDeserializer(), as).values().forEach(record -> {
                try {
                    records.add(SERDE.decode(record.value()));
                } catch (RuntimeException e) {
                    // a record of a later format, or not ours: left out, as an unreadable override is
                }
            });
            cached = List.copyOf(records);
            readAt = System.nanoTime();
            return cached;
        } catch (RuntimeException e) {
            throw new IOException("cannot read the rule-stats topic: " + e.getMessage(), e);
        }
    }
}
