package dev.bulwark.api;

import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Set;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import co.elastic.clients.elasticsearch._types.FieldValue;
import co.elastic.clients.elasticsearch._types.query_dsl.Query;
import dev.bulwark.compliance.ControlCatalogue;
import dev.bulwark.compliance.report.ComplianceReport;
import dev.bulwark.compliance.report.ReportRenderer;
import dev.bulwark.sink.ComplianceIndex;
import dev.bulwark.sink.ComplianceQuery;

/**
 * {@code GET /api/compliance}: one framework's posture report (the newest snapshot, per control, with a 30-day trend),
 * as JSON, for what the caller may see.
 *
 * <p>Why the tenant is decided here: a tenant principal's report is always its own (a {@code tenant} parameter naming
 * another tenant is refused with 403, not quietly replaced), cut in the Elasticsearch query by {@code tenant.name} and
 * again by the report; SOC sees every tenant and the cluster-wide results, or one tenant with {@code tenant}.
 */
final class ComplianceService {

    static final Set<String> PARAMS = Set.of("framework", "tenant", "namespace");

    private final ElasticsearchClient client;
    private final ComplianceIndex index;
    private final ControlCatalogue catalogue;
    private final Clock clock;

    ComplianceService(ElasticsearchClient client, ComplianceIndex index, ControlCatalogue catalogue, Clock clock) {
        this.client = client;
        this.index = index;
        this.catalogue = catalogue;
        this.clock = clock;
    }

    /** The report as JSON ({@link ReportRenderer#json}). */
    String report(Principal principal, QueryParams params) throws IOException {
        String framework = Validation.single("framework", params.get("framework"), List.copyOf(catalogue.frameworks()));
        String tenant = Validation.tenant(params.get("tenant"));
        if (!principal.isSoc()) {
            if (tenant != null && !tenant.equals(principal.tenant())) {
                throw new ApiException(403, "a tenant sees only its own posture");
            }
            tenant = principal.tenant();
        }
        String namespace = Validation.namespace(params.get("namespace"));
        String scopedTenant = tenant;
        Query scope = tenant == null ? null
                : Query.of(q -> q.term(t -> t.field("tenant.name").value(FieldValue.of(scopedTenant))));
        Instant now = clock.instant();
        ComplianceQuery.History history = new ComplianceQuery(framework, scope, namespace,
                ComplianceReport.TREND_DAYS + 1).run(client, index, now);
        if (history.latest() == null) {
            throw new ApiException(404, "no compliance snapshot of " + framework + " yet"
                    + (tenant == null ? "" : " for tenant " + tenant));
        }
        return ReportRenderer.json(ComplianceReport.of(catalogue, framework, tenant, history.latest(), history.daily(),
                now));
    }
}
