package dev.bulwark.compliance;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.bulwark.ingest.ContextUpdate;
import dev.bulwark.ingest.k8sobjects.KubernetesObjectsParser;
import dev.bulwark.ingest.trivy.TrivyComplianceParser;
import dev.bulwark.samples.Samples;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.FindingRule;
import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.schemas.TenantContext;

/** Posture judged from what the real parsers make of kubectl output and Trivy reports. */
class PostureEvaluatorTest {

    private final PostureEvaluator evaluator = new PostureEvaluator(ControlCatalogue.shipped());

    private static final String NAMESPACES = """
            {"apiVersion": "v1", "kind": "List", "items": [
              {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "labels": {"bulwark.io/tenant": "acme"}}},
              {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ledger", "labels": {"bulwark.io/tenant": "globex"}}},
              {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "empty", "labels": {"bulwark.io/tenant": "globex"}}}]}""";

    private static final String PRIVILEGED_POD = """
            {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "debug", "namespace": "shop"},
             "spec": {"serviceAccountName": "debug", "containers": [{"name": "c", "image": "busybox",
                      "securityContext": {"privileged": true, "capabilities": {"add": ["NET_RAW"]}}}]}}""";

    private static final String HARDENED_POD = """
            {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "shop"},
             "spec": {"serviceAccountName": "web",
                      "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
                      "containers": [{"name": "c", "image": "registry.acme.example/web:1",
                                      "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}}],
                      "volumes": [{"name": "cfg", "configMap": {"name": "web"}}]}}""";

    private static final String LEDGER_POD = """
            {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "api", "namespace": "ledger"},
             "spec": {"containers": [{"name": "c", "image": "nginx"}],
                      "volumes": [{"name": "h", "hostPath": {"path": "/var/run/docker.sock"}}]}}""";

    private static final String POLICIES = """
            {"apiVersion": "v1", "kind": "List", "items": [
              {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "deny-all", "namespace": "shop"},
               "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}},
              {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "allow-web", "namespace": "ledger"},
               "spec": {"podSelector": {"matchLabels": {"app": "api"}}, "ingress": [{"from": [{"podSelector": {}}]}]}}]}""";

    private static final String ROLES = """
            {"apiVersion": "v1", "kind": "List", "items": [
              {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "everything", "namespace": "ledger"},
               "rules": [{"apiGroups": [""], "resources": ["*"], "verbs": ["get"]}]},
              {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "read-pods", "namespace": "shop"},
               "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}]},
              {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "god"},
               "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]}]}""";

    private static List<TenantContext> context(String... documents) throws Exception {
        KubernetesObjectsParser parser = new KubernetesObjectsParser();
        List<TenantContext> records = new ArrayList<>();
        for (String document : documents) {
            for (ContextUpdate update : parser.parse(document.getBytes(UTF_8), "test")) {
                records.add(update.value());
            }
        }
        return records;
    }

    private static ControlResult result(List<ControlResult> results, String framework, String id, String namespace) {
        return results.stream().filter(r -> r.framework().equals(framework) && r.controlId().equals(id)
                && java.util.Objects.equals(r.namespace(), namespace)).findFirst()
                .orElseThrow(() -> new AssertionError("no result for " + framework + "/" + id + " in " + namespace));
    }

    @Test
    void aPrivilegedPodFailsItsControlsWhileItRunsAndTheyPassOnceItIsGone() throws Exception {
        List<ControlResult> with = evaluator.evaluate(context(NAMESPACES, PRIVILEGED_POD, HARDENED_POD, LEDGER_POD),
                List.of(), List.of());
        ControlResult privileged = result(with, "pss-baseline", "privileged-containers", "shop");
        assertThat(privileged.tenant()).isEqualTo("acme");
        assertThat(privileged.status()).isEqualTo("fail");
        assertThat(privileged.checked()).isEqualTo(2);
        assertThat(privileged.failing()).containsExactly("pod/shop/debug");
        assertThat(result(with, "cis", "5.2.2", "shop").status()).isEqualTo("fail");
        assertThat(result(with, "cis", "5.2.8", "shop").failing()).containsExactly("pod/shop/debug");
        assertThat(result(with, "pss-baseline", "privileged-containers", "ledger").status()).isEqualTo("pass");
        assertThat(result(with, "pss-baseline", "hostpath-volumes", "ledger").failing()).containsExactly("pod/ledger/api");
        assertThat(result(with, "pss-baseline", "privileged-containers", "empty").status())
                .as("nothing to judge").isEqualTo("none");

        List<ControlResult> without = evaluator.evaluate(context(NAMESPACES, HARDENED_POD, LEDGER_POD), List.of(),
                List.of());
        assertThat(result(without, "pss-baseline", "privileged-containers", "shop").status()).isEqualTo("pass");
        assertThat(result(without, "cis", "5.2.2", "shop").failing()).isEmpty();
    }

