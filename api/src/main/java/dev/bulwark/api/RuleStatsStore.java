package dev.bulwark.api;

import java.io.IOException;
import java.util.List;

import dev.bulwark.schemas.RuleStats;

/**
 * Where the query API reads per-rule telemetry: the compacted rule-stats topic, one record per detector instance and
 * rule ({@link RuleStatsReport} adds them up).
 *
 * <p>Why an interface: the API module stays free of Kafka; the command line supplies the Kafka-backed store.
 */
public interface RuleStatsStore {

    /** The latest record of every instance and rule, or an {@link IOException} when the topic cannot be read now. */
    List<RuleStats> all() throws IOException;
}
