package dev.bulwark.detectors.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.junit.jupiter.api.Test;

import dev.bulwark.detectors.api.Detector;
import dev.bulwark.detectors.api.DetectorApi;
import dev.bulwark.detectors.api.DetectorContext;
import dev.bulwark.detectors.api.Severity;
import dev.bulwark.detectors.api.TenantDirectory;
import dev.bulwark.schemas.Finding;

/** Tenant attribution from live context, through the real topology. */
class TenantEnrichmentTest {

    /** Reports every event as a finding, so the test sees what enrichment wrote. */
    static final class EchoDetector implements Detector {
        @Override
        public String name() {
            return "echo";
        }

        @Override
        public String apiVersion() {
            return DetectorApi.VERSION;
        }

        @Override
        public KStream<String, Finding> build(DetectorContext context) {
            return context.events().mapValues(event -> context.finding(event).rule("echo", "echo")
                    .severity(Severity.LOW).summary("echo")
                    .evidence("actor", String.valueOf(event.getTenant().getActor()))
                    .evidence("peer", String.valueOf(event.getTenant().getPeer()))
                    .evidence("peer_pod", String.valueOf(event.getTenant().getPeerPod()))
                    .evidence("owner_source", String.valueOf(event.getTenant().getOwnerSource()))
                    .build(), context.named("finding"));
        }
    }

    private static final String CONTEXT = """
            - {kind: namespace, key: shop, namespace: shop, tenant: acme}
            - {kind: namespace, key: ledger, namespace: ledger, tenant: globex}
            - {kind: pod, key: ledger/db-0, namespace: ledger, name: db-0, pod_ip: 10.0.2.7}
            - {kind: rolebinding, key: ledger/ops, namespace: ledger, subjects: [{kind: User, name: carol}]}
            """;

    @Test
    void eachTenantsEventsAreAttributedFromNamespaceLabelsAndTheStaticMapIsTheFallback() {
        try (DetectorTestKit kit = DetectorTestKit.of(new EchoDetector(), Map.of(), Map.of("legacy", "initech"))) {
            kit.context(CONTEXT);
            kit.event("{id: a, kubernetes: {namespace: shop, pod: web-1}, process: {name: sh}}");
            kit.event("{id: b, kubernetes: {namespace: ledger, pod: db-0}, process: {name: sh}}");
            kit.event("{id: c, kubernetes: {namespace: legacy, pod: old-1}}");
            Map<String, Finding> findings = kit.latestFindings();
            assertThat(findings.values()).extracting(Finding::getTenant).containsExactly("acme", "globex", "initech");
            assertThat(findings.values()).extracting(f -> f.getEvidence().getFields().get("owner_source"))
                    .containsExactly("context", "context", "static");
        }
    }

    @Test
    void aNamespaceMovedToAnotherTenantChangesAttributionLive() {
        try (DetectorTestKit kit = DetectorTestKit.of(new EchoDetector())) {
            kit.context(CONTEXT);
            kit.event("{id: before, kubernetes: {namespace: shop}}");
            kit.context("{kind: namespace, key: shop, namespace: shop, tenant: globex}");
            kit.event("{id: after, kubernetes: {namespace: shop}}");
            assertThat(kit.findings()).extracting(Finding::getTenant).containsExactly("acme", "globex");
        }
    }

    @Test
    void eventsWaitBrieflyForContextThatArrivesLateAndOtherwiseGoOnUnattributed() {
        try (DetectorTestKit kit = DetectorTestKit.of(new EchoDetector())) {
            kit.event("{id: early, kubernetes: {namespace: newcomer}}");
            assertThat(kit.findings()).as("held while the namespace is unknown").isEmpty();
            kit.context("{kind: namespace, key: newcomer, namespace: newcomer, tenant: acme}");
            kit.advance(Duration.ofMillis(600));
            assertThat(kit.findings()).extracting(Finding::getTenant).containsExactly("acme");

            kit.event("{id: orphan, kubernetes: {namespace: nobody-knows}}");
            kit.advance(Duration.ofMillis(600));
            assertThat(kit.findings()).isEmpty();
            kit.advance(Duration.ofSeconds(2));
            assertThat(kit.findings()).extracting(Finding::getTenant).containsExactly("unattributed");
        }
    }

