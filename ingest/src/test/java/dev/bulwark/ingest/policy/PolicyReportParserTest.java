package dev.bulwark.ingest.policy;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.bulwark.ingest.Framing;
import dev.bulwark.ingest.InMemoryIngest;
import dev.bulwark.ingest.ParseException;
import dev.bulwark.ingest.Parsers;
import dev.bulwark.ingest.RecordMutations;
import dev.bulwark.ingest.SafeJson;
import dev.bulwark.samples.Samples;
import dev.bulwark.schemas.DeadLetter;
import dev.bulwark.schemas.ImageVerification;
import dev.bulwark.schemas.PolicyResult;
import dev.bulwark.schemas.ResourceRef;
import dev.bulwark.schemas.SecurityEvent;

class PolicyReportParserTest {

    private static final String DIR = "policy_reports/";
    private static final long SECOND = 1_000_000_000L;

    private final PolicyReportParser parser = new PolicyReportParser();

    // ---------------------------------------------------------------------------------------------- real samples

    @Test
    void shouldMapEveryResultOfKyvernosPodReportToTheScopedPod() throws Exception {
        List<SecurityEvent> events = parse(sample("kyverno_docs_policyreport_pod.json"));
        assertThat(events).hasSize(2);
        assertThat(events).allSatisfy(event -> {
            assertThat(event.getSourceFormat()).isEqualTo("policy-report");
            assertThat(event.getTimestamp()).isEqualTo(1_701_868_762L * SECOND);
            assertThat(event.getEvent().getKind()).isEqualTo("state");
            assertThat(event.getEvent().getCategory()).containsExactly("configuration");
            assertThat(event.getEvent().getType()).containsExactly("info");
            assertThat(event.getEvent().getDataset()).isEqualTo("policy_report");
            assertThat(event.getEvent().getAction()).isEqualTo("policy_result");
            assertThat(event.getEvent().getSeverity()).isEqualTo(50);
            assertThat(event.getKubernetes().getNamespace()).isEqualTo("kube-system");
            assertThat(event.getKubernetes().getPod()).isEqualTo("kube-apiserver-kind-control-plane");
            assertThat(event.getPolicy().getSource()).isEqualTo("kyverno");
            assertThat(event.getPolicy().getCategory()).isEqualTo("Pod Security Standards (Baseline)");
            assertThat(event.getPolicy().getSeverity()).isEqualTo("medium");
            assertThat(event.getPolicy().getScored()).isTrue();
            assertThat(event.getPolicy().getResource()).isEqualTo(resource("v1", "Pod", "kube-system",
                    "kube-apiserver-kind-control-plane", "487df031-11d8-4ab4-b089-dfc0db1e533e"));
            assertThat(event.getImageVerifications()).isEmpty();
            assertThat(event.getAttributes())
                    .containsEntry("policy.report.api_version", "wgpolicyk8s.io/v1alpha2")
                    .containsEntry("policy.report.kind", "PolicyReport")
                    .containsEntry("policy.report.name", "487df031-11d8-4ab4-b089-dfc0db1e533e")
                    .containsEntry("policy.report.namespace", "kube-system")
                    .containsEntry("policy.report.uid", "0ec04a57-4c3d-492d-9278-951cd1929fe3")
                    .containsEntry("policy.report.created", "2023-12-06T13:19:03Z")
                    .containsEntry("policy.report.labels.app.kubernetes.io/managed-by", "kyverno")
                    .containsEntry("policy.report.summary.pass", "10")
                    .containsEntry("policy.report.summary.fail", "2")
                    .containsEntry("policy.report.summary.skip", "0")
                    .containsEntry("policy.report.results", "2")
                    .containsEntry("policy.scope.kind", "Pod")
                    .containsEntry("policy.scope.name", "kube-apiserver-kind-control-plane")
                    .containsEntry("policy.resource_source", "scope")
                    .containsEntry("policy.time_source", "result");
        });
        PolicyResult pass = events.get(0).getPolicy();
        assertThat(pass.getPolicy()).isEqualTo("disallow-capabilities");
        assertThat(pass.getRule()).isEqualTo("adding-capabilities");
        assertThat(pass.getVerdict()).isEqualTo("pass");
        assertThat(pass.getMessage()).isEqualTo("validation rule 'adding-capabilities' passed.");
        assertThat(events.get(0).getEvent().getOutcome()).isEqualTo("success");
        PolicyResult fail = events.get(1).getPolicy();
        assertThat(fail.getPolicy()).isEqualTo("disallow-host-namespaces");
        assertThat(fail.getRule()).isEqualTo("host-namespaces");
        assertThat(fail.getVerdict()).isEqualTo("fail");
        assertThat(fail.getMessage()).startsWith("validation error: Sharing the host namespaces is disallowed.")
                .endsWith("rule host-namespaces failed at path /spec/hostNetwork/");
        assertThat(events.get(1).getEvent().getOutcome()).isEqualTo("failure");
        JsonNode original = SafeJson.readObject(events.get(1).getOriginal().getBytes(UTF_8));
        assertThat(original.get("policy").asText()).isEqualTo("disallow-host-namespaces");
        assertThat(original.has("resources")).isFalse();
        assertThat(events.stream().map(SecurityEvent::getId).distinct()).hasSize(2);
    }

