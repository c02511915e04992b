package dev.bulwark.cli;

import static dev.bulwark.cli.KubernetesManifests.JSON;
import static dev.bulwark.cli.KubernetesManifests.describe;
import static dev.bulwark.cli.KubernetesManifests.kind;
import static dev.bulwark.cli.KubernetesManifests.name;
import static dev.bulwark.cli.KubernetesManifests.one;
import static dev.bulwark.cli.KubernetesManifests.rendered;
import static dev.bulwark.cli.KubernetesManifests.workloads;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.bulwark.detectors.isolation.HostAccessDetector;
import dev.bulwark.detectors.isolation.WeakenedIsolationDetector;
import dev.bulwark.detectors.testkit.DetectorTestKit;
import dev.bulwark.ingest.ContextUpdate;
import dev.bulwark.ingest.k8saudit.KubernetesAuditParser;
import dev.bulwark.ingest.k8sobjects.KubernetesObjectsParser;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.PodSpecFacts;
import dev.bulwark.schemas.SecurityEvent;

/**
 * Bulwark's own deployment through Bulwark: every rendered object its {@code k8s-objects} ingest reads (the pods each
 * Deployment and StatefulSet makes, service accounts, the binding, network policies, the namespace) through that
 * parser, and through the weakened-isolation and host-access detectors; none may raise a finding. A negative control
 * proves the same path fires on a pod template weakened on purpose.
 *
 * <p>How the detectors see a manifest: weakened-isolation reads the pod facts of Kubernetes audit events, so each
 * workload and each of its pods is admitted as the API server's audit log would record it ({@code create}, allowed,
 * the object as request body) and parsed by Bulwark's own audit parser. host-access reads what a process in a
 * container touches at run time; the test has a process in every container touch every path the container mounts (the
 * most a pod's processes can reach beyond its image), with the pod's UID as Kubernetes would give it.
 */
class KubernetesManifestsDogfoodTest {

    /** Kinds Bulwark's k8s-objects parser reads (KubernetesObjectsParser). */
    private static final Set<String> CONTEXT_KINDS = Set.of("Namespace", "ServiceAccount", "Role", "ClusterRole",
            "RoleBinding", "ClusterRoleBinding", "Pod", "NetworkPolicy");

    static Stream<String> overlays() {
        return KubernetesManifests.OVERLAYS.stream();
    }

    /** The Pod a workload's controller makes from its template, as {@code kubectl get pod -o json} shows it. */
    static ObjectNode podOf(JsonNode workload, int ordinal) {
        String namespace = workload.path("metadata").path("namespace").asText();
        boolean statefulSet = "StatefulSet".equals(kind(workload));
        String owner = statefulSet ? name(workload) : name(workload) + "-5d8f7c9b4d";
        String podName = statefulSet ? owner + "-" + ordinal : owner + "-x" + ordinal + "k2q";
        ObjectNode pod = JSON.createObjectNode().put("apiVersion", "v1").put("kind", "Pod");
        ObjectNode metadata = pod.putObject("metadata").put("name", podName).put("namespace", namespace)
                .put("uid", UUID.nameUUIDFromBytes((namespace + "/" + podName).getBytes(StandardCharsets.UTF_8)).toString())
                .put("creationTimestamp", "2026-01-01T00:00:00Z");
        metadata.set("labels", workload.path("spec").path("template").path("metadata").path("labels").deepCopy());
        metadata.putArray("ownerReferences").addObject().put("apiVersion", "apps/v1")
                .put("kind", statefulSet ? "StatefulSet" : "ReplicaSet").put("name", owner)
                .put("uid", UUID.nameUUIDFromBytes(owner.getBytes(StandardCharsets.UTF_8)).toString())
                .put("controller", true);
        ObjectNode spec = workload.path("spec").path("template").path("spec").deepCopy();
        spec.put("nodeName", "node-" + ordinal);
        pod.set("spec", spec);
        pod.putObject("status").put("phase", "Running").put("podIP", "10.244.0." + (10 + ordinal));
        return pod;
    }

