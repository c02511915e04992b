package dev.bulwark.sigma;

import dev.bulwark.schemas.DeadLetter;
import dev.bulwark.schemas.Finding;

/**
 * What the matching processor emits for one event or one rules update: a rule finding to fold, a hit for a
 * correlation window, or a dead letter for a rejected rules record. Exactly one is set.
 *
 * <p>Why: a processor has one output type; the topology splits this stream into the three paths right away, so the
 * type never reaches a topic.
 */
record SigmaOutput(Finding finding, CorrelationHit hit, DeadLetter deadLetter) {

    static SigmaOutput of(Finding finding) {
        return new SigmaOutput(finding, null, null);
    }

    static SigmaOutput of(CorrelationHit hit) {
        return new SigmaOutput(null, hit, null);
    }

    static SigmaOutput of(DeadLetter deadLetter) {
        return new SigmaOutput(null, null, deadLetter);
    }
}