    @Test
    void shouldMapTheOpenReportsListOfKyvernoWithTheNamespaceOfItsScope() throws Exception {
        SecurityEvent event = parseOne(sample("kyverno_docs_openreports_report_list.json"));
        assertThat(event.getTimestamp()).isEqualTo(1_849_050_397L * SECOND);
        assertThat(event.getKubernetes().getNamespace()).isEqualTo("default");
        assertThat(event.getKubernetes().getPod()).isEqualTo("example-deployment-c94dc9f47-dfq6l");
        PolicyResult result = event.getPolicy();
        assertThat(result.getSource()).isEqualTo("kyverno");
        assertThat(result.getPolicy()).isEqualTo("default/require-app-label");
        assertThat(result.getRule()).isEqualTo("check-app-label");
        assertThat(result.getVerdict()).isEqualTo("fail");
        assertThat(result.getSeverity()).isNull();
        assertThat(result.getMessage())
                .isEqualTo("validation error: Pods must have an 'app' label. rule check-app-label failed at path /metadata/labels/app/");
        assertThat(result.getResource()).isEqualTo(resource("v1", "Pod", "default", "example-deployment-c94dc9f47-dfq6l",
                "dcd32da4-8539-4636-bba5-fd2cc3a6aaff"));
        assertThat(event.getEvent().getSeverity()).isNull();
        assertThat(event.getAttributes())
                .containsEntry("policy.report.api_version", "openreports.io/v1alpha1")
                .containsEntry("policy.report.kind", "Report")
                .containsEntry("policy.report.name", "7d23ea02-1526-4a4f-ba14-49665adf55e")
                .containsEntry("policy.properties.process", "background scan")
                .containsEntry("policy.report.summary.fail", "1")
                .doesNotContainKey("policy.report.namespace");
    }

    @Test
    void shouldMapValidatingAdmissionPolicyResultsOfAListToTheirDeployments() throws Exception {
        List<SecurityEvent> events = parse(sample("kyverno_docs_vap_policyreport_list.json"));
        assertThat(events).hasSize(2);
        assertThat(events).allSatisfy(event -> {
            assertThat(event.getTimestamp()).isEqualTo(1_706_183_723L * SECOND);
            assertThat(event.getKubernetes().getNamespace()).isEqualTo("staging-ns");
            assertThat(event.getKubernetes().getPod()).isNull();
            assertThat(event.getPolicy().getSource()).isEqualTo("ValidatingAdmissionPolicy");
            assertThat(event.getPolicy().getPolicy()).isEqualTo("check-deployment-replicas");
            assertThat(event.getPolicy().getRule()).isNull();
            assertThat(event.getAttributes()).containsEntry("policy.properties.binding", "check-deployment-replicas-binding")
                    .containsEntry("policy.report.created", "2024-01-25T11:55:33Z");
        });
        assertThat(events.get(0).getPolicy().getVerdict()).isEqualTo("fail");
        assertThat(events.get(0).getPolicy().getMessage()).isEqualTo("failed expression: object.spec.replicas <= 5");
        assertThat(events.get(0).getPolicy().getResource()).isEqualTo(resource("apps/v1", "Deployment", "staging-ns",
                "deployment-3", "0b2d730e-cbc3-4eab-8f3b-ad106ea5d559"));
        assertThat(events.get(1).getPolicy().getVerdict()).isEqualTo("pass");
        assertThat(events.get(1).getPolicy().getMessage()).isNull();
        assertThat(events.get(1).getPolicy().getResource().getName()).isEqualTo("deployment-4");
        assertThat(events.get(1).getAttributes()).containsEntry("policy.report.name", "c1e28ad7-b5c9-4f5c-9b77-8d4278df9fc4");
    }

    @Test
    void shouldKeepAnImageValidatingPolicyResultWithoutTimesAtTheIngestTime() throws Exception {
        long before = System.currentTimeMillis() * 1_000_000L;
        SecurityEvent event = parseOne(sample("kyverno_blog_ivpol_policyreport.json"));
        assertThat(event.getTimestamp()).isGreaterThanOrEqualTo(before);
        assertThat(event.getAttributes()).containsEntry("policy.time_source", "ingested")
                .containsEntry("policy.resource_source", "scope");
        assertThat(event.getKubernetes()).as("the excerpt names no namespace").isNull();
        assertThat(event.getPolicy().getSource()).isEqualTo("KyvernoImageValidatingPolicy");
        assertThat(event.getPolicy().getPolicy()).isEqualTo("ivpol-report-admission-sample");
        assertThat(event.getPolicy().getVerdict()).isEqualTo("fail");
        assertThat(event.getPolicy().getMessage()).isEqualTo("failed to verify image with notary cert");
        assertThat(event.getPolicy().getResource()).isEqualTo(resource("apps/v1", "Deployment", null, "test-deployment", null));
        assertThat(event.getImageVerifications()).as("the message names no image").isEmpty();
    }

