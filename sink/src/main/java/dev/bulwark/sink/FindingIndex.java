package dev.bulwark.sink;

import java.io.IOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import co.elastic.clients.elasticsearch._types.mapping.DynamicMapping;
import co.elastic.clients.elasticsearch._types.mapping.Property;
import co.elastic.clients.elasticsearch._types.mapping.TypeMapping;

/**
 * Where findings live in Elasticsearch: daily indices {@code <prefix>-yyyy.MM.dd} (by the finding's first-seen day, so
 * a finding always lands in the same index), an index template with explicit mappings, the read alias
 * {@code <prefix>} that every daily index joins, and one filtered alias per tenant, {@code <prefix>-tenant-<name>},
 * that shows only that tenant's findings.
 *
 * <p>Why: explicit mappings keep keyword, text, date, IP and numeric fields right for SIEM queries and aggregations,
 * and strict mapping rejects documents that drift from the schema instead of silently changing it. Tenant aliases give
 * each tenant a view Elasticsearch itself filters (for the query API's second line of defence, or for an Elasticsearch
 * role granted on that alias alone).
 *
 * @param prefix index name prefix and read alias, e.g. {@code bulwark-findings}
 */
public record FindingIndex(String prefix) {

    /** The default prefix and read alias. */
    public static final String DEFAULT_PREFIX = "bulwark-findings";

    private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyy.MM.dd").withZone(ZoneOffset.UTC);

    public FindingIndex {
        if (prefix == null || !prefix.matches("[a-z0-9][a-z0-9._-]*")) {
            throw new IllegalArgumentException("index prefix must be lower-case letters, digits, '.', '_' or '-': " + prefix);
        }
    }

    /**
     * The shadow findings' index prefix that goes with a findings prefix: {@code bulwark-findings} gives
     * {@code bulwark-shadow-findings} (a trailing {@code -findings} becomes {@code -shadow-findings}; any other prefix
     * gets {@code shadow-} in front). Neither the findings alias, its tenant aliases nor a pattern {@code <prefix>*}
     * covers it, so shadow findings stay out of every analyst's and tenant's view of the findings.
     */
    /**
     * The prefix of another kind of document that goes with a findings prefix: {@code bulwark-findings} gives
     * {@code bulwark-<kind>} (a trailing {@code -findings} becomes {@code -<kind>}; any other prefix gets {@code -<kind>}
     * appended), so one setting names them all and the roles cover them all.
     */
    public static String siblingPrefix(String findingsPrefix, String kind) {
        return findingsPrefix.endsWith("-findings")
                ? findingsPrefix.substring(0, findingsPrefix.length() - "-findings".length()) + "-" + kind
                : findingsPrefix + "-" + kind;
    }

    public static String shadowPrefixFor(String findingsPrefix) {
        return findingsPrefix.endsWith("-findings")
                ? findingsPrefix.substring(0, findingsPrefix.length() - "-findings".length()) + "-shadow-findings"
                : "shadow-" + findingsPrefix;
    }

    /** Where the findings of shadow rules go: the same mapping, under {@link #shadowPrefixFor}, no tenant aliases. */
    public FindingIndex shadow() {
        return new FindingIndex(shadowPrefixFor(prefix));
    }

    /** The read alias spanning all finding indices. */
    public String alias() {
        return prefix;
    }

    /**
     * The filtered alias holding only {@code tenant}'s findings.
     *
     * @throws IllegalArgumentException when the tenant name cannot be part of an alias name ({@link TenantNames})
     */
    public String tenantAlias(String tenant) {
        return prefix + "-tenant-" + TenantNames.require(tenant);
    }

    /**
     * Adds {@code tenant}'s filtered alias to {@code concreteIndex} (a daily index that exists); idempotent.
     *
     * @throws IllegalArgumentException for a tenant name that {@link TenantNames} rejects
     */
    public void addTenantAlias(ElasticsearchClient client, String concreteIndex, String tenant) throws IOException {
        String alias = tenantAlias(tenant);
        client.indices().updateAliases(u -> u.actions(a -> a.add(add -> add
                .index(concreteIndex)
                .alias(alias)
                .filter(f -> f.term(t -> t.field("tenant.name").value(tenant))))));
    }

    /**
     * Deletes every daily index and the index template of this prefix: what a test or a benchmark run leaves behind.
     * Never used by the pipeline itself.
     */
    public void deleteAll(ElasticsearchClient client) throws IOException {
        client.indices().delete(d -> d.index(prefix + "-*"));
        client.indices().deleteIndexTemplate(d -> d.name(prefix));
    }

    /** The index a finding first seen at {@code firstSeenMillis} is written to. */
    public String indexFor(long firstSeenMillis) {
        return prefix + "-" + DAY.format(Instant.ofEpochMilli(firstSeenMillis));
    }

