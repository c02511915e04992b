package dev.bulwark.detectors.isolation;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import dev.bulwark.detectors.testkit.DetectorTestKit;

class NetworkAndHostDetectorsTest {

    static final String CLUSTER = """
            - {kind: namespace, key: shop, namespace: shop, tenant: acme, labels: {team: shop}}
            - {kind: namespace, key: ledger, namespace: ledger, tenant: globex}
            - {kind: namespace, key: metrics, namespace: metrics, tenant: initech}
            - {kind: pod, key: ledger/db-0, namespace: ledger, name: db-0, pod_ip: 10.0.2.7, labels: {app: db}}
            - {kind: pod, key: metrics/prom-0, namespace: metrics, name: prom-0, pod_ip: 10.0.3.3, labels: {app: prom}}
            - kind: networkpolicy
              key: metrics/scrape-from-shop
              namespace: metrics
              name: scrape-from-shop
              attributes:
                k8s.netpol.pod_selector: '{"matchLabels":{"app":"prom"}}'
                k8s.netpol.policy_types: Ingress
                k8s.netpol.ingress: '[{"from":[{"namespaceSelector":{"matchLabels":{"team":"shop"}}}]}]'
            """;

    private static String connect(String ip) {
        return """
                kubernetes: {namespace: shop, pod: web-1}
                process: {name: curl, executable: /usr/bin/curl}
                source: {ip: 10.0.1.5}
                destination: {ip: %s, port: 5432}
                network: {transport: tcp, direction: egress}
                """.formatted(ip);
    }

    @Test
    void aConnectionToAnotherTenantsPodWithoutAPolicyIsAFindingForTheDestinationTenant() {
        try (DetectorTestKit kit = DetectorTestKit.of(new CrossTenantNetworkDetector())) {
            kit.context(CLUSTER);
            kit.event(connect("10.0.2.7"));
            assertThat(kit.findings()).singleElement().satisfies(f -> {
                assertThat(f.getRule().getId()).isEqualTo(CrossTenantNetworkDetector.RULE_ID);
                assertThat(f.getTenant()).isEqualTo("globex");
                assertThat(f.getOtherTenants()).containsExactly("acme");
                assertThat(f.getEvidence().getFields()).containsEntry("destination.pod", "ledger/db-0");
            });
        }
    }

    @Test
    void aConnectionANetworkPolicyAllowsAndConnectionsWithinATenantAreQuiet() {
        try (DetectorTestKit kit = DetectorTestKit.of(new CrossTenantNetworkDetector())) {
            kit.context(CLUSTER);
            kit.event(connect("10.0.3.3"));
            kit.event(connect("10.0.1.99"));
            assertThat(kit.findings()).isEmpty();
        }
    }

    @Test
    void theRuntimeSocketAndAnotherPodsVolumesAreHostAccess() {
        try (DetectorTestKit kit = DetectorTestKit.of(new HostAccessDetector())) {
            kit.context(CLUSTER);
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

    @Test
    void podsThatWeakenIsolationAreReportedWithTheirWorstFact() {
        try (DetectorTestKit kit = DetectorTestKit.of(new WeakenedIsolationDetector())) {
            kit.context(CLUSTER);
            kit.event("""
                    kubernetes_audit: {verb: create, resource: pods, object_namespace: shop, object_name: debug,
                                       subject_user: alice, decision: allow, response_code: 201, stage: ResponseComplete}
                    attributes: {k8s.pod.host_pid: "true", k8s.pod.host_path_mounts: "/data,/var/run/docker.sock",
                                 k8s.pod.capabilities_added: "NET_BIND_SERVICE,SYS_ADMIN"}
                    """);
            kit.event("""
                    kubernetes_audit: {verb: create, resource: pods, object_namespace: shop, object_name: plain,
                                       subject_user: alice, decision: allow, response_code: 201, stage: ResponseComplete}
                    attributes: {k8s.pod.images: nginx}
                    """);
            assertThat(kit.findings()).singleElement().satisfies(f -> {
                assertThat(f.getSeverity()).isEqualTo("high");
                assertThat(f.getTenant()).isEqualTo("acme");
                assertThat(f.getEvidence().getFields().get("risks")).contains("host PID namespace",
                        "hostPath mount /var/run/docker.sock", "capability SYS_ADMIN", "hostPath mount /data");
            });
        }
    }
}