    @Test
    void shouldMapKyvernosConformanceReportsOfAVerifyImagesRuleAndANamespace() throws Exception {
        List<SecurityEvent> events = parse(sample("kyverno_conformance_verify_image_background_audit.json"));
        assertThat(events).extracting(e -> e.getPolicy().getRule() + "=" + e.getPolicy().getVerdict())
                .containsExactly("keyed-basic-rule=pass", "require-ns-purpose-label=fail");
        assertThat(events).allSatisfy(event -> {
            assertThat(event.getKubernetes().getNamespace()).isEqualTo("test-verify-images");
            assertThat(event.getKubernetes().getPod()).isEqualTo("test-secret-pod");
            assertThat(event.getPolicy().getPolicy()).isEqualTo("keyed-basic-policy");
        });

        SecurityEvent namespace = parseOne(sample("kyverno_conformance_clusterpolicyreport_properties.json"));
        assertThat(namespace.getKubernetes()).isNull();
        assertThat(namespace.getPolicy().getResource()).isEqualTo(resource("v1", "Namespace", null, "bar", null));
        assertThat(namespace.getPolicy().getPolicy()).isEqualTo("require-owner");
        assertThat(namespace.getAttributes()).containsEntry("policy.report.kind", "ClusterPolicyReport")
                .containsEntry("policy.properties.objName", "bar").containsEntry("policy.properties.operation", "CREATE");
    }

    @Test
    void shouldMapEveryTrivyOperatorAdapterReport() throws Exception {
        List<String> lines = Samples.lines(DIR + "trivy_operator_polr_adapter_readme.ndjson");
        assertThat(lines).hasSize(6);
        List<List<SecurityEvent>> reports = new java.util.ArrayList<>();
        for (String line : lines) {
            reports.add(parse(line));
        }
        assertThat(reports).extracting(List::size).containsExactly(1, 1, 2, 2, 2, 1);

        SecurityEvent vulnerability = reports.get(0).get(0);
        assertThat(vulnerability.getTimestamp()).isEqualTo(1_653_395_950L * SECOND);
        assertThat(vulnerability.getKubernetes().getNamespace()).isEqualTo("test");
        assertThat(vulnerability.getPolicy()).isEqualTo(PolicyResult.newBuilder().setSource("Trivy Vulnerability")
                .setPolicy("CVE-2020-27350").setVerdict("warn").setSeverity("medium").setCategory("Vulnerability Scan")
                .setMessage("apt: integer overflows and underflows while parsing .deb packages")
                .setResource(resource("apps/v1", "ReplicaSet", "test", "nginx-5fbc65fff", "710f2142-7613-4cf5-aef7-dc65306626e2"))
                .build());
        assertThat(vulnerability.getEvent().getOutcome()).isEqualTo("failure");
        assertThat(vulnerability.getAttributes()).containsEntry("policy.properties.fixedVersion", "1.8.2.2")
                .containsEntry("policy.properties.artifact.tag", "1.17")
                .containsEntry("policy.report.labels.trivy-operator.source", "VulnerabilityReport")
                .containsEntry("policy.report.summary.warn", "166");

        SecurityEvent configAudit = reports.get(1).get(0);
        assertThat(configAudit.getPolicy().getRule()).isEqualTo("KSV026");
        assertThat(configAudit.getPolicy().getPolicy()).isEqualTo("Unsafe sysctl options set");
        assertThat(configAudit.getPolicy().getVerdict()).isEqualTo("pass");

        List<SecurityEvent> rbac = reports.get(2);
        assertThat(rbac).extracting(e -> e.getPolicy().getRule() + "/" + e.getPolicy().getSeverity() + "/"
                + e.getPolicy().getVerdict()).containsExactly("KSV048/high/fail", "KSV055/low/pass");
        assertThat(rbac.get(0).getKubernetes().getNamespace()).isEqualTo("kyverno");
        assertThat(rbac.get(0).getPolicy().getResource().getName()).isEqualTo("kyverno:leaderelection");
        assertThat(rbac.get(0).getAttributes()).containsEntry("policy.properties.1. message",
                "Role permits create/update of a malicious pod");

        List<SecurityEvent> clusterRbac = reports.get(3);
        assertThat(clusterRbac).allSatisfy(e -> {
            assertThat(e.getKubernetes()).isNull();
            assertThat(e.getPolicy().getResource().getKind()).isEqualTo("ClusterRole");
            assertThat(e.getPolicy().getResource().getName()).isEqualTo("system:certificates.k8s.io:kubelet-serving-approver");
        });

        // The compliance adapter names its resources "<namespace>/<kind>-<name>" without a kind: kept as given.
        List<SecurityEvent> compliance = reports.get(4);
        assertThat(compliance).extracting(e -> e.getPolicy().getResource().getName())
                .containsExactly("kube-system/pod-kube-apiserver-minikube", "kube-system/pod-etcd-minikube");
        assertThat(compliance).allSatisfy(e -> {
            assertThat(e.getPolicy().getResource().getKind()).isNull();
            assertThat(e.getKubernetes()).isNull();
            assertThat(e.getAttributes()).containsEntry("policy.resource_source", "result");
            assertThat(e.getTimestamp()).isEqualTo(1_671_442_549L * SECOND);
        });
        assertThat(compliance.get(0).getPolicy().getPolicy()).isEqualTo("1.0 Non-root containers");
        assertThat(compliance.get(0).getAttributes()).containsEntry("policy.properties.id", "AVD-KSV-0012");

        SecurityEvent infra = reports.get(5).get(0);
        assertThat(infra.getPolicy().getPolicy()).isEqualTo("KCV0013");
        assertThat(infra.getPolicy().getResource()).isEqualTo(resource("v1", "Pod", "kube-system", "kube-apiserver-minikube",
                "5a50c600-4dff-42fd-a0c2-6734bb07ab0e"));
        assertThat(infra.getKubernetes().getPod()).isEqualTo("kube-apiserver-minikube");
    }

