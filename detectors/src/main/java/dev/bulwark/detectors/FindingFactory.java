package dev.bulwark.detectors;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import dev.bulwark.schemas.Evidence;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.FindingRule;
import dev.bulwark.schemas.Ids;
import dev.bulwark.schemas.MitreAttack;
import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.schemas.TenantInfo;

/**
 * Builds a {@link Finding} from the event that triggered it, filling workload, tenant, time and evidence the same way
 * for every detector.
 *
 * <p>Why: findings from different detectors must look alike to analysts and be searchable by the same fields.
 */
public final class FindingFactory {

    /** Risk score (ECS event.risk_score) for each severity. */
    private static final Map<String, Integer> RISK = Map.of("low", 21, "medium", 47, "high", 73, "critical", 99);

    private FindingFactory() {
    }

    /**
     * A finding about one event.
     *
     * @param detector the detector reporting it
     * @param ruleId stable rule id
     * @param ruleName human title
     * @param severity low, medium, high or critical
     * @param mitre ATT&CK tactics and techniques
     * @param summary one sentence for the analyst
     * @param event the triggering event
     * @param tenants namespace to tenant resolution
     * @param evidenceFields the event fields that made it match
     * @param identity what makes two events the same finding (besides detector and rule)
     */
    public static Finding of(Detector detector, String ruleId, String ruleName, String severity, MitreAttack mitre,
                             String summary, SecurityEvent event, TenantResolver tenants,
                             Map<String, String> evidenceFields, String... identity) {
        Integer risk = RISK.get(severity);
        if (risk == null) {
            throw new IllegalArgumentException("severity must be low, medium, high or critical: " + severity);
        }
        String namespace = event.getKubernetes() == null ? null : event.getKubernetes().getNamespace();
        long millis = Math.floorDiv(event.getTimestamp(), 1_000_000L);
        String[] idParts = new String[identity.length + 2];
        idParts[0] = detector.name();
        idParts[1] = ruleId;
        System.arraycopy(identity, 0, idParts, 2, identity.length);
        Map<String, String> fields = new LinkedHashMap<>();
        evidenceFields.forEach((k, v) -> {
            if (v != null) {
                fields.put(k, v);
            }
        });
        return FindingBounds.cap(Finding.newBuilder()
                .setId(Ids.of(idParts))
                .setDetector(detector.name())
                .setRule(FindingRule.newBuilder().setId(ruleId).setName(ruleName).setVersion(detector.version()).build())
                .setSeverity(severity)
                .setRiskScore(risk)
                .setMitre(mitre)
                .setTenant(ownerTenant(event, tenants, namespace))
                .setOtherTenants(otherTenants(event))
                .setSummary(summary)
                .setFirstSeen(millis)
                .setLastSeen(millis)
                .setCount(1)
                .setCluster(event.getOrchestrator() == null ? null : event.getOrchestrator().getCluster())
                .setNamespace(namespace)
                .setPod(event.getKubernetes() == null ? null : event.getKubernetes().getPod())
                .setContainerId(event.getContainer() == null ? null : event.getContainer().getId())
                .setImage(event.getContainer() == null ? null : event.getContainer().getImageName())
                .setEvidence(Evidence.newBuilder().setEventIds(List.of(event.getId())).setFields(fields).build())
                .build());
    }

    /** The tenant a finding belongs to: the event's enriched owner, else the static mapping of its namespace. */
    static String ownerTenant(SecurityEvent event, TenantResolver tenants, String namespace) {
        if (event.getTenant() != null && event.getTenant().getOwner() != null) {
            return event.getTenant().getOwner();
        }
        return tenants.tenantOf(namespace);
    }

    /** Other tenants involved (the acting identity's, the peer's), so each party's view can show the finding. */
    static List<String> otherTenants(SecurityEvent event) {
        TenantInfo tenant = event.getTenant();
        if (tenant == null) {
            return List.of();
        }
        java.util.Set<String> others = new java.util.TreeSet<>();
        for (String other : new String[] {tenant.getActor(), tenant.getPeer()}) {
            if (other != null && !other.equals(tenant.getOwner()) && !TenantResolver.UNATTRIBUTED.equals(other)) {
                others.add(other);
            }
        }
        return List.copyOf(others);
    }

    /**
     * The risk score (ECS {@code event.risk_score}, 0-100) of a severity, for findings built without
     * {@link #of}.
     *
     * @throws IllegalArgumentException when the severity is not low, medium, high or critical
     */
    public static int riskScore(String severity) {
        Integer risk = RISK.get(severity);
        if (risk == null) {
            throw new IllegalArgumentException("severity must be low, medium, high or critical: " + severity);
        }
        return risk;
    }

    /** A MITRE ATT&CK classification. */
    public static MitreAttack mitre(List<String> tactics, List<String> techniques) {
        return MitreAttack.newBuilder().setTactics(List.copyOf(tactics)).setTechniques(List.copyOf(techniques)).build();
    }

    static String orEmpty(String value) {
        return Objects.requireNonNullElse(value, "");
    }
}
