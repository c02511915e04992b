package dev.bulwark.ingest.k8sobjects;

import static dev.bulwark.ingest.k8sobjects.K8sTestSupport.NOW;
import static dev.bulwark.ingest.k8sobjects.K8sTestSupport.millis;
import static dev.bulwark.ingest.k8sobjects.K8sTestSupport.one;
import static dev.bulwark.ingest.k8sobjects.K8sTestSupport.parse;
import static dev.bulwark.ingest.k8sobjects.K8sTestSupport.parser;
import static dev.bulwark.ingest.k8sobjects.K8sTestSupport.sample;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import java.time.Clock;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.bulwark.ingest.ContextUpdate;
import dev.bulwark.ingest.Framing;
import dev.bulwark.ingest.Normalized;
import dev.bulwark.ingest.ParseException;
import dev.bulwark.ingest.Parsers;
import dev.bulwark.schemas.IpBlock;
import dev.bulwark.schemas.LabelSelector;
import dev.bulwark.schemas.LabelSelectorSpec;
import dev.bulwark.schemas.NetworkPolicyPeer;
import dev.bulwark.schemas.NetworkPolicyPort;
import dev.bulwark.schemas.NetworkPolicyRule;
import dev.bulwark.schemas.NetworkPolicySpec;
import dev.bulwark.schemas.OwnerReference;
import dev.bulwark.schemas.RoleGrant;
import dev.bulwark.schemas.Subject;
import dev.bulwark.schemas.TenantContext;

class KubernetesObjectsParserTest {

    private final KubernetesObjectsParser parser = parser();

    private static final String READ_PODS_BINDING = """
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
             "metadata": {"name": "read-pods", "namespace": "default", "uid": "u-1", "resourceVersion": "42"},
             "subjects": [{"kind": "User", "name": "jane", "apiGroup": "rbac.authorization.k8s.io"}],
             "roleRef": {"kind": "Role", "name": "pod-reader", "apiGroup": "rbac.authorization.k8s.io"}}""";

    @Test
    void isRegisteredAsK8sObjectsWithJsonFraming() {
        assertThat(Parsers.forFormat("k8s-objects")).isInstanceOf(KubernetesObjectsParser.class);
        assertThat(parser.format()).isEqualTo("k8s-objects");
        assertThat(parser.framing()).isSameAs(Framing.JSON);
        assertThat(parser.tenantKeys()).containsExactly("bulwark.io/tenant", "capsule.clastix.io/tenant", "tenant");
    }

    @Test
    void normalizesEveryRbacSampleToTheExpectedKeys() throws Exception {
        Map<String, List<String>> expected = Map.of(
                "apiserver_clusterrole_pod-exec.json", List.of("clusterrole/some-reader"),
                "apiserver_clusterrolebinding_cluster-admin.json", List.of("clusterrolebinding/some-reader-binding"),
                "apiserver_namespace_foo.json", List.of("namespace/foo"),
                "capsule_namespace_psa_labels.json", List.of("namespace/solar-production"),
                "capsule_namespace_solar-production.json", List.of("namespace/solar-production"),
                "capsule_rolebindings_solar-production.json", List.of(
                        "rolebinding/solar-production/capsule-solar-0-admin",
                        "rolebinding/solar-production/capsule-solar-1-capsule-namespace-deleter"),
                "k8sdocs_clusterrolebinding_read-secrets-global.json", List.of("clusterrolebinding/read-secrets-global"),
                "k8sdocs_role_pod-reader.json", List.of("role/default/pod-reader"),
                "k8sdocs_rolebinding_read-pods.json", List.of("rolebinding/default/read-pods"),
                "k8sdocs_rolebinding_read-secrets.json", List.of("rolebinding/development/read-secrets"));
        assertThat(expected.keySet()).containsExactlyInAnyOrderElementsOf(K8sTestSupport.RBAC_SAMPLES);
        for (String file : K8sTestSupport.RBAC_SAMPLES) {
            Normalized normalized = parser.normalize(sample(file), file);
            assertThat(normalized.events()).as(file).isEmpty();
            assertThat(normalized.contextUpdates()).as(file)
                    .extracting(ContextUpdate::key).containsExactlyElementsOf(expected.get(file));
            for (ContextUpdate update : normalized.contextUpdates()) {
                assertThat(update.isDeletion()).as(file).isFalse();
                assertThat(ContextUpdate.keyOf(update.value().getKind(), update.value().getKey())).isEqualTo(update.key());
            }
        }
    }

    @Test
    void capsuleNamespaceBelongsToTenantSolarByItsLabel() throws Exception {
        TenantContext ns = one(parser, sample("capsule_namespace_psa_labels.json"));
        assertThat(ns.getKind()).isEqualTo("namespace");
        assertThat(ns.getKey()).isEqualTo("solar-production");
        assertThat(ns.getName()).isEqualTo("solar-production");
        assertThat(ns.getNamespace()).isEqualTo("solar-production");
        assertThat(ns.getTenant()).isEqualTo("solar");
        assertThat(ns.getLabels()).containsExactlyInAnyOrderEntriesOf(Map.of(
                "capsule.clastix.io/tenant", "solar",
                "environment", "prod",
                "kubernetes.io/metadata.name", "solar-production",
                "pod-security.kubernetes.io/enforce", "restricted"));
        assertThat(ns.getObservedAt()).isEqualTo(millis("2026-07-23T10:46:21Z"));
        assertThat(ns.getAttributes())
                .containsEntry("k8s.tenant_source", "label:capsule.clastix.io/tenant")
                .containsEntry("k8s.uid", "1bd9a36c-230d-4606-84cc-eb92a7b87d63")
                .containsEntry("k8s.resource_version", "11577")
                .containsEntry("k8s.creation_timestamp", "2026-07-23T10:46:21Z")
                .containsEntry("k8s.observed_at_source", "creationTimestamp")
                .doesNotContainKey("k8s.api_version");
        assertThat(ns.getOwner()).isEqualTo(OwnerReference.newBuilder().setKind("Tenant").setName("solar")
                .setApiVersion("capsule.clastix.io/v1beta2").build());
        assertThat(ns.getSubjects()).isEmpty();
        assertThat(ns.getGrants()).isEmpty();
    }

