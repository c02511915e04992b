package dev.bulwark.sigma;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.apache.kafka.common.serialization.Serde;

import dev.bulwark.schemas.Finding;
import dev.bulwark.sigma.state.CorrelationWindowRecord;
import dev.bulwark.sigma.state.WindowEntryRecord;

/**
 * The state of one correlation group: the base-rule matches still inside the correlation's timespan plus grace,
 * sorted by event time, and the latest match's own finding (workload and tenant of a firing).
 *
 * <p>Why: Sigma correlations need sliding windows over several rules with distinct-value and order semantics, and
 * their timespans change with the rules at run time; one sorted list per group in a key-value store serves all four
 * types and any timespan, where a DSL window is fixed when the topology is built. Stored as a
 * {@link CorrelationWindowRecord}.
 *
 * @param correlationKey the correlation's key
 * @param group the group-by values
 * @param entries the matches, oldest first (ties in arrival order)
 * @param context the latest match's finding
 * @param route for a correlation inside a chain: the keys of the correlations its firings go to, nearest first;
 *              empty otherwise
 */
record CorrelationWindow(String correlationKey, List<String> group, List<Entry> entries, Finding context,
                         List<String> route) {

    CorrelationWindow {
        route = List.copyOf(route);
    }

    /** The window of a correlation that no other correlation references. */
    CorrelationWindow(String correlationKey, List<String> group, List<Entry> entries, Finding context) {
        this(correlationKey, group, entries, context, List.of());
    }

    /** Serde of the window store. */
    static final Serde<CorrelationWindow> SERDE = new StateSerde<>("correlation window", CorrelationWindowRecord.class,
            CorrelationWindow::toRecord, CorrelationWindow::fromRecord);

    /**
     * One match in a window.
     *
     * @param time event time, epoch milliseconds
     * @param ruleId the matched rule's id, or null
     * @param ruleName the matched rule's name, or null
     * @param eventId the event's id
     * @param value the aggregated field's value (value_* types), or null; for the firing of a referenced
     *              correlation, null
     */
    record Entry(long time, String ruleId, String ruleName, String eventId, String value) {

        boolean is(String reference) {
            return reference.equals(ruleId) || reference.equals(ruleName);
        }
    }

    /** A copy with these entries (sorted by time) and context. */
    CorrelationWindow with(List<Entry> replacement, Finding latest) {
        return new CorrelationWindow(correlationKey, group, List.copyOf(replacement), latest, route);
    }

    private static CorrelationWindowRecord toRecord(CorrelationWindow window) {
        List<WindowEntryRecord> entries = new ArrayList<>(window.entries.size());
        for (Entry entry : window.entries) {
            entries.add(new WindowEntryRecord(entry.time, entry.ruleId, entry.ruleName, entry.eventId, entry.value));
        }
        return CorrelationWindowRecord.newBuilder()
                .setCorrelationKey(window.correlationKey)
                .setGroup(window.group)
                .setEntries(entries)
                .setContext(StateSerde.bytes(window.context))
                .setRoute(window.route)
                .build();
    }

    private static CorrelationWindow fromRecord(CorrelationWindowRecord record) {
        List<Entry> entries = new ArrayList<>(record.getEntries().size());
        for (WindowEntryRecord entry : record.getEntries()) {
            entries.add(new Entry(entry.getTime(), entry.getRuleId(), entry.getRuleName(), entry.getEventId(),
                    entry.getValue()));
        }
        return new CorrelationWindow(record.getCorrelationKey(),
                Collections.unmodifiableList(new ArrayList<>(record.getGroup())), List.copyOf(entries),
                StateSerde.finding(record.getContext()), List.copyOf(record.getRoute()));
    }
}
