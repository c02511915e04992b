package dev.bulwark.ingest.k8saudit;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.bulwark.ingest.Normalization;
import dev.bulwark.ingest.ParseException;
import dev.bulwark.ingest.SafeJson;
import dev.bulwark.ingest.policy.ImageVerifications;
import dev.bulwark.schemas.ImageVerification;
import dev.bulwark.schemas.KubernetesAttributes;

/**
 * What admission control left in an audit event about images: the verdicts of Kyverno's verifyImages and the sigstore
 * policy-controller, and the images mutating webhooks wrote.
 *
 * <p>Why: both controllers verify signatures at admission only, and the audit log is where that moment is recorded. The
 * places are documented by the projects: the API server records each mutating webhook's patch in the annotation
 * {@code patch.webhook.admission.k8s.io/round_<r>_index_<i>} (audit level Request and above), Kyverno writes its
 * verdicts into the admitted object's {@code kyverno.io/verify-images} annotation (seen in the {@code responseObject} at
 * level RequestResponse, and in Kyverno's patch) and resolves tags to digests with {@code mutateDigest}, the
 * policy-controller's mutating webhook resolves tags to digests, and a refused request's response message names the
 * webhook and, for both controllers, the policy and image that failed. The request body is not read for verdicts: it is
 * what the client sent, and a client can write any annotation.
 *
 * <p>A verdict that cannot be read (a malformed annotation or patch) does not fail the event, which is a valid audit
 * record: the reason goes to {@code k8s.audit.image_verification.unreadable} and the readable verdicts are kept.
 */
final class AdmissionFacts {

    private static final String PATCH_ANNOTATION_PREFIX = "patch.webhook.admission.k8s.io/";
    /** Where an object keeps its annotations: its own metadata, or its pod template's (workloads, CronJobs). */
    private static final List<String> ANNOTATION_PATHS = List.of("/metadata/annotations",
            "/spec/template/metadata/annotations", "/spec/jobTemplate/spec/template/metadata/annotations");
    private static final Pattern IMAGE_PATH = Pattern.compile(
            "^(?:/spec(?:/template/spec|/jobTemplate/spec/template/spec)?)/(?:containers|initContainers|ephemeralContainers)"
                    + "/\\d{1,4}/image$");
    private static final String KYVERNO_KEY = ImageVerifications.KYVERNO_ANNOTATION.replace("/", "~1");
    private static final String KYVERNO_SCOPED_KEY = ImageVerifications.KYVERNO_SCOPED_ANNOTATION.replace("/", "~1");
    private static final int MAX_UNREADABLE = 1024;

    private final Map<String, ImageVerification> verdicts = new LinkedHashMap<>();
    private final List<String> unreadable = new ArrayList<>();
    private final ArrayNode imagePatches = JsonNodeFactory.instance.arrayNode();

    private AdmissionFacts() {
    }

    /**
     * The image verdicts of one audit event, in the order annotation, patch, denial (a verdict seen twice is kept
     * once); writes {@code k8s.audit.admission.denied_by}, {@code k8s.audit.admission.image_patches} and
     * {@code k8s.audit.image_verification.unreadable} into {@code attributes}.
     */
    static List<ImageVerification> read(JsonNode annotations, JsonNode responseObject, Integer code, String message,
            Map<String, String> attributes) {
        AdmissionFacts facts = new AdmissionFacts();
        boolean admitted = code == null || code < 400;
        if (admitted && responseObject != null && responseObject.isObject()
                && !"Status".equals(responseObject.path("kind").asText())) {
            facts.admittedObject(responseObject);
        }
        if (annotations != null) {
            for (Iterator<Map.Entry<String, JsonNode>> it = annotations.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> entry = it.next();
                if (entry.getKey().startsWith(PATCH_ANNOTATION_PREFIX) && entry.getValue().isTextual()) {
                    facts.patch(entry.getKey(), entry.getValue().textValue());
                }
            }
        }
        if (!admitted && message != null) {
            Normalization.putText(attributes, KubernetesAttributes.AUDIT_ADMISSION_DENIED_BY,
                    ImageVerifications.deniedBy(message));
            facts.addAll(ImageVerifications.denial(message));
        }
        if (!facts.imagePatches.isEmpty()) {
            Normalization.putJson(attributes, KubernetesAttributes.AUDIT_ADMISSION_IMAGE_PATCHES, facts.imagePatches);
        }
        if (!facts.unreadable.isEmpty()) {
            String reasons = String.join("; ", facts.unreadable);
            attributes.put(KubernetesAttributes.AUDIT_IMAGE_VERIFICATION_UNREADABLE,
                    reasons.length() > MAX_UNREADABLE ? reasons.substring(0, MAX_UNREADABLE) + "..." : reasons);
        }
        return List.copyOf(facts.verdicts.values());
    }