    @Test
    void aNamespaceThatGotNoContextInTimeIsNotWaitedForAgainUntilItsContextArrives() {
        try (DetectorTestKit kit = DetectorTestKit.of(new EchoDetector())) {
            kit.event("{id: first, kubernetes: {namespace: unlabelled}}");
            kit.event("{id: other, kubernetes: {namespace: elsewhere}}");
            kit.advance(Duration.ofMillis(2600));
            assertThat(kit.findings()).extracting(Finding::getTenant).containsExactly("unattributed", "unattributed");

            kit.event("{id: second, kubernetes: {namespace: unlabelled}}");
            assertThat(kit.findings()).as("no second wait for a namespace that just gave up")
                    .extracting(Finding::getTenant).containsExactly("unattributed");

            kit.event("{id: newcomer, kubernetes: {namespace: fresh}}");
            assertThat(kit.findings()).as("another namespace still waits").isEmpty();
            kit.context("{kind: namespace, key: unlabelled, namespace: unlabelled, tenant: acme}");
            kit.context("{kind: namespace, key: fresh, namespace: fresh, tenant: globex}");
            kit.event("{id: third, kubernetes: {namespace: unlabelled}}");
            assertThat(kit.findings()).extracting(Finding::getTenant).containsExactly("acme");
            kit.advance(Duration.ofMillis(600));
            assertThat(kit.findings()).extracting(Finding::getTenant).containsExactly("globex");
        }
    }

    @Test
    void manyWaitingEventsOfSeveralNamespacesAreReleasedInArrivalOrderPerNamespace() {
        try (DetectorTestKit kit = DetectorTestKit.of(new EchoDetector())) {
            for (int i = 0; i < 30; i++) {
                kit.event("{id: e" + i + ", kubernetes: {namespace: ns-" + (i % 3) + "}}");
            }
            kit.context("{kind: namespace, key: ns-1, namespace: ns-1, tenant: acme}");
            kit.advance(Duration.ofMillis(600));
            List<Finding> released = kit.findings();
            assertThat(released).extracting(Finding::getTenant).containsOnly("acme").hasSize(10);
            assertThat(released).extracting(f -> f.getEvidence().getEventIds().get(0))
                    .containsExactly("e1", "e4", "e7", "e10", "e13", "e16", "e19", "e22", "e25", "e28");
            kit.advance(Duration.ofSeconds(2));
            assertThat(kit.findings()).hasSize(20).extracting(Finding::getTenant).containsOnly("unattributed");
        }
    }

    @Test
    void actorsAndPeersAreAttributedFromIdentitiesAndPodIps() {
        try (DetectorTestKit kit = DetectorTestKit.of(new EchoDetector())) {
            kit.context(CONTEXT);
            kit.event("""
                    id: exec
                    kubernetes_audit: {verb: create, resource: pods, subresource: exec, object_namespace: shop,
                                       object_name: web-1, subject_user: "system:serviceaccount:ledger:ci"}
                    """);
            kit.event("{id: user, kubernetes_audit: {verb: get, resource: secrets, object_namespace: shop, subject_user: carol}}");
            kit.event("""
                    id: connect
                    kubernetes: {namespace: shop, pod: web-1}
                    process: {name: curl}
                    destination: {ip: 10.0.2.7, port: 5432}
                    """);
            List<Finding> findings = kit.findings();
            assertThat(findings).hasSize(3);
            assertThat(findings.get(0).getTenant()).isEqualTo("acme");
            assertThat(findings.get(0).getEvidence().getFields()).containsEntry("actor", "globex");
            assertThat(findings.get(0).getOtherTenants()).containsExactly("globex");
            assertThat(findings.get(1).getEvidence().getFields()).containsEntry("actor", "globex");
            assertThat(findings.get(2).getEvidence().getFields()).containsEntry("peer", "globex")
                    .containsEntry("peer_pod", "db-0").containsEntry("actor", "acme");
        }
    }

    @Test
    void aReusedPodIpPointsAtTheNewestPodAndADeletedPodsIpIsForgotten() {
        try (DetectorTestKit kit = DetectorTestKit.of(new EchoDetector())) {
            kit.context(CONTEXT);
            kit.advance(Duration.ofSeconds(1));
            kit.context("{kind: pod, key: shop/web-2, namespace: shop, name: web-2, pod_ip: 10.0.2.7}");
            kit.context("{delete: pod/ledger/db-0}");
            kit.event("{id: x, kubernetes: {namespace: shop, pod: web-1}, destination: {ip: 10.0.2.7}}");
            assertThat(kit.findings().get(0).getEvidence().getFields()).containsEntry("peer_pod", "web-2")
                    .containsEntry("peer", "acme");
            kit.context("{delete: pod/shop/web-2}");
            kit.event("{id: y, kubernetes: {namespace: shop, pod: web-1}, destination: {ip: 10.0.2.7}}");
            assertThat(kit.findings().get(0).getEvidence().getFields()).containsEntry("peer_pod", "null");
        }
    }

