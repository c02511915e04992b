package dev.bulwark.ingest.k8sobjects;

import static dev.bulwark.ingest.k8sobjects.K8sTestSupport.millis;
import static dev.bulwark.ingest.k8sobjects.K8sTestSupport.one;
import static dev.bulwark.ingest.k8sobjects.K8sTestSupport.parse;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.bulwark.ingest.ParseException;
import dev.bulwark.ingest.SafeJson;
import dev.bulwark.schemas.KubernetesAttributes;
import dev.bulwark.schemas.NamedPort;
import dev.bulwark.schemas.OwnerReference;
import dev.bulwark.schemas.PodSpecFacts;
import dev.bulwark.schemas.TenantContext;

class KubernetesObjectsPodTest {

    private static final String APP_ID = "4f1c2a9d8e7b6a5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c";
    private static final String SIDECAR_ID = "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9";
    private static final String INIT_ID = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";

    /** A Deployment's pod with every isolation weakness at once, as kubectl get pod -o json prints it. */
    private static final String RISKY_POD = """
            {
              "apiVersion": "v1",
              "kind": "Pod",
              "metadata": {
                "creationTimestamp": "2026-03-01T08:00:00Z",
                "generateName": "web-5d8f7c9b4-",
                "labels": {"app": "web", "pod-template-hash": "5d8f7c9b4"},
                "name": "web-5d8f7c9b4-x2x7q",
                "namespace": "solar-production",
                "ownerReferences": [{"apiVersion": "apps/v1", "blockOwnerDeletion": true, "controller": true,
                                     "kind": "ReplicaSet", "name": "web-5d8f7c9b4", "uid": "3c0e"}],
                "resourceVersion": "918273",
                "uid": "a8f5f167-f44f-4964-b7cd-8bd5a7b2f1a1"
              },
              "spec": {
                "containers": [
                  {"name": "app", "image": "registry.example.com/solar/web:1.2.3",
                   "securityContext": {"privileged": true, "capabilities": {"add": ["NET_ADMIN", "cap_sys_admin"], "drop": ["ALL"]}}},
                  {"name": "proxy", "image": "envoyproxy/envoy:v1.30.1", "securityContext": {"runAsUser": 0}}
                ],
                "initContainers": [{"name": "init", "image": "busybox:1.36", "securityContext": {"capabilities": {"add": ["NET_ADMIN"]}}}],
                "hostPID": true,
                "hostIPC": false,
                "nodeName": "worker-1.example.internal",
                "serviceAccountName": "web",
                "serviceAccount": "web",
                "securityContext": {"runAsUser": 1000},
                "volumes": [
                  {"name": "sock", "hostPath": {"path": "/run/containerd/containerd.sock", "type": "Socket"}},
                  {"name": "etc", "hostPath": {"path": "/etc"}},
                  {"name": "cfg", "configMap": {"name": "web"}},
                  {"name": "sock-again", "hostPath": {"path": "/run/containerd/containerd.sock"}}
                ]
              },
              "status": {
                "phase": "Running",
                "hostIP": "192.168.10.21",
                "podIP": "10.244.1.7",
                "podIPs": [{"ip": "10.244.1.7"}, {"ip": "fd00:10:244:1::7"}],
                "containerStatuses": [
                  {"name": "app", "containerID": "containerd://%s", "image": "registry.example.com/solar/web:1.2.3", "ready": true},
                  {"name": "proxy", "containerID": "containerd://%s", "ready": true}
                ],
                "initContainerStatuses": [{"name": "init", "containerID": "containerd://%s", "ready": false}]
              }
            }""".formatted(APP_ID, SIDECAR_ID, INIT_ID);

