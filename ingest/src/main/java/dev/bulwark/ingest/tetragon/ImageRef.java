package dev.bulwark.ingest.tetragon;

/**
 * Image repository, tag and digest from Tetragon's {@code image.name} ({@code repo:tag}, possibly with a digest)
 * and {@code image.id} ({@code [docker-pullable://]repo@sha256:...} or a bare {@code sha256:...}).
 *
 * <p>Why: vulnerability findings and allow-lists match on repository and digest, which Tetragon spreads over two
 * fields in runtime-specific spellings; a registry port ({@code host:5000/app}) is not a tag.
 */
record ImageRef(String name, String tag, String digest) {
    static final ImageRef NONE = new ImageRef(null, null, null);

    static ImageRef of(String imageName, String imageId) {
        String repo = imageName;
        String tag = null;
        String digest = null;
        if (repo != null) {
            int at = repo.indexOf('@');
            if (at >= 0) {
                digest = TetragonParser.emptyToNull(repo.substring(at + 1));
                repo = repo.substring(0, at);
            }
            int colon = repo.lastIndexOf(':');
            if (colon > repo.lastIndexOf('/')) {
                tag = TetragonParser.emptyToNull(repo.substring(colon + 1));
                repo = repo.substring(0, colon);
            }
        }
        if (imageId != null) {
            String id = imageId;
            int scheme = id.indexOf("://");
            if (scheme > 0) {
                id = id.substring(scheme + 3);
            }
            int at = id.indexOf('@');
            if (digest == null) {
                digest = at >= 0 ? TetragonParser.emptyToNull(id.substring(at + 1)) : id.startsWith("sha256:") ? id : null;
            }
            if ((repo == null || repo.isEmpty()) && at > 0) {
                repo = id.substring(0, at);
            }
        }
        return new ImageRef(TetragonParser.emptyToNull(repo), tag, digest);
    }
}
