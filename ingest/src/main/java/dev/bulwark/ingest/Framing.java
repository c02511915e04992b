package dev.bulwark.ingest;

/**
 * How a byte stream of one format is cut into records, as a factory of stateful per-stream {@link RecordFramer}s.
 *
 * <p>Why: sources frame differently. Falco and Tetragon write one JSON object per line; Trivy and {@code kubectl -o json}
 * write pretty-printed documents over many lines; CRI logs split long lines into partial {@code P} lines and stack
 * traces over many lines. Framing happens before parsing so that each dead letter holds exactly one record's bytes.
 */
@FunctionalInterface
public interface Framing {

    /** One record per line (NDJSON, plain text). */
    Framing LINES = LineFramer::new;

    /**
     * JSON values, either one per line (NDJSON) or pretty-printed over several lines; lines that do not start a JSON
     * value are records of their own, so mixed input reaches a parser that can reject it precisely.
     */
    Framing JSON = JsonFramer::new;

    /** A new framer for one stream, holding records to at most {@code maxRecordBytes}. */
    RecordFramer newFramer(int maxRecordBytes);
}
