package dev.bulwark.detectors.integrity;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.bulwark.detectors.vulnerability.ImageRef;

/**
 * An image reference taken apart: registry, repository (normalized with {@link ImageRef}), tag and digest.
 *
 * <p>Why: admission controllers, scanners, the kubelet and pod specs spell the same image differently
 * ({@code nginx:1.25}, {@code docker.io/library/nginx:1.25}, {@code docker.io/library/nginx@sha256:...}); the integrity
 * detectors compare them by repository, tag and digest.
 *
 * @param registry the registry host (with its port), {@code docker.io} when the reference names none
 * @param repository the normalized repository, registry included ({@code docker.io/library/nginx})
 * @param tag the tag, or null (a reference by digest only)
 * @param digest the {@code sha256:...} digest, or null
 */
public record ImageName(String registry, String repository, String tag, String digest) {

    private static final Pattern DIGEST = Pattern.compile("@(sha256:[0-9a-f]{64})$");

    /** The parts of {@code reference}, or null when it is blank. */
    public static ImageName parse(String reference) {
        if (reference == null || reference.isBlank()) {
            return null;
        }
        String value = reference.strip();
        String digest = null;
        Matcher matcher = DIGEST.matcher(value);
        int at = value.indexOf('@');
        if (matcher.find()) {
            digest = matcher.group(1);
        }
        if (at >= 0) {
            value = value.substring(0, at);
        }
        String tag = null;
        int colon = value.lastIndexOf(':');
        if (colon > value.lastIndexOf('/')) {
            tag = value.substring(colon + 1);
            value = value.substring(0, colon);
        }
        String repository = ImageRef.normalize(value);
        return new ImageName(repository.substring(0, repository.indexOf('/')), repository, tag, digest);
    }

    /** {@code repository@digest}, or null without a digest: the key of what was verified. */
    public String byDigest() {
        return digest == null ? null : repository + "@" + digest;
    }

    /** {@code repository:tag}, the tag {@code latest} when none is given, or null for a reference by digest only. */
    public String byTag() {
        if (tag == null && digest != null) {
            return null;
        }
        return repository + ":" + (tag == null ? "latest" : tag);
    }
}
