package dev.bulwark.ingest.k8saudit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.function.Consumer;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.bulwark.ingest.InMemoryIngest;
import dev.bulwark.ingest.ParseException;
import dev.bulwark.ingest.Parsers;
import dev.bulwark.ingest.SafeJson;
import dev.bulwark.samples.Samples;
import dev.bulwark.schemas.ImageVerification;
import dev.bulwark.schemas.KubernetesAttributes;
import dev.bulwark.schemas.SecurityEvent;

/**
 * Image verification verdicts read from audit events: Kyverno's verify-images annotation on the admitted object and in
 * its webhook's patch, the tag-to-digest patch, and the denials of Kyverno and the sigstore policy-controller. The three
 * samples are constructed to the documented formats (see the samples' SOURCES.md).
 */
class AdmissionFactsTest {

    private static final String DIR = "k8s_audit/constructed_image_verification/";
    private static final String ZULU_DIGEST = "sha256:476b21f1a75dc90fac3579ee757f4607bb5546f476195cf645c54badf558c0db";

    private final KubernetesAuditParser parser = new KubernetesAuditParser();

    @Test
    void anAdmittedPodCarriesKyvernosPassOnceThoughAnnotationAndPatchBothSayIt() throws Exception {
        SecurityEvent event = parseOne(sample("kyverno_verify_images_pod_admitted.json"));

        assertThat(event.getImageVerifications()).singleElement().satisfies(v -> {
            assertThat(v.getVerifier()).isEqualTo("kyverno");
            assertThat(v.getVerdict()).isEqualTo("pass");
            assertThat(v.getImage()).isEqualTo("ghcr.io/kyverno/zulu@" + ZULU_DIGEST);
            assertThat(v.getImageName()).isEqualTo("ghcr.io/kyverno/zulu");
            assertThat(v.getDigest()).isEqualTo(ZULU_DIGEST);
            assertThat(v.getEvidence()).as("the stored object is read before the patch").isEqualTo("annotation");
        });
        assertThat(event.getAttributes().get(KubernetesAttributes.AUDIT_ADMISSION_IMAGE_PATCHES))
                .contains("mutate.kyverno.svc-fail", "/spec/containers/0/image", "zulu:v0.0.14@" + ZULU_DIGEST);
        assertThat(event.getAttributes()).doesNotContainKeys(KubernetesAttributes.AUDIT_ADMISSION_DENIED_BY,
                KubernetesAttributes.AUDIT_IMAGE_VERIFICATION_UNREADABLE);
    }

    @Test
    void thePatchAloneIsEvidenceWhenTheAuditLevelKeepsNoResponse() throws Exception {
        SecurityEvent event = parseOne(edit(sample("kyverno_verify_images_pod_admitted.json"),
                root -> root.remove("responseObject")));

        assertThat(event.getImageVerifications()).singleElement().satisfies(v -> {
            assertThat(v.getVerdict()).isEqualTo("pass");
            assertThat(v.getEvidence()).isEqualTo("patch");
        });
    }

    @Test
    void aClientWrittenAnnotationInTheRequestIsNotAVerdict() throws Exception {
        SecurityEvent event = parseOne(edit(sample("kyverno_verify_images_pod_admitted.json"), root -> {
            root.remove("responseObject");
            ((ObjectNode) root.get("annotations")).remove("patch.webhook.admission.k8s.io/round_0_index_0");
            ((ObjectNode) root.with("requestObject").with("metadata").with("annotations"))
                    .put("kyverno.io/verify-images", "{\"evil.example/miner:latest\":\"pass\"}");
        }));

        assertThat(event.getImageVerifications()).isEmpty();
    }

