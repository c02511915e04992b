package dev.bulwark.detectors.integrity;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.bulwark.detectors.testkit.DetectorTestKit;
import dev.bulwark.schemas.Finding;

class UnverifiedImageDetectorTest {

    private static final String D1 = "sha256:" + "1".repeat(64);
    private static final String D2 = "sha256:" + "2".repeat(64);

    private static String pod(String name, String specImage, String digest) {
        return "{kind: pod, key: 'shop/" + name + "', namespace: shop, name: " + name + ", containers: [{name: app, "
                + "spec_image: '" + specImage + "', digest: '" + digest + "'}]}";
    }

    private static String verdict(String image, String verdict) {
        return "{source_format: k8s-audit, image_verifications: [{verifier: kyverno, image: '" + image + "', verdict: "
                + verdict + ", evidence: annotation}]}";
    }

    @Test
    void aVerdictArrivingWithinTheGraceDecidesAndNoVerdictAtAllIsReportedAfterIt() {
        try (DetectorTestKit kit = DetectorTestKit.of(new UnverifiedImageDetector())) {
            kit.context("{kind: namespace, key: shop, namespace: shop, tenant: acme}");
            kit.context(pod("web-1", "nginx:1.25", D1));
            kit.context(pod("web-2", "nginx:1.26", D2));
            kit.advance(Duration.ofSeconds(30));
            kit.event(verdict("docker.io/library/nginx@" + D1, "pass"));
            assertThat(kit.findings()).as("nothing before the grace is over").isEmpty();

            kit.advance(Duration.ofMinutes(2));
            List<Finding> findings = kit.findings();
            assertThat(findings).singleElement().satisfies(f -> {
                assertThat(f.getRule().getId()).isEqualTo(UnverifiedImageDetector.UNVERIFIED_RULE);
                assertThat(f.getSeverity()).isEqualTo("medium");
                assertThat(f.getTenant()).isEqualTo("acme");
                assertThat(f.getEvidence().getFields()).containsEntry("image.digest", D2)
                        .containsEntry("pod", "shop/web-2");
            });

            // The same pod again (a status update) is not a second finding; a failed re-verification is.
            kit.context(pod("web-2", "nginx:1.26", D2));
            kit.advance(Duration.ofMinutes(3));
            assertThat(kit.findings()).isEmpty();
            kit.event(verdict("nginx@" + D2, "fail"));
            kit.context(pod("web-2", "nginx:1.26", D2));
            assertThat(kit.findings()).singleElement().satisfies(f -> {
                assertThat(f.getRule().getId()).isEqualTo(UnverifiedImageDetector.FAILED_RULE);
                assertThat(f.getSeverity()).isEqualTo("high");
            });
        }
    }

    @Test
    void onlyImagesInScopeAreJudgedAndASkipIsNoVerification() {
        try (DetectorTestKit kit = DetectorTestKit.of(new UnverifiedImageDetector(),
                Map.of("images", "ghcr.io/acme/*", "grace", "10s"), Map.of())) {
            kit.context("{kind: namespace, key: shop, namespace: shop, tenant: acme}");
            kit.event(verdict("ghcr.io/acme/api@" + D1, "skip"));
            kit.context(pod("api", "ghcr.io/acme/api:3", D1));
            kit.context(pod("web", "nginx:1.25", D2));
            kit.advance(Duration.ofSeconds(20));
            assertThat(kit.findings()).singleElement().satisfies(f -> {
                assertThat(f.getEvidence().getFields()).containsEntry("verification.verdict", "skip")
                        .containsEntry("image.repository", "ghcr.io/acme/api");
            });
        }
    }

    @Test
    void globsMatchTheWholeRepository() {
        var scope = UnverifiedImageDetector.globs(List.of("registry.acme.example/*", "docker.io/library/nginx"));
        assertThat(scope.matcher("registry.acme.example/shop/web").matches()).isTrue();
        assertThat(scope.matcher("docker.io/library/nginx").matches()).isTrue();
        assertThat(scope.matcher("docker.io/library/nginx-evil").matches()).isFalse();
        assertThat(scope.matcher("evil.example/registry.acme.example/x").matches()).isFalse();
    }

    @Test
    void imageReferencesComeApartAsRuntimesReadThem() {
        assertThat(ImageName.parse("nginx")).isEqualTo(new ImageName("docker.io", "docker.io/library/nginx", null, null));
        assertThat(ImageName.parse("localhost:5000/app:1@" + D1))
                .isEqualTo(new ImageName("localhost:5000", "localhost:5000/app", "1", D1));
        assertThat(ImageName.parse("registry.example.com:5000/team/app").tag()).isNull();
        assertThat(ImageName.parse("nginx@" + D1).byTag()).isNull();
        assertThat(ImageName.parse("nginx").byTag()).isEqualTo("docker.io/library/nginx:latest");
    }
}
