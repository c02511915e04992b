package dev.bulwark.detection;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.bulwark.detectors.api.FindingBuilder;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.IncidentFinding;

/**
 * What links findings into incidents: the entities a finding concerns, as incidents group them.
 *
 * <p>Unlike entity risk, which scores within one tenant, an incident follows an attack across tenants: a pod is
 * {@code pod:<namespace>/<pod>} whoever owns it, and a cross-tenant finding links its source and destination pods.
 * An audited request on a pod links that pod. Images and tenants do not link (many unrelated workloads share them).
 */
public final class Incidents {

    private Incidents() {
    }

    /** A finding as an incident's timeline shows it, with the entities that link it. */
    public static IncidentFinding of(Finding finding) {
        Map<String, String> fields = finding.getEvidence().getFields();
        Set<String> entities = new LinkedHashSet<>();
        Map<String, String> podTenants = new LinkedHashMap<>();
        String own = finding.getNamespace() != null && finding.getPod() != null
                ? "pod:" + finding.getNamespace() + "/" + finding.getPod() : null;
        if (own == null && "pods".equals(fields.get("kubernetes_audit.resource"))
                && fields.get("kubernetes_audit.object_name") != null) {
            // An audited request on a pod (exec, attach, port-forward, delete...) concerns that pod.
            String namespace = fields.getOrDefault("kubernetes_audit.object_namespace", finding.getNamespace());
            own = namespace == null ? null : "pod:" + namespace + "/" + fields.get("kubernetes_audit.object_name");
        }
        if (own != null) {
            entities.add(own);
        }
        String[][] peers = {{fields.get("source.pod"), fields.get("tenant.source")},
                {fields.get("destination.pod"), fields.get("tenant.destination")}};
        for (String[] peer : peers) {
            if (peer[0] != null && peer[0].contains("/") && !peer[0].startsWith("null/")) {
                entities.add("pod:" + peer[0]);
                if (peer[1] != null) {
                    podTenants.put("pod:" + peer[0], peer[1]);
                }
            }
        }
        if (own != null) { // a finding's own pod is its owner's, unless the evidence says whose it is (a source pod)
            podTenants.putIfAbsent(own, finding.getTenant());
        }
        String user = EntityRisks.identity(finding);
        if (user != null) {
            entities.add("identity:" + user);
        }
        String session = fields.get(FindingBuilder.SESSION_ID);
        if (session != null) {
            entities.add("session:" + session);
        }
        return IncidentFinding.newBuilder()
                .setFindingId(finding.getId())
                .setTime(finding.getFirstSeen())
                .setLastSeen(finding.getLastSeen())
                .setRuleId(finding.getRule().getId())
                .setRuleName(finding.getRule().getName())
                .setDetector(finding.getDetector())
                .setSeverity(finding.getSeverity())
                .setRiskScore(finding.getRiskScore())
                .setTenant(finding.getTenant())
                .setOtherTenants(new ArrayList<>(finding.getOtherTenants()))
                .setNamespace(finding.getNamespace())
                .setPod(finding.getPod())
                .setUser(user)
                .setSessionId(session)
                .setTactics(new ArrayList<>(finding.getMitre().getTactics()))
                .setEntities(new ArrayList<>(entities))
                .setPodTenants(podTenants)
                .build();
    }

    /** The distinct detectors among findings. */
    static Set<String> detectors(List<IncidentFinding> findings) {
        Set<String> detectors = new LinkedHashSet<>();
        findings.forEach(f -> detectors.add(f.getDetector()));
        return detectors;
    }
}
