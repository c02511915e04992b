package dev.bulwark.ingest.policy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;

import dev.bulwark.ingest.ParseException;
import dev.bulwark.ingest.SafeJson;
import dev.bulwark.ingest.k8sobjects.Names;
import dev.bulwark.ingest.trivy.ImageReference;
import dev.bulwark.schemas.ImageVerification;

/**
 * Image verification verdicts as Kyverno and the sigstore policy-controller leave them: Kyverno's
 * {@code kyverno.io/verify-images} annotation (and its scoped variant), the messages of Kyverno's verifyImages rules in
 * policy reports and denials, and the policy-controller's denials.
 *
 * <p>Why: both admission controllers check signatures once, when a workload is admitted, and say so only in these
 * places; the image-integrity detectors need the verdicts as facts (image, digest, pass or fail, which policy) no matter
 * which record carried them. The formats are the projects' own: Kyverno's {@code ImageVerificationMetadata}
 * ({@code {"<image>": "pass"|"fail"|"skip"}}, booleans before Kyverno 1.10; the scoped variant
 * {@code {"version": 1, "policies": {"<ns>/<policy>": {"<rule>": {"<image>": "pass"}}}}}), Kyverno's rule messages
 * ({@code verified image signatures for <image>}, {@code failed to verify image <image>: <why>}) and the
 * policy-controller's field errors ({@code failed policy: <policy>: spec.containers[0].image} followed by a line that
 * starts with the image).
 */
public final class ImageVerifications {

    /** {@link ImageVerification#getVerifier()} of Kyverno verdicts. */
    public static final String KYVERNO = "kyverno";
    /** {@link ImageVerification#getVerifier()} of sigstore policy-controller verdicts. */
    public static final String POLICY_CONTROLLER = "sigstore-policy-controller";

    /** The verdict was on the admitted object's {@code kyverno.io/verify-images} annotation. */
    public static final String EVIDENCE_ANNOTATION = "annotation";
    /** The verdict was in a mutating webhook's patch recorded in the audit annotations. */
    public static final String EVIDENCE_PATCH = "patch";
    /** The request was refused and the response message names the image. */
    public static final String EVIDENCE_DENIAL = "denial";
    /** A policy report result. */
    public static final String EVIDENCE_REPORT = "report";

    /** Kyverno's annotation on admitted objects. */
    public static final String KYVERNO_ANNOTATION = "kyverno.io/verify-images";
    /** Kyverno's scoped annotation (per policy and rule). */
    public static final String KYVERNO_SCOPED_ANNOTATION = "kyverno.io/verify-images-scoped";
    /** The sigstore policy-controller's webhook name (validating and mutating). */
    public static final String POLICY_CONTROLLER_WEBHOOK = "policy.sigstore.dev";

    private static final Pattern DENIED = Pattern.compile("^admission webhook \"([^\"]{1,253})\" denied the request");
    private static final Pattern KYVERNO_PASS = Pattern.compile("^verified image (?:signatures|attestations) for (\\S+)$");
    private static final Pattern KYVERNO_FAIL = Pattern.compile(
            "^(?:failed to verify image|image verification failed for) (\\S+): ");
    private static final Pattern FAILED_POLICY = Pattern.compile("failed policy: ([^:\\s]{1,253}): \\S");
    private static final Pattern NO_MATCHING_POLICIES = Pattern.compile("(?:^|: )no matching policies: \\S");
    private static final int MAX_IMAGE_LENGTH = 1024;

    private ImageVerifications() {
    }

