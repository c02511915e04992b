package dev.bulwark.sink;

import static dev.bulwark.sink.FindingIndex.date;
import static dev.bulwark.sink.FindingIndex.keyword;
import static dev.bulwark.sink.FindingIndex.object;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import co.elastic.clients.elasticsearch._types.mapping.DynamicMapping;
import co.elastic.clients.elasticsearch._types.mapping.Property;
import co.elastic.clients.elasticsearch._types.mapping.TypeMapping;
import co.elastic.clients.elasticsearch.core.bulk.BulkOperation;
import dev.bulwark.schemas.Incident;
import dev.bulwark.schemas.IncidentFinding;

/**
 * The incident index: one document per incident ({@link Incident}), in the index {@code <prefix>} (default
 * {@code bulwark-incidents}), updated as findings join it, with the analyst's triage kept across updates.
 *
 * <p>Why an update with an upsert: each record on the incidents topic carries the whole incident, so its fields
 * replace the document's ({@code doc}); only the first write also sets triage status {@code open} ({@code upsert}), so
 * a later update never undoes a triage decision. The id is the incident's (deterministic), so a replay rewrites the
 * same document and never duplicates it. The document can be read back into an {@link Incident}
 * ({@link #incident(Map)}) so the API cuts tenants' views with the same rule as the notifier
 * ({@link dev.bulwark.schemas.IncidentViews}). Tenants have no Elasticsearch access to this index: their view is the
 * API's.
 *
 * @param prefix the index name, derived from the findings prefix ({@link #prefixFor})
 */
public record IncidentIndex(String prefix) {

    /** The incident index that goes with a findings prefix: {@code bulwark-findings} gives {@code bulwark-incidents}. */
    public static String prefixFor(String findingsPrefix) {
        return FindingIndex.siblingPrefix(findingsPrefix, "incidents");
    }

    /** The incident index that goes with the findings index. */
    public static IncidentIndex forFindings(FindingIndex findings) {
        return new IncidentIndex(prefixFor(findings.prefix()));
    }

