package dev.bulwark.detectors.isolation;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Repartitioned;

import dev.bulwark.config.Field;
import dev.bulwark.config.Type;
import dev.bulwark.config.Validator;
import dev.bulwark.detectors.api.Detector;
import dev.bulwark.detectors.api.DetectorApi;
import dev.bulwark.detectors.api.DetectorContext;
import dev.bulwark.detectors.api.Mitre;
import dev.bulwark.detectors.api.Severity;
import dev.bulwark.schemas.AvroSerde;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.KubernetesAudit;
import dev.bulwark.schemas.MitreAttack;
import dev.bulwark.schemas.SecurityEvent;

/**
 * An identity of one tenant reads, writes, execs into, attaches to or port-forwards to a resource in another tenant's
 * namespace (Kubernetes audit).
 *
 * <p>Why: on a shared cluster this is the breach tenants fear most, and neither Falco nor Elastic knows tenants. An
 * <em>allowed</em> request is a real breach or an RBAC misconfiguration: one high finding per request (critical for
 * exec, attach and secrets). A <em>denied</em> request is probing: medium, raised only when the same identity was
 * refused at least {@code threshold} times (default 5, at most 10,000) within any {@code window} (default 10 minutes;
 * a sliding window, so a burst straddling a clock boundary counts whole) against the same tenant, so a single typo
 * does not page anyone; after a finding the key stays quiet for one window. Refusals may arrive up to a minute out of
 * order. The victim tenant owns the finding; the acting tenant is in
 * {@code other_tenants}.
 */
public final class CrossTenantAccessDetector implements Detector {

    public static final String ALLOWED_RULE = Isolation.RULE_PREFIX + "cross_tenant_access";
    public static final String DENIED_RULE = Isolation.RULE_PREFIX + "cross_tenant_probing";

    private static final MitreAttack MITRE = Mitre.of(List.of("lateral-movement", "discovery"),
            List.of("T1609", "T1613"));

    @Override
    public String name() {
        return "cross-tenant-access";
    }

    @Override
    public String apiVersion() {
        return DetectorApi.VERSION;
    }

    /** {@code threshold}: refusals of one identity against one tenant that make probing. */
    public static final Field<Integer> THRESHOLD = Field.of("threshold", Type.INT).withDefault(5)
            .withValidator(Validator.range(1, 10_000))
            .withDoc("Refused requests of one identity against one other tenant, within window, that raise a probing finding.");
    /** {@code window}: the counting window. */
    public static final Field<Duration> WINDOW = Field.of("window", Type.DURATION).withDefault(Duration.ofMinutes(10))
            .withValidator(Validator.between(Duration.ofSeconds(1), Duration.ofDays(7)))
            .withDoc("The sliding event-time window within which threshold refusals raise a probing finding; after one, the identity is quiet for a window.");

    /** How far behind the newest refusal of an identity a refusal may arrive and still be counted. */
    static final Duration GRACE = Duration.ofMinutes(1);

    @Override
    public List<Field<?>> settings() {
        return List.of(THRESHOLD, WINDOW);
    }

    @Override
    public KStream<String, Finding> build(DetectorContext context) {
        int threshold = context.settings().get(THRESHOLD);
        Duration window = context.settings().get(WINDOW);
        KStream<String, SecurityEvent> crossing = context.events()
                .filter((key, event) -> event.getKubernetesAudit() != null && Isolation.finalStage(event.getKubernetesAudit())
                        && Isolation.actorCrossesTenants(event), context.named("crossing"));

        KStream<String, Finding> allowed = crossing
                .filter((key, event) -> Isolation.allowed(event.getKubernetesAudit()), context.named("allowed"))
                .mapValues(event -> allowedFinding(event, context), context.named("allowed-finding"));

        String store = context.stores().keyValue("probing", Serdes.String(), ProbingWindow.serde());
        KStream<String, Finding> probing = crossing
                .filter((key, event) -> Isolation.denied(event.getKubernetesAudit()), context.named("denied"))
                .selectKey((key, event) -> event.getKubernetesAudit().getSubjectUser() + "|" + event.getTenant().getOwner(),
                        context.named("by-identity"))
                .repartition(Repartitioned.with(Serdes.String(), AvroSerde.of(SecurityEvent.class))
                        .withName(name() + "-denied-by-identity"))
                .process(() -> new ProbingProcessor(store, threshold, window, GRACE,
                        (key, firing, latest) -> probingFinding(key, firing, latest, threshold, window, context)),
                        context.named("count-denied"), store);
        return allowed.merge(probing, context.named("merge"));
    }