    @Test
    void podCarriesJoinKeysAndEveryIsolationFact() throws Exception {
        TenantContext pod = one(RISKY_POD);
        assertThat(pod.getKind()).isEqualTo("pod");
        assertThat(pod.getKey()).isEqualTo("solar-production/web-5d8f7c9b4-x2x7q");
        assertThat(pod.getNamespace()).isEqualTo("solar-production");
        assertThat(pod.getName()).isEqualTo("web-5d8f7c9b4-x2x7q");
        assertThat(pod.getTenant()).isNull();
        assertThat(pod.getPodIp()).isEqualTo("10.244.1.7");
        assertThat(pod.getImage()).isEqualTo("registry.example.com/solar/web:1.2.3");
        assertThat(pod.getLabels()).containsEntry("app", "web");
        assertThat(pod.getObservedAt()).isEqualTo(millis("2026-03-01T08:00:00Z"));
        assertThat(pod.getAttributes())
                .containsEntry("k8s.pod.ips", "10.244.1.7,fd00:10:244:1::7")
                .containsEntry("k8s.pod.host_ip", "192.168.10.21")
                .containsEntry("k8s.pod.container_ids", APP_ID + "," + SIDECAR_ID + "," + INIT_ID)
                .containsEntry("k8s.pod.container_runtimes", "containerd")
                .containsEntry("k8s.pod.node", "worker-1.example.internal")
                .containsEntry("k8s.pod.phase", "Running")
                .containsEntry("k8s.pod.workload_kind", "Deployment")
                .containsEntry("k8s.pod.workload_name", "web")
                .containsEntry("k8s.uid", "a8f5f167-f44f-4964-b7cd-8bd5a7b2f1a1")
                .containsEntry("k8s.resource_version", "918273")
                .doesNotContainKeys("k8s.pod.images", "k8s.pod.service_account", "k8s.owner_kind", "k8s.pod.privileged");
        assertThat(pod.getOwner()).isEqualTo(OwnerReference.newBuilder().setKind("ReplicaSet").setName("web-5d8f7c9b4")
                .setApiVersion("apps/v1").build());
        PodSpecFacts facts = pod.getPodSpec();
        assertThat(facts.getImages())
                .containsExactly("registry.example.com/solar/web:1.2.3", "envoyproxy/envoy:v1.30.1", "busybox:1.36");
        assertThat(facts.getServiceAccount()).isEqualTo("web");
        assertThat(facts.getPrivileged()).isTrue();
        assertThat(facts.getHostPid()).isTrue();
        assertThat(facts.getHostNetwork()).isFalse();
        assertThat(facts.getHostIpc()).isFalse();
        assertThat(facts.getHostPathMounts()).containsExactly("/run/containerd/containerd.sock", "/etc");
        assertThat(facts.getCapabilitiesAdded()).containsExactly("NET_ADMIN", "SYS_ADMIN");
        assertThat(facts.getMayRunAsRoot()).isTrue();
        assertThat(facts.getRunAsRootExplicit()).isTrue();
        assertThat(facts.getTemplateOf()).isNull();
    }

    @Test
    void restrictedPodHasNoIsolationWeakness() throws Exception {
        TenantContext pod = one("""
                {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "api-0", "namespace": "team-a",
                  "ownerReferences": [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "api", "controller": true}]},
                 "spec": {"securityContext": {"runAsNonRoot": true},
                          "containers": [{"name": "api", "image": "ghcr.io/acme/api@sha256:0123",
                                          "securityContext": {"allowPrivilegeEscalation": false,
                                                              "capabilities": {"drop": ["ALL"]}}},
                                         {"name": "log", "image": "fluent-bit:3", "securityContext": {"runAsUser": 65534}}]},
                 "status": {"phase": "Pending"}}""");
        assertThat(pod.getPodIp()).isNull();
        assertThat(pod.getImage()).isEqualTo("ghcr.io/acme/api@sha256:0123");
        assertThat(pod.getPodSpec()).isEqualTo(PodSpecFacts.newBuilder()
                .setImages(java.util.List.of("ghcr.io/acme/api@sha256:0123", "fluent-bit:3"))
                .setPrivileged(false).setHostPid(false).setHostNetwork(false).setHostIpc(false)
                .setMayRunAsRoot(false).setRunAsRootExplicit(false)
                // The log container neither disables escalation nor drops capabilities; nobody sets seccomp.
                .setEscalationDisabled(false).setCapabilitiesDroppedAll(false)
                .setSeccompConfined(false).setSeccompUnconfined(false)
                .build());
        assertThat(pod.getOwner().getKind()).isEqualTo("StatefulSet");
        assertThat(pod.getAttributes())
                .containsEntry("k8s.pod.workload_kind", "StatefulSet")
                .containsEntry("k8s.pod.workload_name", "api")
                .containsEntry("k8s.pod.phase", "Pending")
                .doesNotContainKeys("k8s.pod.ips", "k8s.pod.container_ids", "k8s.pod.node");
    }

