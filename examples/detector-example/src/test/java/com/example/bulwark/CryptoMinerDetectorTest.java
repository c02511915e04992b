package com.example.bulwark;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import dev.bulwark.detectors.testkit.DetectorTestKit;

class CryptoMinerDetectorTest {

    @Test
    void aMinerProcessOrAPoolConnectionInAContainerIsAFindingForItsTenant() {
        try (DetectorTestKit kit = DetectorTestKit.of(new CryptoMinerDetector())) {
            kit.context("{kind: namespace, key: shop, namespace: shop, tenant: acme}");
            kit.event("""
                    - {kubernetes: {namespace: shop, pod: web-1}, container: {id: c1}, process: {name: xmrig}}
                    - {kubernetes: {namespace: shop, pod: web-2}, container: {id: c2}, process: {name: curl},
                       destination: {ip: 203.0.113.9, port: 3333}}
                    - {kubernetes: {namespace: shop, pod: web-3}, container: {id: c3}, process: {name: nginx},
                       destination: {ip: 203.0.113.9, port: 443}}
                    """);
            var findings = kit.findings();
            assertThat(findings).hasSize(2).allSatisfy(f -> {
                assertThat(f.getRule().getId()).isEqualTo("example.crypto_miner");
                assertThat(f.getTenant()).isEqualTo("acme");
            });
            assertThat(findings.get(1).getSummary()).contains("port 3333");
        }
    }
}
