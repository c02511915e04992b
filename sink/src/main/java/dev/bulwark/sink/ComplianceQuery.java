package dev.bulwark.sink;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import co.elastic.clients.elasticsearch._types.FieldValue;
import co.elastic.clients.elasticsearch._types.SortOrder;
import co.elastic.clients.elasticsearch._types.aggregations.StringTermsBucket;
import co.elastic.clients.elasticsearch._types.query_dsl.Query;
import co.elastic.clients.elasticsearch.core.SearchResponse;
import dev.bulwark.compliance.ControlResult;
import dev.bulwark.compliance.report.Snapshot;

/**
 * Reads posture snapshots back: the newest snapshot's results and, for a trend, the last snapshot of each of the past
 * days, for one framework and what the caller may see.
 *
 * <p>Why the caller's scope is a query: a tenant's view must be cut server-side by {@code tenant.name} (which also
 * leaves out the cluster-wide results, whose tenant is empty); the API passes the principal's scope, the CLI the
 * {@code --tenant} it was given.
 *
 * @param framework the framework ({@code cis}, ...)
 * @param scope the caller's filter (a {@code term} on {@code tenant.name}), or null for every tenant and the cluster
 * @param namespace only this namespace, or null
 * @param days how many days of history (1 to 366)
 */
public record ComplianceQuery(String framework, Query scope, String namespace, int days) {

    /** Most results read of one snapshot (a cluster of 250 namespaces and 40 controls has 10,000). */
    public static final int MAX_RESULTS = 10_000;

    public ComplianceQuery {
        if (days < 1 || days > 366) {
            throw new IllegalArgumentException("days must be between 1 and 366, got " + days);
        }
    }

    /**
     * The newest snapshot (null when there is none yet) and the last snapshot of each UTC day of the past
     * {@code days} (oldest first, the newest among them), as the caller may see them.
     */
    public record History(Snapshot latest, List<Snapshot> daily) {
    }

    /** Runs the query against the compliance alias: two searches, and one more per day with a snapshot. */
    public History run(ElasticsearchClient client, ComplianceIndex index, Instant now) throws IOException {
        Instant from = now.minus(Duration.ofDays(days));
        // Every snapshot in the range, with its time: one bucket per snapshot id.
        SearchResponse<Void> snapshots = client.search(s -> s.index(index.alias()).size(0).ignoreUnavailable(true)
                .allowNoIndices(true)
                .query(q -> q.bool(b -> b.filter(filters(from, null))))
                .aggregations("snapshots", a -> a.terms(t -> t.field("snapshot.id").size(5000))
                        .aggregations("at", m -> m.max(x -> x.field("@timestamp")))), Void.class);
        Map<LocalDate, String> lastOfDay = new TreeMap<>();
        Map<String, Instant> times = new LinkedHashMap<>();
        if (snapshots.aggregations().get("snapshots") != null) {
            for (StringTermsBucket bucket : snapshots.aggregations().get("snapshots").sterms().buckets().array()) {
                Double max = bucket.aggregations().get("at").max().value();
                if (max == null) {
                    continue;
                }
                Instant at = Instant.ofEpochMilli(max.longValue());
                String id = bucket.key().stringValue();
                times.put(id, at);
                LocalDate day = at.atZone(ZoneOffset.UTC).toLocalDate();
                String before = lastOfDay.get(day);
                if (before == null || times.get(before).isBefore(at)) {
                    lastOfDay.put(day, id);
                }
            }
        }
        List<Snapshot> daily = new ArrayList<>();
        for (String id : lastOfDay.values()) {
            daily.add(read(client, index, id, times.get(id)));
        }
        Snapshot latest = daily.isEmpty() ? null : daily.get(daily.size() - 1);
        return new History(latest, daily);
    }

    private Snapshot read(ElasticsearchClient client, ComplianceIndex index, String id, Instant at) throws IOException {
        @SuppressWarnings("rawtypes")
        SearchResponse<Map> response = client.search(s -> s.index(index.alias()).size(MAX_RESULTS)
                .query(q -> q.bool(b -> b.filter(filters(null, id))))
                .sort(o -> o.field(f -> f.field("control.id").order(SortOrder.Asc))), Map.class);
        List<ControlResult> results = new ArrayList<>();
        for (var hit : response.hits().hits()) {
            @SuppressWarnings("unchecked")
            Map<String, Object> doc = hit.source();
            results.add(result(doc));
        }
        return new Snapshot(at, results);
    }

    private List<Query> filters(Instant from, String snapshotId) {
        List<Query> filters = new ArrayList<>();
        filters.add(Query.of(q -> q.term(t -> t.field("control.framework").value(FieldValue.of(framework)))));
        if (scope != null) {
            filters.add(scope);
        }
        if (namespace != null) {
            filters.add(Query.of(q -> q.term(t -> t.field("kubernetes.namespace").value(FieldValue.of(namespace)))));
        }
        if (from != null) {
            filters.add(Query.of(q -> q.range(r -> r.untyped(u -> u.field("@timestamp")
                    .gte(co.elastic.clients.json.JsonData.of(from.toEpochMilli()))))));
        }
        if (snapshotId != null) {
            filters.add(Query.of(q -> q.term(t -> t.field("snapshot.id").value(FieldValue.of(snapshotId)))));
        }
        return filters;
    }

    @SuppressWarnings("unchecked")
    private static ControlResult result(Map<String, Object> doc) {
        Map<String, Object> control = group(doc, "control");
        Map<String, Object> compliance = group(doc, "compliance");
        return new ControlResult((String) control.get("framework"), (String) control.get("id"),
                (String) control.get("title"), (String) group(doc, "tenant").get("name"),
                (String) group(doc, "kubernetes").get("namespace"), (String) compliance.get("status"),
                ((Number) compliance.get("checked")).intValue(), (List<String>) compliance.get("failing"),
                ((Number) compliance.get("failing_total")).intValue(), (List<String>) compliance.get("sources"));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> group(Map<String, Object> doc, String name) {
        Object value = doc.get(name);
        return value instanceof Map<?, ?> map ? (Map<String, Object>) map : Map.of();
    }
}
