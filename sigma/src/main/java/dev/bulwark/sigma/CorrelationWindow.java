package dev.bulwark.sigma;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.common.serialization.Serde;

import dev.bulwark.schemas.Finding;

/**
 * The state of one correlation group: the base-rule matches still inside the correlation's timespan plus grace,
 * sorted by event time, and the latest match's own finding (workload and tenant of a firing).
 *
 * <p>Why: Sigma correlations need sliding windows over several rules with distinct-value and order semantics, and
 * their timespans change with the rules at run time; one sorted list per group in a key-value store serves all four
 * types and any timespan, where a DSL window is fixed when the topology is built.
 *
 * @param correlationKey the correlation's key
 * @param group the group-by values
 * @param entries the matches, oldest first (ties in arrival order)
 * @param context the latest match's finding
 */
record CorrelationWindow(String correlationKey, List<String> group, List<Entry> entries, Finding context) {

    private static final int VERSION = 1;

    /** Serde of the window store. */
    static final Serde<CorrelationWindow> SERDE = StateCodec.serde(CorrelationWindow::write, CorrelationWindow::read);

    /**
     * One match in a window.
     *
     * @param time event time, epoch milliseconds
     * @param ruleId the matched rule's id, or null
     * @param ruleName the matched rule's name, or null
     * @param eventId the event's id
     * @param value the aggregated field's value (value_count), or null
     */
    record Entry(long time, String ruleId, String ruleName, String eventId, String value) {

        boolean is(String reference) {
            return reference.equals(ruleId) || reference.equals(ruleName);
        }
    }

    /** A copy with these entries (sorted by time) and context. */
    CorrelationWindow with(List<Entry> replacement, Finding latest) {
        return new CorrelationWindow(correlationKey, group, List.copyOf(replacement), latest);
    }

    private static void write(DataOutputStream out, CorrelationWindow window) throws IOException {
        out.writeByte(VERSION);
        StateCodec.writeString(out, window.correlationKey);
        out.writeInt(window.group.size());
        for (String value : window.group) {
            StateCodec.writeString(out, value);
        }
        out.writeInt(window.entries.size());
        for (Entry entry : window.entries) {
            out.writeLong(entry.time);
            StateCodec.writeString(out, entry.ruleId);
            StateCodec.writeString(out, entry.ruleName);
            StateCodec.writeString(out, entry.eventId);
            StateCodec.writeString(out, entry.value);
        }
        StateCodec.writeFinding(out, window.context);
    }

    private static CorrelationWindow read(DataInputStream in) throws IOException {
        StateCodec.expectVersion(in, VERSION, "correlation window");
        String key = StateCodec.readString(in);
        int groupSize = in.readInt();
        List<String> group = new ArrayList<>(groupSize);
        for (int i = 0; i < groupSize; i++) {
            group.add(StateCodec.readString(in));
        }
        int size = in.readInt();
        List<Entry> entries = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            entries.add(new Entry(in.readLong(), StateCodec.readString(in), StateCodec.readString(in),
                    StateCodec.readString(in), StateCodec.readString(in)));
        }
        return new CorrelationWindow(key, java.util.Collections.unmodifiableList(group), List.copyOf(entries),
                StateCodec.readFinding(in));
    }
}
