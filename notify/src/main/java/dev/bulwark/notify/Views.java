package dev.bulwark.notify;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.Incident;
import dev.bulwark.schemas.IncidentFinding;

/**
 * The JSON of findings and incidents as notifications carry them, and what a tenant route leaves out.
 *
 * <p>Why one place: every format shows the same fields, and what a tenant must not see (the names of other tenants, the
 * evidence of a cross-tenant finding, which may describe the other tenant's workload) is decided once.
 */
final class Views {

    static final ObjectMapper JSON = new ObjectMapper();

    private Views() {
    }

    /** Whether {@code finding} involves a tenant other than its owner. */
    static boolean otherTenantsInvolved(Finding finding) {
        return finding.getOtherTenants().stream().anyMatch(t -> !t.equals(finding.getTenant()));
    }

    static ObjectNode finding(Finding f, Route route) {
        boolean tenantView = !route.allTenants();
        ObjectNode node = JSON.createObjectNode();
        node.put("id", f.getId());
        node.put("detector", f.getDetector());
        ObjectNode rule = node.putObject("rule");
        rule.put("id", f.getRule().getId());
        rule.put("name", f.getRule().getName());
        rule.put("version", f.getRule().getVersion());
        node.put("severity", Severity.normalise(f.getSeverity()));
        node.put("risk_score", f.getRiskScore());
        node.put("tenant", f.getTenant());
        boolean others = otherTenantsInvolved(f);
        if (tenantView) {
            node.put("other_tenants_involved", others);
        } else {
            strings(node.putArray("other_tenants"), f.getOtherTenants());
        }
        node.put("summary", f.getSummary());
        node.put("first_seen", iso(f.getFirstSeen()));
        node.put("last_seen", iso(f.getLastSeen()));
        node.put("count", f.getCount());
        putIfPresent(node, "cluster", f.getCluster());
        putIfPresent(node, "namespace", f.getNamespace());
        putIfPresent(node, "pod", f.getPod());
        putIfPresent(node, "container_id", f.getContainerId());
        putIfPresent(node, "image", f.getImage());
        putIfPresent(node, "escalates", f.getEscalates());
        ObjectNode mitre = node.putObject("mitre");
        strings(mitre.putArray("tactics"), f.getMitre().getTactics());
        strings(mitre.putArray("techniques"), f.getMitre().getTechniques());
        if (!(tenantView && others) && f.getEvidence() != null) {
            ObjectNode evidence = node.putObject("evidence");
            strings(evidence.putArray("event_ids"), f.getEvidence().getEventIds());
            ObjectNode fields = evidence.putObject("fields");
            new TreeMap<>(f.getEvidence().getFields()).forEach(fields::put);
            evidence.put("truncated", f.getEvidence().getTruncated());
        }
        return node;
    }

    /** An incident as {@code IncidentNotice} carries it (already the tenant's view for a tenant route). */
    static ObjectNode incident(Notice.IncidentNotice notice) {
        Incident i = notice.incident();
        Route route = notice.route();
        ObjectNode node = JSON.createObjectNode();
        node.put("id", i.getId());
        node.put("reason", i.getReason());
        node.put("opened_by", i.getOpenedBy());
        node.put("opened_at", iso(i.getOpenedAt()));
        node.put("first_seen", iso(i.getFirstSeen()));
        node.put("last_seen", iso(i.getLastSeen()));
        node.put("risk", Math.round(i.getRisk() * 100) / 100.0);
        node.put("severity", severity(i));
        strings(node.putArray("tactics"), i.getTactics());
        strings(node.putArray("tenants"), route.allTenants() ? i.getTenants() : List.of(route.tenant()));
        strings(node.putArray("entities"), i.getEntities());
        strings(node.putArray("detectors"), i.getDetectors());
        node.put("findings_total", i.getFindingsTotal());
        node.put("truncated", i.getTruncated());
        if (!route.allTenants()) {
            node.put("other_tenants_involved", notice.otherTenantsInvolved());
            node.put("hidden_findings", notice.hiddenFindings());
        }
        ArrayNode timeline = node.putArray("timeline");
        for (IncidentFinding f : i.getTimeline()) {
            ObjectNode e = timeline.addObject();
            e.put("finding_id", f.getFindingId());
            e.put("time", iso(f.getTime()));
            e.put("last_seen", iso(f.getLastSeen()));
            e.put("rule_id", f.getRuleId());
            e.put("rule_name", f.getRuleName());
            e.put("detector", f.getDetector());
            e.put("severity", Severity.normalise(f.getSeverity()));
            e.put("risk_score", f.getRiskScore());
            e.put("tenant", f.getTenant());
            if (route.allTenants()) {
                strings(e.putArray("other_tenants"), f.getOtherTenants());
            }
            putIfPresent(e, "namespace", f.getNamespace());
            putIfPresent(e, "pod", f.getPod());
            putIfPresent(e, "user", f.getUser());
            putIfPresent(e, "session_id", f.getSessionId());
            strings(e.putArray("tactics"), f.getTactics());
        }
        return node;
    }

    /** The highest severity in an incident's timeline ("low" when it is empty). */
    static String severity(Incident incident) {
        int max = 0;
        for (IncidentFinding f : incident.getTimeline()) {
            max = Math.max(max, Severity.rank(f.getSeverity()));
        }
        return Severity.ORDER.get(max);
    }

    static ObjectNode summary(Notice.SummaryNotice s) {
        ObjectNode node = JSON.createObjectNode();
        node.put("scope", s.scopeType());
        node.put("id", s.scopeId());
        if (s.tenant() != null) {
            node.put("tenant", s.tenant());
        }
        node.put("count", s.count());
        node.put("repeats", s.repeats());
        node.put("severity", s.severity());
        ObjectNode byRule = node.putObject("by_rule");
        s.byRule().forEach(byRule::put);
        node.put("window_start", iso(s.windowStart()));
        node.put("text", s.text());
        return node;
    }

    static String iso(long epochMillis) {
        return Instant.ofEpochMilli(epochMillis).toString();
    }

    private static void putIfPresent(ObjectNode node, String field, String value) {
        if (value != null) {
            node.put(field, value);
        }
    }

    private static void strings(ArrayNode array, List<String> values) {
        values.forEach(array::add);
    }

    static byte[] bytes(Object node) {
        try {
            return JSON.writeValueAsBytes(node);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot encode a notification as JSON: " + e.getOriginalMessage(), e);
        }
    }

    static Map<String, String> jsonHeaders() {
        return Map.of("Content-Type", "application/json", "User-Agent", "bulwark-notify");
    }
}
