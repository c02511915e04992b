package dev.bulwark.sink;

import java.io.IOException;
import java.time.Instant;
import java.util.List;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import co.elastic.clients.elasticsearch._types.FieldValue;
import co.elastic.clients.elasticsearch._types.query_dsl.Query;
import co.elastic.clients.elasticsearch.core.SearchResponse;
import co.elastic.clients.elasticsearch.core.search.Hit;

/**
 * Runs one page of a findings search: a {@link FindingFilter}, an order, a page size and an optional
 * {@code search_after} position.
 *
 * <p>Why: the CLI, the query API and tests search the same way; paging with {@code search_after} on a total order
 * stays correct and cheap however deep a caller pages, unlike {@code from}/{@code size}.
 *
 * @param filter what to match
 * @param sort the order
 * @param size maximum hits (1-1000)
 * @param searchAfter the previous page's last sort values, or empty for the first page
 */
public record FindingSearch(FindingFilter filter, FindingSort sort, int size, List<FieldValue> searchAfter) {

    /** Largest page. */
    public static final int MAX_SIZE = 1000;

    public FindingSearch {
        if (filter == null || sort == null) {
            throw new IllegalArgumentException("filter and sort are required");
        }
        if (size < 1 || size > MAX_SIZE) {
            throw new IllegalArgumentException("size must be between 1 and " + MAX_SIZE + ", got " + size);
        }
        searchAfter = searchAfter == null ? List.of() : List.copyOf(searchAfter);
        if (!searchAfter.isEmpty() && searchAfter.size() != sort.cursorLength()) {
            throw new IllegalArgumentException("a cursor for sort " + sort.apiName() + " holds " + sort.cursorLength()
                    + " values, got " + searchAfter.size());
        }
    }

    /**
     * The simple search: tenant, one severity, rule, last seen since, free text; newest first.
     *
     * @param since only findings last seen at or after this instant, or null
     */
    public FindingSearch(String tenant, String severity, String rule, Instant since, String text, int size) {
        this(new FindingFilter(tenant, severity == null ? List.of() : List.of(severity), rule, null, null, null, since,
                null, text, List.of(), false), FindingSort.NEWEST, size, List.of());
    }

    /** One hit: the document, the concrete index holding it, and its sort values (the next page's cursor). */
    public record Found(FindingDocument document, String index, List<FieldValue> sortValues) {
    }

    /** One page of hits and the total number of matches (exact up to 10,000). */
    public record Page(List<Found> hits, long total, boolean totalIsLowerBound) {
        /** The last hit's sort values, or empty when this page is not full (no next page). */
        public List<FieldValue> nextSearchAfter(int size) {
            return hits.size() < size ? List.of() : hits.get(hits.size() - 1).sortValues();
        }
    }

    /** The query this search runs. */
    public Query query() {
        return filter.query();
    }

    /** Runs the search against the read alias and returns the documents. */
    public List<FindingDocument> run(ElasticsearchClient client, FindingIndex index) throws IOException {
        return page(client, index.alias(), null).hits().stream().map(Found::document).toList();
    }

    /**
     * Runs the search against {@code target} (an alias or index pattern), with {@code scope} (if not null) as an
     * additional filter the caller cannot influence.
     */
    public Page page(ElasticsearchClient client, String target, Query scope) throws IOException {
        Query query = query();
        Query effective = scope == null ? query : Query.of(q -> q.bool(b -> b.filter(scope).filter(query)));
        SearchResponse<FindingDocument> response = client.search(s -> {
            s.index(target)
                    .query(effective)
                    .size(size)
                    .sort(sort.options())
                    .ignoreUnavailable(true)
                    .allowNoIndices(true);
            if (!searchAfter.isEmpty()) {
                s.searchAfter(searchAfter);
            }
            return s;
        }, FindingDocument.class);
        List<Found> hits = response.hits().hits().stream()
                .filter(h -> h.source() != null)
                .map((Hit<FindingDocument> h) -> new Found(h.source(), h.index(), List.copyOf(h.sort())))
                .toList();
        var total = response.hits().total();
        return new Page(hits, total == null ? hits.size() : total.value(),
                total != null && total.relation() == co.elastic.clients.elasticsearch.core.search.TotalHitsRelation.Gte);
    }
}
