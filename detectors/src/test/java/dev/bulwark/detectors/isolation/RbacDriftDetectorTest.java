package dev.bulwark.detectors.isolation;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.bulwark.detectors.testkit.DetectorTestKit;
import dev.bulwark.schemas.Finding;

class RbacDriftDetectorTest {

    static final String TENANTS = """
            - {kind: namespace, key: shop, namespace: shop, tenant: acme}
            - {kind: namespace, key: ledger, namespace: ledger, tenant: globex}
            - {kind: rolebinding, key: ledger/globex-devs, namespace: ledger, subjects: [{kind: Group, name: globex-devs}],
               grants: [{role: "ClusterRole:edit", namespace: ledger}]}
            """;

    @Test
    void aBindingInOneTenantsNamespaceForAnotherTenantsIdentitiesIsHigh() {
        try (DetectorTestKit kit = DetectorTestKit.of(new RbacDriftDetector())) {
            kit.context(TENANTS);
            kit.context("""
                    {kind: rolebinding, key: shop/helpers, namespace: shop, name: helpers,
                     subjects: [{kind: ServiceAccount, name: ci, namespace: ledger}, {kind: Group, name: globex-devs},
                                {kind: ServiceAccount, name: local}],
                     grants: [{role: "ClusterRole:view", namespace: shop}]}
                    """);
            Map<String, Finding> findings = kit.latestFindings();
            assertThat(findings.values()).hasSize(2).allSatisfy(f -> {
                assertThat(f.getRule().getId()).isEqualTo(RbacDriftDetector.CROSS_TENANT_RULE);
                assertThat(f.getSeverity()).isEqualTo("high");
                assertThat(f.getTenant()).isEqualTo("acme");
                assertThat(f.getOtherTenants()).containsExactly("globex");
            });
            assertThat(findings.values()).extracting(f -> f.getEvidence().getFields().get("subject.name"))
                    .containsExactlyInAnyOrder("ci", "globex-devs");
        }
    }

    @Test
    void clusterWideRightsForATenantIdentityAreCriticalForAdminRoles() {
        try (DetectorTestKit kit = DetectorTestKit.of(new RbacDriftDetector())) {
            kit.context(TENANTS);
            kit.context("""
                    {kind: clusterrolebinding, key: ci-admin, name: ci-admin,
                     subjects: [{kind: ServiceAccount, name: ci, namespace: ledger}, {kind: Group, name: "system:masters"}],
                     grants: [{role: "ClusterRole:cluster-admin"}]}
                    """);
            assertThat(kit.findings()).singleElement().satisfies(f -> {
                assertThat(f.getRule().getId()).isEqualTo(RbacDriftDetector.CLUSTER_WIDE_RULE);
                assertThat(f.getSeverity()).isEqualTo("critical");
                assertThat(f.getTenant()).isEqualTo("globex");
            });
        }
    }

    @Test
    void bindingsWithinOneTenantAreQuietAndReingestingUpdatesTheSameFinding() {
        try (DetectorTestKit kit = DetectorTestKit.of(new RbacDriftDetector())) {
            kit.context(TENANTS);
            kit.context("{kind: rolebinding, key: shop/own, namespace: shop, subjects: [{kind: ServiceAccount, name: web}]}");
            assertThat(kit.findings()).isEmpty();
            String drift = "{kind: rolebinding, key: shop/x, namespace: shop, subjects: [{kind: ServiceAccount, name: ci, namespace: ledger}]}";
            kit.context(drift);
            kit.context(drift);
            var findings = kit.findings();
            assertThat(findings).hasSize(2);
            assertThat(findings.get(0).getId()).as("deterministic id: re-ingesting updates, not duplicates")
                    .isEqualTo(findings.get(1).getId());
        }
    }

    @Test
    void wildcardRightsAggregatedIntoTheReferencedClusterRoleMakeDriftCritical() {
        try (DetectorTestKit kit = DetectorTestKit.of(new RbacDriftDetector())) {
            kit.context(TENANTS);
            kit.context("""
                    - {kind: clusterrole, key: everything, name: everything, labels: {example.com/aggregate-to-ops: "true"},
                       grants: [{role: everything, verbs: ["*"], resources: ["*"]}]}
                    - {kind: clusterrole, key: ops, name: ops,
                       attributes: {k8s.rbac.aggregation_selectors: '[{"matchLabels":{"example.com/aggregate-to-ops":"true"}}]'}}
                    - {kind: rolebinding, key: shop/ops, namespace: shop, name: ops,
                       subjects: [{kind: ServiceAccount, name: deployer, namespace: ledger}],
                       grants: [{role: "ClusterRole:ops", namespace: shop}]}
                    """);
            assertThat(kit.findings()).singleElement().satisfies(f -> {
                assertThat(f.getSeverity()).isEqualTo("critical");
                assertThat(f.getTenant()).isEqualTo("acme");
            });
        }
    }
}
