package dev.bulwark.api;

import java.io.IOException;
import java.util.List;

import dev.bulwark.schemas.RuleOverride;

/**
 * Where the query API reads and writes per-tenant rule overrides: the compacted rule-overrides topic, which the
 * detectors apply (docs/tuning.md).
 *
 * <p>Why an interface: the API module stays free of Kafka; the command line supplies the Kafka-backed store.
 */
public interface RuleOverrideStore {

    /** Every override held now, or an {@link IOException} when the store has not read the topic yet. */
    List<RuleOverride> all() throws IOException;

    /**
     * Refuses an override the detectors could not apply, such as an exception that is not one valid Sigma filter
     * document, with an {@link IllegalArgumentException} saying why. The default accepts everything.
     */
    default void check(RuleOverride override) {
    }

    /** Writes (or replaces) the override of its tenant and target; returns once Kafka acknowledged it. */
    void put(RuleOverride override) throws IOException;

    /** Removes the override of {@code target} for {@code tenant} (a tombstone); returns once Kafka acknowledged it. */
    void delete(String tenant, String target) throws IOException;
}