    @Test
    void namespaceWithoutCreationTimeIsObservedAtIngestAndCopiesNoAnnotations() throws Exception {
        TenantContext ns = one(parser, sample("capsule_namespace_solar-production.json"));
        assertThat(ns.getTenant()).isEqualTo("solar");
        assertThat(ns.getObservedAt()).isEqualTo(NOW.toEpochMilli());
        assertThat(ns.getAttributes())
                .containsEntry("k8s.observed_at_source", "ingest")
                .containsEntry("k8s.namespace.phase", "Active")
                .containsEntry("k8s.api_version", "v1");
        assertThat(ns.getAttributes().keySet()).noneMatch(k -> k.contains("storagelocationtype"));
        assertThat(ns.getLabels()).containsEntry("projectcapsule.dev/backup", "true").hasSize(4);

        TenantContext foo = one(parser, sample("apiserver_namespace_foo.json"));
        assertThat(foo.getTenant()).isNull();
        assertThat(foo.getLabels()).isEmpty();
        assertThat(foo.getObservedAt()).isEqualTo(NOW.toEpochMilli());
        assertThat(foo.getAttributes()).doesNotContainKey("k8s.tenant_source");
    }

    @Test
    void capsuleRoleBindingListExpandsToTwoTenantBindingsOfClusterRolesInTheirNamespace() throws Exception {
        List<ContextUpdate> updates = parser.parse(sample("capsule_rolebindings_solar-production.json"), "f");
        assertThat(updates).hasSize(2);
        TenantContext admin = updates.get(0).value();
        assertThat(admin.getKind()).isEqualTo("rolebinding");
        assertThat(admin.getKey()).isEqualTo("solar-production/capsule-solar-0-admin");
        assertThat(admin.getNamespace()).isEqualTo("solar-production");
        assertThat(admin.getName()).isEqualTo("capsule-solar-0-admin");
        assertThat(admin.getTenant()).isEqualTo("solar");
        assertThat(admin.getSubjects()).extracting(Subject::getKind, Subject::getName, Subject::getNamespace)
                .containsExactly(tuple("User", "alice", null));
        assertThat(admin.getGrants()).extracting(RoleGrant::getRole, RoleGrant::getNamespace)
                .containsExactly(tuple("ClusterRole:admin", "solar-production"));
        assertThat(admin.getGrants().get(0).getVerbs()).isEmpty();
        assertThat(admin.getGrants().get(0).getResources()).isEmpty();
        assertThat(admin.getObservedAt()).isEqualTo(millis("2024-02-25T14:02:36Z"));
        assertThat(admin.getLabels()).containsEntry("capsule.clastix.io/role-binding", "8fb969aaa7a67b71");
        assertThat(admin.getAttributes())
                .containsEntry("k8s.rbac.role_ref.kind", "ClusterRole")
                .containsEntry("k8s.rbac.role_ref.name", "admin")
                .containsEntry("k8s.rbac.role_ref.api_group", "rbac.authorization.k8s.io")
                .containsEntry("k8s.uid", "939da5ae-7fec-4300-8db2-223d3049b43f")
                .containsEntry("k8s.resource_version", "2980");
        assertThat(admin.getOwner().getKind()).isEqualTo("Tenant");
        TenantContext deleter = updates.get(1).value();
        assertThat(deleter.getTenant()).isEqualTo("solar");
        assertThat(deleter.getGrants()).extracting(RoleGrant::getRole, RoleGrant::getNamespace)
                .containsExactly(tuple("ClusterRole:capsule-namespace-deleter", "solar-production"));
    }

    @Test
    void roleBindingToARoleIsNamespaced() throws Exception {
        TenantContext binding = one(parser, sample("k8sdocs_rolebinding_read-pods.json"));
        assertThat(binding.getKey()).isEqualTo("default/read-pods");
        assertThat(binding.getTenant()).isNull();
        assertThat(binding.getSubjects()).extracting(Subject::getKind, Subject::getName, Subject::getNamespace)
                .containsExactly(tuple("User", "jane", null));
        assertThat(binding.getGrants()).extracting(RoleGrant::getRole, RoleGrant::getNamespace)
                .containsExactly(tuple("Role:pod-reader", "default"));
        assertThat(binding.getAttributes()).containsEntry("k8s.rbac.role_ref.kind", "Role")
                .containsEntry("k8s.rbac.role_ref.name", "pod-reader");
    }

    @Test
    void roleBindingToAClusterRoleIsScopedToTheBindingNamespace() throws Exception {
        TenantContext binding = one(parser, sample("k8sdocs_rolebinding_read-secrets.json"));
        assertThat(binding.getKey()).isEqualTo("development/read-secrets");
        assertThat(binding.getSubjects()).extracting(Subject::getKind, Subject::getName)
                .containsExactly(tuple("User", "dave"));
        assertThat(binding.getGrants()).extracting(RoleGrant::getRole, RoleGrant::getNamespace)
                .containsExactly(tuple("ClusterRole:secret-reader", "development"));
    }