    @Test
    void aHardenedPodPassesEveryRestrictedControlAndADefaultPodFailsThem() throws Exception {
        List<ControlResult> results = evaluator.evaluate(context(NAMESPACES, HARDENED_POD, LEDGER_POD), List.of(),
                List.of());
        for (Control control : ControlCatalogue.shipped().framework("pss-restricted")) {
            assertThat(result(results, "pss-restricted", control.id(), "shop").status()).as(control.key()).isEqualTo("pass");
        }
        assertThat(results.stream().filter(r -> r.framework().equals("pss-restricted") && "ledger".equals(r.namespace())
                && r.status().equals("fail")).map(ControlResult::controlId))
                .contains("hostpath-volumes", "volume-types", "privilege-escalation", "running-as-non-root", "seccomp",
                        "capabilities");
        assertThat(result(results, "cis", "5.1.5", "ledger").failing()).as("no service account named: default")
                .containsExactly("pod/ledger/api");
    }

    @Test
    void networkPoliciesAndWildcardRolesAreJudgedPerNamespaceAndClusterRolesClusterWide() throws Exception {
        List<ControlResult> results = evaluator.evaluate(context(NAMESPACES, POLICIES, ROLES), List.of(), List.of());
        assertThat(result(results, "nsa", "2.0", "shop").status()).isEqualTo("pass");
        assertThat(result(results, "nsa", "2.0", "ledger").failing()).containsExactly("namespace/ledger");
        assertThat(result(results, "cis", "5.3.2", "ledger").status()).isEqualTo("pass");
        assertThat(result(results, "cis", "5.3.2", "empty").failing()).containsExactly("namespace/empty");
        assertThat(result(results, "cis", "5.1.3", "ledger").failing()).containsExactly("role/ledger/everything");
        assertThat(result(results, "cis", "5.1.3", "shop").status()).isEqualTo("pass");
        ControlResult cluster = result(results, "cis", "5.1.3", null);
        assertThat(cluster.tenant()).isNull();
        assertThat(cluster.failing()).contains("clusterrole/god");
    }

    @Test
    void aPodWithAnUnverifiedImageFindingFailsImageProvenance() throws Exception {
        Finding finding = Finding.newBuilder().setId("f1").setDetector("unverified-image-running")
                .setRule(FindingRule.newBuilder().setId("bulwark.integrity.image_not_verified").setName("x").build())
                .setSeverity("medium").setRiskScore(47).setTenant("acme").setSummary("s").setFirstSeen(0).setLastSeen(0)
                .setCount(1).setNamespace("shop").setPod("web")
                .setMitre(dev.bulwark.schemas.MitreAttack.newBuilder().build())
                .setEvidence(dev.bulwark.schemas.Evidence.newBuilder().build()).build();
        List<ControlResult> results = evaluator.evaluate(context(NAMESPACES, HARDENED_POD, PRIVILEGED_POD), List.of(),
                List.of(finding));
        assertThat(result(results, "cis", "5.5.1", "shop").failing()).containsExactly("pod/shop/web");
    }

    @Test
    void trivyOperatorsCisReportAddsItsJudgementAndItsOwnControls() throws Exception {
        byte[] report = Files.readAllBytes(Samples.path("trivy_compliance/trivy_operator_docs_cis_summary.json"));
        List<SecurityEvent> events = new TrivyComplianceParser().parse(report, "cis.json");
        List<ControlResult> results = evaluator.evaluate(context(NAMESPACES, HARDENED_POD), events, List.of());

        ControlResult privileged = result(results, "cis", "5.2.2", null);
        assertThat(privileged.sources()).containsExactly("trivy");
        assertThat(privileged.status()).isEqualTo("fail");
        assertThat(result(results, "cis", "5.2.2", "shop").sources()).as("Bulwark's own, not flagged by Trivy")
                .containsExactly("bulwark");
        ControlResult apiServer = result(results, "cis", "1.2.1", null);
        assertThat(apiServer.title()).isEqualTo("Ensure that the --anonymous-auth argument is set to false");
        assertThat(apiServer.sources()).containsExactly("trivy");
    }

    @Test
    void anotherPlatformsCisBenchmarkIsNotTheKubernetesOne() throws Exception {
        byte[] report = Files.readAllBytes(Samples.path("trivy_compliance/trivy_docs_aws_cis_summary.json"));
        List<SecurityEvent> events = new TrivyComplianceParser().parse(report, "aws.json");
        assertThat(events).isNotEmpty();
        assertThat(evaluator.evaluate(context(NAMESPACES), events, List.of()))
                .noneMatch(r -> r.sources().contains("trivy"));
    }

    @Test
    void aNamespaceRecordWithoutItsNameFieldIsKnownByItsKey() {
        TenantContext namespace = TenantContext.newBuilder().setKind("namespace").setKey("shop").setNamespace("shop")
                .setTenant("acme").setObservedAt(0).build();
        List<ControlResult> results = evaluator.evaluate(List.of(namespace), List.of(), List.<Finding>of());
        assertThat(result(results, "cis", "5.3.2", "shop").tenant()).isEqualTo("acme");
    }
}
