package dev.bulwark.ingest.trivy;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A container image reference split into repository, tag and digest: {@code [registry/]path[:tag][@sha256:hex]}.
 *
 * <p>Why: Trivy names the scanned image in {@code ArtifactName} as the user typed it, which may also be a tarball path
 * ({@code trivy image --input img.tar.gz}); the event needs ECS {@code container.image.name} and {@code .tag} apart,
 * and must not mistake a file path for an image.
 *
 * @param name the repository, e.g. {@code ghcr.io/aquasecurity/trivy-test-images}
 * @param tag the tag, or null
 * @param digest the digest ({@code sha256:...}), or null
 */
public record ImageReference(String name, String tag, String digest) {

    private static final String COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
    private static final Pattern REFERENCE = Pattern.compile(
            "(?:[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?(?::[0-9]+)?/)?" + COMPONENT + "(?:/" + COMPONENT + ")*"
                    + "(?::[\\w][\\w.-]{0,127})?(?:@[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,})?");
    private static final String[] ARCHIVE_SUFFIXES = {".tar", ".tar.gz", ".tgz", ".tar.zst", ".tar.xz", ".tar.bz2"};
    private static final int MAX_LENGTH = 512;

    /** Parses a reference, or returns null when the text is not one (a file path, an archive, empty). */
    public static ImageReference parse(String text) {
        if (text == null || text.isEmpty() || text.length() > MAX_LENGTH || !REFERENCE.matcher(text).matches()) {
            return null;
        }
        String lower = text.toLowerCase(Locale.ROOT);
        for (String suffix : ARCHIVE_SUFFIXES) {
            if (lower.endsWith(suffix)) {
                return null;
            }
        }
        String rest = text;
        String digest = null;
        int at = rest.indexOf('@');
        if (at >= 0) {
            digest = rest.substring(at + 1);
            rest = rest.substring(0, at);
        }
        String tag = null;
        int colon = rest.lastIndexOf(':');
        if (colon > rest.lastIndexOf('/')) {
            tag = rest.substring(colon + 1);
            rest = rest.substring(0, colon);
        }
        return new ImageReference(rest, tag, digest);
    }

    /** The digest of a {@code repo@sha256:...} entry of {@code RepoDigests}, or null. */
    static String digestOf(String repoDigest) {
        if (repoDigest == null) {
            return null;
        }
        int at = repoDigest.lastIndexOf('@');
        return at < 0 || at == repoDigest.length() - 1 ? null : repoDigest.substring(at + 1);
    }

    /** The repository of a {@code repo@sha256:...} entry, or null. */
    static String repositoryOf(String repoDigest) {
        if (repoDigest == null) {
            return null;
        }
        int at = repoDigest.lastIndexOf('@');
        return at <= 0 ? null : repoDigest.substring(0, at);
    }
}
