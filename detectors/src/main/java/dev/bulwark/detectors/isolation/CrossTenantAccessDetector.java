package dev.bulwark.detectors.isolation;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.kstream.Windowed;

import dev.bulwark.config.Field;
import dev.bulwark.config.Type;
import dev.bulwark.config.Validator;
import dev.bulwark.detectors.api.Detector;
import dev.bulwark.detectors.api.DetectorApi;
import dev.bulwark.detectors.api.DetectorContext;
import dev.bulwark.detectors.api.Mitre;
import dev.bulwark.detectors.api.Severity;
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
 * refused at least {@code threshold} times (default 5) in {@code window} (default 10 minutes) against the same tenant,
 * so a single typo does not page anyone. The victim tenant owns the finding; the acting tenant is in
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
            .withValidator(Validator.range(1, 1_000_000))
            .withDoc("Refused requests of one identity against one other tenant, within window, that raise a probing finding.");
    /** {@code window}: the counting window. */
    public static final Field<Duration> WINDOW = Field.of("window", Type.DURATION).withDefault(Duration.ofMinutes(10))
            .withValidator(Validator.between(Duration.ofSeconds(1), Duration.ofDays(7)))
            .withDoc("The event-time window over which refused requests are counted.");

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

        KStream<String, Finding> probing = crossing
                .filter((key, event) -> Isolation.denied(event.getKubernetesAudit()), context.named("denied"))
                .selectKey((key, event) -> event.getKubernetesAudit().getSubjectUser() + "|" + event.getTenant().getOwner(),
                        context.named("by-identity"))
                .groupByKey(Grouped.with(name() + "-denied-by-identity", Serdes.String(),
                        dev.bulwark.schemas.AvroSerde.of(SecurityEvent.class)))
                .windowedBy(TimeWindows.ofSizeAndGrace(window, Duration.ofMinutes(1)))
                .aggregate(DeniedAttempts::empty, (key, event, attempts) -> attempts.add(event),
                        context.named("count-denied"),
                        Materialized.<String, DeniedAttempts, org.apache.kafka.streams.state.WindowStore<org.apache.kafka.common.utils.Bytes, byte[]>>as(
                                name() + "-denied-store").withKeySerde(Serdes.String()).withValueSerde(DeniedAttempts.serde())
                                .withRetention(window.plus(Duration.ofMinutes(2)))
                                // Every count must reach the threshold filter: a record cache would fold a burst of
                                // refusals (4, 5, 6 within one commit interval) into one update (6) and skip 5.
                                .withCachingDisabled())
                .toStream(context.named("denied-stream"))
                .filter((key, attempts) -> attempts != null && attempts.count() == threshold, context.named("threshold"))
                .map((key, attempts) -> org.apache.kafka.streams.KeyValue.pair(key.key(),
                        probingFinding(key, attempts, threshold, window, context)), context.named("denied-finding"));
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

    private Finding probingFinding(Windowed<String> key, DeniedAttempts attempts, int threshold, Duration window,
                                   DetectorContext context) {
        SecurityEvent last = attempts.last();
        KubernetesAudit audit = last.getKubernetesAudit();
        String summary = "Identity " + audit.getSubjectUser() + " of tenant " + last.getTenant().getActor() + " was refused "
                + threshold + " times within " + window.toMinutes() + " minutes on resources of tenant "
                + last.getTenant().getOwner() + " (probing), latest: " + Isolation.Access.of(audit).describe() + " "
                + describeTarget(audit);
        Finding finding = context.finding(last).rule(DENIED_RULE, "Cross-tenant access attempts denied").severity(Severity.MEDIUM).mitre(MITRE)
                .summary(summary).evidence(evidence(last)).identity(key.key(), Long.toString(key.window().start())).build();
        finding.setCount(attempts.count());
        finding.setFirstSeen(attempts.firstSeenMillis());
        finding.getEvidence().setEventIds(attempts.eventIds());
        return finding;
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
