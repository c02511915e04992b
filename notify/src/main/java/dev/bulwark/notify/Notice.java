package dev.bulwark.notify;

import java.util.Map;

import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.Incident;

/**
 * What one notification says, before a format encodes it.
 *
 * <p>Every notice has a delivery id that is the same whenever the same thing is notified again (after a restart or a
 * retry), so receivers can drop the repeats that at-least-once delivery allows.
 */
sealed interface Notice {

    /** Deterministic id of this notification. */
    String deliveryId();

    /** The route it goes to. */
    Route route();

    /**
     * A finding seen for the first time, or again with a higher severity.
     *
     * @param event {@code new} or {@code escalated}
     */
    record FindingNotice(Route route, Finding finding, String event, String deliveryId) implements Notice {
    }

    /**
     * The state of an incident after its latest update (the tenant's view for a tenant route).
     *
     * @param hiddenFindings findings of other tenants left out of a tenant's view
     * @param otherTenantsInvolved whether another tenant is part of the incident (never which)
     * @param updates how many updates of the incident this one notification stands for
     */
    record IncidentNotice(Route route, Incident incident, int hiddenFindings, boolean otherTenantsInvolved, int updates,
                          String deliveryId) implements Notice {
    }

    /**
     * What the rate limit held back in one scope, sent when the minute rolls over.
     *
     * @param scopeType {@code incident} or {@code tenant}; {@code incidents} or {@code tenants} when the rest of many
     *     scopes share one summary
     * @param scopeId the incident id or tenant name
     * @param count how many findings (new beyond the limit, or repeats) or incident findings it stands for
     * @param repeats of those, repeats of findings already notified
     * @param byRule counts by rule name (findings), largest first
     * @param severity the highest severity among them
     * @param windowStart epoch milliseconds the minute started
     * @param records how many records it covers
     */
    record SummaryNotice(Route route, String scopeType, String scopeId, String tenant, long count, long repeats,
                         Map<String, Long> byRule, String severity, long windowStart, int records, String deliveryId)
            implements Notice {

        /** One line: "12 more findings in incident X" or "12 more findings for tenant acme: rule a ×7, rule b ×5". */
        String text() {
            StringBuilder text = new StringBuilder();
            text.append(count).append(count == 1 ? " more finding " : " more findings ");
            text.append(switch (scopeType) {
                case "incident" -> "in incident ";
                case "tenant" -> "for tenant ";
                default -> "in "; // several scopes merged: "in 7 other incidents"
            }).append(scopeId);
            if (!byRule.isEmpty()) {
                text.append(": ");
                int shown = 0;
                long rest = 0;
                for (var entry : byRule.entrySet()) {
                    if (shown < 5) {
                        text.append(shown == 0 ? "" : ", ").append(entry.getKey()).append(" ×").append(entry.getValue());
                        shown++;
                    } else {
                        rest += entry.getValue();
                    }
                }
                if (rest > 0) {
                    text.append(", other rules ×").append(rest);
                }
            }
            if (repeats > 0) {
                text.append(" (").append(repeats).append(repeats == 1 ? " is a repeat" : " are repeats")
                        .append(" of findings already notified)");
            }
            return text.toString();
        }
    }
}
