package dev.bulwark.api;

import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import co.elastic.clients.elasticsearch._types.FieldValue;
import co.elastic.clients.elasticsearch._types.Refresh;
import co.elastic.clients.elasticsearch._types.SortOptions;
import co.elastic.clients.elasticsearch._types.SortOrder;
import co.elastic.clients.elasticsearch._types.query_dsl.Query;
import co.elastic.clients.elasticsearch.core.search.Hit;
import co.elastic.clients.json.JsonData;
import dev.bulwark.schemas.Incident;
import dev.bulwark.schemas.IncidentFinding;
import dev.bulwark.schemas.IncidentViews;
import dev.bulwark.sink.FindingDocument;
import dev.bulwark.sink.IncidentIndex;

/**
 * {@code GET /api/incidents}, {@code GET /api/incidents/{id}} and {@code PATCH /api/incidents/{id}}: incidents as the
 * detectors build them from findings, and their triage.
 *
 * <p>Why the cut happens here: an incident may span tenants, and a tenant must see only its own side of it plus the
 * fact that another tenant took part. Every request of a tenant principal carries a {@code term} filter on
 * {@code tenant.name} in the Elasticsearch query (so an incident that does not concern the tenant is a 404, exactly
 * like a missing one), and every incident it gets back is cut by {@link IncidentViews#forTenant} before it is
 * rendered, so no field of another tenant's findings, pods or users leaves the server. Tenants have no Elasticsearch
 * access to the incident index at all. Only SOC principals triage.
 */
final class IncidentService {

    static final Set<String> PARAMS = Set.of("sort", "status", "tenant", "finding", "size");
    static final List<String> SORTS = List.of("last_seen", "risk");

    private final ElasticsearchClient client;
    private final IncidentIndex index;
    private final Clock clock;

    IncidentService(ElasticsearchClient client, IncidentIndex index, Clock clock) {
        this.client = client;
        this.index = index;
        this.clock = clock;
    }

