package dev.bulwark.compliance.report;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

import dev.bulwark.compliance.ControlResult;

/**
 * Every control result at one time, as one snapshot of the posture is stored.
 *
 * @param at when the posture was evaluated
 * @param results every result of that evaluation (all frameworks, tenants and namespaces)
 */
public record Snapshot(Instant at, List<ControlResult> results) {

    public Snapshot {
        Objects.requireNonNull(at, "at");
        results = List.copyOf(results);
    }
}
