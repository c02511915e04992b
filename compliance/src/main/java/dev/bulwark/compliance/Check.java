package dev.bulwark.compliance;

import java.util.List;
import java.util.Locale;
import java.util.Set;

import dev.bulwark.schemas.PodSpecFacts;
import dev.bulwark.schemas.RoleGrant;
import dev.bulwark.schemas.TenantContext;

/**
 * How Bulwark judges a control from the tenant context: a test on one pod, one namespace or one role, named in the
 * catalogue in kebab case ({@code pod-privileged}).
 *
 * <p>Why: the catalogue is data anyone can read and review; the judgements are code with tests. A pod check reads the
 * facts the objects parser derived from the pod's spec ({@link PodSpecFacts}); a fact the pod record lacks (an older
 * record) fails nothing.
 */
public enum Check {
    POD_PRIVILEGED(Scope.POD),
    POD_HOST_NAMESPACES(Scope.POD),
    POD_HOST_PID(Scope.POD),
    POD_HOST_IPC(Scope.POD),
    POD_HOST_PID_IPC(Scope.POD),
    POD_HOST_NETWORK(Scope.POD),
    POD_CAPABILITIES_BASELINE(Scope.POD),
    POD_CAPABILITIES_RESTRICTED(Scope.POD),
    POD_NO_NET_RAW(Scope.POD),
    POD_NO_ADDED_CAPABILITIES(Scope.POD),
    POD_HOST_PATH(Scope.POD),
    POD_HOST_PORTS(Scope.POD),
    POD_SECCOMP_NOT_UNCONFINED(Scope.POD),
    POD_SECCOMP_CONFINED(Scope.POD),
    POD_VOLUME_TYPES(Scope.POD),
    POD_ESCALATION_DISABLED(Scope.POD),
    POD_NON_ROOT(Scope.POD),
    POD_NOT_UID_0(Scope.POD),
    POD_NOT_DEFAULT_SERVICE_ACCOUNT(Scope.POD),
    POD_NOT_IN_DEFAULT_NAMESPACE(Scope.POD),
    /** Judged from findings: see {@link PostureEvaluator}. */
    POD_IMAGES_VERIFIED(Scope.POD),
    NAMESPACE_HAS_NETWORK_POLICY(Scope.NAMESPACE),
    NAMESPACE_DEFAULT_DENY(Scope.NAMESPACE),
    RBAC_NO_WILDCARD(Scope.ROLE);

    /** What a check judges one at a time. */
    public enum Scope { POD, NAMESPACE, ROLE }

    /** The capabilities baseline allows adding. */
    static final Set<String> BASELINE_CAPABILITIES = Set.of("AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID",
            "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT");
    /** The volume types restricted allows. */
    static final Set<String> RESTRICTED_VOLUMES = Set.of("configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
            "persistentVolumeClaim", "projected", "secret");

    private final Scope scope;

    Check(Scope scope) {
        this.scope = scope;
    }

    public Scope scope() {
        return scope;
    }

    /** The catalogue's name of this check, e.g. {@code pod-privileged}. */
    public String checkName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The check the catalogue names, or null. */
    public static Check byName(String name) {
        for (Check check : values()) {
            if (check.checkName().equals(name)) {
                return check;
            }
        }
        return null;
    }

    /** Whether a pod passes (a pod check other than {@link #POD_IMAGES_VERIFIED}). */
    boolean podPasses(TenantContext pod) {
        PodSpecFacts facts = pod.getPodSpec();
        if (this == POD_NOT_IN_DEFAULT_NAMESPACE) {
            return !"default".equals(pod.getNamespace());
        }
        if (facts == null) {
            return true;
        }
        return switch (this) {
            case POD_PRIVILEGED -> !yes(facts.getPrivileged());
            case POD_HOST_NAMESPACES -> !yes(facts.getHostPid()) && !yes(facts.getHostIpc()) && !yes(facts.getHostNetwork());
            case POD_HOST_PID -> !yes(facts.getHostPid());
            case POD_HOST_IPC -> !yes(facts.getHostIpc());
            case POD_HOST_PID_IPC -> !yes(facts.getHostPid()) && !yes(facts.getHostIpc());
            case POD_HOST_NETWORK -> !yes(facts.getHostNetwork());
            case POD_CAPABILITIES_BASELINE -> BASELINE_CAPABILITIES.containsAll(facts.getCapabilitiesAdded());
            case POD_CAPABILITIES_RESTRICTED -> facts.getCapabilitiesDroppedAll() == null
                    || yes(facts.getCapabilitiesDroppedAll())
                    && Set.of("NET_BIND_SERVICE").containsAll(facts.getCapabilitiesAdded());
            case POD_NO_NET_RAW -> !facts.getCapabilitiesAdded().contains("NET_RAW");
            case POD_NO_ADDED_CAPABILITIES -> facts.getCapabilitiesAdded().isEmpty();
            case POD_HOST_PATH -> facts.getHostPathMounts().isEmpty();
            case POD_HOST_PORTS -> facts.getHostPorts().isEmpty();
            case POD_SECCOMP_NOT_UNCONFINED -> !yes(facts.getSeccompUnconfined());
            case POD_SECCOMP_CONFINED -> facts.getSeccompConfined() == null || yes(facts.getSeccompConfined());
            case POD_VOLUME_TYPES -> RESTRICTED_VOLUMES.containsAll(facts.getVolumeTypes());
            case POD_ESCALATION_DISABLED -> facts.getEscalationDisabled() == null || yes(facts.getEscalationDisabled());
            case POD_NON_ROOT -> !yes(facts.getMayRunAsRoot());
            case POD_NOT_UID_0 -> !yes(facts.getRunAsRootExplicit());
            case POD_NOT_DEFAULT_SERVICE_ACCOUNT -> facts.getServiceAccount() != null
                    && !"default".equals(facts.getServiceAccount());
            default -> throw new IllegalStateException(this + " is not a pod check on the spec");
        };
    }

    /** Whether a Role or ClusterRole passes {@link #RBAC_NO_WILDCARD}: no rule with {@code *} verbs or resources. */
    static boolean roleHasNoWildcard(TenantContext role) {
        for (RoleGrant grant : role.getGrants()) {
            if (grant.getVerbs().contains("*") || grant.getResources().contains("*")) {
                return false;
            }
        }
        return true;
    }

    private static boolean yes(Boolean value) {
        return Boolean.TRUE.equals(value);
    }

    /** The names of every check, for messages. */
    static List<String> names() {
        return java.util.Arrays.stream(values()).map(Check::checkName).toList();
    }
}
