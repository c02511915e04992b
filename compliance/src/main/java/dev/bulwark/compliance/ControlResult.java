package dev.bulwark.compliance;

import java.util.List;

/**
 * The state of one control in one namespace of a tenant (or cluster-wide: tenant and namespace null) at one time.
 *
 * @param framework the control's framework
 * @param controlId the control's id in it
 * @param title the control's title
 * @param tenant the namespace's tenant ({@code unattributed} when none), null for a cluster-wide result
 * @param namespace the namespace, null for a cluster-wide result
 * @param status {@code pass}, {@code fail}, or {@code none} when there was nothing to judge
 * @param checked how many resources were judged
 * @param failing the failing resources ({@code pod/<ns>/<name>}, {@code namespace/<name>}, {@code role/<ns>/<name>},
 *     or as a report names them), sorted, at most {@value PostureEvaluator#MAX_FAILING}
 * @param failingTotal how many resources fail, also those not listed
 * @param sources who judged it: {@code bulwark} (its own checks), {@code trivy} (an ingested compliance report)
 */
public record ControlResult(String framework, String controlId, String title, String tenant, String namespace,
                            String status, int checked, List<String> failing, int failingTotal, List<String> sources) {

    public ControlResult {
        failing = List.copyOf(failing);
        sources = List.copyOf(sources);
    }

    /** What identifies the result across snapshots: framework, control, tenant and namespace. */
    public String key() {
        return framework + "/" + controlId + "/" + (tenant == null ? "-" : tenant) + "/"
                + (namespace == null ? "-" : namespace);
    }
}