    @Test
    void namedContainerPortsAreListedForNetworkPolicies() throws Exception {
        TenantContext pod = one("""
                {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "db-0", "namespace": "ledger"},
                 "spec": {"containers": [
                   {"name": "db", "image": "postgres:16", "ports": [
                     {"name": "postgres", "containerPort": 5432},
                     {"containerPort": 9187},
                     {"name": "dns", "containerPort": 53, "protocol": "UDP"}]},
                   {"name": "exporter", "image": "exporter:1", "ports": [
                     {"name": "Not_Valid", "containerPort": 9100},
                     {"name": "metrics", "containerPort": 9100, "protocol": "ICMP"},
                     {"name": "http-metrics", "containerPort": 9101}]}],
                  "initContainers": [{"name": "init", "image": "busybox:1.36",
                                      "ports": [{"name": "init-port", "containerPort": 1}]}]}}""");
        assertThat(pod.getPodSpec().getNamedPorts()).containsExactly(
                NamedPort.newBuilder().setName("postgres").setPort(5432).setProtocol("TCP").build(),
                NamedPort.newBuilder().setName("dns").setPort(53).setProtocol("UDP").build(),
                NamedPort.newBuilder().setName("http-metrics").setPort(9101).setProtocol("TCP").build());
    }

    @Test
    void runAsRootIsAssumedWhenNothingRulesItOut() throws Exception {
        TenantContext unset = one(pod("{\"name\": \"c\", \"image\": \"nginx\"}", null));
        assertThat(unset.getPodSpec().getMayRunAsRoot()).isTrue();
        assertThat(unset.getPodSpec().getRunAsRootExplicit()).isFalse();

        TenantContext oneUnset = one(pod("{\"name\": \"a\", \"image\": \"a\", \"securityContext\": {\"runAsUser\": 10}}, "
                + "{\"name\": \"b\", \"image\": \"b\"}", null));
        assertThat(oneUnset.getPodSpec().getMayRunAsRoot()).isTrue();

        TenantContext podLevel = one(pod("{\"name\": \"c\", \"image\": \"nginx\"}", "{\"runAsUser\": 101}"));
        assertThat(podLevel.getPodSpec().getMayRunAsRoot()).isFalse();

        TenantContext containerOverrides = one(pod("{\"name\": \"c\", \"image\": \"nginx\", \"securityContext\": "
                + "{\"runAsUser\": 0}}", "{\"runAsUser\": 101, \"runAsNonRoot\": true}"));
        assertThat(containerOverrides.getPodSpec().getMayRunAsRoot()).isTrue();
        assertThat(containerOverrides.getPodSpec().getRunAsRootExplicit()).isTrue();

        TenantContext nonRootFalse = one(pod("{\"name\": \"c\", \"image\": \"nginx\", \"securityContext\": "
                + "{\"runAsNonRoot\": false}}", "{\"runAsNonRoot\": true}"));
        assertThat(nonRootFalse.getPodSpec().getMayRunAsRoot()).isTrue();
    }

    @Test
    void windowsHostProcessCountsAsPrivileged() throws Exception {
        TenantContext pod = one(pod("{\"name\": \"c\", \"image\": \"mcr.microsoft.com/windows/nanoserver:ltsc2022\"}",
                "{\"windowsOptions\": {\"hostProcess\": true}}"));
        assertThat(pod.getPodSpec().getPrivileged()).isTrue();
    }

    @Test
    void ephemeralDebugContainersCount() throws Exception {
        ObjectNode pod = (ObjectNode) SafeJson.mapper().readTree(pod("{\"name\": \"c\", \"image\": \"app\", "
                + "\"securityContext\": {\"runAsNonRoot\": true}}", null));
        ArrayNode ephemeral = ((ObjectNode) pod.get("spec")).putArray("ephemeralContainers");
        ephemeral.addObject().put("name", "debugger-x").put("image", "nicolaka/netshoot")
                .putObject("securityContext").put("privileged", true);
        ((ObjectNode) pod.get("status")).putArray("ephemeralContainerStatuses").addObject()
                .put("name", "debugger-x").put("containerID", "cri-o://abc123");
        TenantContext record = one(pod.toString());
        assertThat(record.getImage()).isEqualTo("app");
        assertThat(record.getPodSpec().getImages()).containsExactly("app", "nicolaka/netshoot");
        assertThat(record.getPodSpec().getPrivileged()).isTrue();
        assertThat(record.getPodSpec().getMayRunAsRoot()).isTrue();
        assertThat(record.getAttributes())
                .containsEntry("k8s.pod.container_ids", "abc123")
                .containsEntry("k8s.pod.container_runtimes", "cri-o");
    }