    @Test
    void shouldMapTheOpenReportsKubeBenchSampleAndRejectTheOtherSamplesOfThatRepository() throws Exception {
        List<String> lines = Samples.lines(DIR + "openreports_repo_samples.ndjson");
        assertThat(lines).hasSize(7);
        List<SecurityEvent> cis = parse(lines.get(0));
        assertThat(cis).extracting(e -> e.getPolicy().getPolicy() + "=" + e.getPolicy().getVerdict() + "/"
                + e.getPolicy().getScored()).containsExactly("api-server:anonymous-auth=warn/true",
                "api-server:basic-auth-file=fail/true", "api-server:token-auth-file=warn/false");
        assertThat(cis).allSatisfy(e -> {
            assertThat(e.getPolicy().getSource()).as("the report's source").isEqualTo("kube-bench-adapter");
            assertThat(e.getPolicy().getResource()).isNull();
            assertThat(e.getKubernetes()).isNull();
            assertThat(e.getAttributes()).containsEntry("policy.resource_source", "none")
                    .containsEntry("policy.time_source", "ingested")
                    .containsEntry("policy.report.source", "kube-bench-adapter")
                    .containsEntry("policy.report.annotations.name", "CIS Kubernetes Benchmarks")
                    .containsEntry("policy.report.annotations.version", "v1.5.1 - 02-14-2020")
                    .containsEntry("policy.properties.index", "1.2.2");
        });
        assertThat(cis.get(0).getPolicy().getMessage()).isEqualTo("ensure that --anonymous-auth argument is set to false");

        for (int i = 1; i < lines.size(); i++) {
            String kind = i == 3 ? "ClusterPolicyReport" : "PolicyReport";
            assertReason(lines.get(i), "openreports.io/v1alpha1 has no kind \"" + kind + "\" (expected Report or ClusterReport)");
        }
    }

    @Test
    void shouldDeadLetterTheBrokenSamplesThroughTheRealIngestPathAndBalanceTheLedger() throws Exception {
        byte[] input = Files.readAllBytes(Samples.path(DIR + "openreports_repo_samples.ndjson"));
        InMemoryIngest.Result result = InMemoryIngest.run(input, "openreports.ndjson", parser);
        assertThat(result.recordsIn()).isEqualTo(7);
        assertThat(result.events()).hasSize(3);
        assertThat(result.deadLetters()).hasSize(6).allSatisfy(letter -> {
            assertThat(letter.getSourceFormat()).isEqualTo("policy-report");
            assertThat(letter.getError()).startsWith("openreports.io/v1alpha1 has no kind");
        });
        assertThat(result.deadLetters()).extracting(DeadLetter::getOrigin)
                .containsExactly("openreports.ndjson:2", "openreports.ndjson:3", "openreports.ndjson:4",
                        "openreports.ndjson:5", "openreports.ndjson:6", "openreports.ndjson:7");

        // Pretty-printed reports frame as one record each.
        StringBuilder pretty = new StringBuilder();
        for (String name : List.of("kyverno_docs_policyreport_pod.json", "kyverno_docs_vap_policyreport_list.json",
                "kyverno_docs_openreports_report_list.json")) {
            pretty.append(sample(name));
        }
        InMemoryIngest.Result framed = InMemoryIngest.run(pretty.toString().getBytes(UTF_8), "reports.json", parser);
        assertThat(framed.recordsIn()).isEqualTo(3);
        assertThat(framed.events()).hasSize(2 + 2 + 1);
        assertThat(framed.deadLetters()).isEmpty();
    }

    // ---------------------------------------------------------------------------------------------- mapping rules

