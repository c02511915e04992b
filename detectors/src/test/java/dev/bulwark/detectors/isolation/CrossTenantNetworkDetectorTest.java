package dev.bulwark.detectors.isolation;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import dev.bulwark.detectors.testkit.DetectorTestKit;

class CrossTenantNetworkDetectorTest {

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

}