    @Test
    void kyvernosDenialIsAFailForTheImageItNames() throws Exception {
        SecurityEvent event = parseOne(sample("kyverno_verify_images_pod_denied.json"));

        assertThat(event.getEvent().getOutcome()).isEqualTo("failure");
        assertThat(event.getAttributes()).containsEntry(KubernetesAttributes.AUDIT_ADMISSION_DENIED_BY, "mutate.kyverno.svc");
        assertThat(event.getImageVerifications()).singleElement().satisfies(v -> {
            assertThat(v.getVerifier()).isEqualTo("kyverno");
            assertThat(v.getVerdict()).isEqualTo("fail");
            assertThat(v.getImage()).isEqualTo("ghcr.io/kyverno/test-verify-image:unsigned");
            assertThat(v.getImageTag()).isEqualTo("unsigned");
            assertThat(v.getDigest()).isNull();
            assertThat(v.getPolicy()).isEqualTo("check-image");
            assertThat(v.getRule()).isEqualTo("check-image");
            assertThat(v.getEvidence()).isEqualTo("denial");
        });
    }

    @Test
    void thePolicyControllersDenialNamesPolicyAndDigest() throws Exception {
        SecurityEvent event = parseOne(sample("policy_controller_daemonset_denied.json"));

        assertThat(event.getAttributes()).containsEntry(KubernetesAttributes.AUDIT_ADMISSION_DENIED_BY, "policy.sigstore.dev");
        List<ImageVerification> verdicts = event.getImageVerifications();
        assertThat(verdicts).singleElement().satisfies(v -> {
            assertThat(v.getVerifier()).isEqualTo("sigstore-policy-controller");
            assertThat(v.getVerdict()).isEqualTo("fail");
            assertThat(v.getPolicy()).isEqualTo("gadget-image-policy");
            assertThat(v.getImageName()).isEqualTo("ghcr.io/inspektor-gadget/inspektor-gadget");
            assertThat(v.getDigest()).isEqualTo("sha256:9272c2be979a9857971fc8b6f7226e609cadec8352f97e9769081930121ef27f");
        });
        assertThat(event.getAttributes().get(KubernetesAttributes.AUDIT_ADMISSION_IMAGE_PATCHES))
                .as("the patch of a refused request is still recorded").contains("policy.sigstore.dev");
    }

    @Test
    void anUnreadableVerdictIsReportedAndTheEventIsKept() throws Exception {
        SecurityEvent event = parseOne(edit(sample("kyverno_verify_images_pod_admitted.json"), root -> {
            ((ObjectNode) root.get("responseObject").get("metadata").get("annotations"))
                    .put("kyverno.io/verify-images", "{not json");
            ((ObjectNode) root.get("annotations")).put("patch.webhook.admission.k8s.io/round_1_index_0", "[[[");
        }));

        assertThat(event.getAttributes().get(KubernetesAttributes.AUDIT_IMAGE_VERIFICATION_UNREADABLE))
                .contains("responseObject.metadata.annotations.kyverno.io/verify-images")
                .contains("patch.webhook.admission.k8s.io/round_1_index_0");
        assertThat(event.getImageVerifications()).as("the round 0 patch still says pass").singleElement()
                .satisfies(v -> assertThat(v.getEvidence()).isEqualTo("patch"));
    }

    @Test
    void everySampleIngestsWithNothingDeadLettered() throws Exception {
        for (String name : List.of("kyverno_verify_images_pod_admitted.json", "kyverno_verify_images_pod_denied.json",
                "policy_controller_daemonset_denied.json")) {
            InMemoryIngest.Result result = InMemoryIngest.run(Files.readAllBytes(Samples.path(DIR + name)), name,
                    Parsers.forFormat("k8s-audit"));
            assertThat(result.deadLetters()).as(name).isEmpty();
            assertThat(result.events()).as(name).hasSize(1);
            assertThat(result.events().get(0).getImageVerifications()).as(name).isNotEmpty();
        }
    }

    private static String sample(String name) throws IOException {
        return Files.readString(Samples.path(DIR + name), UTF_8);
    }

    private SecurityEvent parseOne(String record) throws ParseException {
        List<SecurityEvent> events = parser.parse(record.getBytes(UTF_8), "test:1");
        assertThat(events).hasSize(1);
        return events.get(0);
    }

    private static String edit(String record, Consumer<ObjectNode> change) throws IOException {
        ObjectNode root = (ObjectNode) SafeJson.mapper().readTree(record);
        change.accept(root);
        return SafeJson.mapper().writeValueAsString(root);
    }
}
