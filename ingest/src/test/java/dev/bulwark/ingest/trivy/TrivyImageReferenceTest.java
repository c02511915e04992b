package dev.bulwark.ingest.trivy;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;

class TrivyImageReferenceTest {

    @Test
    void shouldSplitReferencesIntoNameTagAndDigest() {
        assertThat(ImageReference.parse("alpine")).isEqualTo(new ImageReference("alpine", null, null));
        assertThat(ImageReference.parse("alpine:3.10")).isEqualTo(new ImageReference("alpine", "3.10", null));
        assertThat(ImageReference.parse("ghcr.io/aquasecurity/trivy-test-images:alpine-310"))
                .isEqualTo(new ImageReference("ghcr.io/aquasecurity/trivy-test-images", "alpine-310", null));
        assertThat(ImageReference.parse("localhost:5000/app")).isEqualTo(new ImageReference("localhost:5000/app", null, null));
        String digest = "sha256:" + "ab".repeat(32);
        assertThat(ImageReference.parse("docker.io/library/nginx:1.25@" + digest))
                .isEqualTo(new ImageReference("docker.io/library/nginx", "1.25", digest));
    }

    @Test
    void shouldRefuseFilePathsArchivesAndJunk() {
        for (String text : new String[] {"testdata/fixtures/images/alpine-310.tar.gz", "image.tar", "/abs/path", "./rel",
                "", "Upper/Case", "a b", "name:", "x".repeat(600), null}) {
            assertThat(ImageReference.parse(text)).as(String.valueOf(text)).isNull();
        }
    }

    @Test
    void shouldReadRepoDigestEntries() {
        assertThat(ImageReference.digestOf("nginx@sha256:abc")).isEqualTo("sha256:abc");
        assertThat(ImageReference.repositoryOf("nginx@sha256:abc")).isEqualTo("nginx");
        assertThat(ImageReference.digestOf("nginx")).isNull();
        assertThat(ImageReference.digestOf("nginx@")).isNull();
        assertThat(ImageReference.repositoryOf("@sha256:abc")).isNull();
    }

    @Test
    void shouldDecideQuicklyOnHostileText() {
        Assertions.assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
            ImageReference.parse("a.".repeat(250) + "!");
            ImageReference.parse("a-".repeat(250) + "/");
            ImageReference.parse("a__".repeat(170) + ":");
        });
    }
}
