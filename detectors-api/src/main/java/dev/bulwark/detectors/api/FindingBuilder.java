package dev.bulwark.detectors.api;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

import dev.bulwark.schemas.Evidence;
import dev.bulwark.schemas.ExecSession;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.FindingRule;
import dev.bulwark.schemas.Ids;
import dev.bulwark.schemas.MitreAttack;
import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.schemas.TenantInfo;

/**
 * Builds a {@link Finding} about the event that triggered it. Workload, tenants, time and the event's id come from the
 * event the same way for every detector; the detector names the rule, severity, summary and evidence.
 *
 * <p>Why: findings from different detectors must look alike to analysts and be searchable by the same fields. Get one
 * from {@link DetectorContext#finding}; {@link #rule}, {@link #severity} and {@link #summary} are required.
 *
 * <pre>{@code
 * context.finding(event)
 *         .rule("example.crypto_miner", "Cryptocurrency miner in a container")
 *         .severity(Severity.HIGH)
 *         .mitre(Mitre.of(List.of("impact"), List.of("T1496")))
 *         .summary("Miner xmrig started in pod shop/web-1")
 *         .evidence("process.command_line", event.getProcess().getCommandLine())
 *         .identity(event.getContainer().getId())
 *         .build();
 * }</pre>
 */
public final class FindingBuilder {

    private final String detector;
    private final String detectorVersion;
    private final Function<String, String> tenantOfNamespace;
    private final SecurityEvent event;
    private String ruleId;
    private String ruleName;
    private Severity severity;
    private MitreAttack mitre = Mitre.of(List.of(), List.of());
    private String summary;
    private final Map<String, String> evidence = new LinkedHashMap<>();
    private String[] identity = new String[0];

    /**
     * A builder for findings of one detector; detectors get theirs from {@link DetectorContext#finding}.
     *
     * @param detector the detector's name
     * @param detectorVersion the detector's {@link Detector#version()}
     * @param tenantOfNamespace the static tenant of a namespace, for events without an enriched owner
     * @param event the event the finding is about
     */
    public FindingBuilder(String detector, String detectorVersion, Function<String, String> tenantOfNamespace,
                          SecurityEvent event) {
        this.detector = Objects.requireNonNull(detector, "detector");
        this.detectorVersion = Objects.requireNonNull(detectorVersion, "detectorVersion");
        this.tenantOfNamespace = Objects.requireNonNull(tenantOfNamespace, "tenantOfNamespace");
        this.event = Objects.requireNonNull(event, "event");
    }

    /** The rule that fired: a stable id ({@code area.what}, indexed as {@code rule.id}) and a title for analysts. */
    public FindingBuilder rule(String id, String name) {
        this.ruleId = Objects.requireNonNull(id, "rule id");
        this.ruleName = Objects.requireNonNull(name, "rule name");
        return this;
    }

    /** How bad it is; sets the risk score too. */
    public FindingBuilder severity(Severity severity) {
        this.severity = Objects.requireNonNull(severity, "severity");
        return this;
    }

    /** The MITRE ATT&CK tactics and techniques ({@link Mitre#of}); none by default. */
    public FindingBuilder mitre(MitreAttack mitre) {
        this.mitre = Objects.requireNonNull(mitre, "mitre");
        return this;
    }

    /** One sentence for the analyst: what happened, where, and who did it. */
    public FindingBuilder summary(String summary) {
        this.summary = Objects.requireNonNull(summary, "summary");
        return this;
    }

    /** One field of the event that made the rule match ({@code process.command_line}, say); a null value is skipped. */
    public FindingBuilder evidence(String field, String value) {
        if (value != null) {
            evidence.put(Objects.requireNonNull(field, "evidence field"), value);
        }
        return this;
    }

    /** Several evidence fields, in the map's order; null values are skipped. */
    public FindingBuilder evidence(Map<String, String> fields) {
        fields.forEach(this::evidence);
        return this;
    }

    /**
     * What makes two events the same finding, besides detector and rule: the finding's id is derived from the detector,
     * the rule and these parts, so events with equal parts give one finding (the sink keeps one document per id), and a
     * replayed event gives the same id again. Without parts, the event's id is used: one finding per event.
     */
    public FindingBuilder identity(String... parts) {
        this.identity = parts.clone();
        return this;
    }

    /**
     * The finding, cut to {@link FindingBounds#DEFAULT_MAX_BYTES} if need be.
     *
     * @throws IllegalStateException when the rule, severity or summary is missing
     */
    public Finding build() {
        if (ruleId == null || severity == null || summary == null) {
            throw new IllegalStateException("a finding needs rule(...), severity(...) and summary(...)");
        }
        String[] parts = identity.length == 0 ? new String[] {event.getId()} : identity;
        String[] idParts = new String[parts.length + 2];
        idParts[0] = detector;
        idParts[1] = ruleId;
        System.arraycopy(parts, 0, idParts, 2, parts.length);
        String namespace = event.getKubernetes() == null ? null : event.getKubernetes().getNamespace();
        long millis = Math.floorDiv(event.getTimestamp(), 1_000_000L);
        return FindingBounds.cap(Finding.newBuilder()
                .setId(Ids.of(idParts))
                .setDetector(detector)
                .setRule(FindingRule.newBuilder().setId(ruleId).setName(ruleName).setVersion(detectorVersion).build())
                .setSeverity(severity.label())
                .setRiskScore(severity.riskScore())
                .setMitre(mitre)
                .setTenant(ownerTenant(namespace))
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
                .setEvidence(Evidence.newBuilder().setEventIds(List.of(event.getId())).setFields(fields()).build())
                .build());
    }

    /** The session fields of a process event of a {@code kubectl exec} session. */
    public static final String SESSION_ID = "bulwark.session.id";
    public static final String SESSION_USER = "bulwark.session.user";
    public static final String SESSION_AUDIT_ID = "bulwark.session.audit_id";

    /** The evidence: the exec session the event belongs to, if any, then what the detector gave. */
    private Map<String, String> fields() {
        Map<String, String> fields = new LinkedHashMap<>();
        ExecSession session = event.getSession();
        if (session != null) {
            fields.put(SESSION_ID, session.getId());
            fields.put(SESSION_USER, session.getUser());
            fields.put(SESSION_AUDIT_ID, session.getAuditId());
        }
        fields.putAll(evidence);
        return fields;
    }

    /** The tenant a finding belongs to: the event's enriched owner, else the static mapping of its namespace. */
    private String ownerTenant(String namespace) {
        if (event.getTenant() != null && event.getTenant().getOwner() != null) {
            return event.getTenant().getOwner();
        }
        String tenant = namespace == null ? null : tenantOfNamespace.apply(namespace);
        return tenant == null ? Tenants.UNATTRIBUTED : tenant;
    }

    /** Other tenants involved (the acting identity's, the peer's), so each party's view can show the finding. */
    private static List<String> otherTenants(SecurityEvent event) {
        TenantInfo tenant = event.getTenant();
        if (tenant == null) {
            return List.of();
        }
        Set<String> others = new TreeSet<>();
        for (String other : new String[] {tenant.getActor(), tenant.getPeer()}) {
            if (other != null && !other.equals(tenant.getOwner()) && !Tenants.UNATTRIBUTED.equals(other)) {
                others.add(other);
            }
        }
        return List.copyOf(others);
    }
}