    /** The audit record of the API server admitting {@code object} (create, allowed, by {@code user}). */
    static byte[] admitted(JsonNode object, String resource, String apiGroup, String user, Instant at) throws Exception {
        ObjectNode event = JSON.createObjectNode().put("kind", "Event").put("apiVersion", "audit.k8s.io/v1")
                .put("level", "RequestResponse").put("auditID", UUID.randomUUID().toString())
                .put("stage", "ResponseComplete").put("verb", "create");
        String namespace = object.path("metadata").path("namespace").asText();
        event.put("requestURI", (apiGroup.isEmpty() ? "/api/v1" : "/apis/" + apiGroup + "/v1") + "/namespaces/" + namespace
                + "/" + resource);
        event.putObject("user").put("username", user).putArray("groups").add("system:authenticated");
        event.putArray("sourceIPs").add("10.0.0.1");
        event.put("userAgent", "kubectl/v1.32.4");
        ObjectNode ref = event.putObject("objectRef").put("resource", resource).put("namespace", namespace)
                .put("name", name(object)).put("apiVersion", "v1");
        if (!apiGroup.isEmpty()) {
            ref.put("apiGroup", apiGroup);
        }
        event.putObject("responseStatus").put("code", 201);
        event.set("requestObject", object);
        event.put("requestReceivedTimestamp", at.toString()).put("stageTimestamp", at.toString());
        event.putObject("annotations").put("authorization.k8s.io/decision", "allow").put("authorization.k8s.io/reason", "");
        return JSON.writeValueAsBytes(event);
    }

    /** What the weakened-isolation and host-access detectors find in a deployment, and what the parser said. */
    record Outcome(List<ContextUpdate> context, List<Finding> weakened, List<Finding> hostAccess, List<String> deadLetters) {
    }

