package dev.bulwark.sink;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import co.elastic.clients.elasticsearch._types.FieldValue;
import co.elastic.clients.elasticsearch._types.query_dsl.Operator;
import co.elastic.clients.elasticsearch._types.query_dsl.Query;
import co.elastic.clients.elasticsearch._types.query_dsl.SimpleQueryStringFlag;

/**
 * What a caller asks for among findings: structured filters plus optional free text.
 *
 * <p>Why: the CLI, the query API and the console filter the same way. Every filter becomes a typed {@code term},
 * {@code terms} or {@code range} query in a bool {@code filter} clause, never a query string built by concatenation.
 * Free text goes through {@code simple_query_string} on a fixed list of fields ({@link #TEXT_FIELDS}, none of them the
 * tenant), which has no field-scoping syntax, cannot reach other fields and sits beside the filters in the same bool,
 * so it can only narrow a result.
 *
 * @param tenant only this tenant's findings, or null for all (a principal's scope is applied separately by the API)
 * @param severities any of these severities, or empty for all
 * @param rule rule id or exact rule name, or null
 * @param namespace Kubernetes namespace, or null
 * @param pod Kubernetes pod name, or null
 * @param image container image name, or null
 * @param from only findings last seen at or after this instant, or null
 * @param to only findings last seen before this instant, or null
 * @param text free text, or null
 * @param statuses any of these triage statuses, or empty for all
 * @param isolationOnly only isolation violations ({@link #isolationQuery()})
 */
public record FindingFilter(String tenant, List<String> severities, String rule, String namespace, String pod,
                            String image, Instant from, Instant to, String text, List<String> statuses,
                            boolean isolationOnly) {

    /** Severities a finding can have, least to most severe. */
    public static final List<String> SEVERITIES = List.of("low", "medium", "high", "critical");
    /** Rule ids of isolation detections start with this. */
    public static final String ISOLATION_RULE_PREFIX = "bulwark.isolation.";
    /** Detector names of isolation detections start with this. */
    public static final String ISOLATION_DETECTOR_PREFIX = "isolation-";
    /** The fields free text is matched against; deliberately not the tenant fields. */
    public static final List<String> TEXT_FIELDS = List.of("message", "rule.name.text", "rule.id",
            "process.command_line.text", "kubernetes.namespace", "kubernetes.pod", "container.image.name", "user.name");

    public FindingFilter {
        severities = severities == null ? List.of() : List.copyOf(severities);
        statuses = statuses == null ? List.of() : List.copyOf(statuses);
    }

    /** No filter at all. */
    public static FindingFilter all() {
        return new FindingFilter(null, List.of(), null, null, null, null, null, null, null, List.of(), false);
    }

    /** This filter restricted to {@code tenantName}. */
    public FindingFilter withTenant(String tenantName) {
        return new FindingFilter(tenantName, severities, rule, namespace, pod, image, from, to, text, statuses,
                isolationOnly);
    }

    /** The bool {@code filter} clauses. */
    public List<Query> filters() {
        List<Query> filters = new ArrayList<>();
        if (tenant != null) {
            filters.add(term("tenant.name", tenant));
        }
        if (!severities.isEmpty()) {
            filters.add(terms("finding.severity", severities));
        }
        if (rule != null) {
            filters.add(Query.of(q -> q.bool(b -> b.minimumShouldMatch("1")
                    .should(term("rule.id", rule))
                    .should(term("rule.name", rule)))));
        }
        if (namespace != null) {
            filters.add(term("kubernetes.namespace", namespace));
        }
        if (pod != null) {
            filters.add(term("kubernetes.pod", pod));
        }
        if (image != null) {
            filters.add(term("container.image.name", image));
        }
        if (from != null || to != null) {
            filters.add(Query.of(q -> q.range(r -> r.date(d -> {
                d.field("@timestamp").format("strict_date_optional_time");
                if (from != null) {
                    d.gte(from.toString());
                }
                if (to != null) {
                    d.lt(to.toString());
                }
                return d;
            }))));
        }
        if (!statuses.isEmpty()) {
            filters.add(terms("triage.status", statuses));
        }
        if (isolationOnly) {
            filters.add(isolationQuery());
        }
        return filters;
    }

    /** Isolation violations: another tenant is involved, or an isolation rule or detector fired. */
    public static Query isolationQuery() {
        return Query.of(q -> q.bool(b -> b.minimumShouldMatch("1")
                .should(s -> s.exists(e -> e.field("tenant.others")))
                .should(s -> s.prefix(p -> p.field("rule.id").value(ISOLATION_RULE_PREFIX)))
                .should(s -> s.prefix(p -> p.field("finding.detector").value(ISOLATION_DETECTOR_PREFIX)))));
    }

    /** The whole query: filters, and the free text (if any) as a scoring clause beside them. */
    public Query query() {
        List<Query> must = new ArrayList<>();
        if (text != null && !text.isBlank()) {
            must.add(Query.of(q -> q.simpleQueryString(s -> s
                    .query(text)
                    .fields(TEXT_FIELDS)
                    .defaultOperator(Operator.And)
                    .lenient(true)
                    .analyzeWildcard(false)
                    .autoGenerateSynonymsPhraseQuery(false)
                    // No fuzzy, slop or near operators: they only cost CPU.
                    .flags(SimpleQueryStringFlag.And, SimpleQueryStringFlag.Or, SimpleQueryStringFlag.Not,
                            SimpleQueryStringFlag.Phrase, SimpleQueryStringFlag.Precedence, SimpleQueryStringFlag.Prefix,
                            SimpleQueryStringFlag.Whitespace, SimpleQueryStringFlag.Escape))));
        }
        List<Query> filters = filters();
        return Query.of(q -> q.bool(b -> b.filter(filters).must(must)));
    }

    private static Query term(String field, String value) {
        return Query.of(q -> q.term(t -> t.field(field).value(value)));
    }

    private static Query terms(String field, List<String> values) {
        List<FieldValue> fieldValues = values.stream().map(FieldValue::of).toList();
        return Query.of(q -> q.terms(t -> t.field(field).terms(v -> v.value(fieldValues))));
    }
}
