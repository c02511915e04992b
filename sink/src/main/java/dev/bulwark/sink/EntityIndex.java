package dev.bulwark.sink;

import static dev.bulwark.sink.FindingIndex.date;
import static dev.bulwark.sink.FindingIndex.keyword;
import static dev.bulwark.sink.FindingIndex.object;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import co.elastic.clients.elasticsearch._types.mapping.DynamicMapping;
import co.elastic.clients.elasticsearch._types.mapping.Property;
import co.elastic.clients.elasticsearch._types.mapping.TypeMapping;
import co.elastic.clients.elasticsearch.core.bulk.BulkOperation;
import dev.bulwark.schemas.EntityRisk;
import dev.bulwark.schemas.Ids;

/**
 * The entity index: one document per entity ({@link EntityRisk}), overwritten by each newer state, in the index
 * {@code <prefix>} (default {@code bulwark-entities}), so Kibana and {@code GET /api/entities} see each entity's latest
 * risk. The current risk is {@code risk.score * 0.5^((now - risk.at) / risk.half_life_ms)}.
 *
 * <p>Sorting by the risk now needs no script (the Elasticsearch distribution Bulwark tests against has no scripting,
 * and a script per document is slow anyway): {@code risk.rank = log2(risk.score) + risk.at / risk.half_life_ms} orders
 * entities as their risk at any one moment does, for one half-life, so it is stored once and sorted on as a number.
 *
 * @param prefix the index name, derived from the findings prefix ({@link #prefixFor})
 */
public record EntityIndex(String prefix) {

    /**
     * The entity index that goes with a findings prefix: {@code bulwark-findings} gives {@code bulwark-entities}
     * (as for {@link ComplianceIndex#prefixFor}).
     */
    public static String prefixFor(String findingsPrefix) {
        return FindingIndex.siblingPrefix(findingsPrefix, "entities");
    }

    /** The entity index that goes with the findings index. */
    public static EntityIndex forFindings(FindingIndex findings) {
        return new EntityIndex(prefixFor(findings.prefix()));
    }

    /** The document id of an entity: its key, or a hash of a very long one. */
    public static String documentId(EntityRisk risk) {
        return risk.getKey().length() <= 256 ? risk.getKey() : Ids.of("entity", risk.getKey());
    }

    /** The document of an entity (ECS-style names: {@code @timestamp}, {@code tenant.name}, {@code threat.tactic.name}). */
    public static Map<String, Object> document(EntityRisk risk) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("@timestamp", risk.getRiskAt());
        doc.put("entity", Map.of("key", risk.getKey(), "type", risk.getType(), "id", risk.getId()));
        doc.put("tenant", Map.of("name", risk.getTenant()));
        doc.put("risk", Map.of("score", risk.getRisk(), "at", risk.getRiskAt(), "half_life_ms", risk.getHalfLifeMs(),
                "rank", rank(risk.getRisk(), risk.getRiskAt(), risk.getHalfLifeMs())));
        doc.put("first_seen", risk.getFirstSeen());
        doc.put("last_seen", risk.getLastSeen());
        doc.put("findings", risk.getFindings());
        doc.put("threat", Map.of("tactic", Map.of("name", risk.getTactics())));
        doc.put("detectors", risk.getDetectors());
        Map<String, Object> last = new LinkedHashMap<>();
        last.put("id", risk.getLastFinding());
        last.put("rule", risk.getLastRule());
        doc.put("last_finding", last);
        return doc;
    }

    /** The risk now of a figure {@code score} as of {@code atMillis}: {@code score * 0.5^((now - at) / halfLife)}. */
    public static double riskNow(double score, long atMillis, long halfLifeMillis, long nowMillis) {
        return score * Math.pow(0.5, Math.max(0, nowMillis - atMillis) / (double) halfLifeMillis);
    }

    /**
     * What sorts entities by their risk now: {@code log2(score) + at / halfLife}, since
     * {@code score * 0.5^((now - at) / halfLife) = 2^(log2(score) + at / halfLife) * 2^(-now / halfLife)}.
     */
    public static double rank(double score, long atMillis, long halfLifeMillis) {
        return Math.log(Math.max(score, 1e-9)) / Math.log(2) + (double) atMillis / halfLifeMillis;
    }

    /** The bulk operation that writes an entity's document (overwriting its older state). */
    public BulkOperation operation(EntityRisk risk) {
        return BulkOperation.of(o -> o.index(i -> i.index(prefix).id(documentId(risk)).document(document(risk))));
    }

    /** Creates or updates the index template (strict mapping); idempotent. */
    public void installTemplate(ElasticsearchClient client) throws IOException {
        FindingIndex.putSingleIndexTemplate(client, prefix, mappings());
    }

    static TypeMapping mappings() {
        Property number = Property.of(p -> p.double_(d -> d));
        Property count = Property.of(p -> p.long_(l -> l));
        return TypeMapping.of(m -> m
                .dynamic(DynamicMapping.Strict)
                .properties("@timestamp", date())
                .properties("entity", object(o -> o
                        .properties("key", keyword())
                        .properties("type", keyword())
                        .properties("id", keyword())))
                .properties("tenant", object(o -> o.properties("name", keyword())))
                .properties("risk", object(o -> o
                        .properties("score", number)
                        .properties("at", date())
                        .properties("half_life_ms", count)
                        .properties("rank", number)))
                .properties("first_seen", date())
                .properties("last_seen", date())
                .properties("findings", count)
                .properties("threat", object(o -> o.properties("tactic", object(x -> x.properties("name", keyword())))))
                .properties("detectors", keyword())
                .properties("last_finding", object(o -> o
                        .properties("id", keyword())
                        .properties("rule", keyword()))));
    }
}