    @Test
    void shouldEmitOneEventPerResourceSoEachNamespaceGetsItsOwn() throws Exception {
        String report = edit(sample("kyverno_docs_policyreport_pod.json"), root -> {
            root.remove("scope");
            ObjectNode result = (ObjectNode) root.get("results").get(1);
            ArrayNode resources = result.putArray("resources");
            resources.addObject().put("apiVersion", "v1").put("kind", "Pod").put("namespace", "shop").put("name", "web-1")
                    .put("uid", "u-1");
            resources.addObject().put("apiVersion", "apps/v1").put("kind", "Deployment").put("namespace", "billing")
                    .put("name", "api");
        });
        List<SecurityEvent> events = parse(report);
        assertThat(events).hasSize(3);
        SecurityEvent withoutResources = events.get(0);
        assertThat(withoutResources.getPolicy().getResource()).isNull();
        assertThat(withoutResources.getKubernetes().getNamespace()).as("the report's namespace").isEqualTo("kube-system");
        assertThat(withoutResources.getAttributes()).containsEntry("policy.resource_source", "none");

        SecurityEvent shop = events.get(1);
        SecurityEvent billing = events.get(2);
        assertThat(shop.getKubernetes().getNamespace()).isEqualTo("shop");
        assertThat(shop.getKubernetes().getPod()).isEqualTo("web-1");
        assertThat(billing.getKubernetes().getNamespace()).isEqualTo("billing");
        assertThat(billing.getKubernetes().getPod()).isNull();
        assertThat(billing.getPolicy().getResource()).isEqualTo(resource("apps/v1", "Deployment", "billing", "api", null));
        assertThat(List.of(shop, billing)).allSatisfy(e -> {
            assertThat(e.getPolicy().getPolicy()).isEqualTo("disallow-host-namespaces");
            assertThat(e.getAttributes()).containsEntry("policy.resource_source", "result");
        });
        // Each original holds its own resource only, so a result with many resources does not multiply.
        JsonNode original = SafeJson.readObject(billing.getOriginal().getBytes(UTF_8));
        assertThat(original.get("resources")).hasSize(1);
        assertThat(original.get("resources").get(0).get("name").asText()).isEqualTo("api");
        assertThat(events.stream().map(SecurityEvent::getId).collect(Collectors.toSet())).hasSize(3);
    }

    @Test
    void shouldTurnKyvernoVerifyImagesResultsIntoImageVerdicts() throws Exception {
        // Messages as Kyverno's image verifier writes them (pkg/engine/internal/imageverifier.go).
        String signed = "ghcr.io/kyverno/test-verify-image:signed@sha256:b31bfb4d0213f254d361e0079deaaebefa4f82ba7aa76ef82e90b4935ad5b105";
        String report = edit(sample("kyverno_docs_policyreport_pod.json"), root -> {
            ArrayNode results = root.putArray("results");
            results.addObject().put("policy", "check-image").put("rule", "check-image").put("result", "pass")
                    .put("source", "kyverno").put("message", "verified image signatures for " + signed);
            results.addObject().put("policy", "check-image").put("rule", "check-image").put("result", "fail")
                    .put("source", "kyverno").put("message", "failed to verify image ghcr.io/kyverno/test-verify-image:unsigned: "
                            + ".attestors[0].entries[0].keys: no matching signatures");
            results.addObject().put("policy", "check-image").put("rule", "check-image").put("result", "error")
                    .put("source", "kyverno").put("message", "failed to verify image ghcr.io/x/y:1: registry unreachable");
            results.addObject().put("policy", "other").put("result", "fail").put("source", "kubescape")
                    .put("message", "failed to verify image ghcr.io/x/y:1: not Kyverno");
        });
        List<SecurityEvent> events = parse(report);
        assertThat(events.get(0).getImageVerifications()).singleElement().satisfies(v -> {
            assertThat(v.getVerifier()).isEqualTo("kyverno");
            assertThat(v.getImage()).isEqualTo(signed);
            assertThat(v.getImageName()).isEqualTo("ghcr.io/kyverno/test-verify-image");
            assertThat(v.getImageTag()).isEqualTo("signed");
            assertThat(v.getDigest()).isEqualTo("sha256:b31bfb4d0213f254d361e0079deaaebefa4f82ba7aa76ef82e90b4935ad5b105");
            assertThat(v.getVerdict()).isEqualTo("pass");
            assertThat(v.getPolicy()).isEqualTo("check-image");
            assertThat(v.getRule()).isEqualTo("check-image");
            assertThat(v.getEvidence()).isEqualTo("report");
        });
        assertThat(events.get(1).getImageVerifications()).singleElement().satisfies(v -> {
            assertThat(v.getImage()).isEqualTo("ghcr.io/kyverno/test-verify-image:unsigned");
            assertThat(v.getDigest()).isNull();
            assertThat(v.getVerdict()).isEqualTo("fail");
        });
        assertThat(events.get(2).getImageVerifications()).as("an error is no verdict").isEmpty();
        assertThat(events.get(3).getImageVerifications()).as("only Kyverno's messages are read").isEmpty();
    }

