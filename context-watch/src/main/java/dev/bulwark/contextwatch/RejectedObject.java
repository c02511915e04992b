package dev.bulwark.contextwatch;

import java.util.Arrays;
import java.util.Objects;

/**
 * A Kubernetes object event the parser could not normalize, with everything a dead letter needs.
 *
 * @param kind the Kubernetes kind the informer watches, e.g. {@code Pod}
 * @param origin where it came from: {@code kubernetes:<resource>/<namespace>/<name>@<resourceVersion>} (no namespace
 *        part for cluster-scoped kinds)
 * @param reason the parser's reason, naming the field
 * @param json the exact bytes given to the parser: a watch event {@code {"type": ..., "object": {...}}} holding the
 *        object as the API server served it, so a replay through {@code ./bulwark ingest --format k8s-objects} parses
 *        it the same way
 */
public record RejectedObject(String kind, String origin, String reason, byte[] json) {

    /** The source format rejected objects are recorded under: the file ingest's, since the parser is the same. */
    public static final String FORMAT = "k8s-objects";

    public RejectedObject {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(origin, "origin");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(json, "json");
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof RejectedObject that && kind.equals(that.kind) && origin.equals(that.origin)
                && reason.equals(that.reason) && Arrays.equals(json, that.json);
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, origin, reason, Arrays.hashCode(json));
    }

    @Override
    public String toString() {
        return "RejectedObject[" + kind + " " + origin + ": " + reason + " (" + json.length + " bytes)]";
    }
}