    static Outcome run(List<ObjectNode> objects) throws Exception {
        KubernetesObjectsParser objectsParser = new KubernetesObjectsParser();
        KubernetesAuditParser auditParser = new KubernetesAuditParser();
        List<ContextUpdate> context = new ArrayList<>();
        List<ObjectNode> pods = new ArrayList<>();
        for (ObjectNode workload : workloads(objects)) {
            int replicas = Math.max(1, Math.min(3, workload.path("spec").path("replicas").asInt(2)));
            for (int ordinal = 0; ordinal < replicas; ordinal++) {
                pods.add(podOf(workload, ordinal));
            }
        }
        List<ObjectNode> inputs = new ArrayList<>(objects.stream().filter(o -> CONTEXT_KINDS.contains(kind(o))).toList());
        inputs.addAll(pods);
        for (ObjectNode object : inputs) {
            context.addAll(objectsParser.parse(JSON.writeValueAsBytes(object), describe(object)));
        }
        List<String> deadLetters = new ArrayList<>();
        List<Finding> weakened;
        try (DetectorTestKit kit = DetectorTestKit.of(new WeakenedIsolationDetector())) {
            context.forEach(update -> kit.send(update.key(), update.value()));
            List<SecurityEvent> admissions = new ArrayList<>();
            for (ObjectNode workload : workloads(objects)) {
                String resource = "StatefulSet".equals(kind(workload)) ? "statefulsets" : "deployments";
                admissions.addAll(auditParser.parse(admitted(workload, resource, "apps", "kubernetes-admin", kit.now()),
                        describe(workload)));
            }
            for (ObjectNode pod : pods) {
                String controller = pod.path("metadata").path("ownerReferences").get(0).path("kind").asText();
                String user = "system:serviceaccount:kube-system:" + ("StatefulSet".equals(controller)
                        ? "statefulset-controller" : "replicaset-controller");
                admissions.addAll(auditParser.parse(admitted(pod, "pods", "", user, kit.now()), describe(pod)));
            }
            assertThat(admissions).as("audit events with the pod facts").allSatisfy(event ->
                    assertThat(event.getKubernetes().getPodSpec()).isNotNull());
            admissions.forEach(kit::send);
            weakened = kit.findings();
            kit.deadLetters().forEach(d -> deadLetters.add(String.valueOf(d.getError())));
        }
        List<Finding> hostAccess;
        try (DetectorTestKit kit = DetectorTestKit.of(new HostAccessDetector())) {
            context.forEach(update -> kit.send(update.key(), update.value()));
            for (ObjectNode pod : pods) {
                for (JsonNode container : pod.path("spec").path("containers")) {
                    List<String> paths = new ArrayList<>(List.of("/opt/bulwark/bin/bulwark", "/opt/bulwark/lib"));
                    container.path("volumeMounts").forEach(mount -> paths.add(mount.path("mountPath").asText()));
                    for (String path : paths) {
                        ObjectNode event = JSON.createObjectNode();
                        event.putObject("kubernetes").put("namespace", pod.path("metadata").path("namespace").asText())
                                .put("pod", name(pod)).put("pod_uid", pod.path("metadata").path("uid").asText());
                        event.putObject("container").put("id", Integer.toHexString((name(pod) + container.path("name")).hashCode()))
                                .put("name", container.path("name").asText());
                        event.putObject("process").put("name", "java").put("executable", "/opt/java/openjdk/bin/java");
                        event.putObject("file").put("path", path);
                        kit.event(JSON.writeValueAsString(event));
                    }
                }
            }
            hostAccess = kit.findings();
            kit.deadLetters().forEach(d -> deadLetters.add(String.valueOf(d.getError())));
        }
        return new Outcome(context, weakened, hostAccess, deadLetters);
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void bulwarksOwnDeploymentRaisesNoFindingOfItsOwnDetectors(String overlay) throws Exception {
        List<ObjectNode> objects = rendered(overlay);
        Outcome outcome = run(objects);
        // The parser read every object it supports, pods with their isolation facts.
        assertThat(outcome.context()).extracting(u -> u.value().getKind())
                .contains("namespace", "serviceaccount", "clusterrolebinding", "networkpolicy", "pod");
        List<PodSpecFacts> pods = outcome.context().stream().filter(u -> "pod".equals(u.value().getKind()))
                .map(u -> u.value().getPodSpec()).toList();
        assertThat(pods).hasSizeGreaterThanOrEqualTo(workloads(objects).size()).allSatisfy(facts -> {
            assertThat(facts.getMayRunAsRoot()).as("may run as root").isNotEqualTo(Boolean.TRUE);
            assertThat(facts.getRunAsRootExplicit()).as("runs as root").isNotEqualTo(Boolean.TRUE);
            assertThat(facts.getPrivileged()).as("privileged").isNotEqualTo(Boolean.TRUE);
            assertThat(facts.getHostPid()).isNotEqualTo(Boolean.TRUE);
            assertThat(facts.getHostNetwork()).isNotEqualTo(Boolean.TRUE);
            assertThat(facts.getHostIpc()).isNotEqualTo(Boolean.TRUE);
            assertThat(facts.getHostPathMounts()).isEmpty();
            assertThat(facts.getCapabilitiesAdded()).isEmpty();
            assertThat(facts.getAllowPrivilegeEscalation()).isNotEqualTo(Boolean.TRUE);
            assertThat(facts.getHostPorts()).isEmpty();
        });
        assertThat(outcome.deadLetters()).isEmpty();
        assertThat(outcome.weakened()).as("weakened-isolation findings").isEmpty();
        assertThat(outcome.hostAccess()).as("host-access findings").isEmpty();
    }

    @Test
    void theSamePathFiresOnAPrivilegedDetectorPodWithTheRuntimeSocket() throws Exception {
        List<ObjectNode> objects = new ArrayList<>(rendered("production"));
        ObjectNode detectors = one(objects, "StatefulSet", "bulwark-detectors").deepCopy();
        objects.replaceAll(o -> kind(o).equals("StatefulSet") ? detectors : o);
        ObjectNode pod = (ObjectNode) detectors.path("spec").path("template").path("spec");
        ObjectNode container = (ObjectNode) pod.path("containers").get(0);
        ((ObjectNode) container.path("securityContext")).put("privileged", true);
        container.withArray("volumeMounts").addObject().put("name", "runtime").put("mountPath", "/var/run/docker.sock");
        pod.withArray("volumes").addObject().put("name", "runtime").putObject("hostPath").put("path", "/var/run/docker.sock");
        assertThat(KubernetesManifestsTest.hardeningProblems(detectors)).anySatisfy(p -> assertThat(p).contains("privileged"))
                .anySatisfy(p -> assertThat(p).contains("hostPath"));

        Outcome outcome = run(objects);
        assertThat(outcome.weakened()).as("weakened-isolation findings").isNotEmpty().allSatisfy(finding -> {
            assertThat(finding.getSeverity()).isEqualTo("high");
            assertThat(finding.getEvidence().getFields().get("risks")).contains("privileged container",
                    "hostPath mount /var/run/docker.sock");
            assertThat(finding.getSummary()).contains("bulwark-detectors");
        });
        assertThat(outcome.hostAccess()).as("host-access findings").isNotEmpty().allSatisfy(finding -> {
            assertThat(finding.getSeverity()).isEqualTo("critical");
            assertThat(finding.getSummary()).contains("bulwark-detectors-").contains("/var/run/docker.sock");
        });
        // Only the weakened workload: its StatefulSet and each of its pods.
        assertThat(outcome.weakened()).allSatisfy(f -> assertThat(f.getSummary()).contains("bulwark-detectors"));
    }
}