    @Test
    void shouldReadKubescapesTimesAndSeverities() throws Exception {
        // The shape Kubescape's PolicyReport printer writes (core/pkg/resultshandling/printer/v2/policyreportprinter.go):
        // an RFC 3339 timestamp where the CRD has {seconds, nanos}.
        String report = """
                {"apiVersion":"wgpolicyk8s.io/v1alpha2","kind":"PolicyReport",
                 "metadata":{"name":"kubescape-kind-shop","namespace":"shop","labels":{"app.kubernetes.io/managed-by":"kubescape"}},
                 "results":[{"source":"kubescape","policy":"C-0057","rule":"Privileged container","severity":"high",
                   "result":"fail","message":"Potential attackers may gain access to privileged containers",
                   "timestamp":"2024-05-02T10:15:31.5Z",
                   "resources":[{"apiVersion":"apps/v1","kind":"Deployment","namespace":"shop","name":"web"}],
                   "properties":{"controlURL":"https://hub.armosec.io/docs/c-0057"}},
                  {"source":"kubescape","policy":"C-0270","rule":"Ensure CPU limits are set","severity":"Unknown",
                   "result":"skip","timestamp":"2024-05-02T10:15:31.5Z",
                   "resources":[{"apiVersion":"v1","kind":"Pod","namespace":"shop","name":"web-1"}]}],
                 "summary":{"pass":0,"fail":1,"warn":0,"error":0,"skip":1}}""";
        List<SecurityEvent> events = parse(report);
        assertThat(events).hasSize(2);
        assertThat(events.get(0).getTimestamp()).isEqualTo(1_714_644_931_500_000_000L);
        assertThat(events.get(0).getPolicy().getSeverity()).isEqualTo("high");
        assertThat(events.get(0).getEvent().getSeverity()).isEqualTo(70);
        assertThat(events.get(0).getAttributes()).containsEntry("policy.properties.controlURL", "https://hub.armosec.io/docs/c-0057");
        assertThat(events.get(1).getPolicy().getSeverity()).as("unknown is no severity").isNull();
        assertThat(events.get(1).getPolicy().getVerdict()).isEqualTo("skip");
        assertThat(events.get(1).getEvent().getOutcome()).isEqualTo("unknown");
    }

    @Test
    void shouldSayNothingWasEvaluatedForAReportWithoutResults() throws Exception {
        // Kyverno's Go types omit an empty result list, so a report of a resource with no results has no 'results'.
        for (String variant : List.of("absent", "null", "empty")) {
            String report = edit(sample("kyverno_docs_policyreport_pod.json"), root -> {
                switch (variant) {
                    case "absent" -> root.remove("results");
                    case "null" -> root.putNull("results");
                    default -> root.putArray("results");
                }
            });
            SecurityEvent event = parseOne(report);
            assertThat(event.getEvent().getAction()).as(variant).isEqualTo("report_empty");
            assertThat(event.getEvent().getKind()).isEqualTo("state");
            assertThat(event.getEvent().getOutcome()).isEqualTo("unknown");
            assertThat(event.getPolicy()).isNull();
            assertThat(event.getKubernetes().getNamespace()).isEqualTo("kube-system");
            assertThat(event.getKubernetes().getPod()).isEqualTo("kube-apiserver-kind-control-plane");
            assertThat(event.getTimestamp()).isEqualTo(1_701_868_743L * SECOND);
            assertThat(event.getAttributes()).containsEntry("policy.report.results", "0")
                    .containsEntry("policy.scope.name", "kube-apiserver-kind-control-plane")
                    .containsEntry("policy.time_source", "report_created");
            assertThat(SafeJson.readObject(event.getOriginal().getBytes(UTF_8)).has("scope")).isTrue();
        }
    }

    @Test
    void shouldCutOverlongMessagesAndKeepTheirLength() throws Exception {
        String long_ = "m".repeat(PolicyReportParser.MAX_MESSAGE + 10);
        SecurityEvent event = parse(edit(sample("kyverno_docs_policyreport_pod.json"),
                root -> ((ObjectNode) root.get("results").get(0)).put("message", long_))).get(0);
        assertThat(event.getPolicy().getMessage()).hasSize(PolicyReportParser.MAX_MESSAGE);
        assertThat(event.getAttributes()).containsEntry("policy.message.original_length",
                Integer.toString(PolicyReportParser.MAX_MESSAGE + 10));
        assertThat(event.getOriginal()).contains(long_);
    }

    // ---------------------------------------------------------------------------------------------- broken input

