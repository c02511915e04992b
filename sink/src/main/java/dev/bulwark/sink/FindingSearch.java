package dev.bulwark.sink;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import co.elastic.clients.elasticsearch._types.SortOrder;
import co.elastic.clients.elasticsearch._types.query_dsl.Operator;
import co.elastic.clients.elasticsearch._types.query_dsl.Query;
import co.elastic.clients.elasticsearch.core.SearchResponse;
import co.elastic.clients.elasticsearch.core.search.Hit;

/**
 * Searches findings with structured filters.
 *
 * <p>Why: the CLI, the query API and tests search the same way. Every filter is a typed term or range query, never a
 * query string built by concatenation; free text goes through {@code simple_query_string}, which cannot express field
 * scoping beyond the fields given here, so it can narrow a result but never widen it past the filters.
 *
 * @param tenant only this tenant's findings, or null for all
 * @param severity only this severity (low, medium, high, critical), or null
 * @param rule rule id or exact rule name, or null
 * @param since only findings last seen at or after this instant, or null
 * @param text free text matched against summary and rule name, or null
 * @param size maximum hits (1-1000)
 */
public record FindingSearch(String tenant, String severity, String rule, Instant since, String text, int size) {

    public FindingSearch {
        if (size < 1 || size > 1000) {
            throw new IllegalArgumentException("size must be between 1 and 1000, got " + size);
        }
    }

    /** The query this search runs. */
    public Query query() {
        List<Query> filters = new ArrayList<>();
        if (tenant != null) {
            filters.add(Query.of(q -> q.term(t -> t.field("tenant.name").value(tenant))));
        }
        if (severity != null) {
            filters.add(Query.of(q -> q.term(t -> t.field("finding.severity").value(severity))));
        }
        if (rule != null) {
            filters.add(Query.of(q -> q.bool(b -> b.minimumShouldMatch("1")
                    .should(s -> s.term(t -> t.field("rule.id").value(rule)))
                    .should(s -> s.term(t -> t.field("rule.name").value(rule))))));
        }
        if (since != null) {
            filters.add(Query.of(q -> q.range(r -> r.date(d -> d.field("@timestamp").gte(since.toString())))));
        }
        List<Query> must = new ArrayList<>();
        if (text != null && !text.isBlank()) {
            must.add(Query.of(q -> q.simpleQueryString(s -> s.query(text).fields("message", "rule.name.text")
                    .defaultOperator(Operator.And))));
        }
        return Query.of(q -> q.bool(b -> b.filter(filters).must(must)));
    }

    /** Runs the search against the read alias, newest first. */
    public List<FindingDocument> run(ElasticsearchClient client, FindingIndex index) throws IOException {
        SearchResponse<FindingDocument> response = client.search(s -> s
                .index(index.alias())
                .query(query())
                .size(size)
                .sort(o -> o.field(f -> f.field("@timestamp").order(SortOrder.Desc)))
                .sort(o -> o.field(f -> f.field("finding.id").order(SortOrder.Asc)))
                .ignoreUnavailable(true)
                .allowNoIndices(true), FindingDocument.class);
        return response.hits().hits().stream().map(Hit::source).toList();
    }
}
