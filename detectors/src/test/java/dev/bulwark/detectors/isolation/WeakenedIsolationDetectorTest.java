package dev.bulwark.detectors.isolation;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import dev.bulwark.detectors.testkit.DetectorTestKit;

class WeakenedIsolationDetectorTest {

    @Test
    void podsThatWeakenIsolationAreReportedWithTheirWorstFact() {
        try (DetectorTestKit kit = DetectorTestKit.of(new WeakenedIsolationDetector())) {
            kit.context(CrossTenantNetworkDetectorTest.CLUSTER);
            kit.event("""
                    kubernetes_audit: {verb: create, resource: pods, object_namespace: shop, object_name: debug,
                                       subject_user: alice, decision: allow, response_code: 201, stage: ResponseComplete}
                    kubernetes: {namespace: shop, pod: debug,
                                 pod_spec: {host_pid: true, host_path_mounts: [/data, /var/run/docker.sock],
                                            capabilities_added: [NET_BIND_SERVICE, SYS_ADMIN], images: [busybox]}}
                    """);
            kit.event("""
                    kubernetes_audit: {verb: create, resource: pods, object_namespace: shop, object_name: plain,
                                       subject_user: alice, decision: allow, response_code: 201, stage: ResponseComplete}
                    kubernetes: {namespace: shop, pod: plain, pod_spec: {images: [nginx], host_network: false}}
                    """);
            assertThat(kit.findings()).singleElement().satisfies(f -> {
                assertThat(f.getSeverity()).isEqualTo("high");
                assertThat(f.getTenant()).isEqualTo("acme");
                assertThat(f.getEvidence().getFields().get("risks")).contains("host PID namespace",
                        "hostPath mount /var/run/docker.sock", "capability SYS_ADMIN", "hostPath mount /data");
                assertThat(f.getEvidence().getFields())
                        .containsEntry("kubernetes.pod_spec.host_pid", "true")
                        .containsEntry("kubernetes.pod_spec.host_path_mounts", "/data,/var/run/docker.sock")
                        .containsEntry("kubernetes.pod_spec.capabilities_added", "NET_BIND_SERVICE,SYS_ADMIN")
                        .containsEntry("kubernetes.pod_spec.images", "busybox")
                        .doesNotContainKey("kubernetes.pod_spec.privileged");
            });
        }
    }
}