    /** The page of incidents the principal may see, newest (or riskiest) first. */
    Map<String, Object> list(Principal principal, QueryParams params) throws IOException {
        String sort = params.get("sort") == null ? "last_seen" : Validation.single("sort", params.get("sort"), SORTS);
        List<String> statuses = Validation.oneOf("status", params.get("status"), FindingDocument.TRIAGE_STATUSES);
        String finding = params.get("finding") == null ? null : Validation.findingId(params.get("finding"));
        int size = Validation.size(params.get("size"));
        String tenant = Validation.tenant(params.get("tenant"));
        if (!principal.isSoc()) {
            if (tenant != null && !tenant.equals(principal.tenant())) {
                throw new ApiException(403, "a tenant sees only incidents that concern it");
            }
            tenant = principal.tenant();
        }
        List<Query> filters = new ArrayList<>();
        if (tenant != null) {
            String scoped = tenant;
            filters.add(Query.of(q -> q.term(t -> t.field("tenant.name").value(FieldValue.of(scoped)))));
        }
        if (statuses != null && !statuses.isEmpty()) {
            List<FieldValue> values = statuses.stream().map(FieldValue::of).toList();
            filters.add(Query.of(q -> q.terms(t -> t.field("triage.status").terms(v -> v.value(values)))));
        }
        if (finding != null) {
            filters.add(Query.of(q -> q.term(t -> t.field("timeline.finding_id").value(FieldValue.of(finding)))));
        }
        SortOptions order = "risk".equals(sort)
                ? SortOptions.of(s -> s.field(f -> f.field("risk.score").order(SortOrder.Desc)))
                : SortOptions.of(s -> s.field(f -> f.field("last_seen").order(SortOrder.Desc)));
        var response = client.search(s -> s.index(index.prefix()).ignoreUnavailable(true).allowNoIndices(true)
                .size(size).trackTotalHits(t -> t.enabled(true))
                .query(q -> q.bool(b -> b.filter(filters)))
                .sort(order, SortOptions.of(x -> x.field(f -> f.field("incident.id").order(SortOrder.Asc)))),
                JsonData.class);
        List<Map<String, Object>> incidents = new ArrayList<>();
        int withheld = 0;
        for (Hit<JsonData> hit : response.hits().hits()) {
            Map<String, Object> doc = hit.source().to(Map.class);
            if (finding != null && !shows(principal, doc, finding)) {
                withheld++; // another tenant's finding in it: its id must not confirm where it is
                continue;
            }
            incidents.add(render(principal, doc, false));
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("sort", sort);
        body.put("total", (response.hits().total() == null ? incidents.size() + withheld
                : response.hits().total().value()) - withheld);
        body.put("incidents", incidents);
        return body;
    }

    /** One incident with its timeline, as the principal may see it; 404 when it may not. */
    Map<String, Object> get(Principal principal, String id) throws IOException {
        return render(principal, find(principal, id).source().to(Map.class), true);
    }

    /** Sets an incident's triage status, recording who and when; SOC only. */
    @SuppressWarnings("unchecked")
    Map<String, Object> triage(Principal principal, String id, String status, String note) throws IOException {
        if (!principal.mayTriage()) {
            throw new ApiException(403, "role " + principal.role() + " may not change triage status");
        }
        Hit<JsonData> hit = find(principal, id);
        Map<String, Object> triage = new HashMap<>();
        triage.put("status", status);
        triage.put("updated_by", principal.name());
        triage.put("updated_at", clock.instant().toString());
        triage.put("note", note);
        var response = client.update(u -> u.index(hit.index()).id(hit.id()).doc(Map.of("triage", triage))
                .retryOnConflict(3).refresh(Refresh.WaitFor).source(src -> src.fetch(true)), JsonData.class);
        if (response.get() == null || response.get().source() == null) {
            throw new IllegalStateException("Elasticsearch did not return the updated incident");
        }
        return render(principal, response.get().source().to(Map.class), true);
    }

    private Hit<JsonData> find(Principal principal, String id) throws IOException {
        String checked = Validation.findingId(id);
        List<Query> filters = new ArrayList<>();
        filters.add(Query.of(q -> q.ids(i -> i.values(checked))));
        if (!principal.isSoc()) {
            filters.add(Query.of(q -> q.term(t -> t.field("tenant.name").value(FieldValue.of(principal.tenant())))));
        }
        var response = client.search(s -> s.index(index.prefix()).ignoreUnavailable(true).allowNoIndices(true)
                .size(1).query(q -> q.bool(b -> b.filter(filters))), JsonData.class);
        if (response.hits().hits().isEmpty() || response.hits().hits().get(0).source() == null) {
            throw ApiException.notFound();
        }
        return response.hits().hits().get(0);
    }

    /**
     * Whether the principal's view of an incident document holds a finding: always for SOC; for a tenant, only when the
     * finding is in its cut of the timeline, so {@code finding=<id>} cannot confirm another tenant's finding.
     */
    static boolean shows(Principal principal, Map<String, Object> doc, String finding) {
        if (principal.isSoc()) {
            return true;
        }
        Incident incident = IncidentIndex.incident(doc);
        return IncidentViews.concerns(incident, principal.tenant())
                && IncidentViews.forTenant(incident, principal.tenant()).incident().getTimeline().stream()
                        .anyMatch(f -> f.getFindingId().equals(finding));
    }

    /** An incident document as the principal may see it: whole for SOC, the tenant's view for a tenant. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> render(Principal principal, Map<String, Object> doc, boolean withTimeline) {
        Incident incident = IncidentIndex.incident(doc);
        Map<String, Object> out = new LinkedHashMap<>();
        if (!principal.isSoc()) {
            if (!IncidentViews.concerns(incident, principal.tenant())) {
                throw ApiException.notFound(); // the query filtered on the tenant; this is a second lock
            }
            IncidentViews.TenantView view = IncidentViews.forTenant(incident, principal.tenant());
            incident = view.incident();
            out.put("other_tenants_involved", view.otherTenantsInvolved());
            out.put("hidden_findings", view.hiddenFindings());
        }
        out.put("id", incident.getId());
        Object triage = doc.get("triage");
        Map<String, Object> shown = new LinkedHashMap<>();
        if (triage instanceof Map<?, ?> t) {
            shown.put("status", t.get("status") == null ? "open" : t.get("status"));
            if (principal.isSoc()) {
                shown.put("updated_by", t.get("updated_by"));
                shown.put("updated_at", t.get("updated_at"));
                shown.put("note", t.get("note"));
            }
        } else {
            shown.put("status", "open");
        }
        out.put("triage", shown);
        out.put("reason", incident.getReason());
        out.put("opened_by", incident.getOpenedBy());
        out.put("opened_at", time(incident.getOpenedAt()));
        out.put("first_seen", time(incident.getFirstSeen()));
        out.put("last_seen", time(incident.getLastSeen()));
        out.put("risk", Math.round(incident.getRisk() * 10) / 10.0);
        out.put("tenants", incident.getTenants());
        out.put("tactics", incident.getTactics());
        out.put("detectors", incident.getDetectors());
        out.put("findings_total", incident.getFindingsTotal());
        out.put("truncated", incident.getTruncated());
        if (withTimeline) {
            out.put("entities", incident.getEntities());
            List<Map<String, Object>> timeline = new ArrayList<>();
            for (IncidentFinding f : incident.getTimeline()) {
                Map<String, Object> entry = IncidentIndex.entry(f);
                entry.put("time", time(f.getTime()));
                entry.put("last_seen", time(f.getLastSeen()));
                timeline.add(entry);
            }
            out.put("timeline", timeline);
        }
        return out;
    }

    private static String time(long millis) {
        return Instant.ofEpochMilli(millis).toString();
    }
}
