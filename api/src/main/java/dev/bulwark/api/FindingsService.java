package dev.bulwark.api;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import co.elastic.clients.elasticsearch._types.Refresh;
import co.elastic.clients.elasticsearch._types.Time;
import co.elastic.clients.elasticsearch._types.aggregations.Aggregate;
import co.elastic.clients.elasticsearch._types.aggregations.Aggregation;
import co.elastic.clients.elasticsearch._types.aggregations.StringTermsBucket;
import co.elastic.clients.elasticsearch._types.query_dsl.Query;
import co.elastic.clients.elasticsearch.core.SearchResponse;
import co.elastic.clients.elasticsearch.core.search.Hit;
import dev.bulwark.sink.FindingDocument;
import dev.bulwark.sink.FindingFilter;
import dev.bulwark.sink.FindingIndex;
import dev.bulwark.sink.FindingSearch;
import dev.bulwark.sink.FindingSort;

/**
 * What the query API does, independent of HTTP: search, fetch, count and triage findings on behalf of a
 * {@link Principal}.
 *
 * <p>Why: this is where tenant isolation is enforced, in one place. For a tenant principal every Elasticsearch request
 * (1) targets the tenant's filtered alias, which Elasticsearch itself restricts to the tenant, and (2) carries the
 * principal's {@link Principal#scope() scope} as a structured {@code term} filter in a bool {@code filter} clause beside
 * the caller's query, so nothing the caller sends can widen it. A finding outside the scope is reported exactly like a
 * missing one (404), so ids of other tenants' findings cannot be probed.
 */
public final class FindingsService {

    /** Parameters {@code GET /api/findings} takes. */
    public static final Set<String> SEARCH_PARAMS = Set.of("q", "tenant", "severity", "rule", "namespace", "pod",
            "image", "from", "to", "status", "isolation", "sort", "size", "after");
    /** Parameters {@code GET /api/stats} takes. */
    public static final Set<String> STATS_PARAMS = Set.of("q", "tenant", "severity", "rule", "namespace", "pod",
            "image", "from", "to", "status", "isolation");

    private static final List<Duration> INTERVALS = List.of(Duration.ofMinutes(1), Duration.ofMinutes(5),
            Duration.ofMinutes(15), Duration.ofMinutes(30), Duration.ofHours(1), Duration.ofHours(3),
            Duration.ofHours(6), Duration.ofHours(12), Duration.ofDays(1), Duration.ofDays(7), Duration.ofDays(30));
    private static final int MAX_BUCKETS = 60;

    private final ElasticsearchClient client;
    private final FindingIndex index;
    private final java.time.Clock clock;

    public FindingsService(ElasticsearchClient client, FindingIndex index, java.time.Clock clock) {
        this.client = client;
        this.index = index;
        this.clock = clock;
    }

    /** The Elasticsearch client the service reads with. */
    ElasticsearchClient client() {
        return client;
    }

    /** The findings index, whose prefix names the compliance indices too. */
    FindingIndex index() {
        return index;
    }

    /** The filter a request's parameters describe (validated). */
    public FindingFilter filter(QueryParams params) {
        Instant now = clock.instant();
        Instant from = Validation.time("from", params.get("from"), now);
        Instant to = Validation.time("to", params.get("to"), now);
        if (from != null && to != null && !from.isBefore(to)) {
            throw ApiException.badRequest("from must be before to");
        }
        return new FindingFilter(
                Validation.tenant(params.get("tenant")),
                Validation.oneOf("severity", params.get("severity"), FindingFilter.SEVERITIES),
                Validation.text("rule", params.get("rule"), 256),
                Validation.namespace(params.get("namespace")),
                Validation.pod(params.get("pod")),
                Validation.image(params.get("image")),
                from, to,
                Validation.text("q", params.get("q"), Validation.MAX_TEXT),
                Validation.oneOf("status", params.get("status"), FindingDocument.TRIAGE_STATUSES),
                Validation.bool("isolation", params.get("isolation")));
    }

