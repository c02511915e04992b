package dev.bulwark.ingest.k8saudit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.bulwark.ingest.InMemoryIngest;
import dev.bulwark.ingest.ParseException;
import dev.bulwark.ingest.Parsers;
import dev.bulwark.ingest.SafeJson;
import dev.bulwark.samples.Samples;
import dev.bulwark.schemas.KubernetesAudit;
import dev.bulwark.schemas.PodSpecFacts;
import dev.bulwark.schemas.SecurityEvent;

class KubernetesAuditParserTest {

    private static final String SELECTED = "k8s_audit/k8s_audit_selected.ndjson";
    private static final String TRACES = "k8s_audit/falco_trace_files/";

    private final KubernetesAuditParser parser = new KubernetesAuditParser();

    // ---------------------------------------------------------------------------------------------- real samples

    @Test
    void shouldParseEverySelectedAuditLine() throws Exception {
        List<String> lines = Samples.lines(SELECTED);
        assertThat(lines).hasSize(22);
        for (String line : lines) {
            SecurityEvent event = parseOne(line);
            assertThat(event.getSourceFormat()).isEqualTo("k8s-audit");
            assertThat(event.getEvent().getKind()).isEqualTo("event");
            assertThat(event.getEvent().getDataset()).isEqualTo("kubernetes.audit");
            assertThat(event.getEvent().getCategory()).startsWith("iam");
            assertThat(event.getEvent().getOutcome()).isEqualTo("success");
            assertThat(event.getKubernetesAudit().getAuditId()).isNotBlank();
            assertThat(event.getKubernetesAudit().getDecision()).isEqualTo("allow");
            assertThat(event.getKubernetesAudit().getSourceIps()).isNotEmpty();
            assertThat(event.getUser().getName()).isNotBlank();
            assertThat(event.getTimestamp()).isBetween(1_500_000_000_000_000_000L, 1_600_000_000_000_000_000L);
            assertThat(event.getOriginal()).isEqualTo(line);
        }
    }