    @Test
    void clusterRoleBindingsGrantClusterWide() throws Exception {
        TenantContext global = one(parser, sample("k8sdocs_clusterrolebinding_read-secrets-global.json"));
        assertThat(global.getKind()).isEqualTo("clusterrolebinding");
        assertThat(global.getKey()).isEqualTo("read-secrets-global");
        assertThat(global.getNamespace()).isNull();
        assertThat(global.getSubjects()).extracting(Subject::getKind, Subject::getName, Subject::getNamespace)
                .containsExactly(tuple("Group", "manager", null));
        assertThat(global.getGrants()).extracting(RoleGrant::getRole, RoleGrant::getNamespace)
                .containsExactly(tuple("ClusterRole:secret-reader", null));

        TenantContext admin = one(parser, sample("apiserver_clusterrolebinding_cluster-admin.json"));
        assertThat(admin.getKey()).isEqualTo("some-reader-binding");
        assertThat(admin.getSubjects()).extracting(Subject::getKind, Subject::getName)
                .containsExactly(tuple("User", "minikube"));
        assertThat(admin.getGrants()).extracting(RoleGrant::getRole, RoleGrant::getNamespace)
                .containsExactly(tuple("ClusterRole:cluster-admin", null));
        assertThat(admin.getLabels()).containsEntry("kubernetes.io/bootstrapping", "rbac-defaults");
        assertThat(admin.getAttributes()).containsEntry("k8s.resource_version", "270440")
                .containsEntry("k8s.uid", "23cf124e-d92b-11e8-a2e6-080027728ac4");
        assertThat(admin.getObservedAt()).isEqualTo(millis("2018-10-26T14:26:34Z"));
    }

    @Test
    void roleGrantsOneRulePerGrantInItsNamespace() throws Exception {
        TenantContext role = one(parser, sample("k8sdocs_role_pod-reader.json"));
        assertThat(role.getKind()).isEqualTo("role");
        assertThat(role.getKey()).isEqualTo("default/pod-reader");
        assertThat(role.getNamespace()).isEqualTo("default");
        assertThat(role.getGrants()).hasSize(1);
        RoleGrant grant = role.getGrants().get(0);
        assertThat(grant.getRole()).isEqualTo("pod-reader");
        assertThat(grant.getNamespace()).isEqualTo("default");
        assertThat(grant.getVerbs()).containsExactly("get", "watch", "list");
        assertThat(grant.getResources()).containsExactly("pods");
        assertThat(role.getAttributes()).containsEntry("k8s.rbac.rules", "1")
                .containsEntry("k8s.rbac.rule.0.api_groups", "[\"\"]");
    }

    @Test
    void clusterRoleKeepsSubresourcesAndNonResourceUrlsPerRule() throws Exception {
        TenantContext role = one(parser, sample("apiserver_clusterrole_pod-exec.json"));
        assertThat(role.getKind()).isEqualTo("clusterrole");
        assertThat(role.getKey()).isEqualTo("some-reader");
        assertThat(role.getNamespace()).isNull();
        assertThat(role.getGrants()).extracting(RoleGrant::getRole, RoleGrant::getNamespace, RoleGrant::getVerbs,
                RoleGrant::getResources).containsExactly(
                        tuple("some-reader", null, List.of("get"), List.of("pods/exec")),
                        tuple("some-reader", null, List.of("get"), List.of()));
        assertThat(role.getAttributes())
                .containsEntry("k8s.rbac.rules", "2")
                .containsEntry("k8s.rbac.rule.0.api_groups", "[\"\"]")
                .containsEntry("k8s.rbac.rule.1.non_resource_urls", "[\"/api\",\"/api/*\",\"/apis\",\"/apis/*\",\"/healthz\","
                        + "\"/openapi\",\"/openapi/*\",\"/swagger-2.0.0.pb-v1\",\"/swagger.json\",\"/swaggerapi\","
                        + "\"/swaggerapi/*\",\"/version\",\"/version/\"]")
                .doesNotContainKey("k8s.rbac.rule.1.api_groups")
                .doesNotContainKey("k8s.rbac.rule.0.non_resource_urls")
                .containsEntry("k8s.api_version", "rbac.authorization.k8s.io/v1");
    }

    @Test
    void aggregatedClusterRoleKeepsSelectorsAndAggregationLabels() throws Exception {
        TenantContext role = one("""
                {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                 "metadata": {"name": "monitoring", "labels": {
                     "rbac.authorization.k8s.io/aggregate-to-view": "true",
                     "rbac.authorization.k8s.io/aggregate-to-edit": "false"}},
                 "aggregationRule": {"clusterRoleSelectors": [
                     {"matchLabels": {"rbac.example.com/aggregate-to-monitoring": "true"}}]},
                 "rules": [{"apiGroups": ["metrics.k8s.io"], "resources": ["pods", "nodes"],
                            "resourceNames": ["a", "b"], "verbs": ["get", "list"]}]}""");
        assertThat(role.getAggregationSelectors()).containsExactly(
                LabelSelector.matchLabels(Map.of("rbac.example.com/aggregate-to-monitoring", "true")));
        assertThat(role.getAttributes())
                .containsEntry("k8s.rbac.aggregate_to", "view")
                .containsEntry("k8s.rbac.rule.0.api_groups", "[\"metrics.k8s.io\"]")
                .containsEntry("k8s.rbac.rule.0.resource_names", "[\"a\",\"b\"]");
        assertThat(role.getLabels()).containsEntry("rbac.authorization.k8s.io/aggregate-to-view", "true")
                .containsEntry("rbac.authorization.k8s.io/aggregate-to-edit", "false");
        assertThat(role.getGrants().get(0).getResources()).containsExactly("pods", "nodes");
    }

