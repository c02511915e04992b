package dev.bulwark.api;

import co.elastic.clients.elasticsearch._types.query_dsl.Query;
import dev.bulwark.sink.TenantNames;

/**
 * Who is calling the query API: a name (recorded on triage decisions) and a role.
 *
 * <p>Why: every request is answered for a principal, and the principal alone decides which tenants' findings the
 * request can reach. A {@code soc} principal sees every tenant and may triage; a {@code tenant:<name>} principal sees
 * only findings whose {@code tenant.name} is its own and may not triage.
 *
 * @param name the principal's name, e.g. {@code alice} or {@code soc#1a2b}
 * @param tenant the tenant a tenant principal is confined to, or null for a SOC principal
 */
public record Principal(String name, String tenant) {

    public Principal {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a principal needs a name");
        }
        if (tenant != null) {
            TenantNames.require(tenant);
        }
    }

    /** A SOC analyst: all tenants, may triage. */
    public static Principal soc(String name) {
        return new Principal(name, null);
    }

    /** A tenant's user: only that tenant's findings, read-only. */
    public static Principal tenant(String name, String tenant) {
        return new Principal(name, tenant);
    }

    /** True for a SOC principal. */
    public boolean isSoc() {
        return tenant == null;
    }

    /** The role as written in configuration: {@code soc} or {@code tenant:<name>}. */
    public String role() {
        return isSoc() ? "soc" : "tenant:" + tenant;
    }

    /** True when this principal may change triage status. */
    public boolean mayTriage() {
        return isSoc();
    }

    /**
     * The filter every query of this principal carries, as a structured {@code term} query on {@code tenant.name}, or
     * null for a SOC principal.
     */
    public Query scope() {
        return isSoc() ? null : Query.of(q -> q.term(t -> t.field("tenant.name").value(tenant)));
    }
}