    @Test
    void hostNetworkPodIsFlaggedBecauseItsIpIsTheNodes() throws Exception {
        ObjectNode pod = (ObjectNode) SafeJson.mapper().readTree(pod("{\"name\": \"c\", \"image\": \"cilium\"}", null));
        ((ObjectNode) pod.get("spec")).put("hostNetwork", true);
        ((ObjectNode) pod.get("status")).put("podIP", "192.168.10.21").put("hostIP", "192.168.10.21");
        TenantContext record = one(pod.toString());
        assertThat(record.getPodIp()).isEqualTo("192.168.10.21");
        assertThat(record.getPodSpec().getHostNetwork()).isTrue();
        assertThat(record.getAttributes()).containsEntry("k8s.pod.host_ip", "192.168.10.21");
    }

    @Test
    void finishedPodKeepsItsRecordAndIp() throws Exception {
        ObjectNode pod = (ObjectNode) SafeJson.mapper().readTree(pod("{\"name\": \"c\", \"image\": \"job\"}", null));
        ((ObjectNode) pod.get("status")).put("phase", "Succeeded").put("podIP", "10.244.3.3");
        ((ObjectNode) pod.get("metadata")).putArray("ownerReferences").addObject()
                .put("apiVersion", "batch/v1").put("kind", "Job").put("name", "backup-29000000").put("controller", true);
        TenantContext record = one(pod.toString());
        assertThat(record.getPodIp()).isEqualTo("10.244.3.3");
        assertThat(record.getAttributes()).containsEntry("k8s.pod.phase", "Succeeded")
                .containsEntry("k8s.pod.workload_kind", "Job")
                .containsEntry("k8s.pod.workload_name", "backup-29000000");
    }

    @Test
    void replicaSetWithoutMatchingTemplateHashStaysTheWorkload() throws Exception {
        ObjectNode pod = (ObjectNode) SafeJson.mapper().readTree(pod("{\"name\": \"c\", \"image\": \"x\"}", null));
        ((ObjectNode) pod.get("metadata")).putArray("ownerReferences").addObject()
                .put("kind", "ReplicaSet").put("name", "manual-rs").put("controller", true);
        assertThat(one(pod.toString()).getAttributes()).containsEntry("k8s.pod.workload_kind", "ReplicaSet")
                .containsEntry("k8s.pod.workload_name", "manual-rs");
    }

    @Test
    void dockerContainerIdsLoseTheirPrefixToo() throws Exception {
        ObjectNode pod = (ObjectNode) SafeJson.mapper().readTree(pod("{\"name\": \"c\", \"image\": \"x\"}", null));
        ArrayNode statuses = ((ObjectNode) pod.get("status")).putArray("containerStatuses");
        statuses.addObject().put("name", "c").put("containerID", "docker://" + APP_ID);
        statuses.addObject().put("name", "waiting").putObject("state").putObject("waiting").put("reason", "ContainerCreating");
        assertThat(one(pod.toString()).getAttributes()).containsEntry("k8s.pod.container_ids", APP_ID)
                .containsEntry("k8s.pod.container_runtimes", "docker");
    }

    @Test
    void podWithoutContainersIsRejected() {
        assertThatThrownBy(() -> parse("{\"kind\": \"Pod\", \"metadata\": {\"name\": \"p\", \"namespace\": \"a\"}}"))
                .isInstanceOf(ParseException.class).hasMessage("Pod \"a/p\": missing required field 'spec'");
        assertThatThrownBy(() -> parse("{\"kind\": \"Pod\", \"metadata\": {\"name\": \"p\", \"namespace\": \"a\"}, "
                + "\"spec\": {\"containers\": []}}"))
                .isInstanceOf(ParseException.class).hasMessageContaining("'spec.containers' is missing or empty");
    }