    /**
     * Creates or updates the index template, and adds fields the template gained to the daily indices that already
     * exist (an upgrade never has to wait for tomorrow's index); idempotent.
     */
    public void installTemplate(ElasticsearchClient client) throws IOException {
        client.indices().putIndexTemplate(t -> t
                .name(prefix)
                .indexPatterns(prefix + "-*")
                .priority(200L)
                .meta("managed_by", co.elastic.clients.json.JsonData.of("bulwark"))
                .template(template -> template
                        // One replica once a second node can hold it (none on a single node, which stays green):
                        // losing a node then loses no finding.
                        .settings(s -> s.numberOfShards("1").autoExpandReplicas("0-1"))
                        .aliases(alias(), a -> a)
                        .mappings(mappings())));
        TypeMapping mappings = mappings();
        try {
            client.indices().putMapping(p -> p
                    .index(prefix + "-*")
                    .allowNoIndices(true)
                    .ignoreUnavailable(true)
                    .dynamic(mappings.dynamic())
                    .properties(mappings.properties()));
        } catch (co.elastic.clients.elasticsearch._types.ElasticsearchException e) {
            if (e.status() >= 500 || e.status() == 429) {
                throw e;
            }
            // An index someone mapped differently keeps its mapping; documents it rejects are dead-lettered.
            org.slf4j.LoggerFactory.getLogger(FindingIndex.class).warn(
                    "existing {}-* indices keep their mapping: {}", prefix, e.getMessage());
        }
    }

    /** The explicit mapping of {@link FindingDocument}. */
    static TypeMapping mappings() {
        return TypeMapping.of(m -> m
                .dynamic(DynamicMapping.Strict)
                .properties("@timestamp", date())
                .properties("message", Property.of(p -> p.text(t -> t)))
                .properties("finding", object(o -> o
                        .properties("id", keyword())
                        .properties("detector", keyword())
                        .properties("severity", keyword())
                        .properties("risk_score", Property.of(p -> p.integer(i -> i)))
                        .properties("first_seen", date())
                        .properties("last_seen", date())
                        .properties("count", Property.of(p -> p.long_(l -> l)))
                        .properties("escalates", keyword())
                        .properties("shadow", Property.of(p -> p.boolean_(b -> b)))))
                .properties("rule", object(o -> o
                        .properties("id", keyword())
                        .properties("name", Property.of(p -> p.keyword(k -> k
                                .fields("text", Property.of(f -> f.text(t -> t)))))
                        )
                        .properties("version", keyword())))
                .properties("event", object(o -> o
                        .properties("kind", keyword())
                        .properties("severity", Property.of(p -> p.integer(i -> i)))
                        .properties("risk_score", Property.of(p -> p.float_(f -> f)))))
                .properties("threat", object(o -> o
                        .properties("framework", keyword())
                        .properties("tactic", object(t -> t.properties("name", keyword())))
                        .properties("technique", object(t -> t.properties("id", keyword())))))
                .properties("tenant", object(o -> o
                        .properties("name", keyword())
                        .properties("others", keyword())))
                .properties("orchestrator", object(o -> o
                        .properties("cluster", object(c -> c.properties("name", keyword())))))
                .properties("kubernetes", object(o -> o
                        .properties("namespace", keyword())
                        .properties("pod", keyword())))
                .properties("container", object(o -> o
                        .properties("id", keyword())
                        .properties("image", object(i -> i.properties("name", keyword())))))
                .properties("source", object(o -> o.properties("ip", ip())))
                .properties("destination", object(o -> o.properties("ip", ip())))
                .properties("user", object(o -> o.properties("name", keyword())))
                .properties("process", object(o -> o
                        .properties("name", keyword())
                        .properties("command_line", Property.of(p -> p.keyword(k -> k.ignoreAbove(1024)
                                .fields("text", Property.of(f -> f.text(t -> t))))))))
                .properties("evidence", object(o -> o
                        .properties("event_ids", keyword())
                        .properties("fields", Property.of(p -> p.flattened(f -> f)))
                        .properties("truncated", Property.of(p -> p.boolean_(b -> b)))))
                .properties("triage", object(o -> o
                        .properties("status", keyword())
                        .properties("updated_by", keyword())
                        .properties("updated_at", date())
                        .properties("note", Property.of(p -> p.text(t -> t))))));
    }

    /**
     * Creates or updates the template of a single index named {@code name} (one shard, a replica where there is a
     * second node, Bulwark's mapping); idempotent.
     */
    static void putSingleIndexTemplate(ElasticsearchClient client, String name, TypeMapping mappings)
            throws IOException {
        client.indices().putIndexTemplate(t -> t
                .name(name)
                .indexPatterns(name)
                .priority(200L)
                .meta("managed_by", co.elastic.clients.json.JsonData.of("bulwark"))
                .template(template -> template
                        .settings(s -> s.numberOfShards("1").autoExpandReplicas("0-1"))
                        .mappings(mappings)));
    }

    /** A keyword field (values over 1,024 characters are kept in the source but not indexed). */
    static Property keyword() {
        return Property.of(p -> p.keyword(k -> k.ignoreAbove(1024)));
    }

    private static Property ip() {
        return Property.of(p -> p.ip(i -> i));
    }

    /** A date field taking ISO-8601 text or epoch milliseconds. */
    static Property date() {
        return Property.of(p -> p.date(d -> d.format("strict_date_optional_time||epoch_millis")));
    }

    /** An object field with the properties {@code fn} gives. */
    static Property object(java.util.function.Function<co.elastic.clients.elasticsearch._types.mapping.ObjectProperty.Builder,
            co.elastic.clients.util.ObjectBuilder<co.elastic.clients.elasticsearch._types.mapping.ObjectProperty>> fn) {
        return Property.of(p -> p.object(fn));
    }
}
