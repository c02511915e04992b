package dev.bulwark.detectors.api;

/**
 * The per-tenant tuning a SOC analyst set on a detector's rules ({@code bulwark rules override}), as a processor reads
 * it: exceptions and correlation thresholds for one tenant and one rule, correlation or detector.
 *
 * <p>Why here: disabling a rule and changing its severity act on findings, after every detector, so Bulwark applies
 * them itself. An exception ("not when the event ...") and a correlation threshold act on the events and counts inside
 * a detector, so the detector that evaluates them asks. Get one in a processor's {@code init} with
 * {@link DetectorContext#tuning}; lookups read a local store of the rule-overrides topic and see a change within
 * seconds.
 *
 * @since detector API 1.1
 */
@FunctionalInterface
public interface TenantTuning {

    /**
     * The evidence field of a finding that records the per-tenant override it was made under, by whom and why: Bulwark
     * writes it for a changed severity, a detector for the tuning it applied (a correlation threshold, say).
     */
    String EVIDENCE_FIELD = "bulwark.override";

    /** No tuning at all (what a context without the overrides store gives). */
    TenantTuning NONE = (tenant, target) -> null;

    /**
     * The tuning of {@code target} (a rule id, a correlation id, or the detector's name) for {@code tenant}, or null when
     * the tenant has neither an exception nor a threshold for it.
     */
    Tuning of(String tenant, String target);

    /**
     * One tenant's tuning of one target.
     *
     * @param exception a Sigma filter document (YAML) that this tenant's matches of the rules it names must also
     *     satisfy, or null
     * @param threshold the count a correlation's groups of this tenant must reach instead of the correlation's own
     *     lower bound, or null
     * @param description who set it, when and why, for the findings it changes
     */
    record Tuning(String exception, Long threshold, String description) {
    }
}