    @Test
    void shouldSayWhatARecordIsWhenItIsNotAPolicyReport() throws Exception {
        assertReason("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"a\"}}",
                "unsupported apiVersion \"v1\" of a Pod (expected wgpolicyk8s.io/v1alpha2 or openreports.io/v1alpha1)");
        assertReason(sample("kyverno_docs_policyreport_pod.json").replace("wgpolicyk8s.io/v1alpha2", "wgpolicyk8s.io/v1beta2"),
                "unsupported apiVersion \"wgpolicyk8s.io/v1beta2\" of a PolicyReport");
        assertReason(sample("kyverno_docs_policyreport_pod.json").replace("\"kind\": \"PolicyReport\"", "\"kind\": \"Report\""),
                "wgpolicyk8s.io/v1alpha2 has no kind \"Report\" (expected PolicyReport or ClusterPolicyReport)");
        assertReason("{\"results\":[]}", "not a policy report: it needs a string 'apiVersion' and 'kind' (keys found: results)");
        assertReason("{\"apiVersion\":\"wgpolicyk8s.io/v1alpha2\",\"kind\":7}", "needs a string 'apiVersion' and 'kind'");
        assertReason("[]", "expected a JSON object, got an array");
        assertReason("{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[]}", "List has no items: nothing to normalize");
        assertReason("{\"apiVersion\":\"v1\",\"kind\":\"List\"}", "a List without 'items'");
        assertReason("{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":{}}", "field 'items' must be an array, got an object");
    }

    @Test
    void shouldRejectBrokenReportsNamingTheResultAndField() throws Exception {
        String pod = sample("kyverno_docs_policyreport_pod.json");
        assertReason(edit(pod, root -> root.put("results", "none")), "field 'results' must be an array, got a string");
        assertReason(edit(pod, root -> ((ArrayNode) root.get("results")).add(3)), "results[2]: must be an object, got a number");
        assertReason(edit(pod, root -> result(root, 1).remove("policy")), "results[1]: missing required field 'policy'");
        assertReason(edit(pod, root -> result(root, 0).remove("result")), "results[0]: missing required field 'result'");
        assertReason(edit(pod, root -> result(root, 0).put("result", "ok")),
                "results[0]: unknown result \"ok\" (expected pass, fail, warn, error or skip)");
        assertReason(edit(pod, root -> result(root, 0).put("severity", "severe")),
                "results[0]: unknown severity \"severe\" (expected critical, high, medium, low or info)");
        assertReason(edit(pod, root -> result(root, 0).put("scored", "yes")), "results[0]: field 'scored' must be a boolean");
        assertReason(edit(pod, root -> result(root, 0).put("timestamp", "yesterday")),
                "results[0]: field 'timestamp' is not an RFC 3339 timestamp");
        assertReason(edit(pod, root -> result(root, 0).putObject("timestamp").put("seconds", 1).put("nanos", 2_000_000_000L)),
                "results[0]: field 'timestamp' is out of range");
        assertReason(edit(pod, root -> result(root, 0).putObject("timestamp").put("seconds", "soon")),
                "results[0]: in 'timestamp': field 'seconds' must be a whole number");
        assertReason(edit(pod, root -> result(root, 0).putArray("timestamp")), "results[0]: field 'timestamp' must be an object");
        assertReason(edit(pod, root -> result(root, 0).putObject("properties").putObject("nested")),
                "results[0]: in 'properties': field 'nested' must be a scalar");
        assertReason(edit(pod, root -> result(root, 0).put("resources", "all")), "results[0]: field 'resources' must be an array");
        assertReason(edit(pod, root -> result(root, 0).putArray("resources").addObject().put("apiVersion", "v1")),
                "results[0]: in 'resources[0]': a resource reference needs a kind, a name or a uid");
        assertReason(edit(pod, root -> result(root, 0).putArray("resources").addObject().put("kind", "Pod")
                .put("name", "a").put("namespace", "Kube_System")), "namespace \"Kube_System\" is not a valid Kubernetes name");
        assertReason(edit(pod, root -> result(root, 0).putArray("resources").addObject().put("kind", "Pod")
                .put("name", "a\u0007b")), "name \"a\\u0007b\" contains a control character");
        assertReason(edit(pod, root -> ((ObjectNode) root.get("metadata")).put("namespace", "../etc")),
                "in 'metadata': namespace \"../etc\" is not a valid Kubernetes name");
        assertReason(edit(pod, root -> ((ObjectNode) root.get("metadata")).put("creationTimestamp", "2023-13-01")),
                "in 'metadata': field 'creationTimestamp' is not an RFC 3339 timestamp");
        assertReason(edit(pod, root -> ((ObjectNode) root.get("scope")).remove(List.of("kind", "name", "uid"))),
                "in 'scope': a resource reference needs a kind, a name or a uid");
        assertReason(edit(pod, root -> ((ObjectNode) root.get("summary")).put("fail", "two")),
                "in 'summary': field 'fail' must be a whole number");
        assertReason(edit(pod, root -> root.put("kind", "ClusterPolicyReport")),
                "in 'metadata': a ClusterPolicyReport is cluster-scoped but has namespace \"kube-system\"");
        assertReason(edit(pod, root -> root.put("metadata", "x")), "field 'metadata' must be an object, got a string");
        String list = sample("kyverno_docs_vap_policyreport_list.json");
        assertReason(edit(list, root -> ((ObjectNode) root.get("items").get(1)).put("apiVersion", "wgpolicyk8s.io/v9")),
                "items[1]: unsupported apiVersion \"wgpolicyk8s.io/v9\" of a PolicyReport");
        assertReason(edit(list, root -> ((ArrayNode) root.get("items")).add("x")), "items[2]: expected a report object, got a string");
    }