    @Test
    void podFieldsOfTheWrongTypeAreNamedByTheirPath() {
        assertThatThrownBy(() -> parse(pod("{\"name\": \"c\", \"image\": \"x\", \"securityContext\": {\"privileged\": \"true\"}}",
                null))).isInstanceOf(ParseException.class)
                .hasMessage("Pod \"a/p\": field 'spec.containers[0].securityContext.privileged' must be a boolean, got a string");
        assertThatThrownBy(() -> parse(pod("{\"name\": \"c\", \"image\": \"x\", \"securityContext\": {\"runAsUser\": \"0\"}}",
                null))).isInstanceOf(ParseException.class)
                .hasMessageContaining("'spec.containers[0].securityContext.runAsUser' must be a whole number, got a string");
        assertThatThrownBy(() -> parse(pod("{\"name\": \"c\", \"image\": \"x\", \"securityContext\": {\"capabilities\": "
                + "{\"add\": [\"NET_ADMIN,SYS_ADMIN\"]}}}", null))).isInstanceOf(ParseException.class)
                .hasMessageContaining("which is not a capability name");
        assertThatThrownBy(() -> parse(pod("\"nginx\"", null))).isInstanceOf(ParseException.class)
                .hasMessageContaining("'spec.containers[0]' must be an object, got a string");
    }

    @Test
    void podIpsAndContainerIdsMustLookLikeThem() throws Exception {
        ObjectNode pod = (ObjectNode) SafeJson.mapper().readTree(pod("{\"name\": \"c\", \"image\": \"x\"}", null));
        ((ObjectNode) pod.get("status")).put("podIP", "evil.example.com");
        assertThatThrownBy(() -> one(pod.toString())).isInstanceOf(ParseException.class)
                .hasMessageContaining("status.podIP \"evil.example.com\" is not an IP address");

        ((ObjectNode) pod.get("status")).put("podIP", "10.0.0.1").putArray("containerStatuses").addObject()
                .put("containerID", "containerd://abc,def");
        assertThatThrownBy(() -> one(pod.toString())).isInstanceOf(ParseException.class)
                .hasMessageContaining("is not a container id");
    }

    @Test
    void podCarriesTheFactsOfThePodSecurityStandardsRestrictedProfile() throws Exception {
        String hardened = """
                {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "a"},
                 "spec": {"securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
                          "containers": [{"name": "app", "image": "x", "securityContext": {"allowPrivilegeEscalation": false,
                                          "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}}}],
                          "initContainers": [{"name": "init", "image": "y", "securityContext": {"allowPrivilegeEscalation": false,
                                          "capabilities": {"drop": ["all"]}, "seccompProfile": {"type": "Localhost",
                                          "localhostProfile": "p.json"}}}],
                          "volumes": [{"name": "c", "configMap": {"name": "c"}}, {"name": "t", "emptyDir": {}}]}}""";
        PodSpecFacts facts = one(hardened).getPodSpec();
        assertThat(facts.getEscalationDisabled()).isTrue();
        assertThat(facts.getCapabilitiesDroppedAll()).isTrue();
        assertThat(facts.getSeccompConfined()).isTrue();
        assertThat(facts.getSeccompUnconfined()).isFalse();
        assertThat(facts.getVolumeTypes()).containsExactly("configMap", "emptyDir");
        assertThat(facts.getHostPorts()).isEmpty();

        String loose = """
                {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "a"},
                 "spec": {"containers": [{"name": "app", "image": "x", "ports": [{"containerPort": 80, "hostPort": 8080}],
                                          "securityContext": {"seccompProfile": {"type": "Unconfined"}}},
                                         {"name": "side", "image": "y", "securityContext": {"allowPrivilegeEscalation": false,
                                          "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}}}],
                          "volumes": [{"name": "h", "hostPath": {"path": "/var/run"}}]}}""";
        facts = one(loose).getPodSpec();
        assertThat(facts.getEscalationDisabled()).as("one container does not disable it").isFalse();
        assertThat(facts.getCapabilitiesDroppedAll()).isFalse();
        assertThat(facts.getSeccompConfined()).isFalse();
        assertThat(facts.getSeccompUnconfined()).isTrue();
        assertThat(facts.getVolumeTypes()).containsExactly("hostPath");
        assertThat(facts.getHostPorts()).containsExactly(8080);
    }