    /** The document of an incident, without triage. */
    public static Map<String, Object> document(Incident incident) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("@timestamp", incident.getLastSeen());
        Map<String, Object> about = new LinkedHashMap<>();
        about.put("id", incident.getId());
        about.put("reason", incident.getReason());
        about.put("opened_by", incident.getOpenedBy());
        about.put("opened_at", incident.getOpenedAt());
        about.put("findings_total", incident.getFindingsTotal());
        about.put("truncated", incident.getTruncated());
        doc.put("incident", about);
        doc.put("risk", Map.of("score", incident.getRisk()));
        doc.put("first_seen", incident.getFirstSeen());
        doc.put("last_seen", incident.getLastSeen());
        doc.put("threat", Map.of("tactic", Map.of("name", incident.getTactics())));
        doc.put("tenant", Map.of("name", incident.getTenants()));
        doc.put("entities", incident.getEntities());
        doc.put("detectors", incident.getDetectors());
        List<Map<String, Object>> timeline = new ArrayList<>();
        incident.getTimeline().forEach(f -> timeline.add(entry(f)));
        doc.put("timeline", timeline);
        return doc;
    }

    /** One finding of the timeline as the document holds it (times in epoch milliseconds). */
    public static Map<String, Object> entry(IncidentFinding f) {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("finding_id", f.getFindingId());
        entry.put("time", f.getTime());
        entry.put("last_seen", f.getLastSeen());
        entry.put("rule_id", f.getRuleId());
        entry.put("rule_name", f.getRuleName());
        entry.put("detector", f.getDetector());
        entry.put("severity", f.getSeverity());
        entry.put("risk_score", f.getRiskScore());
        entry.put("tenant", f.getTenant());
        entry.put("other_tenants", f.getOtherTenants());
        entry.put("namespace", f.getNamespace());
        entry.put("pod", f.getPod());
        entry.put("user", f.getUser());
        entry.put("session_id", f.getSessionId());
        entry.put("tactics", f.getTactics());
        entry.put("entities", f.getEntities());
        List<Map<String, String>> podTenants = new ArrayList<>();
        f.getPodTenants().forEach((pod, tenant) -> podTenants.add(Map.of("pod", pod, "tenant", tenant)));
        entry.put("pod_tenants", podTenants);
        return entry;
    }

    /** The incident a document holds (the inverse of {@link #document}; triage is not part of it). */
    @SuppressWarnings("unchecked")
    public static Incident incident(Map<String, Object> doc) {
        Map<String, Object> about = (Map<String, Object>) doc.get("incident");
        List<IncidentFinding> timeline = new ArrayList<>();
        for (Map<String, Object> entry : (List<Map<String, Object>>) doc.getOrDefault("timeline", List.of())) {
            timeline.add(IncidentFinding.newBuilder()
                    .setFindingId((String) entry.get("finding_id"))
                    .setTime(number(entry.get("time")))
                    .setLastSeen(number(entry.get("last_seen")))
                    .setRuleId((String) entry.get("rule_id"))
                    .setRuleName((String) entry.get("rule_name"))
                    .setDetector((String) entry.get("detector"))
                    .setSeverity((String) entry.get("severity"))
                    .setRiskScore((int) number(entry.get("risk_score")))
                    .setTenant((String) entry.get("tenant"))
                    .setOtherTenants(strings(entry.get("other_tenants")))
                    .setNamespace((String) entry.get("namespace"))
                    .setPod((String) entry.get("pod"))
                    .setUser((String) entry.get("user"))
                    .setSessionId((String) entry.get("session_id"))
                    .setTactics(strings(entry.get("tactics")))
                    .setEntities(strings(entry.get("entities")))
                    .setPodTenants(podTenants(entry.get("pod_tenants")))
                    .build());
        }
        Map<String, Object> threat = (Map<String, Object>) doc.get("threat");
        return Incident.newBuilder()
                .setId((String) about.get("id"))
                .setReason((String) about.get("reason"))
                .setOpenedBy((String) about.get("opened_by"))
                .setOpenedAt(number(about.get("opened_at")))
                .setFindingsTotal(number(about.get("findings_total")))
                .setTruncated(Boolean.TRUE.equals(about.get("truncated")))
                .setRisk(((Number) ((Map<String, Object>) doc.get("risk")).get("score")).doubleValue())
                .setFirstSeen(number(doc.get("first_seen")))
                .setLastSeen(number(doc.get("last_seen")))
                .setTactics(strings(((Map<String, Object>) threat.get("tactic")).get("name")))
                .setTenants(strings(((Map<String, Object>) doc.get("tenant")).get("name")))
                .setEntities(strings(doc.get("entities")))
                .setDetectors(strings(doc.get("detectors")))
                .setTimeline(timeline)
                .build();
    }

    /** The pods' tenants from their list of {@code {pod, tenant}} objects. */
    private static Map<String, String> podTenants(Object value) {
        Map<String, String> podTenants = new LinkedHashMap<>();
        if (value instanceof List<?> list) {
            for (Object item : list) {
                if (item instanceof Map<?, ?> pair && pair.get("pod") != null && pair.get("tenant") != null) {
                    podTenants.put(String.valueOf(pair.get("pod")), String.valueOf(pair.get("tenant")));
                }
            }
        }
        return podTenants;
    }

    private static long number(Object value) {
        return value == null ? 0 : ((Number) value).longValue();
    }

    /** A list of strings, or a single string Elasticsearch gave back unwrapped. */
    private static List<String> strings(Object value) {
        if (value == null) {
            return new ArrayList<>();
        }
        if (value instanceof List<?> list) {
            List<String> out = new ArrayList<>();
            list.forEach(v -> out.add(String.valueOf(v)));
            return out;
        }
        return new ArrayList<>(List.of(String.valueOf(value)));
    }

    /** The bulk operation that writes an incident: its current state merged in, triage {@code open} on first write. */
    public BulkOperation operation(Incident incident) {
        Map<String, Object> doc = document(incident);
        Map<String, Object> whole = new LinkedHashMap<>(doc);
        whole.put("triage", Map.of("status", "open"));
        return BulkOperation.of(o -> o.update(u -> u.index(prefix).id(incident.getId()).retryOnConflict(3)
                .action(a -> a.doc(doc).upsert(whole))));
    }

    /** Creates or updates the index template (strict mapping); idempotent. */
    public void installTemplate(ElasticsearchClient client) throws IOException {
        FindingIndex.putSingleIndexTemplate(client, prefix, mappings());
    }

    static TypeMapping mappings() {
        Property count = Property.of(p -> p.long_(l -> l));
        Property text = Property.of(p -> p.text(x -> x));
        return TypeMapping.of(m -> m
                .dynamic(DynamicMapping.Strict)
                .properties("@timestamp", date())
                .properties("incident", object(o -> o
                        .properties("id", keyword())
                        .properties("reason", keyword())
                        .properties("opened_by", keyword())
                        .properties("opened_at", date())
                        .properties("findings_total", count)
                        .properties("truncated", Property.of(p -> p.boolean_(b -> b)))))
                .properties("risk", object(o -> o.properties("score", Property.of(p -> p.double_(d -> d)))))
                .properties("first_seen", date())
                .properties("last_seen", date())
                .properties("threat", object(o -> o.properties("tactic", object(x -> x.properties("name", keyword())))))
                .properties("tenant", object(o -> o.properties("name", keyword())))
                .properties("entities", keyword())
                .properties("detectors", keyword())
                .properties("timeline", object(o -> o
                        .properties("finding_id", keyword())
                        .properties("time", date())
                        .properties("last_seen", date())
                        .properties("rule_id", keyword())
                        .properties("rule_name", keyword())
                        .properties("detector", keyword())
                        .properties("severity", keyword())
                        .properties("risk_score", count)
                        .properties("tenant", keyword())
                        .properties("other_tenants", keyword())
                        .properties("namespace", keyword())
                        .properties("pod", keyword())
                        .properties("user", keyword())
                        .properties("session_id", keyword())
                        .properties("tactics", keyword())
                        .properties("entities", keyword())
                        .properties("pod_tenants", object(x -> x
                                .properties("pod", keyword())
                                .properties("tenant", keyword())))))
                .properties("triage", object(o -> o
                        .properties("status", keyword())
                        .properties("updated_by", keyword())
                        .properties("updated_at", date())
                        .properties("note", text))));
    }
}