    /**
     * The verdicts of a {@code kyverno.io/verify-images} value.
     *
     * @throws ParseException when the value is not Kyverno's map of image to {@code pass}, {@code fail}, {@code skip}
     *         (or a boolean)
     */
    public static List<ImageVerification> kyvernoAnnotation(String value, String evidence) throws ParseException {
        JsonNode map = SafeJson.read(value.getBytes(StandardCharsets.UTF_8));
        if (!map.isObject()) {
            throw new ParseException(KYVERNO_ANNOTATION + " must hold a JSON object of image to verdict, got "
                    + SafeJson.describe(map));
        }
        List<ImageVerification> verdicts = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            verdicts.add(of(KYVERNO, entry.getKey(), verdict(entry.getValue(), entry.getKey()), null, null, evidence));
        }
        return verdicts;
    }

    /**
     * The verdicts of a {@code kyverno.io/verify-images-scoped} value, with the policy ({@code <ns>/<name>}, the
     * leading {@code /} of a cluster policy dropped) and rule of each.
     *
     * @throws ParseException when the value is not Kyverno's scoped map (version 1)
     */
    public static List<ImageVerification> kyvernoScopedAnnotation(String value, String evidence) throws ParseException {
        JsonNode root = SafeJson.read(value.getBytes(StandardCharsets.UTF_8));
        if (!root.isObject() || root.path("version").asInt(0) != 1 || !root.path("policies").isObject()) {
            throw new ParseException(KYVERNO_SCOPED_ANNOTATION + " must be {\"version\": 1, \"policies\": {...}}");
        }
        List<ImageVerification> verdicts = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> policies = root.get("policies").fields(); policies.hasNext(); ) {
            Map.Entry<String, JsonNode> policy = policies.next();
            String policyName = policy.getKey().startsWith("/") ? policy.getKey().substring(1) : policy.getKey();
            if (!policy.getValue().isObject()) {
                throw new ParseException(KYVERNO_SCOPED_ANNOTATION + ": policy " + clip(policyName) + " must map rules");
            }
            for (Iterator<Map.Entry<String, JsonNode>> rules = policy.getValue().fields(); rules.hasNext(); ) {
                Map.Entry<String, JsonNode> rule = rules.next();
                if (!rule.getValue().isObject()) {
                    throw new ParseException(KYVERNO_SCOPED_ANNOTATION + ": rule " + clip(rule.getKey()) + " must map images");
                }
                for (Iterator<Map.Entry<String, JsonNode>> images = rule.getValue().fields(); images.hasNext(); ) {
                    Map.Entry<String, JsonNode> image = images.next();
                    verdicts.add(of(KYVERNO, image.getKey(), verdict(image.getValue(), image.getKey()),
                            text(policyName, "policy"), text(rule.getKey(), "rule"), evidence));
                }
            }
        }
        return verdicts;
    }

    /**
     * The verdict in the message of a Kyverno verifyImages rule ({@code verified image signatures for <image>},
     * {@code failed to verify image <image>: ...}), or null when the message is not one.
     */
    public static ImageVerification kyvernoMessage(String message, String policy, String rule, String evidence) {
        if (message == null) {
            return null;
        }
        String result;
        Matcher matcher = KYVERNO_PASS.matcher(message);
        if (matcher.find()) {
            result = "pass";
        } else {
            matcher = KYVERNO_FAIL.matcher(message);
            if (!matcher.find()) {
                return null;
            }
            result = "fail";
        }
        try {
            return of(KYVERNO, matcher.group(1), result, policy, rule, evidence);
        } catch (ParseException e) {
            return null;
        }
    }

    /** The admission webhook named in a {@code admission webhook "<name>" denied the request} message, or null. */
    public static String deniedBy(String message) {
        if (message == null) {
            return null;
        }
        Matcher matcher = DENIED.matcher(message);
        return matcher.find() ? matcher.group(1) : null;
    }

    /**
     * The image verdicts in the response message of a refused request: the policy-controller's
     * {@code failed policy: <policy>: <fields>} (and {@code no matching policies}) entries, each followed by a line
     * starting with the image; Kyverno's {@code <policy>:} / {@code <rule>: 'failed to verify image ...'} blocks. A
     * denial by any other webhook, or for a reason other than an image, gives none.
     */
    public static List<ImageVerification> denial(String message) {
        String webhook = deniedBy(message);
        if (webhook == null) {
            return List.of();
        }
        if (POLICY_CONTROLLER_WEBHOOK.equals(webhook)) {
            return policyControllerDenial(message);
        }
        if (webhook.contains(".kyverno.svc")) {
            return kyvernoDenial(message);
        }
        return List.of();
    }

    private static List<ImageVerification> policyControllerDenial(String message) {
        List<ImageVerification> verdicts = new ArrayList<>();
        String[] lines = message.split("\n", -1);
        for (int i = 0; i + 1 < lines.length; i++) {
            Matcher failed = FAILED_POLICY.matcher(lines[i]);
            String policy;
            if (failed.find()) {
                policy = failed.group(1);
            } else if (NO_MATCHING_POLICIES.matcher(lines[i]).find()) {
                policy = null;
            } else {
                continue;
            }
            // The details line starts with the image the policy failed for.
            String details = lines[i + 1].strip();
            int space = details.indexOf(' ');
            String image = space < 0 ? details : details.substring(0, space);
            if (ImageReference.parse(image) != null) {
                try {
                    verdicts.add(of(POLICY_CONTROLLER, image, "fail", policy, null, EVIDENCE_DENIAL));
                } catch (ParseException e) {
                    // not an image after all: the denial is still on record in the response message
                }
            }
        }
        return verdicts;
    }

    /**
     * Kyverno's denial lists the blocking policies as YAML: {@code <policy>:} then {@code "  <rule>: <message>"} with
     * the message folded onto further, deeper-indented lines.
     */
    private static List<ImageVerification> kyvernoDenial(String message) {
        List<ImageVerification> verdicts = new ArrayList<>();
        String policy = null;
        String rule = null;
        StringBuilder text = new StringBuilder();
        for (String line : message.split("\n", -1)) {
            boolean continuation = line.startsWith("    ") && rule != null;
            if (continuation) {
                text.append(' ').append(line.strip());
                continue;
            }
            addKyverno(verdicts, policy, rule, text);
            rule = null;
            if (line.startsWith("  ") && !line.startsWith("   ") && policy != null) {
                int colon = line.indexOf(": ");
                if (colon > 2) {
                    rule = line.substring(2, colon);
                    text.setLength(0);
                    text.append(line.substring(colon + 2).strip());
                }
            } else if (!line.isEmpty() && !line.startsWith(" ") && line.endsWith(":") && line.indexOf(' ') < 0) {
                policy = line.substring(0, line.length() - 1);
            }
        }
        addKyverno(verdicts, policy, rule, text);
        return verdicts;
    }

    private static void addKyverno(List<ImageVerification> verdicts, String policy, String rule, StringBuilder text) {
        if (rule == null) {
            return;
        }
        String value = text.toString();
        if (value.length() >= 2 && value.startsWith("'") && value.endsWith("'")) {
            value = value.substring(1, value.length() - 1).replace("''", "'");
        } else if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
            value = value.substring(1, value.length() - 1);
        }
        ImageVerification verdict = kyvernoMessage(value, policy, rule, EVIDENCE_DENIAL);
        if (verdict != null) {
            verdicts.add(verdict);
        }
    }

    /** One verdict; the image reference is split when it parses. */
    static ImageVerification of(String verifier, String image, String result, String policy, String rule,
            String evidence) throws ParseException {
        String checked = text(image, "image");
        if (checked.isEmpty()) {
            throw new ParseException("an image verification names an empty image");
        }
        ImageReference reference = ImageReference.parse(checked);
        return ImageVerification.newBuilder()
                .setVerifier(verifier)
                .setImage(checked)
                .setImageName(reference == null ? null : reference.name())
                .setImageTag(reference == null ? null : reference.tag())
                .setDigest(reference == null ? null : reference.digest())
                .setVerdict(result)
                .setPolicy(policy)
                .setRule(rule)
                .setEvidence(evidence)
                .build();
    }

    /** Kyverno's verdict words, and the booleans older versions wrote. */
    private static String verdict(JsonNode value, String image) throws ParseException {
        if (value.isBoolean()) {
            return value.booleanValue() ? "pass" : "fail";
        }
        String text = value.isTextual() ? value.textValue() : null;
        if ("pass".equals(text) || "fail".equals(text) || "skip".equals(text)) {
            return text;
        }
        throw new ParseException("the verdict for image " + clip(image) + " must be pass, fail or skip, got "
                + (text == null ? SafeJson.describe(value) : "\"" + clip(text) + "\""));
    }

    private static String text(String value, String what) throws ParseException {
        return Names.printable(value, what, MAX_IMAGE_LENGTH, true);
    }

    private static String clip(String value) {
        String printable = value.replaceAll("[^\\x20-\\x7e]", "?");
        return printable.length() > 80 ? printable.substring(0, 80) + "..." : printable;
    }
}
