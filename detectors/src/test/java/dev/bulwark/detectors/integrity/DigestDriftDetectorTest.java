package dev.bulwark.detectors.integrity;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

import dev.bulwark.detectors.state.KnownDigests;
import dev.bulwark.detectors.testkit.DetectorTestKit;

class DigestDriftDetectorTest {

    private static final String ADMITTED = "sha256:" + "a".repeat(64);
    private static final String SCANNED = "sha256:" + "b".repeat(64);
    private static final String OTHER = "sha256:" + "c".repeat(64);

    private static String pod(String name, String specImage, String digest) {
        return "{kind: pod, key: 'shop/" + name + "', namespace: shop, name: " + name + ", containers: [{name: app, "
                + "spec_image: '" + specImage + "', digest: '" + digest + "'}]}";
    }

    @Test
    void aTagRunningWithADigestNobodyVouchedForIsDriftAndADeniedRequestVouchesForNothing() {
        try (DetectorTestKit kit = DetectorTestKit.of(new DigestDriftDetector())) {
            kit.context("{kind: namespace, key: shop, namespace: shop, tenant: acme}");
            kit.event("{source_format: k8s-audit, kubernetes_audit: {response_code: 201}, attributes: "
                    + "{k8s.audit.admission.image_patches: '[{\"image\":\"nginx:1.25@" + ADMITTED + "\"}]'}}");
            // Refused: the webhook's patch of a denied request says nothing about what may run.
            kit.event("{source_format: k8s-audit, kubernetes_audit: {response_code: 400}, attributes: "
                    + "{k8s.audit.admission.image_patches: '[{\"image\":\"nginx:1.25@" + OTHER + "\"}]'}}");
            kit.event("{source_format: trivy, container: {image_name: docker.io/library/nginx, image_tag: '1.25', "
                    + "image_digest: '" + SCANNED + "'}, vulnerability: {id: CVE-1, severity: LOW}}");
            kit.context(pod("admitted", "nginx:1.25", ADMITTED));
            kit.context(pod("scanned", "docker.io/library/nginx:1.25", SCANNED));
            assertThat(kit.findings()).isEmpty();

            kit.context(pod("drifted", "nginx:1.25", OTHER));
            assertThat(kit.findings()).singleElement().satisfies(f -> {
                assertThat(f.getRule().getId()).isEqualTo(DigestDriftDetector.RULE_ID);
                assertThat(f.getTenant()).isEqualTo("acme");
                assertThat(f.getEvidence().getFields())
                        .containsEntry("image.known_digests", ADMITTED + "," + SCANNED)
                        .containsEntry("image.known_sources", "admitted,scanned");
                assertThat(f.getSummary()).contains("runs docker.io/library/nginx:1.25 as " + OTHER);
            });
        }
    }

    @Test
    void aTagKeepsItsNewestDigestsOnly() {
        KnownDigests known = new KnownDigests(new TreeMap<>(), new ArrayList<>());
        for (int i = 0; i < DigestDriftDetector.MAX_DIGESTS + 3; i++) {
            known = DigestDriftDetector.withDigest(known, "sha256:" + String.format("%064d", i) + " scanned");
        }
        assertThat(known.getDigests()).hasSize(DigestDriftDetector.MAX_DIGESTS);
        assertThat(known.getOrder().get(0)).isEqualTo("sha256:" + String.format("%064d", 3));
        KnownDigests again = DigestDriftDetector.withDigest(known, known.getOrder().get(0) + " admitted");
        assertThat(again.getOrder()).isEqualTo(known.getOrder());
        assertThat(again.getDigests().get(known.getOrder().get(0))).isEqualTo("admitted");
    }
}