    @Test
    @Timeout(60)
    void shouldRejectHostileSizesNestingAndBytes() throws Exception {
        String pod = sample("kyverno_docs_policyreport_pod.json");
        assertReason("{\"apiVersion\":\"wgpolicyk8s.io/v1alpha2\",\"kind\":\"PolicyReport\",\"x\":" + "[".repeat(10_000)
                + "]".repeat(10_000) + "}", "JSON exceeds a safety limit");
        assertReason(edit(pod, root -> result(root, 0).put("message", "x".repeat(2 * 1024 * 1024))), "JSON exceeds a safety limit");
        assertReason(pod.replaceFirst("\"policy\": \"disallow-capabilities\",",
                "\"policy\": \"disallow-capabilities\", \"policy\": \"other\","), "Duplicate field 'policy'");
        byte[] bytes = pod.getBytes(UTF_8);
        bytes[pod.indexOf("adding-capabilities")] = (byte) 0xC0; // an overlong lead byte
        assertThatThrownBy(() -> parser.parse(bytes, "t")).isInstanceOf(ParseException.class).hasMessageContaining("UTF-8");

        // A large result copied into the event of each of its many resources would multiply: refused, not truncated.
        String multiplying = edit(pod, root -> {
            ObjectNode result = result(root, 0);
            result.putObject("properties").put("blob", "b".repeat(70_000));
            ArrayNode resources = result.putArray("resources");
            for (int i = 0; i < 1_000; i++) {
                resources.addObject().put("kind", "Pod").put("namespace", "shop").put("name", "p-" + i);
            }
        });
        assertReason(multiplying, "the report's events would repeat more than 64 MiB of result text (1000 resources");

        // Many small results and resources within the budget are fine.
        String many = edit(pod, root -> {
            ArrayNode resources = result(root, 1).putArray("resources");
            for (int i = 0; i < 20_000; i++) {
                resources.addObject().put("kind", "Pod").put("namespace", "ns-" + (i % 50)).put("name", "p-" + i);
            }
        });
        List<SecurityEvent> events = parse(many);
        assertThat(events).hasSize(1 + 20_000);
        assertThat(events.stream().map(e -> e.getKubernetes().getNamespace()).distinct()).hasSize(51);
    }

    @Test
    @Timeout(60)
    void shouldNeverThrowAnythingButParseExceptionForMutatedRealRecords() throws Exception {
        for (String name : List.of("kyverno_docs_vap_policyreport_list.json", "kyverno_docs_openreports_report_list.json")) {
            byte[] bytes = SafeJson.mapper().writeValueAsBytes(SafeJson.readObject(sample(name).getBytes(UTF_8)));
            RecordMutations.forEach(bytes, 7, 13, record -> {
                try {
                    assertThat(parser.parse(record, "fuzz")).isNotEmpty();
                } catch (ParseException e) {
                    assertThat(e.getMessage()).isNotBlank();
                }
            });
        }
    }

    @Test
    void shouldBeRegisteredWithJsonDocumentFraming() {
        assertThat(Parsers.forFormat("policy-report")).isInstanceOf(PolicyReportParser.class);
        assertThat(parser.framing()).isSameAs(Framing.JSON);
    }

    // ---------------------------------------------------------------------------------------------- helpers

    private static String sample(String name) throws IOException {
        return Files.readString(Samples.path(DIR + name), UTF_8);
    }

    private List<SecurityEvent> parse(String record) throws ParseException {
        return parser.parse(record.getBytes(UTF_8), "test:1");
    }

    private SecurityEvent parseOne(String record) throws ParseException {
        List<SecurityEvent> events = parse(record);
        assertThat(events).hasSize(1);
        return events.get(0);
    }

    private void assertReason(String record, String reason) {
        assertThatThrownBy(() -> parser.parse(record.getBytes(UTF_8), "test:1"))
                .isInstanceOf(ParseException.class)
                .hasMessageContaining(reason);
    }

    private static ResourceRef resource(String apiVersion, String kind, String namespace, String name, String uid) {
        return ResourceRef.newBuilder().setApiVersion(apiVersion).setKind(kind).setNamespace(namespace).setName(name)
                .setUid(uid).build();
    }

    private static ObjectNode result(JsonNode root, int index) {
        return (ObjectNode) root.get("results").get(index);
    }

    /** A real record changed through Jackson's tree model. */
    private static String edit(String record, Consumer<ObjectNode> change) throws IOException {
        ObjectNode root = (ObjectNode) SafeJson.mapper().readTree(record);
        change.accept(root);
        return SafeJson.mapper().writeValueAsString(root);
    }
}