    @Test
    void rbacNamesMayHoldColons() throws Exception {
        TenantContext role = one("""
                {"kind": "ClusterRole", "apiVersion": "rbac.authorization.k8s.io/v1",
                 "metadata": {"name": "system:controller:job-controller"}, "rules": []}""");
        assertThat(role.getKey()).isEqualTo("system:controller:job-controller");
        assertThat(role.getGrants()).isEmpty();
    }

    @Test
    void serviceAccountSubjectsDefaultToTheBindingNamespace() throws Exception {
        TenantContext binding = one("""
                {"kind": "RoleBinding", "apiVersion": "rbac.authorization.k8s.io/v1",
                 "metadata": {"name": "ci", "namespace": "team-a"},
                 "subjects": [{"kind": "ServiceAccount", "name": "deployer"},
                              {"kind": "ServiceAccount", "name": "argocd-server", "namespace": "argocd"},
                              {"kind": "Group", "name": "system:serviceaccounts:team-b", "apiGroup": "rbac.authorization.k8s.io"}],
                 "roleRef": {"kind": "ClusterRole", "name": "edit", "apiGroup": "rbac.authorization.k8s.io"}}""");
        assertThat(binding.getSubjects()).extracting(Subject::getKind, Subject::getName, Subject::getNamespace)
                .containsExactly(
                        tuple("ServiceAccount", "deployer", "team-a"),
                        tuple("ServiceAccount", "argocd-server", "argocd"),
                        tuple("Group", "system:serviceaccounts:team-b", null));
    }

    @Test
    void bindingWithoutSubjectsHasNone() throws Exception {
        TenantContext binding = one("""
                {"kind": "ClusterRoleBinding", "metadata": {"name": "empty"},
                 "roleRef": {"kind": "ClusterRole", "name": "view"}}""");
        assertThat(binding.getSubjects()).isEmpty();
        assertThat(binding.getGrants()).extracting(RoleGrant::getRole).containsExactly("ClusterRole:view");
    }

    @Test
    void serviceAccountTenantComesOnlyFromItsOwnMetadata() throws Exception {
        TenantContext plain = one("""
                {"apiVersion": "v1", "kind": "ServiceAccount",
                 "metadata": {"name": "builder", "namespace": "solar-production", "creationTimestamp": "2024-02-25T14:02:36Z"},
                 "automountServiceAccountToken": false}""");
        assertThat(plain.getKind()).isEqualTo("serviceaccount");
        assertThat(plain.getKey()).isEqualTo("solar-production/builder");
        assertThat(plain.getNamespace()).isEqualTo("solar-production");
        assertThat(plain.getTenant()).isNull();
        assertThat(plain.getAttributes()).containsEntry("k8s.serviceaccount.automount_token", "false");

        TenantContext labelled = one("""
                {"apiVersion": "v1", "kind": "ServiceAccount",
                 "metadata": {"name": "builder", "namespace": "shared", "labels": {"bulwark.io/tenant": "oil"}}}""");
        assertThat(labelled.getTenant()).isEqualTo("oil");
        assertThat(labelled.getAttributes()).containsEntry("k8s.tenant_source", "label:bulwark.io/tenant");
    }