    /** A pod as vcluster syncs it into its host namespace: virtual name and namespace in annotations and labels. */
    private static final String VCLUSTER_POD = """
            {
              "apiVersion": "v1",
              "kind": "Pod",
              "metadata": {
                "name": "web-x-default-x-dev",
                "namespace": "team-a-vcluster",
                "creationTimestamp": "2026-03-01T08:00:00Z",
                "labels": {"app": "web", "vcluster.loft.sh/managed-by": "dev", "vcluster.loft.sh/namespace": "default"},
                "annotations": {
                  "vcluster.loft.sh/object-name": "web",
                  "vcluster.loft.sh/object-namespace": "default",
                  "vcluster.loft.sh/object-host-name": "web-x-default-x-dev",
                  "vcluster.loft.sh/object-host-namespace": "team-a-vcluster",
                  "vcluster.loft.sh/object-uid": "7d4c0b1e-5a0e-4c55-9a57-13f0e2d1c001",
                  "vcluster.loft.sh/object-kind": "/v1, Kind=Pod"
                },
                "ownerReferences": [{"apiVersion": "v1", "kind": "Service", "name": "dev", "controller": false}]
              },
              "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}], "nodeName": "worker-2"},
              "status": {"phase": "Running", "podIP": "10.244.2.9"}
            }""";

    @Test
    void vclusterPodKeepsItsHostNamespaceAndNamesItsVirtualPlace() throws Exception {
        TenantContext pod = one(VCLUSTER_POD);
        assertThat(pod.getKey()).isEqualTo("team-a-vcluster/web-x-default-x-dev");
        assertThat(pod.getNamespace()).isEqualTo("team-a-vcluster");
        assertThat(pod.getName()).isEqualTo("web-x-default-x-dev");
        assertThat(pod.getPodIp()).isEqualTo("10.244.2.9");
        assertThat(pod.getAttributes())
                .containsEntry(KubernetesAttributes.VCLUSTER_NAME, "dev")
                .containsEntry(KubernetesAttributes.VCLUSTER_NAMESPACE, "default")
                .containsEntry(KubernetesAttributes.VCLUSTER_OBJECT_NAME, "web");
        // Other annotations are still not copied.
        assertThat(pod.getAttributes().keySet()).noneMatch(key -> key.contains("object-uid") || key.contains("host-name"));
    }

    @Test
    void vclusterNamespaceFallsBackToTheLabelAndInvalidMarksAreLeftOut() throws Exception {
        ObjectNode pod = (ObjectNode) SafeJson.mapper().readTree(VCLUSTER_POD);
        ObjectNode annotations = (ObjectNode) pod.get("metadata").get("annotations");
        annotations.remove("vcluster.loft.sh/object-namespace");
        annotations.put("vcluster.loft.sh/object-name", "Not/A Name");
        ((ObjectNode) pod.get("metadata").get("labels")).put("vcluster.loft.sh/managed-by", "Dev_Cluster");
        TenantContext parsed = one(pod.toString());
        assertThat(parsed.getPodIp()).isEqualTo("10.244.2.9");
        assertThat(parsed.getAttributes())
                .containsEntry(KubernetesAttributes.VCLUSTER_NAMESPACE, "default")
                .doesNotContainKeys(KubernetesAttributes.VCLUSTER_OBJECT_NAME, KubernetesAttributes.VCLUSTER_NAME);
    }

    @Test
    void ordinaryPodHasNoVclusterAttributes() throws Exception {
        assertThat(one(RISKY_POD).getAttributes()).doesNotContainKeys(KubernetesAttributes.VCLUSTER_NAME,
                KubernetesAttributes.VCLUSTER_NAMESPACE, KubernetesAttributes.VCLUSTER_OBJECT_NAME);
    }

    /** A minimal pod {@code a/p} with the given containers and pod security context. */
    private static String pod(String containers, String podSecurityContext) {
        return """
                {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "a"},
                 "spec": {"containers": [%s]%s}, "status": {"phase": "Running"}}"""
                .formatted(containers, podSecurityContext == null ? "" : ", \"securityContext\": " + podSecurityContext);
    }
}
