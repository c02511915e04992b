package dev.bulwark.api;

import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import co.elastic.clients.elasticsearch._types.FieldValue;
import co.elastic.clients.elasticsearch._types.SortOptions;
import co.elastic.clients.elasticsearch._types.SortOrder;
import co.elastic.clients.elasticsearch._types.query_dsl.Query;
import co.elastic.clients.json.JsonData;
import dev.bulwark.sink.EntityIndex;

/**
 * {@code GET /api/entities}: entities (pods, controllers, images, identities, tenants) by their current risk, as the
 * detectors score it from findings.
 *
 * <p>Why the tenant is decided here: a tenant principal sees only the entities its own findings scored (a
 * {@code tenant} parameter naming another tenant is refused with 403, not quietly replaced), cut in the Elasticsearch
 * query by {@code tenant.name}; SOC sees every tenant's, or one tenant's with {@code tenant}. Risk decays with time,
 * so the sort by risk is by the risk now, through the rank the sink stores ({@link EntityIndex#rank}).
 */
final class EntityService {

    static final Set<String> PARAMS = Set.of("sort", "type", "tenant", "size");
    static final List<String> SORTS = List.of("risk", "last_seen", "findings");
    static final List<String> TYPES = List.of("pod", "controller", "image", "identity", "tenant");

    private final ElasticsearchClient client;
    private final EntityIndex index;
    private final Clock clock;

    EntityService(ElasticsearchClient client, EntityIndex index, Clock clock) {
        this.client = client;
        this.index = index;
        this.clock = clock;
    }

    /** The page of entities the principal may see, sorted as asked. */
    Map<String, Object> list(Principal principal, QueryParams params) throws IOException {
        String sort = params.get("sort") == null ? "risk" : Validation.single("sort", params.get("sort"), SORTS);
        String type = params.get("type") == null ? null : Validation.single("type", params.get("type"), TYPES);
        int size = Validation.size(params.get("size"));
        String tenant = Validation.tenant(params.get("tenant"));
        if (!principal.isSoc()) {
            if (tenant != null && !tenant.equals(principal.tenant())) {
                throw new ApiException(403, "a tenant sees only its own entities");
            }
            tenant = principal.tenant();
        }
        List<Query> filters = new ArrayList<>();
        if (tenant != null) {
            String scoped = tenant;
            filters.add(Query.of(q -> q.term(t -> t.field("tenant.name").value(FieldValue.of(scoped)))));
        }
        if (type != null) {
            filters.add(Query.of(q -> q.term(t -> t.field("entity.type").value(FieldValue.of(type)))));
        }
        long now = clock.millis();
        SortOptions order = switch (sort) {
            case "risk" -> SortOptions.of(s -> s.field(f -> f.field("risk.rank").order(SortOrder.Desc)));
            case "findings" -> SortOptions.of(s -> s.field(f -> f.field("findings").order(SortOrder.Desc)));
            default -> SortOptions.of(s -> s.field(f -> f.field("last_seen").order(SortOrder.Desc)));
        };
        var response = client.search(s -> s.index(index.prefix()).ignoreUnavailable(true).allowNoIndices(true)
                .size(size).trackTotalHits(t -> t.enabled(true))
                .query(q -> q.bool(b -> b.filter(filters)))
                .sort(order, SortOptions.of(x -> x.field(f -> f.field("entity.key").order(SortOrder.Asc)))),
                JsonData.class);
        List<Map<String, Object>> entities = new ArrayList<>();
        response.hits().hits().forEach(hit -> entities.add(entity(hit.source().to(Map.class), now)));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("sort", sort);
        body.put("total", response.hits().total() == null ? entities.size() : response.hits().total().value());
        body.put("entities", entities);
        return body;
    }

    /** One entity as the API shows it, with its risk now. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> entity(Map<String, Object> doc, long now) {
        Map<String, Object> entity = (Map<String, Object>) doc.get("entity");
        Map<String, Object> risk = (Map<String, Object>) doc.get("risk");
        double score = ((Number) risk.get("score")).doubleValue();
        long at = ((Number) risk.get("at")).longValue();
        long halfLife = ((Number) risk.get("half_life_ms")).longValue();
        double current = EntityIndex.riskNow(score, at, halfLife, now);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("type", entity.get("type"));
        out.put("id", entity.get("id"));
        out.put("tenant", ((Map<String, Object>) doc.get("tenant")).get("name"));
        out.put("risk", Math.round(current * 10) / 10.0);
        out.put("risk_at", java.time.Instant.ofEpochMilli(at).toString());
        out.put("findings", doc.get("findings"));
        out.put("first_seen", java.time.Instant.ofEpochMilli(((Number) doc.get("first_seen")).longValue()).toString());
        out.put("last_seen", java.time.Instant.ofEpochMilli(((Number) doc.get("last_seen")).longValue()).toString());
        out.put("tactics", ((Map<String, Object>) ((Map<String, Object>) doc.get("threat")).get("tactic")).get("name"));
        out.put("detectors", doc.get("detectors"));
        out.put("last_finding", doc.get("last_finding"));
        return out;
    }
}
