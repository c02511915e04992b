package dev.bulwark.api;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

import dev.bulwark.schemas.RuleOverride;
import dev.bulwark.schemas.Topics;

/**
 * The JSON of rule overrides in the query API, in: {@code {"disabled": true}}, or any of {@code "severity"},
 * {@code "exception"} (a Sigma filter document, YAML text) and {@code "threshold"} (a correlation's count for this
 * tenant), each with an optional {@code "note"}; out: the override with who set it and when.
 */
final class RuleOverrideRequests {

    private static final Set<String> FIELDS = Set.of("disabled", "severity", "exception", "threshold", "note");
    private static final Set<String> SEVERITIES = Set.of("low", "medium", "high", "critical");
    private static final String EXAMPLE = "{\"disabled\":true}, {\"severity\":\"low\"}, "
            + "{\"exception\":\"<Sigma filter YAML>\"} or {\"threshold\":20}";

    private RuleOverrideRequests() {
    }

    /** Parses and validates a PUT body into the override of {@code target} for {@code tenant}, set by {@code by}. */
    static RuleOverride parse(byte[] body, String tenant, String target, String by, long at) {
        JsonNode node = Validation.jsonObject(body, FIELDS, EXAMPLE, "an override");
        JsonNode disabled = node.get("disabled");
        JsonNode severity = node.get("severity");
        JsonNode exception = node.get("exception");
        JsonNode threshold = node.get("threshold");
        if (disabled != null && !disabled.isBoolean()) {
            throw ApiException.badRequest("disabled must be true or false");
        }
        if (severity != null && !(severity.isTextual() && SEVERITIES.contains(severity.asText()))) {
            throw ApiException.badRequest("severity must be low, medium, high or critical");
        }
        if (exception != null && !(exception.isTextual() && !exception.asText().isBlank())) {
            throw ApiException.badRequest("exception must be the text of a Sigma filter document");
        }
        if (exception != null && exception.asText().length() > Topics.MAX_OVERRIDE_EXCEPTION) {
            throw ApiException.badRequest("exception holds at most " + Topics.MAX_OVERRIDE_EXCEPTION + " characters");
        }
        if (threshold != null && !(threshold.canConvertToLong() && threshold.isIntegralNumber()
                && threshold.asLong() >= 1 && threshold.asLong() <= Topics.MAX_OVERRIDE_THRESHOLD)) {
            throw ApiException.badRequest("threshold must be a whole number from 1 to " + Topics.MAX_OVERRIDE_THRESHOLD);
        }
        boolean disable = disabled != null && disabled.asBoolean();
        boolean tunes = severity != null || exception != null || threshold != null;
        if (disable == tunes) {
            throw ApiException.badRequest("give either \"disabled\": true, or any of \"severity\", \"exception\" and "
                    + "\"threshold\"");
        }
        JsonNode note = node.get("note");
        if (note != null && !note.isTextual() && !note.isNull()) {
            throw ApiException.badRequest("note must be text");
        }
        String text = note == null || note.isNull() ? null : Validation.text("note", note.asText(), Topics.MAX_OVERRIDE_NOTE);
        return RuleOverride.newBuilder().setTenant(tenant).setTarget(target).setDisabled(disable)
                .setSeverity(severity == null ? null : severity.asText())
                .setException(exception == null ? null : exception.asText())
                .setThreshold(threshold == null ? null : threshold.asLong()).setUpdatedBy(by).setUpdatedAt(at)
                .setNote(text).build();
    }

    /** An override as the API shows it. */
    static Map<String, Object> json(RuleOverride override) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("tenant", override.getTenant());
        row.put("target", override.getTarget());
        row.put("disabled", override.getDisabled());
        row.put("severity", override.getSeverity());
        row.put("exception", override.getException());
        row.put("threshold", override.getThreshold());
        row.put("updated_by", override.getUpdatedBy());
        row.put("updated_at", override.getUpdatedAt() <= 0 ? null : Instant.ofEpochMilli(override.getUpdatedAt()).toString());
        row.put("note", override.getNote());
        return row;
    }
}
