package dev.bulwark.sigma;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.apache.kafka.common.serialization.Serde;

import dev.bulwark.schemas.Finding;
import dev.bulwark.sigma.state.CorrelationHitRecord;

/**
 * One base-rule match on its way to a correlation window: which correlation and group it counts for, which rule
 * matched, the event's id, time and (for {@code value_count}) the aggregated field's value, and the finding the match
 * would make on its own, whose workload and tenant the correlation finding takes over.
 *
 * <p>Why: correlation windows are keyed by correlation and group-by values, which are not the key the events arrive
 * with; hits are repartitioned on that key so every hit of a group meets in one task. On the topic a hit is a
 * {@link CorrelationHitRecord}.
 *
 * @param correlationKey the correlation's key
 * @param group the group-by values (null for an absent field)
 * @param ruleId the matched rule's id, or null
 * @param ruleName the matched rule's name, or null
 * @param eventId the event's id
 * @param time the event time, epoch milliseconds
 * @param value the value of the correlation's {@code condition.field} in the event, or null
 * @param context the finding of the match on its own (workload, tenant, evidence)
 * @param route for a correlation that other correlations reference: the keys of those its firing goes to, nearest
 *              first, up to the outermost (whose key and group the hit is partitioned by); empty otherwise
 */
public record CorrelationHit(String correlationKey, List<String> group, String ruleId, String ruleName, String eventId,
                             long time, String value, Finding context, List<String> route) {

    /** The serde of the repartition topic. */
    public static final Serde<CorrelationHit> SERDE = new StateSerde<>("correlation hit", CorrelationHitRecord.class,
            CorrelationHit::toRecord, CorrelationHit::fromRecord);

    public CorrelationHit {
        group = Collections.unmodifiableList(new ArrayList<>(group));
        route = List.copyOf(route);
    }

    /** A hit of a correlation that no other correlation references. */
    public CorrelationHit(String correlationKey, List<String> group, String ruleId, String ruleName, String eventId,
                          long time, String value, Finding context) {
        this(correlationKey, group, ruleId, ruleName, eventId, time, value, context, List.of());
    }

    /** True when the hit's rule is referenced as {@code reference} (its id or name). */
    public boolean is(String reference) {
        return reference.equals(ruleId) || reference.equals(ruleName);
    }

    private static CorrelationHitRecord toRecord(CorrelationHit hit) {
        return CorrelationHitRecord.newBuilder()
                .setCorrelationKey(hit.correlationKey)
                .setGroup(hit.group)
                .setRuleId(hit.ruleId)
                .setRuleName(hit.ruleName)
                .setEventId(hit.eventId)
                .setTime(hit.time)
                .setValue(hit.value)
                .setContext(StateSerde.bytes(hit.context))
                .setRoute(hit.route)
                .build();
    }

    private static CorrelationHit fromRecord(CorrelationHitRecord record) {
        return new CorrelationHit(record.getCorrelationKey(), record.getGroup(), record.getRuleId(),
                record.getRuleName(), record.getEventId(), record.getTime(), record.getValue(),
                StateSerde.finding(record.getContext()), List.copyOf(record.getRoute()));
    }
}