    @Test
    void tenantKeysAreTriedInOrderAsLabelsThenAnnotationsThenTenantOwner() throws Exception {
        String both = """
                {"kind": "Namespace", "metadata": {"name": "n1",
                  "labels": {"tenant": "red", "team": "blue"},
                  "annotations": {"bulwark.io/tenant": "green"}}}""";
        assertThat(one(both).getTenant()).isEqualTo("red");
        assertThat(one(both).getAttributes()).containsEntry("k8s.tenant_source", "label:tenant");

        KubernetesObjectsParser custom = parser(List.of("team", "tenant"));
        TenantContext ns = K8sTestSupport.one(custom, both.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(ns.getTenant()).isEqualTo("blue");
        assertThat(ns.getAttributes()).containsEntry("k8s.tenant_source", "label:team");

        TenantContext annotated = one("""
                {"kind": "Namespace", "metadata": {"name": "n2", "labels": {"other": "x"},
                  "annotations": {"capsule.clastix.io/tenant": "oil", "bulwark.io/tenant": "gas"}}}""");
        assertThat(annotated.getTenant()).isEqualTo("gas");
        assertThat(annotated.getAttributes()).containsEntry("k8s.tenant_source", "annotation:bulwark.io/tenant");

        TenantContext owned = one("""
                {"kind": "Namespace", "metadata": {"name": "n3", "ownerReferences": [
                  {"apiVersion": "apps/v1", "kind": "Deployment", "name": "x"},
                  {"apiVersion": "capsule.clastix.io/v1beta2", "kind": "Tenant", "name": "wind", "controller": true}]}}""");
        assertThat(owned.getTenant()).isEqualTo("wind");
        assertThat(owned.getAttributes())
                .containsEntry("k8s.tenant_source", "ownerReference:capsule.clastix.io/v1beta2/Tenant");
        assertThat(owned.getOwner()).isEqualTo(OwnerReference.newBuilder().setKind("Tenant").setName("wind")
                .setApiVersion("capsule.clastix.io/v1beta2").build());
    }

    @Test
    void capsuleOwnerReferenceIsTheFallbackWhenNoConfiguredKeyMatches() throws Exception {
        KubernetesObjectsParser ownKey = parser(List.of("example.com/owner"));
        TenantContext ns = K8sTestSupport.one(ownKey, sample("capsule_namespace_psa_labels.json"));
        assertThat(ns.getTenant()).isEqualTo("solar");
        assertThat(ns.getAttributes()).containsEntry("k8s.tenant_source", "ownerReference:capsule.clastix.io/v1beta2/Tenant");
        assertThat(K8sTestSupport.one(ownKey, sample("apiserver_namespace_foo.json")).getTenant()).isNull();
    }

    @Test
    void namespaceTenantsClaimIsTheLastFallbackAndOnlyForNamespaces() throws Exception {
        NamespaceTenants capsule = namespace -> namespace.startsWith("claimed")
                ? new NamespaceTenants.Claim("wind", "status.namespaces:capsule.clastix.io/v1beta2/Tenant") : null;
        KubernetesObjectsParser parser = new KubernetesObjectsParser(KubernetesObjectsParser.DEFAULT_TENANT_KEYS,
                Clock.fixed(NOW, ZoneOffset.UTC), capsule);

        TenantContext bare = K8sTestSupport.one(parser, "{\"kind\": \"Namespace\", \"metadata\": {\"name\": \"claimed-1\"}}"
                .getBytes(UTF_8));
        assertThat(bare.getTenant()).isEqualTo("wind");
        assertThat(bare.getAttributes())
                .containsEntry("k8s.tenant_source", "status.namespaces:capsule.clastix.io/v1beta2/Tenant");

        // The namespace's own metadata wins over the claim.
        TenantContext labelled = K8sTestSupport.one(parser, """
                {"kind": "Namespace", "metadata": {"name": "claimed-2", "labels": {"tenant": "oil"}}}"""
                .getBytes(UTF_8));
        assertThat(labelled.getTenant()).isEqualTo("oil");
        assertThat(labelled.getAttributes()).containsEntry("k8s.tenant_source", "label:tenant");

        // Unclaimed namespaces, and namespaced objects in a claimed namespace, get no tenant from it.
        assertThat(K8sTestSupport.one(parser, "{\"kind\": \"Namespace\", \"metadata\": {\"name\": \"other\"}}"
                .getBytes(UTF_8)).getTenant()).isNull();
        TenantContext account = K8sTestSupport.one(parser, """
                {"kind": "ServiceAccount", "metadata": {"name": "claimed", "namespace": "claimed-1"}}"""
                .getBytes(UTF_8));
        assertThat(account.getTenant()).isNull();

        // A claimed tenant is validated like every other.
        KubernetesObjectsParser bad = new KubernetesObjectsParser(KubernetesObjectsParser.DEFAULT_TENANT_KEYS,
                Clock.systemUTC(), namespace -> new NamespaceTenants.Claim("no spaces", "status.namespaces:x/Tenant"));
        assertThatThrownBy(() -> K8sTestSupport.parse(bad, "{\"kind\": \"Namespace\", \"metadata\": {\"name\": \"n\"}}"))
                .isInstanceOf(ParseException.class).hasMessageContaining("not a valid tenant name");
    }

    @Test
    void rejectsInvalidTenantKeyConfiguration() {
        assertThatThrownBy(() -> new KubernetesObjectsParser(List.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least one tenant key");
        assertThatThrownBy(() -> new KubernetesObjectsParser(List.of("bad key!")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a valid label key");
    }

    @Test
    void listItemsBecomeOneUpdateEachInOrder() throws Exception {
        List<ContextUpdate> updates = parse("""
                {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": [
                  {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a", "labels": {"tenant": "t1"}}},
                  %s,
                  {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": "a"}},
                  {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "gone", "deletionTimestamp": "2026-01-01T00:00:00Z"}}
                ]}""".formatted(READ_PODS_BINDING));
        assertThat(updates).extracting(ContextUpdate::key).containsExactly(
                "namespace/a", "rolebinding/default/read-pods", "serviceaccount/a/default", "namespace/gone");
        assertThat(updates).extracting(ContextUpdate::isDeletion).containsExactly(false, false, false, true);
        assertThat(updates.get(0).value().getTenant()).isEqualTo("t1");
    }

    @Test
    void typedListItemsInheritKindAndApiVersion() throws Exception {
        List<ContextUpdate> updates = parse("""
                {"kind": "RoleBindingList", "apiVersion": "rbac.authorization.k8s.io/v1", "metadata": {}, "items": [
                  {"metadata": {"name": "a", "namespace": "x"}, "roleRef": {"kind": "Role", "name": "r"}},
                  {"metadata": {"name": "b", "namespace": "x"}, "roleRef": {"kind": "ClusterRole", "name": "c"}}]}""");
        assertThat(updates).extracting(ContextUpdate::key).containsExactly("rolebinding/x/a", "rolebinding/x/b");
        assertThat(updates.get(0).value().getAttributes()).containsEntry("k8s.api_version", "rbac.authorization.k8s.io/v1");

        assertThatThrownBy(() -> parse("""
                {"kind": "NamespaceList", "items": [{"metadata": {"name": "a"}},
                  {"kind": "Pod", "metadata": {"name": "p", "namespace": "a"}}]}"""))
                .isInstanceOf(ParseException.class)
                .hasMessage("items[1]: kind \"Pod\" inside a NamespaceList");
    }

    @Test
    void unsupportedKindInAListFailsTheWholeRecordNamingIndexAndKind() {
        assertThatThrownBy(() -> parse("""
                {"kind": "List", "items": [
                  {"kind": "Namespace", "metadata": {"name": "a"}},
                  {"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "cfg", "namespace": "a"}, "data": {"k": "v"}}]}"""))
                .isInstanceOf(ParseException.class)
                .hasMessage("items[1]: unsupported kind \"ConfigMap\" (supported: Namespace, ServiceAccount, Role, ClusterRole, "
                        + "RoleBinding, ClusterRoleBinding, Pod, NetworkPolicy, Tenant)");
    }

    @Test
    void invalidItemFailsTheListWithItsIndexAndKey() {
        assertThatThrownBy(() -> parse("""
                {"kind": "List", "items": [
                  {"kind": "Namespace", "metadata": {"name": "a"}},
                  {"kind": "RoleBinding", "metadata": {"name": "b", "namespace": "a"}}]}"""))
                .isInstanceOf(ParseException.class)
                .hasMessage("items[1]: RoleBinding \"a/b\": missing required field 'roleRef'");
    }

    @Test
    void secretsAreRejectedWithoutQuotingTheirContent() {
        String secret = """
                {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                 "metadata": {"name": "db-password", "namespace": "a"},
                 "data": {"password": "czNjcjN0LXZhbHVl"}, "stringData": {"token": "s3cr3t-value"}}""";
        assertThatThrownBy(() -> parse(secret))
                .isInstanceOf(ParseException.class)
                .hasMessageStartingWith("unsupported kind \"Secret\" (supported: ")
                .hasMessageNotContaining("czNjcjN0LXZhbHVl").hasMessageNotContaining("s3cr3t").hasMessageNotContaining("db-password");
        assertThatThrownBy(() -> parse("{\"kind\": \"List\", \"items\": [" + secret + "]}"))
                .isInstanceOf(ParseException.class)
                .hasMessageStartingWith("items[0]: unsupported kind \"Secret\"")
                .hasMessageNotContaining("s3cr3t");
        assertThatThrownBy(() -> parse("{\"kind\": \"SecretList\", \"items\": [" + secret + "]}"))
                .isInstanceOf(ParseException.class).hasMessageStartingWith("unsupported kind \"SecretList\"");
        assertThatThrownBy(() -> parse("{\"type\": \"DELETED\", \"object\": " + secret + "}"))
                .isInstanceOf(ParseException.class).hasMessageStartingWith("watch DELETED event: unsupported kind \"Secret\"");
    }

    @Test
    void emptyListSaysThereIsNothingToNormalize() {
        assertThatThrownBy(() -> parse("{\"apiVersion\": \"v1\", \"items\": [], \"kind\": \"List\", \"metadata\": {}}"))
                .isInstanceOf(ParseException.class).hasMessage("List has no items: nothing to normalize");
        assertThatThrownBy(() -> parse("{\"kind\": \"List\"}"))
                .isInstanceOf(ParseException.class).hasMessage("missing required field 'items' of List");
    }

    @Test
    void watchAddedAndModifiedEventsUpsert() throws Exception {
        List<ContextUpdate> added = parse("{\"type\": \"ADDED\", \"object\": " + READ_PODS_BINDING + "}");
        assertThat(added).hasSize(1);
        assertThat(added.get(0).key()).isEqualTo("rolebinding/default/read-pods");
        assertThat(added.get(0).value().getSubjects()).extracting(Subject::getName).containsExactly("jane");
        assertThat(added.get(0).value().getAttributes()).containsEntry("k8s.resource_version", "42")
                .containsEntry("k8s.uid", "u-1");
        assertThat(parse("{\"type\": \"MODIFIED\", \"object\": " + READ_PODS_BINDING + "}").get(0).isDeletion()).isFalse();
    }

    @Test
    void watchDeletedEventIsATombstoneForTheObjectKey() throws Exception {
        List<ContextUpdate> deleted = parse("{\"type\": \"DELETED\", \"object\": " + READ_PODS_BINDING + "}");
        assertThat(deleted).containsExactly(ContextUpdate.delete("rolebinding", "default/read-pods"));
        assertThat(deleted.get(0).isDeletion()).isTrue();
        assertThat(deleted.get(0).key()).isEqualTo("rolebinding/default/read-pods");

        List<ContextUpdate> namespace = parser.parse(("{\"type\":\"DELETED\",\"object\":"
                + new String(sample("capsule_namespace_psa_labels.json"), java.nio.charset.StandardCharsets.UTF_8) + "}")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8), "t");
        assertThat(namespace).containsExactly(ContextUpdate.delete("namespace", "solar-production"));
    }

    @Test
    void objectWithDeletionTimestampIsATombstone() throws Exception {
        assertThat(parse("""
                {"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "web-1", "namespace": "team-a",
                  "deletionTimestamp": "2026-01-02T03:04:05Z", "deletionGracePeriodSeconds": 30},
                 "spec": {"containers": [{"name": "c", "image": "nginx"}]}, "status": {"phase": "Running", "podIP": "10.0.0.9"}}"""))
                .containsExactly(ContextUpdate.delete("pod", "team-a/web-1"));
        assertThat(parse("{\"type\": \"MODIFIED\", \"object\": {\"kind\": \"ClusterRole\", \"metadata\": "
                + "{\"name\": \"x\", \"deletionTimestamp\": \"2026-01-02T03:04:05Z\"}}}"))
                .containsExactly(ContextUpdate.delete("clusterrole", "x"));
    }

    @Test
    void bookmarkErrorAndUnknownWatchEventsAreRejectedWithTheReason() {
        assertThatThrownBy(() -> parse("{\"type\": \"BOOKMARK\", \"object\": {\"kind\": \"Pod\", \"metadata\": "
                + "{\"resourceVersion\": \"12746\"}}}"))
                .isInstanceOf(ParseException.class).hasMessageStartingWith("watch BOOKMARK event");
        assertThatThrownBy(() -> parse("{\"type\": \"ERROR\", \"object\": {\"kind\": \"Status\", \"apiVersion\": \"v1\", "
                + "\"status\": \"Failure\", \"message\": \"too old resource version: 1 (2)\", \"reason\": \"Expired\", \"code\": 410}}"))
                .isInstanceOf(ParseException.class)
                .hasMessage("watch ERROR event: \"too old resource version: 1 (2)\"");
        assertThatThrownBy(() -> parse("{\"type\": \"CREATED\", \"object\": {}}"))
                .isInstanceOf(ParseException.class).hasMessageContaining("unknown watch event type \"CREATED\"");
        assertThatThrownBy(() -> parse("{\"type\": \"ADDED\", \"object\": [1]}"))
                .isInstanceOf(ParseException.class).hasMessage("field 'object' must be an object, got an array");
    }

    @Test
    void observedAtIsTheLatestOfCreationAndManagedFieldsTimes() throws Exception {
        TenantContext ns = one("""
                {"kind": "Namespace", "metadata": {"name": "a", "creationTimestamp": "2024-01-01T00:00:00Z",
                  "managedFields": [
                    {"manager": "kubectl", "operation": "Update", "time": "2024-03-01T10:00:00Z"},
                    {"manager": "kube-controller-manager", "operation": "Update", "time": "2024-02-01T10:00:00Z"},
                    {"manager": "x", "operation": "Apply"}]}}""");
        assertThat(ns.getObservedAt()).isEqualTo(millis("2024-03-01T10:00:00Z"));
        assertThat(ns.getAttributes()).containsEntry("k8s.observed_at_source", "managedFields")
                .containsEntry("k8s.creation_timestamp", "2024-01-01T00:00:00Z");
    }

    @Test
    void networkPolicyKeepsSelectorTypesAndRulesTyped() throws Exception {
        TenantContext policy = one("""
                {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                 "metadata": {"name": "allow-frontend", "namespace": "solar-production"},
                 "spec": {"podSelector": {"matchLabels": {"app": "api"}},
                          "policyTypes": ["Ingress"],
                          "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"capsule.clastix.io/tenant": "solar"}}},
                                                {"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}},
                                                {"namespaceSelector": {}, "podSelector": {"matchExpressions": [
                                                    {"key": "app", "operator": "NotIn", "values": ["batch"]},
                                                    {"key": "canary", "operator": "DoesNotExist"}]}}],
                                       "ports": [{"protocol": "TCP", "port": 8080},
                                                 {"port": "metrics"},
                                                 {"protocol": "UDP", "port": 5000, "endPort": 5010}]}]}}""");
        assertThat(policy.getKind()).isEqualTo("networkpolicy");
        assertThat(policy.getKey()).isEqualTo("solar-production/allow-frontend");
        assertThat(policy.getNetworkPolicy()).isEqualTo(NetworkPolicySpec.newBuilder()
                .setPodSelector(LabelSelector.matchLabels(Map.of("app", "api")))
                .setPolicyTypes(List.of("Ingress"))
                .setIngress(List.of(NetworkPolicyRule.newBuilder()
                        .setPeers(List.of(
                                NetworkPolicyPeer.newBuilder().setNamespaceSelector(
                                        LabelSelector.matchLabels(Map.of("capsule.clastix.io/tenant", "solar"))).build(),
                                NetworkPolicyPeer.newBuilder().setIpBlock(IpBlock.newBuilder().setCidr("10.0.0.0/8")
                                        .setExcept(List.of("10.1.0.0/16")).build()).build(),
                                NetworkPolicyPeer.newBuilder().setNamespaceSelector(LabelSelector.everything())
                                        .setPodSelector(LabelSelectorSpec.newBuilder().setMatchExpressions(List.of(
                                                LabelSelector.requirement("app", "NotIn", List.of("batch")),
                                                LabelSelector.requirement("canary", "DoesNotExist", List.of()))).build())
                                        .build()))
                        .setPorts(List.of(
                                NetworkPolicyPort.newBuilder().setProtocol("TCP").setPort(8080).build(),
                                NetworkPolicyPort.newBuilder().setPortName("metrics").build(),
                                NetworkPolicyPort.newBuilder().setProtocol("UDP").setPort(5000).setEndPort(5010).build()))
                        .build()))
                .setEgress(List.of())
                .build());
        assertThat(policy.getAttributes())
                .containsEntry("k8s.netpol.ingress_rules", "1")
                .containsEntry("k8s.netpol.egress_rules", "0")
                .doesNotContainKeys("k8s.netpol.ingress", "k8s.netpol.pod_selector", "k8s.netpol.policy_types");
    }

    @Test
    void networkPolicyDefaultsTypesAndSelectorsAsTheApiServerDoes() throws Exception {
        TenantContext denyAll = one("""
                {"kind": "NetworkPolicy", "metadata": {"name": "default-deny", "namespace": "a"},
                 "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}""");
        assertThat(denyAll.getNetworkPolicy().getPodSelector()).isEqualTo(LabelSelector.everything());
        assertThat(denyAll.getNetworkPolicy().getPolicyTypes()).containsExactly("Ingress", "Egress");
        assertThat(denyAll.getNetworkPolicy().getIngress()).isEmpty();
        assertThat(denyAll.getAttributes()).containsEntry("k8s.netpol.ingress_rules", "0");
        TenantContext implicit = one("""
                {"kind": "NetworkPolicy", "metadata": {"name": "egress", "namespace": "a"},
                 "spec": {"egress": [{"to": [{"podSelector": {}}]}]}}""");
        assertThat(implicit.getNetworkPolicy().getPodSelector()).isEqualTo(LabelSelector.everything());
        assertThat(implicit.getNetworkPolicy().getPolicyTypes()).containsExactly("Ingress", "Egress");
        assertThat(implicit.getNetworkPolicy().getEgress()).containsExactly(NetworkPolicyRule.newBuilder()
                .setPeers(List.of(NetworkPolicyPeer.newBuilder().setPodSelector(LabelSelector.everything()).build()))
                .build());
        assertThat(implicit.getAttributes()).containsEntry("k8s.netpol.egress_rules", "1");
        TenantContext emptyTypes = one("""
                {"kind": "NetworkPolicy", "metadata": {"name": "deny-ingress", "namespace": "a"},
                 "spec": {"podSelector": {"matchLabels": {"app": "db"}}, "policyTypes": []}}""");
        assertThat(emptyTypes.getNetworkPolicy().getPolicyTypes()).containsExactly("Ingress");
    }

    @Test
    void networkPolicyValuesTheApiServerAcceptsAreKeptAsGiven() throws Exception {
        // An operator, protocol or CIDR the detectors may not know is kept; the detectors let it allow nothing.
        TenantContext policy = one("""
                {"kind": "NetworkPolicy", "metadata": {"name": "odd", "namespace": "a"},
                 "spec": {"podSelector": {"matchExpressions": [{"key": "app", "operator": "Matches", "values": ["x"]}]},
                          "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/99"}}],
                                       "ports": [{"protocol": "ICMP", "port": 70000}]}]}}""");
        NetworkPolicySpec spec = policy.getNetworkPolicy();
        assertThat(spec.getPodSelector().getMatchExpressions().get(0).getOperator()).isEqualTo("Matches");
        assertThat(spec.getIngress().get(0).getPeers().get(0).getIpBlock().getCidr()).isEqualTo("10.0.0.0/99");
        assertThat(spec.getIngress().get(0).getPorts().get(0))
                .isEqualTo(NetworkPolicyPort.newBuilder().setProtocol("ICMP").setPort(70000).build());
    }

    @Test
    void networkPolicyFieldsOfTheWrongTypeAreRejected() {
        for (String[] bad : new String[][] {
                {"{\"podSelector\": \"app\"}", "field 'spec.podSelector' must be an object"},
                {"{\"podSelector\": {\"matchLabels\": {\"app\": 1}}}", "spec.podSelector.matchLabels"},
                {"{\"podSelector\": {\"matchExpressions\": [{\"operator\": \"In\"}]}}",
                        "missing required field 'spec.podSelector.matchExpressions[0].key'"},
                {"{\"ingress\": [{\"from\": {}}]}", "field 'spec.ingress[0].from' must be an array"},
                {"{\"ingress\": [{\"ports\": [{\"port\": true}]}]}",
                        "field 'spec.ingress[0].ports[0].port' must be a port number or name"},
                {"{\"ingress\": [{\"ports\": [\"5432\"]}]}", "field 'spec.ingress[0].ports[0]' must be an object"},
                {"{\"ingress\": [{\"ports\": [{\"port\": 1.5}]}]}", "spec.ingress[0].ports[0].port"},
                {"{\"egress\": [{\"to\": [{\"ipBlock\": {\"except\": [\"10.0.0.0/8\"]}}]}]}",
                        "missing required field 'spec.egress[0].to[0].ipBlock.cidr'"}}) {
            assertThatThrownBy(() -> one("{\"kind\": \"NetworkPolicy\", \"metadata\": {\"name\": \"p\", "
                    + "\"namespace\": \"a\"}, \"spec\": " + bad[0] + "}"))
                    .as(bad[0]).isInstanceOf(ParseException.class).hasMessageContaining(bad[1]);
        }
    }

    @Test
    void oversizedNetworkPolicyRulesAreOmittedWithTheirLength() throws Exception {
        StringBuilder except = new StringBuilder();
        for (int i = 0; i < 2000; i++) {
            except.append(i == 0 ? "" : ",").append("\"10.").append(i / 256).append('.').append(i % 256).append(".0/24\"");
        }
        TenantContext policy = one("""
                {"kind": "NetworkPolicy", "metadata": {"name": "big", "namespace": "a"},
                 "spec": {"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": [%s]}}]}]}}"""
                .formatted(except));
        assertThat(policy.getNetworkPolicy().getIngress()).isEmpty();
        assertThat(policy.getAttributes())
                .containsKey("k8s.netpol.ingress_omitted_chars")
                .containsEntry("k8s.netpol.ingress_rules", "1");
        assertThat(Integer.parseInt(policy.getAttributes().get("k8s.netpol.ingress_omitted_chars")))
                .isGreaterThan(KubernetesObjectsParser.MAX_JSON_ATTRIBUTE_CHARS);
    }
}
