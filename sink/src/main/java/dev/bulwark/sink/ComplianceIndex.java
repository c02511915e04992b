package dev.bulwark.sink;

import static dev.bulwark.sink.FindingIndex.date;
import static dev.bulwark.sink.FindingIndex.keyword;
import static dev.bulwark.sink.FindingIndex.object;

import java.io.IOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import co.elastic.clients.elasticsearch._types.mapping.DynamicMapping;
import co.elastic.clients.elasticsearch._types.mapping.Property;
import co.elastic.clients.elasticsearch._types.mapping.TypeMapping;
import dev.bulwark.schemas.ComplianceResult;

/**
 * The compliance indices: monthly {@code <prefix>-YYYY.MM} behind the alias {@code <prefix>}, one document per result
 * of a posture snapshot ({@link ComplianceResult}), id {@code <snapshot id>|<result key>}.
 *
 * <p>Why monthly and immutable: a snapshot is history, never updated, so a trend over time is a query (the results of
 * a control per day); snapshots are taken daily and on change, a few hundred to a few thousand documents each.
 *
 * @param prefix the index prefix, derived from the findings prefix ({@link #prefixFor})
 */
public record ComplianceIndex(String prefix) {

    private static final DateTimeFormatter MONTH = DateTimeFormatter.ofPattern("yyyy.MM").withZone(ZoneOffset.UTC);

    /**
     * The compliance prefix that goes with a findings prefix: {@code bulwark-findings} gives
     * {@code bulwark-compliance} (a trailing {@code -findings} becomes {@code -compliance}; any other prefix gets
     * {@code -compliance} appended), so one setting names both and the roles cover both.
     */
    public static String prefixFor(String findingsPrefix) {
        return FindingIndex.siblingPrefix(findingsPrefix, "compliance");
    }

    /** The index prefix that goes with the findings index. */
    public static ComplianceIndex forFindings(FindingIndex findings) {
        return new ComplianceIndex(prefixFor(findings.prefix()));
    }

    /** The alias over every compliance index. */
    public String alias() {
        return prefix;
    }

    /** The monthly index a snapshot taken at {@code snapshotAtMillis} goes to. */
    public String indexFor(long snapshotAtMillis) {
        return prefix + "-" + MONTH.format(Instant.ofEpochMilli(snapshotAtMillis));
    }

    /** The document id of a result: the same record always gives the same id. */
    public static String documentId(ComplianceResult result) {
        return result.getSnapshotId() + "|" + result.getFramework() + "/" + result.getControlId() + "/"
                + (result.getTenant() == null ? "-" : result.getTenant()) + "/"
                + (result.getNamespace() == null ? "-" : result.getNamespace());
    }

    /** The document of a result (ECS-style names: {@code @timestamp}, {@code tenant.name}, {@code kubernetes.namespace}). */
    public static Map<String, Object> document(ComplianceResult result) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("@timestamp", result.getSnapshotAt());
        doc.put("snapshot", Map.of("id", result.getSnapshotId(), "reason", result.getReason()));
        doc.put("control", Map.of("framework", result.getFramework(), "id", result.getControlId(),
                "title", result.getTitle()));
        Map<String, Object> tenant = new LinkedHashMap<>();
        tenant.put("name", result.getTenant());
        doc.put("tenant", tenant);
        Map<String, Object> kubernetes = new LinkedHashMap<>();
        kubernetes.put("namespace", result.getNamespace());
        doc.put("kubernetes", kubernetes);
        doc.put("compliance", Map.of("status", result.getStatus(), "checked", result.getChecked(),
                "failing", result.getFailing(), "failing_total", result.getFailingTotal(),
                "sources", result.getSources(), "scope", result.getNamespace() == null ? "cluster" : "namespace"));
        return doc;
    }

    /** Creates or updates the index template (strict mapping, the alias); idempotent. */
    public void installTemplate(ElasticsearchClient client) throws IOException {
        client.indices().putIndexTemplate(t -> t
                .name(prefix)
                .indexPatterns(prefix + "-*")
                .priority(200L)
                .meta("managed_by", co.elastic.clients.json.JsonData.of("bulwark"))
                .template(template -> template
                        .settings(s -> s.numberOfShards("1").autoExpandReplicas("0-1"))
                        .aliases(alias(), a -> a)
                        .mappings(mappings())));
    }

    static TypeMapping mappings() {
        return TypeMapping.of(m -> m
                .dynamic(DynamicMapping.Strict)
                .properties("@timestamp", date())
                .properties("snapshot", object(o -> o
                        .properties("id", keyword())
                        .properties("reason", keyword())))
                .properties("control", object(o -> o
                        .properties("framework", keyword())
                        .properties("id", keyword())
                        .properties("title", Property.of(p -> p.keyword(k -> k.ignoreAbove(1024)
                                .fields("text", Property.of(f -> f.text(x -> x))))))))
                .properties("tenant", object(o -> o.properties("name", keyword())))
                .properties("kubernetes", object(o -> o.properties("namespace", keyword())))
                .properties("compliance", object(o -> o
                        .properties("status", keyword())
                        .properties("scope", keyword())
                        .properties("checked", Property.of(p -> p.integer(i -> i)))
                        .properties("failing", keyword())
                        .properties("failing_total", Property.of(p -> p.integer(i -> i)))
                        .properties("sources", keyword()))));
    }
}