    /** Kyverno's annotations on the object as stored: its own, and its pod template's. */
    private void admittedObject(JsonNode object) {
        for (String path : ANNOTATION_PATHS) {
            JsonNode annotations = object.at(path);
            if (annotations.isObject()) {
                annotations(annotations, "responseObject" + path.replace('/', '.'), ImageVerifications.EVIDENCE_ANNOTATION);
            }
        }
    }

    /** The scoped annotation first (it names policy and rule), then the plain one for images it does not cover. */
    private void annotations(JsonNode annotations, String where, String evidence) {
        JsonNode scoped = annotations.get(ImageVerifications.KYVERNO_SCOPED_ANNOTATION);
        JsonNode plain = annotations.get(ImageVerifications.KYVERNO_ANNOTATION);
        Set<String> covered = new HashSet<>();
        if (scoped != null) {
            for (ImageVerification verdict : kyverno(scoped, true, where, evidence)) {
                covered.add(verdict.getImage());
                add(verdict);
            }
        }
        if (plain != null) {
            for (ImageVerification verdict : kyverno(plain, false, where, evidence)) {
                if (!covered.contains(verdict.getImage())) {
                    add(verdict);
                }
            }
        }
    }

    private List<ImageVerification> kyverno(JsonNode value, boolean scoped, String where, String evidence) {
        String key = scoped ? ImageVerifications.KYVERNO_SCOPED_ANNOTATION : ImageVerifications.KYVERNO_ANNOTATION;
        if (!value.isTextual()) {
            unreadable.add(where + "." + key + ": must be a string, got " + SafeJson.describe(value));
            return List.of();
        }
        try {
            return scoped ? ImageVerifications.kyvernoScopedAnnotation(value.textValue(), evidence)
                    : ImageVerifications.kyvernoAnnotation(value.textValue(), evidence);
        } catch (ParseException e) {
            unreadable.add(where + "." + key + ": " + e.getMessage());
            return List.of();
        }
    }

    /** One webhook's patch: Kyverno's verdict annotations and the container images it wrote. */
    private void patch(String annotation, String value) {
        JsonNode root;
        try {
            root = SafeJson.read(value.getBytes(StandardCharsets.UTF_8));
        } catch (ParseException e) {
            unreadable.add(annotation + ": " + e.getMessage());
            return;
        }
        JsonNode operations = root.path("patch");
        if (!root.isObject() || !operations.isArray()) {
            // Other patch types (a JSON merge patch is an object) carry no verdicts Kyverno writes.
            return;
        }
        String webhook = root.path("webhook").isTextual() ? root.get("webhook").textValue() : null;
        ObjectNode pending = JsonNodeFactory.instance.objectNode();
        for (JsonNode operation : operations) {
            String path = operation.path("path").isTextual() ? operation.get("path").textValue() : null;
            JsonNode written = operation.get("value");
            String op = operation.path("op").asText();
            if (path == null || written == null || !("add".equals(op) || "replace".equals(op))) {
                continue;
            }
            for (String annotationsPath : ANNOTATION_PATHS) {
                if (path.equals(annotationsPath) && written.isObject()) {
                    copy(written, pending);
                } else if (path.equals(annotationsPath + "/" + KYVERNO_KEY)) {
                    pending.set(ImageVerifications.KYVERNO_ANNOTATION, written);
                } else if (path.equals(annotationsPath + "/" + KYVERNO_SCOPED_KEY)) {
                    pending.set(ImageVerifications.KYVERNO_SCOPED_ANNOTATION, written);
                }
            }
            if (written.isTextual() && IMAGE_PATH.matcher(path).matches()) {
                ObjectNode entry = imagePatches.addObject();
                if (webhook != null) {
                    entry.put("webhook", webhook);
                }
                entry.put("path", path);
                entry.put("image", written.textValue());
            }
        }
        if (!pending.isEmpty()) {
            annotations(pending, annotation, ImageVerifications.EVIDENCE_PATCH);
        }
    }

    private static void copy(JsonNode annotations, ObjectNode pending) {
        for (String key : List.of(ImageVerifications.KYVERNO_ANNOTATION, ImageVerifications.KYVERNO_SCOPED_ANNOTATION)) {
            if (annotations.has(key)) {
                pending.set(key, annotations.get(key));
            }
        }
    }

    private void addAll(List<ImageVerification> list) {
        list.forEach(this::add);
    }

    /** Keeps the first verdict on an image for the same verifier, policy and rule. */
    private void add(ImageVerification verdict) {
        String key = verdict.getVerifier() + "\u0000" + verdict.getImage() + "\u0000" + verdict.getPolicy() + "\u0000"
                + verdict.getRule();
        verdicts.putIfAbsent(key, verdict);
    }
}