    /** True for an enriched audit event this detector reports as an allowed cross-tenant access. */
    public static boolean isAllowedCrossTenantAccess(SecurityEvent event) {
        return event.getKubernetesAudit() != null && Isolation.finalStage(event.getKubernetesAudit())
                && Isolation.actorCrossesTenants(event) && Isolation.allowed(event.getKubernetesAudit());
    }

    private Finding allowedFinding(SecurityEvent event, DetectorContext context) {
        KubernetesAudit audit = event.getKubernetesAudit();
        Isolation.Access access = Isolation.Access.of(audit);
        boolean critical = access == Isolation.Access.EXEC || access == Isolation.Access.ATTACH
                || "secrets".equals(audit.getResource());
        String target = describeTarget(audit);
        String summary = "Identity " + audit.getSubjectUser() + " of tenant " + event.getTenant().getActor() + " "
                + access.describe() + " " + target + " of tenant " + event.getTenant().getOwner()
                + " and the API server allowed it (a breach or an RBAC misconfiguration)";
        return context.finding(event).rule(ALLOWED_RULE, "Cross-tenant access allowed").severity(Severity.of(critical ? "critical" : "high")).mitre(MITRE)
                .summary(summary).evidence(evidence(event)).identity(audit.getAuditId() != null ? audit.getAuditId() : event.getId()).build();
    }

    private Finding probingFinding(String key, ProbingWindow.Firing firing, SecurityEvent latest, int threshold,
                                   Duration window, DetectorContext context) {
        KubernetesAudit audit = latest.getKubernetesAudit();
        String summary = "Identity " + audit.getSubjectUser() + " of tenant " + latest.getTenant().getActor() + " was refused "
                + firing.count() + " times within " + describe(window) + " on resources of tenant "
                + latest.getTenant().getOwner() + " (probing, threshold " + threshold + "), latest: "
                + Isolation.Access.of(audit).describe() + " " + describeTarget(audit);
        Finding finding = context.finding(latest).rule(DENIED_RULE, "Cross-tenant access attempts denied").severity(Severity.MEDIUM).mitre(MITRE)
                .summary(summary).evidence(evidence(latest)).identity(key, Long.toString(firing.firstSeen())).build();
        finding.setCount(firing.count());
        finding.setFirstSeen(firing.firstSeen());
        finding.getEvidence().setEventIds(firing.eventIds());
        return finding;
    }

    private static String describe(Duration window) {
        return window.toSeconds() % 60 == 0 ? window.toMinutes() + " minutes" : window.toSeconds() + " seconds";
    }

    private static String describeTarget(KubernetesAudit audit) {
        String resource = audit.getResource() == null ? "a resource" : audit.getResource()
                + (audit.getSubresource() == null ? "" : "/" + audit.getSubresource());
        return resource + (audit.getObjectName() == null ? "" : " " + audit.getObjectName()) + " in namespace "
                + audit.getObjectNamespace();
    }

    private static Map<String, String> evidence(SecurityEvent event) {
        KubernetesAudit audit = event.getKubernetesAudit();
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("kubernetes_audit.subject_user", audit.getSubjectUser());
        fields.put("kubernetes_audit.verb", audit.getVerb());
        fields.put("kubernetes_audit.resource", audit.getResource());
        fields.put("kubernetes_audit.subresource", audit.getSubresource());
        fields.put("kubernetes_audit.object_namespace", audit.getObjectNamespace());
        fields.put("kubernetes_audit.object_name", audit.getObjectName());
        fields.put("kubernetes_audit.decision", audit.getDecision());
        fields.put("kubernetes_audit.response_code", audit.getResponseCode() == null ? null : audit.getResponseCode().toString());
        fields.put("kubernetes_audit.source_ips", String.join(",", audit.getSourceIps()));
        fields.put("tenant.owner", event.getTenant().getOwner());
        fields.put("tenant.actor", event.getTenant().getActor());
        return fields;
    }
}
