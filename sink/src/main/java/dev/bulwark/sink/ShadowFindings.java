package dev.bulwark.sink;

import java.io.IOException;
import java.time.Instant;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import co.elastic.clients.elasticsearch._types.aggregations.Aggregate;
import co.elastic.clients.elasticsearch.core.SearchResponse;

/**
 * How often a shadow rule hit: its findings in the shadow index and the matches they fold, since a point in time (the
 * rule's push).
 *
 * <p>Why: shadow mode exists to judge a rule's noise before it alerts anyone, and the judgement is a count; the counts
 * come from the shadow findings Elasticsearch holds, so they survive restarts of every Bulwark process.
 */
public final class ShadowFindings {

    /**
     * Hits of one rule.
     *
     * @param findings distinct findings (one per rule and entity, as live findings fold)
     * @param matches matching events those findings fold together
     * @param lastSeen the latest match, or null when none
     */
    public record Hits(long findings, long matches, Instant lastSeen) {
    }

    /**
     * One shadow rule's hits in the shadow index.
     *
     * @param ruleId the rule's (or correlation's) id
     * @param ruleName its title
     * @param hits its findings and matches
     * @param firstSeen the earliest match held
     */
    public record RuleHits(String ruleId, String ruleName, Hits hits, Instant firstSeen) {
    }

    /** At most this many rules are listed, most matches first. */
    public static final int MAX_RULES = 500;

    private ShadowFindings() {
    }

    /** Every rule with findings in {@code shadowIndex}, most matches first (at most {@value #MAX_RULES}). */
    public static java.util.List<RuleHits> perRule(ElasticsearchClient client, FindingIndex shadowIndex)
            throws IOException {
        SearchResponse<Void> response = client.search(s -> s.index(shadowIndex.alias()).size(0)
                .ignoreUnavailable(true).allowNoIndices(true)
                .aggregations("rules", a -> a.terms(t -> t.field("rule.id").size(MAX_RULES)
                                .order(co.elastic.clients.util.NamedValue.of("matches",
                                        co.elastic.clients.elasticsearch._types.SortOrder.Desc)))
                        .aggregations("matches", m -> m.sum(x -> x.field("finding.count")))
                        .aggregations("name", m -> m.terms(x -> x.field("rule.name").size(1)))
                        .aggregations("first", m -> m.min(x -> x.field("finding.first_seen")))
                        .aggregations("last", m -> m.max(x -> x.field("finding.last_seen")))), Void.class);
        java.util.List<RuleHits> rules = new java.util.ArrayList<>();
        Aggregate terms = response.aggregations().get("rules");
        if (terms == null) {
            return rules;
        }
        for (var bucket : terms.sterms().buckets().array()) {
            var aggs = bucket.aggregations();
            var names = aggs.get("name").sterms().buckets().array();
            Double first = aggs.get("first").min().value();
            Double last = aggs.get("last").max().value();
            rules.add(new RuleHits(bucket.key().stringValue(), names.isEmpty() ? null : names.get(0).key().stringValue(),
                    new Hits(bucket.docCount(), Math.round(aggs.get("matches").sum().value()), instant(last)),
                    instant(first)));
        }
        return rules;
    }

    private static Instant instant(Double millis) {
        return millis == null || millis.isInfinite() || millis.isNaN() ? null : Instant.ofEpochMilli(millis.longValue());
    }

    /** Hits of rule {@code ruleId} seen at or after {@code since} in {@code shadowIndex}. */
    public static Hits since(ElasticsearchClient client, FindingIndex shadowIndex, String ruleId, Instant since)
            throws IOException {
        SearchResponse<Void> response = client.search(s -> s.index(shadowIndex.alias()).size(0)
                .ignoreUnavailable(true).allowNoIndices(true).trackTotalHits(t -> t.enabled(true))
                .query(q -> q.bool(b -> b
                        .filter(f -> f.term(t -> t.field("rule.id").value(ruleId)))
                        .filter(f -> f.range(r -> r.date(d -> d.field("finding.last_seen")
                                .format("strict_date_optional_time").gte(since.toString()))))))
                .aggregations("matches", a -> a.sum(x -> x.field("finding.count")))
                .aggregations("last", a -> a.max(x -> x.field("finding.last_seen"))), Void.class);
        long findings = response.hits().total() == null ? 0 : response.hits().total().value();
        Aggregate matches = response.aggregations().get("matches");
        Aggregate last = response.aggregations().get("last");
        Double lastValue = last == null ? null : last.max().value();
        return new Hits(findings, matches == null ? 0 : Math.round(matches.sum().value()),
                findings == 0 ? null : instant(lastValue));
    }
}
