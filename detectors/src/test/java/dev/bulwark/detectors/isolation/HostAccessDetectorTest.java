package dev.bulwark.detectors.isolation;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import dev.bulwark.detectors.testkit.DetectorTestKit;

class HostAccessDetectorTest {

    @Test
    void theRuntimeSocketAndAnotherPodsVolumesAreHostAccess() {
        try (DetectorTestKit kit = DetectorTestKit.of(new HostAccessDetector())) {
            kit.context(CrossTenantNetworkDetectorTest.CLUSTER);
            kit.event("""
                    kubernetes: {namespace: shop, pod: web-1, pod_uid: 11111111-1111-1111-1111-111111111111}
                    container: {id: c1}
                    process: {name: curl}
                    file: {path: /var/run/docker.sock}
                    """);
            kit.event("""
                    kubernetes: {namespace: shop, pod: web-1, pod_uid: 11111111-1111-1111-1111-111111111111}
                    container: {id: c1}
                    file: {path: /var/lib/kubelet/pods/22222222-2222-2222-2222-222222222222/volumes/kubernetes.io~secret/token}
                    """);
            kit.event("""
                    kubernetes: {namespace: shop, pod: web-1, pod_uid: 11111111-1111-1111-1111-111111111111}
                    container: {id: c1}
                    file: {path: /var/lib/kubelet/pods/11111111-1111-1111-1111-111111111111/volumes/own/data}
                    """);
            var findings = kit.findings();
            assertThat(findings).extracting(f -> f.getSeverity()).containsExactly("critical", "high");
            assertThat(findings).allSatisfy(f -> assertThat(f.getTenant()).isEqualTo("acme"));
        }
    }

}
