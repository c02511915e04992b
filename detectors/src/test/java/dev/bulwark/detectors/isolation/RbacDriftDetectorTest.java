package dev.bulwark.detectors.isolation;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
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
            kit.advance(Duration.ofSeconds(1)); // the drift came after the group was bound at home
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
    void aGroupsTenantComesFromItsEarlierBindingsWhateverTheDirectoryHoldsWhenTheBindingIsJudged() {
        try (DetectorTestKit kit = DetectorTestKit.of(new RbacDriftDetector())) {
            kit.context("""
                    - {kind: namespace, key: ledger, namespace: ledger, tenant: globex}
                    - {kind: rolebinding, key: ledger/globex-devs, namespace: ledger, subjects: [{kind: Group, name: globex-devs}],
                       grants: [{role: "ClusterRole:edit", namespace: ledger}]}
                    """);
            kit.advance(Duration.ofSeconds(1));
            // shop is not known yet, so the binding waits; by the time it is judged it is in the directory itself.
            // Counting its own namespace, the group would be acme's and globex's, hence of no single tenant: no finding.
            // Only the binding that came first says where the group belongs.
            kit.context("""
                    {kind: rolebinding, key: shop/helpers, namespace: shop, name: helpers,
                     subjects: [{kind: Group, name: globex-devs}], grants: [{role: "ClusterRole:view", namespace: shop}]}
                    """);
            assertThat(kit.findings()).as("waiting for shop").isEmpty();
            kit.context("{kind: namespace, key: shop, namespace: shop, tenant: acme}");
            settle(kit);
            assertThat(kit.findings()).singleElement().satisfies(f -> {
                assertThat(f.getRule().getId()).isEqualTo(RbacDriftDetector.CROSS_TENANT_RULE);
                assertThat(f.getTenant()).isEqualTo("acme");
                assertThat(f.getOtherTenants()).containsExactly("globex");
                assertThat(f.getEvidence().getFields()).containsEntry("subject.name", "globex-devs");
            });
            // The home binding judged again now (re-ingested, unchanged) does not become drift: helpers came later.
            kit.context("""
                    {kind: rolebinding, key: ledger/globex-devs, namespace: ledger, subjects: [{kind: Group, name: globex-devs}],
                     grants: [{role: "ClusterRole:edit", namespace: ledger}], observed_at: %d}
                    """.formatted(kit.now().minusSeconds(10).toEpochMilli()));
            settle(kit);
            assertThat(kit.findings()).as("no new finding").isEmpty();
        }
    }

    @Test
    void aGroupWithNoSingleTenantGivesNoFindingButTheOtherSubjectsStillCount() {
        try (DetectorTestKit kit = DetectorTestKit.of(new RbacDriftDetector())) {
            kit.context(TENANTS);
            kit.context("""
                    {kind: rolebinding, key: shop/everyone, namespace: shop, name: everyone,
                     subjects: [{kind: Group, name: all-staff}, {kind: ServiceAccount, name: ci, namespace: ledger}],
                     grants: [{role: "ClusterRole:view", namespace: shop}]}
                    """);
            assertThat(kit.findings()).as("the service account still counts; the tenant-less group does not")
                    .singleElement().satisfies(f -> assertThat(f.getEvidence().getFields()).containsEntry("subject.name", "ci"));
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
                       aggregation_selectors: [{match_labels: {example.com/aggregate-to-ops: "true"}}]}
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

    static final String SAME_TENANT = """
            - {kind: namespace, key: shop, namespace: shop, tenant: acme}
            - {kind: namespace, key: ledger, namespace: ledger, tenant: acme}
            - {kind: rolebinding, key: shop/ci-edit, namespace: shop, name: ci-edit,
               subjects: [{kind: ServiceAccount, name: ci, namespace: ledger}],
               grants: [{role: "ClusterRole:edit", namespace: shop}]}
            """;

    /** Lets the detector's punctuation see the directory after the context fed so far is applied. */
    private static void settle(DetectorTestKit kit) {
        kit.advance(Duration.ofSeconds(1));
    }

    @Test
    void aSubjectsNamespaceMovingToAnotherTenantMakesAnExistingBindingCrossTenantOnce() {
        try (DetectorTestKit kit = DetectorTestKit.of(new RbacDriftDetector())) {
            kit.context(SAME_TENANT);
            settle(kit);
            assertThat(kit.findings()).as("one tenant: no drift").isEmpty();

            kit.context("{kind: namespace, key: ledger, namespace: ledger, tenant: globex}");
            settle(kit);
            var afterMove = kit.findings();
            assertThat(afterMove).singleElement().satisfies(f -> {
                assertThat(f.getRule().getId()).isEqualTo(RbacDriftDetector.CROSS_TENANT_RULE);
                assertThat(f.getSeverity()).isEqualTo("high");
                assertThat(f.getTenant()).isEqualTo("acme");
                assertThat(f.getOtherTenants()).containsExactly("globex");
                assertThat(f.getEvidence().getFields()).containsEntry("subject.name", "ci")
                        .containsEntry("subject.namespace", "ledger").containsEntry("binding.name", "ci-edit");
            });
            Finding moved = afterMove.get(0);

            kit.context("""
                    - {kind: namespace, key: ledger, namespace: ledger, tenant: globex, labels: {team: payments}}
                    - {kind: namespace, key: web, namespace: web, tenant: initech}
                    - {kind: pod, key: shop/web-1, namespace: shop, name: web-1, tenant: acme}
                    """);
            settle(kit);
            kit.advance(Duration.ofSeconds(15));
            assertThat(kit.findings()).as("unrelated context and an unchanged tenant re-judge nothing").isEmpty();

            kit.context(SAME_TENANT.lines().skip(2).collect(java.util.stream.Collectors.joining("\n")));
            assertThat(kit.findings()).singleElement().as("the same finding id as ingesting the binding now")
                    .satisfies(f -> assertThat(f.getId()).isEqualTo(moved.getId()));
        }
    }

    @Test
    void theBindingsOwnNamespaceMovingToAnotherTenantIsReported() {
        try (DetectorTestKit kit = DetectorTestKit.of(new RbacDriftDetector())) {
            kit.context(SAME_TENANT);
            settle(kit);
            assertThat(kit.findings()).isEmpty();

            kit.context("{kind: namespace, key: shop, namespace: shop, tenant: globex}");
            settle(kit);
            assertThat(kit.findings()).singleElement().satisfies(f -> {
                assertThat(f.getRule().getId()).isEqualTo(RbacDriftDetector.CROSS_TENANT_RULE);
                assertThat(f.getTenant()).isEqualTo("globex");
                assertThat(f.getOtherTenants()).containsExactly("acme");
            });
        }
    }

    @Test
    void aNamespaceNewlyGettingATenantRejudgesClusterRoleBindingsOfItsServiceAccountsOnly() {
        try (DetectorTestKit kit = DetectorTestKit.of(new RbacDriftDetector())) {
            kit.context("""
                    - {kind: namespace, key: ledger, namespace: ledger}
                    - {kind: namespace, key: shop, namespace: shop, tenant: acme}
                    - {kind: clusterrolebinding, key: ci-admin, name: ci-admin,
                       subjects: [{kind: ServiceAccount, name: ci, namespace: ledger},
                                  {kind: ServiceAccount, name: deployer, namespace: shop}],
                       grants: [{role: "ClusterRole:cluster-admin"}]}
                    """);
            settle(kit);
            assertThat(kit.findings()).as("only shop's service account has a tenant yet").singleElement()
                    .satisfies(f -> assertThat(f.getEvidence().getFields()).containsEntry("subject.name", "deployer"));

            kit.context("{kind: namespace, key: ledger, namespace: ledger, tenant: globex}");
            settle(kit);
            assertThat(kit.findings()).as("the subject whose tenant changed, not the others again").singleElement()
                    .satisfies(f -> {
                        assertThat(f.getRule().getId()).isEqualTo(RbacDriftDetector.CLUSTER_WIDE_RULE);
                        assertThat(f.getSeverity()).isEqualTo("critical");
                        assertThat(f.getTenant()).isEqualTo("globex");
                        assertThat(f.getEvidence().getFields()).containsEntry("subject.name", "ci");
                    });
        }
    }

    @Test
    void aNamespaceMovingBackOrLosingItsTenantIsNotReportedAgain() {
        try (DetectorTestKit kit = DetectorTestKit.of(new RbacDriftDetector())) {
            kit.context(SAME_TENANT);
            kit.context("{kind: namespace, key: ledger, namespace: ledger, tenant: globex}");
            settle(kit);
            assertThat(kit.findings()).hasSize(1);

            kit.context("{kind: namespace, key: ledger, namespace: ledger, tenant: acme}");
            settle(kit);
            kit.advance(Duration.ofSeconds(15));
            assertThat(kit.findings()).as("back in one tenant: nothing new").isEmpty();

            kit.context("{kind: namespace, key: ledger, namespace: ledger, tenant: globex}");
            settle(kit);
            assertThat(kit.findings()).as("moved again").hasSize(1);

            kit.context("{kind: namespace, key: ledger, namespace: ledger}");
            settle(kit);
            kit.advance(Duration.ofSeconds(15));
            assertThat(kit.findings()).as("a namespace without a tenant is no other tenant").isEmpty();
        }
    }
}
