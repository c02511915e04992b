package dev.bulwark.ingest.containerlogs;

import java.util.Map;

/**
 * One physical line of a container log file, decoded.
 *
 * <p>Why: CRI and Docker json-file lines differ only in syntax; framing and event building work on this common form.
 *
 * @param stream {@code stdout} or {@code stderr}
 * @param timeNanos the line's time as UTC epoch nanoseconds
 * @param time the time exactly as written (RFC 3339, possibly with an offset and a trimmed fraction)
 * @param partial true when the line is a chunk of a longer log line that continues on the next line of the same
 *        stream (CRI tag {@code P}; a Docker {@code log} without a trailing newline)
 * @param message the chunk's text, without the line terminator
 * @param attributes format-specific extras (CRI extra tags, Docker {@code attrs}), already prefixed
 */
record DecodedLine(String stream, long timeNanos, String time, boolean partial, String message,
               Map<String, String> attributes) {

    static final String STDOUT = "stdout";
    static final String STDERR = "stderr";

    DecodedLine {
        attributes = Map.copyOf(attributes);
    }

    static boolean isStream(String stream) {
        return STDOUT.equals(stream) || STDERR.equals(stream);
    }
}
