package dev.bulwark.ingest.containerlogs;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import dev.bulwark.ingest.EventParser;
import dev.bulwark.ingest.Framing;
import dev.bulwark.ingest.JsonFields;
import dev.bulwark.ingest.ParseException;
import dev.bulwark.schemas.SecurityEvent;

/**
 * Parses container log files written by CRI runtimes (containerd, CRI-O) under {@code /var/log/pods} and
 * {@code /var/log/containers} into {@link SecurityEvent}s with {@code log.message} and {@code log.stream}.
 *
 * <p>Why: container output is where application-level attacks show (web shells, exploit payloads in requests, crash
 * traces after a memory-corruption attempt), and on Kubernetes nodes it is in this format.
 *
 * <p>A line is {@code <RFC3339Nano time> <stdout|stderr> <tag> <message>} with single spaces; the tag is {@code F}
 * (full or last chunk) or {@code P} (partial: containerd and CRI-O split lines longer than 16 KiB into
 * {@code P ... P F}), optionally followed by more {@code :}-separated tags ({@code P:TAG1:TAG2}). The 2016 proposal had
 * no tag, so a third field that is not a tag is read as the start of the message of a full line. The time is node local
 * time, so it may carry an offset instead of {@code Z}, and has 0 to 9 fraction digits. Framing ({@link #framing()})
 * joins partial chunks and stack-trace continuation lines of one stream into one record, see
 * {@link ContainerLogFramer} and {@link Multiline}.
 */
public final class CriParser implements EventParser {

    /** The start of a CRI line: an RFC 3339 time and a stream, then a space or the end. */
    private static final Pattern LOOKS_LIKE = Pattern.compile(
            "\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?(Z|[+-]\\d{2}:\\d{2}) (stdout|stderr)( |$)");

    private static final int MAX_TIME_LENGTH = 64;
    private static final int MAX_TAG_LENGTH = 256;

    private static final Framing FRAMING = maxRecordBytes -> new ContainerLogFramer(CriParser::decode, maxRecordBytes);

    @Override
    public String format() {
        return "cri";
    }

    /** Partial chunks and stack traces of one stream become one record. */
    @Override
    public Framing framing() {
        return FRAMING;
    }

    @Override
    public List<SecurityEvent> parse(byte[] record, String origin) throws ParseException {
        return ContainerLogEvents.parse(format(), null, CriParser::decode, record, origin);
    }

    /**
     * Whether a line looks like a CRI log line (time and stream at its start), for format detection. Never throws.
     */
    public static boolean looksLike(byte[] line) {
        if (line == null) {
            return false;
        }
        int length = Math.min(line.length, 48);
        return LOOKS_LIKE.matcher(new String(line, 0, length, StandardCharsets.ISO_8859_1)).lookingAt();
    }

    /** Decodes one CRI line. */
    static DecodedLine decode(byte[] line) throws ParseException {
        int end = line.length;
        if (end > 0 && line[end - 1] == '\r') {
            end--;
        }
        if (end == 0) {
            throw new ParseException("empty CRI log line");
        }
        int timeEnd = indexOf(line, 0, end);
        if (timeEnd < 0 || timeEnd > MAX_TIME_LENGTH) {
            throw new ParseException("not a CRI log line: expected \"<time> <stdout|stderr> <tag> <message>\", got \""
                    + ContainerLogEvents.preview(line, 0, end) + "\"");
        }
        String time = new String(line, 0, timeEnd, StandardCharsets.UTF_8);
        long nanos;
        try {
            nanos = JsonFields.epochNanos("time", time);
        } catch (ParseException e) {
            throw new ParseException("CRI log line does not start with an RFC 3339 time: \""
                    + ContainerLogEvents.preview(line, 0, timeEnd) + "\"");
        }

        int streamStart = timeEnd + 1;
        int streamEnd = indexOf(line, streamStart, end);
        int streamLimit = streamEnd < 0 ? end : streamEnd;
        String stream = new String(line, streamStart, Math.min(streamLimit - streamStart, 64), StandardCharsets.UTF_8);
        if (!DecodedLine.isStream(stream)) {
            throw new ParseException("CRI log line has unknown stream \"" + stream + (streamLimit - streamStart > 64 ? "..." : "")
                    + "\" (expected stdout or stderr)");
        }
        if (streamEnd < 0) {
            throw new ParseException("truncated CRI log line: no tag and no message after the stream");
        }

        int tagStart = streamEnd + 1;
        int tagEnd = indexOf(line, tagStart, end);
        if (tagEnd < 0) {
            tagEnd = end;
        }
        boolean partial = false;
        int messageStart = tagStart;
        Map<String, String> attributes = Map.of();
        if (isTag(line, tagStart, tagEnd)) {
            partial = line[tagStart] == 'P';
            messageStart = Math.min(tagEnd + 1, end);
            if (tagEnd - tagStart > 2) {
                attributes = Map.of("cri.tags", new String(line, tagStart + 2, tagEnd - tagStart - 2, StandardCharsets.UTF_8));
            }
        }
        String message = ContainerLogEvents.utf8(line, messageStart, end, "CRI log message");
        return new DecodedLine(stream, nanos, time, partial, message, attributes);
    }

    /** {@code P}, {@code F}, or either followed by {@code :}-separated extra tags. */
    private static boolean isTag(byte[] line, int from, int to) {
        int length = to - from;
        if (length < 1 || length > MAX_TAG_LENGTH || (line[from] != 'P' && line[from] != 'F')) {
            return false;
        }
        return length == 1 || (line[from + 1] == ':' && length > 2);
    }

    private static int indexOf(byte[] bytes, int from, int to) {
        for (int i = from; i < to; i++) {
            if (bytes[i] == ' ') {
                return i;
            }
        }
        return -1;
    }
}