    /** Reports the effective grants of each audit event's user, as the directory resolves them. */
    static final class GrantsDetector implements Detector {
        @Override
        public String name() {
            return "grants";
        }

        @Override
        public String apiVersion() {
            return DetectorApi.VERSION;
        }

        @Override
        public KStream<String, Finding> build(DetectorContext context) {
            return context.events().processValues(() -> new org.apache.kafka.streams.processor.api.FixedKeyProcessor<
                    String, dev.bulwark.schemas.SecurityEvent, Finding>() {
                private org.apache.kafka.streams.processor.api.FixedKeyProcessorContext<String, Finding> pc;
                private TenantDirectory directory;

                @Override
                public void init(org.apache.kafka.streams.processor.api.FixedKeyProcessorContext<String, Finding> pc) {
                    this.pc = pc;
                    this.directory = context.tenants().directory(pc);
                }

                @Override
                public void process(org.apache.kafka.streams.processor.api.FixedKeyRecord<String, dev.bulwark.schemas.SecurityEvent> record) {
                    var event = record.value();
                    var grants = directory.effectiveGrants("User", null, event.getKubernetesAudit().getSubjectUser());
                    String described = String.join(";", grants.stream().map(g -> g.getRole() + "@" + g.getNamespace() + ":"
                            + String.join(",", g.getVerbs()) + "/" + String.join(",", g.getResources())).sorted().toList());
                    pc.forward(record.withValue(context.finding(event).rule("grants", "grants").severity(Severity.LOW)
                            .summary(described).build()));
                }
            }, context.named("finding"));
        }
    }

    @Test
    void anIdentitysRightsAreResolvedThroughBindingsRolesAndAggregation() {
        try (DetectorTestKit kit = DetectorTestKit.of(new GrantsDetector())) {
            kit.context("""
                    - {kind: role, key: ledger/reader, namespace: ledger, name: reader,
                       grants: [{role: reader, namespace: ledger, verbs: [get, list], resources: [pods]}]}
                    - {kind: clusterrole, key: secrets, name: secrets, labels: {agg: "yes"},
                       grants: [{role: secrets, verbs: [get], resources: [secrets]}]}
                    - {kind: clusterrole, key: bundle, name: bundle,
                       aggregation_selectors: [{match_labels: {agg: "yes"}}]}
                    - {kind: rolebinding, key: ledger/r, namespace: ledger, subjects: [{kind: User, name: dora}],
                       grants: [{role: "Role:reader", namespace: ledger}]}
                    - {kind: clusterrolebinding, key: b, subjects: [{kind: User, name: dora}], grants: [{role: "ClusterRole:bundle"}]}
                    """);
            kit.event("{kubernetes_audit: {verb: get, resource: pods, subject_user: dora}}");
            assertThat(kit.findings()).singleElement().satisfies(f -> assertThat(f.getSummary())
                    .isEqualTo("ClusterRole:bundle@null:get/secrets;Role:reader@ledger:get,list/pods"));
        }
    }

    @Test
    void aggregationSelectorsUseMatchExpressionsToo() {
        try (DetectorTestKit kit = DetectorTestKit.of(new GrantsDetector())) {
            kit.context("""
                    - {kind: clusterrole, key: secrets, name: secrets, labels: {agg: "yes"},
                       grants: [{role: secrets, verbs: [get], resources: [secrets]}]}
                    - {kind: clusterrole, key: pods, name: pods, labels: {agg: "maybe", legacy: "true"},
                       grants: [{role: pods, verbs: [list], resources: [pods]}]}
                    - {kind: clusterrole, key: nodes, name: nodes, labels: {agg: "no"},
                       grants: [{role: nodes, verbs: [get], resources: [nodes]}]}
                    - {kind: clusterrole, key: bundle, name: bundle,
                       aggregation_selectors: [{match_expressions: [{key: agg, operator: In, values: ["yes", "maybe"]},
                                                                    {key: legacy, operator: DoesNotExist}]}]}
                    - {kind: clusterrolebinding, key: b, subjects: [{kind: User, name: dora}], grants: [{role: "ClusterRole:bundle"}]}
                    """);
            kit.event("{kubernetes_audit: {verb: get, resource: pods, subject_user: dora}}");
            // pods has agg=maybe but also legacy, nodes has agg=no: only secrets is aggregated.
            assertThat(kit.findings()).singleElement().satisfies(f -> assertThat(f.getSummary())
                    .isEqualTo("ClusterRole:bundle@null:get/secrets"));
        }
    }
}