    /** The search a request's parameters describe (validated). */
    public FindingSearch search(QueryParams params) {
        FindingSort sort = params.get("sort") == null ? FindingSort.NEWEST : parseSort(params.get("sort"));
        return new FindingSearch(filter(params), sort, Validation.size(params.get("size")),
                Cursors.decode(params.get("after"), sort));
    }

    private static FindingSort parseSort(String value) {
        try {
            return FindingSort.parse(value);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
    }

    /** Where a principal's requests go: the tenant's filtered alias, or the read alias for SOC. */
    String target(Principal principal) {
        return principal.isSoc() ? index.alias() : index.tenantAlias(principal.tenant());
    }

    /** One page of findings, as the principal may see them. */
    public Map<String, Object> list(Principal principal, FindingSearch search) throws IOException {
        FindingSearch.Page page = search.page(client, target(principal), principal.scope());
        List<Object> findings = new ArrayList<>();
        for (FindingSearch.Found found : page.hits()) {
            findings.add(summary(found.document()));
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("findings", findings);
        body.put("total", page.total());
        body.put("total_relation", page.totalIsLowerBound() ? "gte" : "eq");
        body.put("size", search.size());
        body.put("sort", search.sort().apiName());
        body.put("next", Cursors.encode(page.nextSearchAfter(search.size())));
        return body;
    }

    /** A document without its evidence, for lists. */
    private static FindingDocument summary(FindingDocument d) {
        return new FindingDocument(d.timestamp(), d.message(), d.finding(), d.rule(), d.event(), d.threat(), d.tenant(),
                d.orchestrator(), d.kubernetes(), d.container(), d.source(), d.destination(), d.user(), d.process(), null,
                d.triage());
    }

    /** The finding with its evidence, if the principal may see it. */
    public FindingDocument get(Principal principal, String id) throws IOException {
        return find(principal, Validation.findingId(id)).source();
    }

    private Hit<FindingDocument> find(Principal principal, String id) throws IOException {
        Query byId = Query.of(q -> q.ids(i -> i.values(id)));
        Query scope = principal.scope();
        Query query = scope == null ? byId : Query.of(q -> q.bool(b -> b.filter(scope).filter(byId)));
        SearchResponse<FindingDocument> response = client.search(s -> s
                .index(target(principal))
                .query(query)
                .size(1)
                .ignoreUnavailable(true)
                .allowNoIndices(true), FindingDocument.class);
        if (response.hits().hits().isEmpty() || response.hits().hits().get(0).source() == null) {
            throw ApiException.notFound();
        }
        return response.hits().hits().get(0);
    }

    /**
     * Sets a finding's triage status, recording who and when; SOC principals only.
     *
     * @return the finding as it is now
     */
    public FindingDocument triage(Principal principal, String id, String status, String note) throws IOException {
        if (!principal.mayTriage()) {
            throw new ApiException(403, "role " + principal.role() + " may not change triage status");
        }
        Hit<FindingDocument> hit = find(principal, Validation.findingId(id));
        Map<String, Object> triage = new HashMap<>();
        triage.put("status", status);
        triage.put("updated_by", principal.name());
        triage.put("updated_at", clock.instant().toString());
        triage.put("note", note);
        var response = client.update(u -> u
                .index(hit.index())
                .id(hit.id())
                .doc(Map.of("triage", triage))
                .retryOnConflict(3)
                .refresh(Refresh.WaitFor)
                .source(src -> src.fetch(true)), FindingDocument.class);
        if (response.get() == null || response.get().source() == null) {
            throw new IllegalStateException("Elasticsearch did not return the updated finding");
        }
        return response.get().source();
    }

    /** Counts by severity, rule, tenant and triage status, and a histogram of last-seen times. */
    public Map<String, Object> stats(Principal principal, QueryParams params) throws IOException {
        FindingFilter requested = filter(params);
        Instant to = requested.to() == null ? clock.instant() : requested.to();
        Instant from = requested.from() == null ? to.minus(Duration.ofDays(7)) : requested.from();
        if (!from.isBefore(to)) {
            throw ApiException.badRequest("from must be before to");
        }
        FindingFilter filter = new FindingFilter(requested.tenant(), requested.severities(), requested.rule(),
                requested.namespace(), requested.pod(), requested.image(), from, to, requested.text(),
                requested.statuses(), requested.isolationOnly());
        Duration interval = interval(from, to);
        Query query = filter.query();
        Query scope = principal.scope();
        Query effective = scope == null ? query : Query.of(q -> q.bool(b -> b.filter(scope).filter(query)));
        Map<String, Aggregation> aggregations = new LinkedHashMap<>();
        aggregations.put("severity", Aggregation.of(a -> a.terms(t -> t.field("finding.severity").size(10))));
        aggregations.put("rule", Aggregation.of(a -> a.terms(t -> t.field("rule.id").size(20))));
        aggregations.put("tenant", Aggregation.of(a -> a.terms(t -> t.field("tenant.name").size(50))));
        aggregations.put("status", Aggregation.of(a -> a.terms(t -> t.field("triage.status").size(10).missing("open"))));
        aggregations.put("histogram", Aggregation.of(a -> a.dateHistogram(h -> h
                .field("@timestamp")
                .fixedInterval(Time.of(t -> t.time(interval.toSeconds() + "s")))
                .minDocCount(0)
                .extendedBounds(b -> b.min(co.elastic.clients.elasticsearch._types.aggregations.FieldDateMath.of(
                        m -> m.value((double) floor(from, interval).toEpochMilli())))
                        .max(co.elastic.clients.elasticsearch._types.aggregations.FieldDateMath.of(
                                m -> m.value((double) (to.toEpochMilli() - 1))))))));
        SearchResponse<Void> response = client.search(s -> s
                .index(target(principal))
                .query(effective)
                .size(0)
                .trackTotalHits(t -> t.enabled(true))
                .aggregations(aggregations)
                .ignoreUnavailable(true)
                .allowNoIndices(true), Void.class);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("total", response.hits().total() == null ? 0 : response.hits().total().value());
        body.put("from", from.toString());
        body.put("to", to.toString());
        Map<String, Aggregate> aggs = response.aggregations();
        for (String name : List.of("severity", "rule", "tenant", "status")) {
            Map<String, Long> counts = new LinkedHashMap<>();
            if (aggs.containsKey(name) && aggs.get(name).isSterms()) {
                for (StringTermsBucket bucket : aggs.get(name).sterms().buckets().array()) {
                    counts.put(bucket.key().stringValue(), bucket.docCount());
                }
            }
            body.put(name, counts);
        }
        List<Map<String, Object>> histogram = new ArrayList<>();
        if (aggs.containsKey("histogram") && aggs.get("histogram").isDateHistogram()) {
            for (var bucket : aggs.get("histogram").dateHistogram().buckets().array()) {
                Map<String, Object> b = new LinkedHashMap<>();
                b.put("start", Instant.ofEpochMilli(bucket.key()).toString());
                b.put("count", bucket.docCount());
                histogram.add(b);
            }
        }
        body.put("interval_seconds", interval.toSeconds());
        body.put("histogram", histogram);
        return body;
    }

    /** The smallest interval that keeps the histogram at or below {@value #MAX_BUCKETS} buckets. */
    static Duration interval(Instant from, Instant to) {
        Duration span = Duration.between(from, to);
        for (Duration candidate : INTERVALS) {
            if (span.dividedBy(candidate) < MAX_BUCKETS) {
                return candidate;
            }
        }
        if (span.compareTo(Duration.ofDays(366 * 10)) > 0) {
            throw ApiException.badRequest("the statistics range may span at most ten years");
        }
        return INTERVALS.get(INTERVALS.size() - 1).multipliedBy(span.dividedBy(INTERVALS.get(INTERVALS.size() - 1))
                / MAX_BUCKETS + 1);
    }

    private static Instant floor(Instant instant, Duration interval) {
        long ms = interval.toMillis();
        return Instant.ofEpochMilli(Math.floorDiv(instant.toEpochMilli(), ms) * ms);
    }
}
