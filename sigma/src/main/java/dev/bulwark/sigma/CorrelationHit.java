package dev.bulwark.sigma;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.common.serialization.Serde;

import dev.bulwark.schemas.Finding;

/**
 * One base-rule match on its way to a correlation window: which correlation and group it counts for, which rule
 * matched, the event's id, time and (for {@code value_count}) the aggregated field's value, and the finding the match
 * would make on its own, whose workload and tenant the correlation finding takes over.
 *
 * <p>Why: correlation windows are keyed by correlation and group-by values, which are not the key the events arrive
 * with; hits are repartitioned on that key so every hit of a group meets in one task.
 *
 * @param correlationKey the correlation's key
 * @param group the group-by values (null for an absent field)
 * @param ruleId the matched rule's id, or null
 * @param ruleName the matched rule's name, or null
 * @param eventId the event's id
 * @param time the event time, epoch milliseconds
 * @param value the value of the correlation's {@code condition.field} in the event, or null
 * @param context the finding of the match on its own (workload, tenant, evidence)
 */
public record CorrelationHit(String correlationKey, List<String> group, String ruleId, String ruleName, String eventId,
                             long time, String value, Finding context) {

    private static final int VERSION = 1;

    /** The serde of the repartition topic. */
    public static final Serde<CorrelationHit> SERDE = StateCodec.serde(CorrelationHit::write, CorrelationHit::read);

    public CorrelationHit {
        group = java.util.Collections.unmodifiableList(new ArrayList<>(group));
    }

    /** True when the hit's rule is referenced as {@code reference} (its id or name). */
    public boolean is(String reference) {
        return reference.equals(ruleId) || reference.equals(ruleName);
    }

    static void write(DataOutputStream out, CorrelationHit hit) throws IOException {
        out.writeByte(VERSION);
        StateCodec.writeString(out, hit.correlationKey);
        out.writeInt(hit.group.size());
        for (String value : hit.group) {
            StateCodec.writeString(out, value);
        }
        StateCodec.writeString(out, hit.ruleId);
        StateCodec.writeString(out, hit.ruleName);
        StateCodec.writeString(out, hit.eventId);
        out.writeLong(hit.time);
        StateCodec.writeString(out, hit.value);
        StateCodec.writeFinding(out, hit.context);
    }

    static CorrelationHit read(DataInputStream in) throws IOException {
        StateCodec.expectVersion(in, VERSION, "correlation hit");
        String key = StateCodec.readString(in);
        int size = in.readInt();
        List<String> group = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            group.add(StateCodec.readString(in));
        }
        return new CorrelationHit(key, group, StateCodec.readString(in), StateCodec.readString(in),
                StateCodec.readString(in), in.readLong(), StateCodec.readString(in), StateCodec.readFinding(in));
    }
}
