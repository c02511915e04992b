package dev.bulwark.api;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

import dev.bulwark.schemas.RuleOverride;
import dev.bulwark.schemas.Topics;

/**
 * The JSON of rule overrides in the query API: {@code {"disabled": true}} or {@code {"severity": "low"}}, with an
 * optional {@code "note"}, in; the override with who set it and when, out.
 */
final class RuleOverrideRequests {

    private static final Set<String> FIELDS = Set.of("disabled", "severity", "note");
    private static final Set<String> SEVERITIES = Set.of("low", "medium", "high", "critical");

    private RuleOverrideRequests() {
    }

    /** Parses and validates a PUT body into the override of {@code target} for {@code tenant}, set by {@code by}. */
    static RuleOverride parse(byte[] body, String tenant, String target, String by, long at) {
        JsonNode node = Validation.jsonObject(body, FIELDS, "{\"disabled\":true} or {\"severity\":\"low\"}",
                "an override");
        JsonNode disabled = node.get("disabled");
        JsonNode severity = node.get("severity");
        if (disabled != null && !disabled.isBoolean()) {
            throw ApiException.badRequest("disabled must be true or false");
        }
        if (severity != null && !(severity.isTextual() && SEVERITIES.contains(severity.asText()))) {
            throw ApiException.badRequest("severity must be low, medium, high or critical");
        }
        boolean disable = disabled != null && disabled.asBoolean();
        if (disable == (severity != null)) {
            throw ApiException.badRequest("give exactly one of \"disabled\": true and \"severity\"");
        }
        JsonNode note = node.get("note");
        if (note != null && !note.isTextual() && !note.isNull()) {
            throw ApiException.badRequest("note must be text");
        }
        String text = note == null || note.isNull() ? null : Validation.text("note", note.asText(), Topics.MAX_OVERRIDE_NOTE);
        return RuleOverride.newBuilder().setTenant(tenant).setTarget(target).setDisabled(disable)
                .setSeverity(severity == null ? null : severity.asText()).setUpdatedBy(by).setUpdatedAt(at)
                .setNote(text).build();
    }

    /** An override as the API shows it. */
    static Map<String, Object> json(RuleOverride override) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("tenant", override.getTenant());
        row.put("target", override.getTarget());
        row.put("disabled", override.getDisabled());
        row.put("severity", override.getSeverity());
        row.put("updated_by", override.getUpdatedBy());
        row.put("updated_at", override.getUpdatedAt() <= 0 ? null : Instant.ofEpochMilli(override.getUpdatedAt()).toString());
        row.put("note", override.getNote());
        return row;
    }
}