    @Test
    void shouldParseEveryTraceFileThroughTheRealFramingAndRejectTheMalformedOne() throws Exception {
        List<Path> files;
        try (Stream<Path> listing = Files.list(Samples.path(TRACES))) {
            files = listing.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
        assertThat(files).hasSize(47);
        int events = 0;
        for (Path file : files) {
            String name = file.getFileName().toString();
            InMemoryIngest.Result result = InMemoryIngest.run(Files.readAllBytes(file), name, Parsers.forFormat("k8s-audit"));
            if (name.equals("fal_01_003.json")) {
                assertThat(result.events()).isEmpty();
                assertThat(result.deadLetters()).singleElement().satisfies(letter -> {
                    assertThat(letter.getError())
                            .isEqualTo("not a Kubernetes audit event: 'kind' must be \"Event\" or \"EventList\", got a number");
                    assertThat(letter.getOrigin()).isEqualTo("fal_01_003.json:1");
                });
                continue;
            }
            assertThat(result.deadLetters()).as(name).isEmpty();
            assertThat(result.events()).as(name).hasSize((int) result.recordsIn());
            events += result.events().size();
        }
        assertThat(events).isEqualTo(51);
    }

    @Test
    void shouldMapPodExecWithMicrosecondTimeDecisionAndCommand() throws Exception {
        SecurityEvent event = parseOne(trace("exec_pod.json"));
        assertThat(event.getTimestamp()).isEqualTo(1_540_561_114_902_914_000L);
        assertThat(event.getEvent().getAction()).isEqualTo("create pods/exec");
        assertThat(event.getEvent().getCategory()).containsExactly("iam", "process");
        assertThat(event.getEvent().getType()).containsExactly("start", "allowed");
        assertThat(event.getEvent().getOutcome()).isEqualTo("success");

        KubernetesAudit audit = event.getKubernetesAudit();
        assertThat(audit.getAuditId()).isEqualTo("ca1ed9f4-7bf4-4c85-81a8-1b11253d1ba6");
        assertThat(audit.getStage()).isEqualTo("ResponseStarted");
        assertThat(audit.getVerb()).isEqualTo("create");
        assertThat(audit.getResource()).isEqualTo("pods");
        assertThat(audit.getSubresource()).isEqualTo("exec");
        assertThat(audit.getObjectNamespace()).isEqualTo("default");
        assertThat(audit.getObjectName()).isEqualTo("nginx-deployment-7998647bdf-phvq7");
        assertThat(audit.getApiGroup()).isNull();
        assertThat(audit.getSubjectUser()).isEqualTo("minikube-user");
        assertThat(audit.getSubjectGroups()).containsExactly("system:masters", "system:authenticated");
        assertThat(audit.getSubjectServiceaccount()).isNull();
        assertThat(audit.getSourceIps()).containsExactly("192.168.99.1");
        assertThat(audit.getResponseCode()).isEqualTo(101);
        assertThat(audit.getDecision()).isEqualTo("allow");
        assertThat(audit.getReason()).isNull();
        assertThat(audit.getRequestUri()).startsWith("/api/v1/namespaces/default/pods/nginx-deployment-7998647bdf-phvq7/exec?");

        assertThat(event.getUser().getName()).isEqualTo("minikube-user");
        assertThat(event.getSource().getIp()).isEqualTo("192.168.99.1");
        assertThat(event.getKubernetes().getNamespace()).isEqualTo("default");
        assertThat(event.getKubernetes().getPod()).isEqualTo("nginx-deployment-7998647bdf-phvq7");
        assertThat(event.getAttributes())
                .containsEntry("k8s.audit.exec.command", "bash")
                .containsEntry("k8s.audit.exec.container", "nginx1")
                .containsEntry("k8s.audit.exec.tty", "true")
                .containsEntry("k8s.audit.exec.stdin", "true")
                .containsEntry("k8s.audit.level", "Request")
                .containsEntry("k8s.audit.request_received_timestamp", "2018-10-26T13:38:34.867116Z")
                .containsEntry("k8s.audit.object_api_version", "v1")
                .containsEntry("k8s.audit.annotations.authorization.k8s.io/decision", "allow")
                .containsEntry("k8s.audit.annotations.authorization.k8s.io/reason", "");
    }

    @Test
    void shouldTreatWebSocketExecAsGetAndAttachAsSessions() throws Exception {
        SecurityEvent get = parseOne(edit(trace("exec_pod.json"), root -> root.put("verb", "get")
                .put("requestURI", "/api/v1/namespaces/default/pods/web-0/exec?command=sh&command=-c&command=id%20-u&container=web&stdin=true")));
        assertThat(get.getEvent().getAction()).isEqualTo("get pods/exec");
        assertThat(get.getEvent().getCategory()).containsExactly("iam", "process");
        assertThat(get.getEvent().getType()).containsExactly("start", "allowed");
        assertThat(get.getAttributes()).containsEntry("k8s.audit.exec.command", "sh -c id -u")
                .containsEntry("k8s.audit.exec.container", "web")
                .doesNotContainKey("k8s.audit.exec.tty");

        SecurityEvent attach = parseOne(trace("attach_pod.json"));
        assertThat(attach.getEvent().getAction()).isEqualTo("create pods/attach");
        assertThat(attach.getKubernetesAudit().getSubresource()).isEqualTo("attach");
        assertThat(attach.getAttributes()).containsEntry("k8s.audit.attach.container", "nginx1");

        SecurityEvent malformedUri = parseOne(edit(trace("exec_pod.json"), root ->
                root.put("requestURI", "/api/v1/namespaces/default/pods/p/exec?command=%zz&container")));
        assertThat(malformedUri.getAttributes()).containsEntry("k8s.audit.exec.command", "%zz")
                .containsEntry("k8s.audit.exec.container", "");
    }

    @Test
    void shouldSummarizePrivilegedPodCreatedByAServiceAccount() throws Exception {
        SecurityEvent event = parseOne(trace("create_nginx_pod_privileged.json"));
        KubernetesAudit audit = event.getKubernetesAudit();
        assertThat(audit.getSubjectServiceaccount()).isEqualTo("kube-system/replicaset-controller");
        assertThat(audit.getSubjectGroups()).contains("system:serviceaccounts:kube-system");
        assertThat(audit.getSourceIps()).containsExactly("::1");
        assertThat(audit.getReason()).startsWith("RBAC: allowed by ClusterRoleBinding \"system:controller:replicaset-controller\"");
        assertThat(audit.getObjectName()).isEqualTo("nginx-deployment-5cdcc99dbf-rgw6z");
        assertThat(event.getKubernetes().getPod()).isEqualTo("nginx-deployment-5cdcc99dbf-rgw6z");
        assertThat(event.getUser().getId()).isEqualTo("8d5e1349-d30f-11e8-96d9-080027728ac4");
        assertThat(event.getEvent().getCategory()).containsExactly("iam", "configuration");
        assertThat(event.getEvent().getType()).containsExactly("creation", "allowed");
        assertThat(event.getEvent().getAction()).isEqualTo("create");
        PodSpecFacts pod = event.getKubernetes().getPodSpec();
        assertThat(pod.getPrivileged()).isTrue();
        assertThat(pod.getPrivilegedContainers()).containsExactly("nginx");
        assertThat(pod.getImages()).containsExactly("nginx");
        assertThat(pod.getHostNetwork()).isNull();
        assertThat(pod.getHostPathMounts()).isEmpty();
        assertThat(pod.getTemplateOf()).isNull();
        assertThat(event.getAttributes())
                .containsEntry("k8s.audit.object_name_source", "responseObject")
                .containsEntry("k8s.audit.request_object_kind", "Pod");
        assertThat(event.getAttributes().keySet()).noneMatch(key -> key.startsWith("k8s.pod."));
        assertThat(event.getAttributes().get("k8s.audit.request_object"))
                .startsWith("{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"generateName\":\"nginx-deployment-5cdcc99dbf-\"")
                .contains("\"securityContext\":{\"privileged\":true}");
    }

    @Test
    void shouldKeepEveryAnnotationIncludingPodSecurityOnes() throws Exception {
        SecurityEvent event = parseOne(edit(trace("create_nginx_pod_privileged.json"), root -> ((ObjectNode) root.get("annotations"))
                .put("pod-security.kubernetes.io/enforce-policy", "baseline:latest")
                .put("pod-security.kubernetes.io/audit-violations", "would violate PodSecurity \"restricted:latest\": privileged")));
        assertThat(event.getAttributes())
                .containsEntry("k8s.audit.annotations.pod-security.kubernetes.io/enforce-policy", "baseline:latest")
                .containsEntry("k8s.audit.annotations.pod-security.kubernetes.io/audit-violations",
                        "would violate PodSecurity \"restricted:latest\": privileged")
                .containsEntry("k8s.audit.annotations.authorization.k8s.io/decision", "allow");
    }

    private PodSpecFacts podSpec(String record) throws Exception {
        return parseOne(record).getKubernetes().getPodSpec();
    }

    @Test
    void shouldSummarizeEachPodSecuritySampleCase() throws Exception {
        PodSpecFacts second = podSpec(trace("create_nginx_pod_privileged_2nd_container.json"));
        assertThat(second.getPrivilegedContainers()).containsExactly("mysql");
        assertThat(second.getImages()).containsExactly("nginx", "mysql:latest");
        PodSpecFacts noContext = podSpec(trace("create_nginx_pod_no_secctx_1st_container_privileged_2nd_container.json"));
        assertThat(noContext.getPrivileged()).isTrue();
        assertThat(noContext.getPrivilegedContainers()).containsExactly("mysql");
        PodSpecFacts unprivileged = podSpec(trace("create_nginx_pod_unprivileged.json"));
        assertThat(unprivileged.getPrivileged()).isNull();
        assertThat(unprivileged.getPrivilegedContainers()).isEmpty();
        assertThat(unprivileged.getImages()).isNotEmpty();
        assertThat(podSpec(trace("create_nginx_pod_hostnetwork.json")).getHostNetwork()).isTrue();
        assertThat(podSpec(trace("create_nginx_pod_nohostnetwork.json")).getHostNetwork()).isNull();
        assertThat(podSpec(trace("create_nginx_pod_sensitive_mount.json")).getHostPathMounts()).containsExactly("/etc");
        PodSpecFacts secondMount = podSpec(trace("create_nginx_pod_sensitive_mount_2nd_container.json"));
        assertThat(secondMount.getHostPathMounts()).containsExactly("/etc");
        assertThat(secondMount.getImages()).containsExactly("nginx", "mysql:latest");
        SecurityEvent kubeSystem = parseOne(trace("create_pod_kube_system_namespace.json"));
        assertThat(kubeSystem.getKubernetes().getNamespace()).isEqualTo("kube-system");
        // A node reading a pod: the response body is not a request, so no pod summary.
        SecurityEvent read = parseOne(trace("create_nginx_pod_unsensitive_mount.json"));
        assertThat(read.getEvent().getType()).containsExactly("access", "allowed");
        assertThat(read.getEvent().getCategory()).containsExactly("iam");
        assertThat(read.getKubernetes() == null ? null : read.getKubernetes().getPodSpec()).isNull();
        SecurityEvent deployment = parseOne(trace("create_deployment.json"));
        assertThat(deployment.getKubernetes().getPodSpec().getTemplateOf()).isEqualTo("Deployment");
        assertThat(deployment.getKubernetes().getPodSpec().getImages()).containsExactly("nginx");
        assertThat(deployment.getKubernetesAudit().getApiGroup()).isEqualTo("extensions");
    }

    @Test
    void shouldSummarizeEveryHostAndPrivilegeSettingOfAPodSpec() throws Exception {
        SecurityEvent event = parseOne(edit(trace("create_nginx_pod_sensitive_mount_2nd_container.json"), root -> {
            ObjectNode spec = (ObjectNode) root.get("requestObject").get("spec");
            spec.put("hostPID", true).put("hostIPC", true).put("serviceAccountName", "builder");
            spec.putObject("securityContext").put("runAsUser", 0);
            ((ArrayNode) spec.get("volumes")).addObject().put("name", "sock").putObject("hostPath").put("path", "/var/run/docker.sock");
            ObjectNode first = (ObjectNode) spec.get("containers").get(0);
            ObjectNode context = first.putObject("securityContext");
            context.put("allowPrivilegeEscalation", true).put("runAsNonRoot", false);
            context.putObject("capabilities").putArray("add").add("SYS_ADMIN").add("NET_ADMIN");
            first.putArray("ports").addObject().put("containerPort", 80).put("hostPort", 8080);
            spec.putArray("initContainers").addObject().put("name", "init").put("image", "busybox:1.36")
                    .putObject("securityContext").put("privileged", true);
        }));
        assertThat(event.getKubernetes().getPodSpec()).isEqualTo(PodSpecFacts.newBuilder()
                .setHostPid(true)
                .setHostIpc(true)
                .setHostPathMounts(List.of("/etc", "/var/run/docker.sock"))
                .setCapabilitiesAdded(List.of("SYS_ADMIN", "NET_ADMIN"))
                .setAllowPrivilegeEscalation(true)
                .setRunAsRootExplicit(true)
                .setRunAsNonRootDisabled(true)
                .setHostPorts(List.of(8080))
                .setServiceAccount("builder")
                .setPrivileged(true)
                .setPrivilegedContainers(List.of("init"))
                .setImages(List.of("busybox:1.36", "nginx", "mysql:latest"))
                .build());

        // A strategic-merge patch of odd shape is summarized as far as it goes and never rejected.
        SecurityEvent patch = parseOne(edit(trace("create_nginx_pod_privileged.json"), root -> {
            root.put("verb", "patch");
            ObjectNode spec = (ObjectNode) root.get("requestObject").get("spec");
            spec.put("containers", "not-a-list").put("hostNetwork", "true").putArray("volumes").add(3);
        }));
        assertThat(patch.getKubernetes().getPodSpec().getHostNetwork()).isTrue();
        assertThat(patch.getKubernetes().getPodSpec().getImages()).isEmpty();
        assertThat(patch.getEvent().getType()).containsExactly("change", "allowed");
    }

    @Test
    void shouldKeepRoleRefSubjectsAndRulesOfRbacWrites() throws Exception {
        SecurityEvent binding = parseOne(trace("attach_cluster_admin_role.json"));
        assertThat(binding.getEvent().getCategory()).containsExactly("iam");
        assertThat(binding.getEvent().getType()).containsExactly("creation", "allowed");
        assertThat(binding.getKubernetesAudit().getApiGroup()).isEqualTo("rbac.authorization.k8s.io");
        assertThat(binding.getKubernetesAudit().getResource()).isEqualTo("clusterrolebindings");
        assertThat(binding.getKubernetesAudit().getObjectName()).isEqualTo("some-reader-binding");
        assertThat(binding.getKubernetes()).isNull();
        assertThat(binding.getAttributes())
                .containsEntry("k8s.rbac.role_ref.kind", "ClusterRole")
                .containsEntry("k8s.rbac.role_ref.name", "cluster-admin")
                .containsEntry("k8s.rbac.role_ref", "{\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"ClusterRole\",\"name\":\"cluster-admin\"}")
                .containsEntry("k8s.rbac.subjects", "[{\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"User\",\"name\":\"minikube\"}]");

        assertThat(parseOne(trace("create_cluster_role_wildcard_verbs.json")).getAttributes())
                .containsEntry("k8s.rbac.wildcard", "true");
        assertThat(parseOne(trace("create_cluster_role_wildcard_resources.json")).getAttributes())
                .containsEntry("k8s.rbac.wildcard", "true");
        SecurityEvent role = parseOne(trace("create_clusterrole.json"));
        assertThat(role.getAttributes()).doesNotContainKey("k8s.rbac.wildcard");
        assertThat(role.getAttributes().get("k8s.rbac.rules")).startsWith("[{\"apiGroups\":[\"\"],\"resources\":[\"pods\"]");

        SecurityEvent delete = parseOne(trace("delete_clusterrolebinding.json"));
        assertThat(delete.getEvent().getType()).containsExactly("deletion", "allowed");
        assertThat(delete.getAttributes()).doesNotContainKey("k8s.rbac.role_ref");
    }

    @Test
    void shouldMapSecretsServiceAccountsUserAgentsAndRedactSecretValues() throws Exception {
        SecurityEvent secret = parseOne(trace("create_kube_system_secret.json"));
        assertThat(secret.getKubernetesAudit().getUserAgent()).isEqualTo("kubeadm/v1.16.2 (linux/amd64) kubernetes/c97fe50");
        assertThat(secret.getKubernetesAudit().getObjectNamespace()).isEqualTo("kube-system");
        assertThat(secret.getKubernetesAudit().getResource()).isEqualTo("secrets");
        assertThat(secret.getKubernetes().getPod()).isNull();
        assertThat(secret.getEvent().getCategory()).containsExactly("iam", "configuration");
        assertThat(secret.getAttributes()).containsEntry("k8s.audit.level", "Metadata").doesNotContainKey("k8s.audit.request_object");

        SecurityEvent token = parseOne(trace("create_service_account_token_secret.json"));
        assertThat(token.getKubernetesAudit().getSubjectUser()).isEqualTo("system:kube-controller-manager");
        assertThat(token.getKubernetesAudit().getUserAgent()).endsWith("/tokens-controller");

        SecurityEvent account = parseOne(trace("create_serviceaccount_kube_system_namespace.json"));
        assertThat(account.getEvent().getCategory()).containsExactly("iam");

        SecurityEvent withBody = parseOne(edit(trace("create_secret.json"), root -> {
            root.put("level", "Request");
            ObjectNode body = root.putObject("requestObject");
            body.put("kind", "Secret").put("apiVersion", "v1");
            body.putObject("metadata").put("name", "example-secret").putObject("annotations")
                    .put("kubectl.kubernetes.io/last-applied-configuration", "{\"data\":{\"password\":\"czNjcjN0\"}}");
            body.putObject("data").put("password", "czNjcjN0").put("user", "YWRtaW4=");
            body.putObject("stringData").put("token", "plain-text-token");
        }));
        String kept = withBody.getAttributes().get("k8s.audit.request_object");
        assertThat(kept).contains("\"password\":\"<redacted>\"", "\"user\":\"<redacted>\"", "\"token\":\"<redacted>\"")
                .doesNotContain("czNjcjN0", "YWRtaW4=", "plain-text-token");
    }

    @Test
    void shouldMapImpersonationAndUserExtra() throws Exception {
        SecurityEvent event = parseOne(edit(trace("exec_pod.json"), root -> {
            ObjectNode user = (ObjectNode) root.get("user");
            user.put("username", "system:serviceaccount:ci:deployer").put("uid", "42");
            user.putObject("extra").putArray("authentication.kubernetes.io/pod-name").add("runner-7");
            ObjectNode impersonated = root.putObject("impersonatedUser");
            impersonated.put("username", "alice@example.com").put("uid", "u-1");
            impersonated.putArray("groups").add("system:masters").add("admins");
            impersonated.putObject("extra").putArray("scopes").add("view").add("edit");
            root.putArray("sourceIPs").add("10.0.0.7").add("172.16.0.1");
        }));
        KubernetesAudit audit = event.getKubernetesAudit();
        assertThat(audit.getSubjectUser()).isEqualTo("system:serviceaccount:ci:deployer");
        assertThat(audit.getSubjectServiceaccount()).isEqualTo("ci/deployer");
        assertThat(audit.getImpersonatedUser()).isEqualTo("alice@example.com");
        assertThat(audit.getSourceIps()).containsExactly("10.0.0.7", "172.16.0.1");
        assertThat(event.getSource().getIp()).isEqualTo("10.0.0.7");
        assertThat(event.getUser().getId()).isEqualTo("42");
        assertThat(event.getAttributes())
                .containsEntry("k8s.audit.impersonated_groups", "system:masters,admins")
                .containsEntry("k8s.audit.impersonated_uid", "u-1")
                .containsEntry("k8s.audit.impersonated_extra.scopes", "view,edit")
                .containsEntry("k8s.audit.user.extra.authentication.kubernetes.io/pod-name", "runner-7");

        assertThat(KubernetesAuditParser.serviceAccount("system:serviceaccount:ns")).isNull();
        assertThat(KubernetesAuditParser.serviceAccount("system:serviceaccount:ns:")).isNull();
        assertThat(KubernetesAuditParser.serviceAccount("system:serviceaccounts:ns")).isNull();
    }

    @Test
    void shouldMapDeniedAndUnauthenticatedRequestsAsFailures() throws Exception {
        SecurityEvent denied = parseOne(edit(trace("create_secret.json"), root -> {
            root.putObject("responseStatus").put("code", 403).put("status", "Failure").put("reason", "Forbidden")
                    .put("message", "secrets is forbidden: User \"bob\" cannot create resource \"secrets\"");
            root.putObject("annotations").put("authorization.k8s.io/decision", "forbid").put("authorization.k8s.io/reason", "");
        }));
        assertThat(denied.getEvent().getOutcome()).isEqualTo("failure");
        assertThat(denied.getEvent().getType()).containsExactly("creation", "denied");
        assertThat(denied.getKubernetesAudit().getDecision()).isEqualTo("forbid");
        assertThat(denied.getKubernetesAudit().getResponseCode()).isEqualTo(403);
        assertThat(denied.getAttributes()).containsEntry("k8s.audit.response.reason", "Forbidden")
                .containsEntry("k8s.audit.response.status", "Failure")
                .containsEntry("k8s.audit.response.message", "secrets is forbidden: User \"bob\" cannot create resource \"secrets\"")
                .doesNotContainKey("k8s.audit.decision_source");

        SecurityEvent unauthenticated = parseOne(edit(trace("create_secret.json"), root -> {
            root.remove("annotations");
            root.putObject("responseStatus").put("code", 401);
            ((ObjectNode) root.get("user")).put("username", "system:anonymous");
        }));
        assertThat(unauthenticated.getEvent().getOutcome()).isEqualTo("failure");
        assertThat(unauthenticated.getKubernetesAudit().getDecision()).isEqualTo("forbid");
        assertThat(unauthenticated.getAttributes()).containsEntry("k8s.audit.decision_source", "response_code");

        SecurityEvent notFound = parseOne(edit(trace("delete_secret.json"), root ->
                ((ObjectNode) root.get("responseStatus")).put("code", 404)));
        assertThat(notFound.getEvent().getOutcome()).isEqualTo("failure");
        assertThat(notFound.getKubernetesAudit().getDecision()).isEqualTo("allow");
    }

    @Test
    void shouldAcceptEveryStageAndFallBackForTheTime() throws Exception {
        String secret = trace("create_secret.json");
        SecurityEvent received = parseOne(edit(secret, root -> {
            root.put("stage", "RequestReceived").remove("responseStatus");
            root.remove("annotations");
        }));
        assertThat(received.getKubernetesAudit().getStage()).isEqualTo("RequestReceived");
        assertThat(received.getEvent().getOutcome()).isEqualTo("unknown");
        assertThat(received.getKubernetesAudit().getDecision()).isNull();
        for (String stage : List.of("ResponseStarted", "ResponseComplete", "Panic")) {
            assertThat(parseOne(edit(secret, root -> root.put("stage", stage))).getKubernetesAudit().getStage()).isEqualTo(stage);
        }
        assertReason(edit(secret, root -> root.put("stage", "Done")),
                "unknown audit stage \"Done\" (expected one of RequestReceived, ResponseStarted, ResponseComplete, Panic)");

        assertThat(parseOne(secret).getTimestamp()).isEqualTo(1_587_491_825_548_299_000L);
        assertThat(parseOne(edit(secret, root -> root.remove("stageTimestamp"))).getTimestamp())
                .isEqualTo(1_587_491_825_541_358_000L);
        String v1beta1 = trace("anonymous_creates_namespace_foo.json");
        assertThat(parseOne(edit(v1beta1, root -> root.remove(List.of("stageTimestamp", "requestReceivedTimestamp"))))
                .getTimestamp()).isEqualTo(1_540_475_929_000_000_000L);
        assertReason(edit(secret, root -> root.remove(List.of("stageTimestamp", "requestReceivedTimestamp"))),
                "missing event time: none of 'stageTimestamp', 'requestReceivedTimestamp', 'timestamp' is present");
        assertReason(edit(secret, root -> root.put("stageTimestamp", "2020-04-21 17:57")),
                "field 'stageTimestamp' is not an RFC 3339 timestamp");
    }

    @Test
    void shouldExpandAnEventListIntoOneEventPerItem() throws Exception {
        List<String> lines = Samples.lines(SELECTED);
        ObjectNode list = eventList(lines.get(0), lines.get(6), lines.get(10));
        byte[] record = SafeJson.mapper().writeValueAsBytes(list);

        List<SecurityEvent> events = parser.parse(record, "webhook");
        assertThat(events).hasSize(3);
        assertThat(events).extracting(e -> e.getEvent().getAction()).containsExactly("create pods/exec", "create", "create");
        assertThat(events).extracting(e -> e.getKubernetesAudit().getResource())
                .containsExactly("pods", "clusterrolebindings", "pods");
        assertThat(events).extracting(SecurityEvent::getId).doesNotHaveDuplicates();
        assertThat(events.get(0).getOriginal()).isEqualTo(list.get("items").get(0).toString());
        assertThat(events.get(0).getTimestamp()).isEqualTo(1_540_561_114_902_914_000L);
        assertThat(parser.parse(record, "again")).extracting(SecurityEvent::getId)
                .containsExactlyElementsOf(events.stream().map(SecurityEvent::getId).toList());

        // Pretty-printed over many lines, as a webhook body saved to a file would be.
        byte[] pretty = SafeJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(list);
        InMemoryIngest.Result result = InMemoryIngest.run(pretty, "webhook.json", parser);
        assertThat(result.deadLetters()).isEmpty();
        assertThat(result.events()).hasSize(3);
        assertThat(result.recordsIn()).isEqualTo(1);
    }

    @Test
    void shouldRejectAWholeEventListWhenOneItemIsBad() throws Exception {
        List<String> lines = Samples.lines(SELECTED);
        ObjectNode list = eventList(lines.get(0), lines.get(1), lines.get(2));
        ((ObjectNode) list.get("items").get(1)).put("objectRef", "pods/exec");
        assertReason(list.toString(), "EventList item 1: field 'objectRef' must be an object, got a string");

        ObjectNode wrongItem = eventList(lines.get(0));
        ((ArrayNode) wrongItem.get("items")).add(7);
        assertReason(wrongItem.toString(), "EventList item 1: expected an audit Event object, got a number");
        ObjectNode podItem = eventList(lines.get(0));
        ((ArrayNode) podItem.get("items")).addObject().put("kind", "Pod").put("apiVersion", "v1");
        assertReason(podItem.toString(), "EventList item 1: not a Kubernetes audit event: it is a Pod (v1) object");

        ObjectNode empty = eventList();
        assertReason(empty.toString(), "EventList has no items: nothing to normalize");
        empty.put("items", "none");
        assertReason(empty.toString(), "field 'items' must be an array, got a string");
        empty.remove("items");
        assertReason(empty.toString(), "EventList has no 'items' field");
    }

    @Test
    void shouldSayWhatARecordIsWhenItIsNotAnAuditEvent() throws Exception {
        ObjectNode policy = SafeJson.mapper().createObjectNode();
        policy.put("apiVersion", "audit.k8s.io/v1").put("kind", "Policy").putArray("omitStages").add("RequestReceived");
        assertReason(policy.toString(), "not a Kubernetes audit event: it is a Policy (audit.k8s.io/v1) object");

        String clusterEvent = edit(trace("exec_pod.json"), root -> root.put("apiVersion", "v1"));
        assertReason(clusterEvent, "not a Kubernetes audit event: a Event of v1 is a cluster event (kubectl get events)");
        assertReason(edit(trace("exec_pod.json"), root -> root.put("apiVersion", "events.k8s.io/v1")), "is a cluster event");
        assertReason(edit(trace("exec_pod.json"), root -> root.put("apiVersion", "audit.k8s.io/v2")),
                "unsupported audit apiVersion \"audit.k8s.io/v2\" (expected audit.k8s.io/v1 or audit.k8s.io/v1beta1)");
        assertReason(edit(trace("exec_pod.json"), root -> root.put("apiVersion", 1)), "field 'apiVersion' must be a string, got a number");
        assertReason(trace("fal_01_003.json"), "not a Kubernetes audit event: 'kind' must be \"Event\" or \"EventList\", got a number");
        assertReason("{}", "not a Kubernetes audit event: it has no 'kind' (keys found: none)");
        assertReason(edit(trace("exec_pod.json"), root -> root.remove(List.of("kind", "auditID"))),
                "not a Kubernetes audit event: it has no 'kind' (keys found: annotations, level, metadata, objectRef,");
        SecurityEvent untyped = parseOne(edit(trace("create_secret.json"), root -> root.remove(List.of("kind", "apiVersion"))));
        assertThat(untyped.getKubernetesAudit().getAuditId()).isEqualTo("55a81824-ab56-46c5-8b02-96336f5e78d7");
        String tetragon = Samples.lines("tetragon/tetragon_docs_events.ndjson").get(0);
        assertReason(tetragon, "not a Kubernetes audit event: it has no 'kind' (keys found: process_exec, node_name, time)");
    }

    // ---------------------------------------------------------------------------------------------- hostile input

    @Test
    void shouldRejectBrokenAndWrongTypedRecordsWithPreciseReasons() throws Exception {
        String exec = trace("exec_pod.json");
        assertReason(exec.substring(0, exec.length() / 2), "invalid JSON");
        assertReason("[" + exec + "]", "expected a JSON object, got an array");
        assertReason("null", "expected a JSON object, got null");
        assertReason("", "empty record");
        assertReason("42", "expected a JSON object, got a number");
        assertReason(exec + "\n{}", "invalid JSON");
        assertReason(exec.replace("\"verb\":\"create\"", "\"verb\":\"create\",\"verb\":\"get\""), "Duplicate field 'verb'");
        assertReason(edit(exec, root -> root.put("objectRef", "pods/exec")), "field 'objectRef' must be an object, got a string");
        assertReason(edit(exec, root -> root.putArray("user")), "field 'user' must be an object, got an array");
        assertReason(edit(exec, root -> root.remove("user")), "missing required field 'user'");
        assertReason(edit(exec, root -> root.remove("verb")), "missing required field 'verb'");
        assertReason(edit(exec, root -> root.remove("stage")), "missing required field 'stage'");
        assertReason(edit(exec, root -> root.putObject("verb")), "field 'verb' must be a scalar, got an object");
        assertReason(edit(exec, root -> root.put("sourceIPs", "192.168.99.1")), "field 'sourceIPs' must be an array, got a string");
        assertReason(edit(exec, root -> ((ObjectNode) root.get("user")).put("groups", 5)),
                "in 'user': field 'groups' must be an array, got a number");
        assertReason(edit(exec, root -> ((ObjectNode) root.get("user")).putObject("extra").put("scopes", "x")),
                "in 'user': field 'scopes' must be an array, got a string");
        assertReason(edit(exec, root -> root.putObject("impersonatedUser").putArray("username")),
                "in 'impersonatedUser': field 'username' must be a scalar, got an array");
        assertReason(edit(exec, root -> ((ObjectNode) root.get("objectRef")).putArray("namespace")),
                "in 'objectRef': field 'namespace' must be a scalar, got an array");
        assertReason(edit(exec, root -> ((ObjectNode) root.get("responseStatus")).put("code", "abc")),
                "in 'responseStatus': field 'code' must be a whole number, got \"abc\"");
        assertReason(edit(exec, root -> root.putArray("annotations")), "field 'annotations' must be an object, got an array");
        assertReason(edit(exec, root -> ((ObjectNode) root.get("annotations")).putObject("authorization.k8s.io/decision")),
                "in 'annotations': field 'authorization.k8s.io/decision' must be a scalar, got an object");

        SecurityEvent oddCode = parseOne(edit(exec, root -> ((ObjectNode) root.get("responseStatus")).put("code", 99_999)));
        assertThat(oddCode.getKubernetesAudit().getResponseCode()).isNull();
    }

    @Test
    @Timeout(30)
    void shouldRejectDeeplyNestedJsonWithoutStackOverflow() throws Exception {
        assertReason("[".repeat(10_000), "JSON exceeds a safety limit");
        String deepBody = trace("exec_pod.json").replace("\"verb\":\"create\"",
                "\"verb\":\"create\",\"requestObject\":" + "{\"a\":".repeat(10_000) + "1" + "}".repeat(10_000));
        assertReason(deepBody, "JSON exceeds a safety limit");
    }

    @Test
    @Timeout(30)
    void shouldRejectHugeStringsAndOmitLargeRequestBodies() throws Exception {
        String huge = edit(trace("exec_pod.json"), root -> root.put("userAgent", "x".repeat(2 * 1024 * 1024)));
        assertReason(huge, "JSON exceeds a safety limit");

        SecurityEvent big = parseOne(edit(trace("create_configmap_sensitive_values.json"), root ->
                ((ObjectNode) root.get("requestObject")).putObject("data").put("blob", "b".repeat(100_000))));
        assertThat(big.getAttributes()).doesNotContainKey("k8s.audit.request_object");
        assertThat(Integer.parseInt(big.getAttributes().get("k8s.audit.request_object.omitted_chars"))).isGreaterThan(100_000);
    }

    @Test
    void shouldRejectInvalidUtf8() throws Exception {
        byte[] bytes = trace("exec_pod.json").getBytes(UTF_8);
        int at = trace("exec_pod.json").indexOf("minikube-user");
        bytes[at] = (byte) 0xE2; // a three-byte lead followed by ASCII
        assertThatThrownBy(() -> parser.parse(bytes, "t")).isInstanceOf(ParseException.class).hasMessageContaining("UTF-8");
    }

    @Test
    @Timeout(30)
    void shouldNeverThrowAnythingButParseExceptionForMutatedRealRecords() throws Exception {
        byte[] bytes = trace("attach_cluster_admin_role.json").getBytes(UTF_8);
        dev.bulwark.ingest.RecordMutations.forEach(bytes, 5, 11, this::assertParsesOrRejects);
    }

    // ---------------------------------------------------------------------------------------------- helpers

    private void assertParsesOrRejects(byte[] record) {
        try {
            assertThat(parser.parse(record, "fuzz")).isNotEmpty();
        } catch (ParseException e) {
            assertThat(e.getMessage()).isNotBlank();
        }
    }

    private SecurityEvent parseOne(String record) throws ParseException {
        List<SecurityEvent> events = parser.parse(record.getBytes(UTF_8), "test:1");
        assertThat(events).hasSize(1);
        return events.get(0);
    }

    private void assertReason(String record, String reason) {
        assertThatThrownBy(() -> parser.parse(record.getBytes(UTF_8), "test:1"))
                .isInstanceOf(ParseException.class)
                .hasMessageContaining(reason);
    }

    /** The first record of a trace file. */
    private static String trace(String file) throws IOException {
        return Samples.lines(TRACES + file).get(0);
    }

    /** A webhook-style EventList of real audit lines. */
    private static ObjectNode eventList(String... lines) throws IOException {
        ObjectNode list = SafeJson.mapper().createObjectNode();
        list.put("kind", "EventList").put("apiVersion", "audit.k8s.io/v1").putObject("metadata");
        ArrayNode items = list.putArray("items");
        for (String line : lines) {
            items.add(SafeJson.mapper().readTree(line));
        }
        return list;
    }

    /** A real record changed through Jackson's tree model, serialized compactly. */
    private static String edit(String record, Consumer<ObjectNode> change) throws IOException {
        ObjectNode root = (ObjectNode) SafeJson.mapper().readTree(record);
        change.accept(root);
        return SafeJson.mapper().writeValueAsString(root);
    }
}
