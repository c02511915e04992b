package dev.bulwark.detectors.integrity;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.bulwark.detectors.testkit.DetectorTestKit;
import dev.bulwark.schemas.Finding;

class DisallowedRegistryDetectorTest {

    @Test
    void configurationOverridesTheCapsuleTenantAndAPodWaitsForItsNamespace() {
        try (DetectorTestKit kit = DetectorTestKit.of(new DisallowedRegistryDetector(),
                Map.of("allowed", "acme=ghcr.io,acme=registry.acme.example"), Map.of())) {
            kit.context("{kind: tenant, key: acme, name: acme, tenant: acme, container_registries: {allowed: [docker.io]}}");
            kit.context("{kind: tenant, key: globex, name: globex, tenant: globex, "
                    + "container_registries: {allowed: [], allowed_regex: '^quay\\.io$'}}");
            // The pods arrive before their namespaces.
            kit.context("{kind: pod, key: shop/web, namespace: shop, name: web, "
                    + "pod_spec: {images: ['ghcr.io/acme/web:1', 'nginx:1.25']}}");
            kit.context("{kind: pod, key: ledger/api, namespace: ledger, name: api, "
                    + "pod_spec: {images: ['quay.io/globex/api:3', 'quay.io.evil.example/x:1']}}");
            assertThat(kit.findings()).isEmpty();
            kit.context("{kind: namespace, key: shop, namespace: shop, tenant: acme}");
            kit.context("{kind: namespace, key: ledger, namespace: ledger, tenant: globex}");
            kit.advance(Duration.ofSeconds(2));

            assertThat(kit.findings()).extracting(Finding::getTenant, f -> f.getEvidence().getFields().get("image.registry"),
                    f -> f.getEvidence().getFields().get("tenant.allowed_source"))
                    .containsExactlyInAnyOrder(
                            org.assertj.core.groups.Tuple.tuple("acme", "docker.io", "configuration"),
                            org.assertj.core.groups.Tuple.tuple("globex", "quay.io.evil.example", "Capsule Tenant globex"));

            // The same pod again is not a second finding.
            kit.context("{kind: pod, key: shop/web, namespace: shop, name: web, labels: {a: b}, "
                    + "pod_spec: {images: ['ghcr.io/acme/web:1', 'nginx:1.25']}}");
            assertThat(kit.findings()).isEmpty();
        }
    }

    @Test
    void anUnrestrictedTenantAndAPodWhoseNamespaceNeverAppearsAreQuiet() {
        try (DetectorTestKit kit = DetectorTestKit.of(new DisallowedRegistryDetector())) {
            kit.context("{kind: namespace, key: lab, namespace: lab, tenant: initech}");
            kit.context("{kind: pod, key: lab/x, namespace: lab, name: x, pod_spec: {images: ['ghcr.io/any/thing:1']}}");
            kit.context("{kind: pod, key: nowhere/x, namespace: nowhere, name: x, pod_spec: {images: ['evil.example/x']}}");
            kit.advance(PodTenants.WAIT.plusSeconds(2));
            assertThat(kit.findings()).isEmpty();
        }
    }
}
