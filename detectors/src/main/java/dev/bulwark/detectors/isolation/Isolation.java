package dev.bulwark.detectors.isolation;

import dev.bulwark.detectors.api.Tenants;
import dev.bulwark.schemas.KubernetesAudit;
import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.schemas.TenantInfo;

/**
 * Shared vocabulary of the isolation detectors: whether an event crosses tenants, and how an audited request is
 * classified.
 *
 * <p>Why: the detectors must agree on what "another tenant" means (both sides known, different, neither unattributed)
 * and on what counts as allowed or denied, or the tenant views would contradict each other.
 */
final class Isolation {

    /** Rule id prefix of every isolation finding; the console shows these first to tenants. */
    static final String RULE_PREFIX = "bulwark.isolation.";

    private Isolation() {
    }

    /** True when a tenant is a real, known tenant. */
    static boolean known(String tenant) {
        return tenant != null && !Tenants.UNATTRIBUTED.equals(tenant);
    }

    /** True when the acting identity's tenant is known and differs from the owner's. */
    static boolean actorCrossesTenants(SecurityEvent event) {
        TenantInfo tenant = event.getTenant();
        return tenant != null && known(tenant.getOwner()) && known(tenant.getActor())
                && !tenant.getOwner().equals(tenant.getActor());
    }

    /** What an audited request did to the object. */
    enum Access {
        READ, WRITE, EXEC, ATTACH, PORT_FORWARD, PROXY;

        static Access of(KubernetesAudit audit) {
            String sub = audit.getSubresource() == null ? "" : audit.getSubresource();
            switch (sub) {
                case "exec":
                    return EXEC;
                case "attach":
                    return ATTACH;
                case "portforward":
                    return PORT_FORWARD;
                case "proxy":
                    return PROXY;
                default:
                    break;
            }
            String verb = audit.getVerb() == null ? "" : audit.getVerb();
            return switch (verb) {
                case "get", "list", "watch" -> READ;
                default -> WRITE;
            };
        }

        String describe() {
            return switch (this) {
                case READ -> "read";
                case WRITE -> "wrote";
                case EXEC -> "exec'd into";
                case ATTACH -> "attached to";
                case PORT_FORWARD -> "port-forwarded to";
                case PROXY -> "proxied to";
            };
        }
    }

    /** True when the API server allowed the request. */
    static boolean allowed(KubernetesAudit audit) {
        if (audit.getDecision() != null) {
            return "allow".equalsIgnoreCase(audit.getDecision());
        }
        Integer code = audit.getResponseCode();
        return code != null && code < 400;
    }

    /** True when the API server refused the request for lack of rights. */
    static boolean denied(KubernetesAudit audit) {
        if (audit.getDecision() != null) {
            return !"allow".equalsIgnoreCase(audit.getDecision());
        }
        Integer code = audit.getResponseCode();
        return code != null && (code == 401 || code == 403);
    }

    /**
     * Only the stage that carries the decision is judged, so one request is one finding (not one per stage): the final
     * one, or for long-running sessions (exec, attach, port-forward), {@code ResponseStarted}, which is logged when
     * the session opens (its {@code ResponseComplete} only when it ends); findings of both stages share one id.
     */
    static boolean finalStage(KubernetesAudit audit) {
        String stage = audit.getStage();
        if (stage == null || "ResponseComplete".equals(stage) || "Panic".equals(stage)) {
            return true;
        }
        return "ResponseStarted".equals(stage) && audit.getSubresource() != null
                && java.util.Set.of("exec", "attach", "portforward").contains(audit.getSubresource());
    }
}
