package dev.bulwark.ingest.containerlogs;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.bulwark.ingest.ParseException;
import dev.bulwark.schemas.ContainerInfo;
import dev.bulwark.schemas.EventInfo;
import dev.bulwark.schemas.Ids;
import dev.bulwark.schemas.KubernetesInfo;
import dev.bulwark.schemas.LogLine;
import dev.bulwark.schemas.SecurityEvent;

/**
 * Turns one framed container log record (one or more lines of one stream) into one {@link SecurityEvent}.
 *
 * <p>Why: CRI and Docker json-file records differ only in how a line is decoded; the joining of chunks and lines, the
 * metadata from the file path and the event fields are the same for both.
 *
 * <p>The event: {@code event.kind=event}, {@code event.dataset=container.logs}, no category or type (ECS has none for
 * application output), {@code log.message} (partial chunks concatenated, logical lines joined with {@code \n}),
 * {@code log.stream}, {@code @timestamp} from the first line, Kubernetes and container identity from the file path.
 * Attribute keys: {@code log.file.path}, {@code log.origin} (file and line range), {@code log.time} (the first line's
 * time as written), {@code log.lines} (physical lines, when more than one), {@code log.partial=true} (the record ends
 * in a partial chunk: the rest was never written or did not fit), {@code kubernetes.container.restart_count},
 * {@code cri.tags} (extra CRI tags after {@code P}/{@code F}) and {@code docker.attrs.<key>}.
 */
final class ContainerLogEvents {

    static final String DATASET = "container.logs";

    private ContainerLogEvents() {
    }

    /**
     * Parses a record framed by {@link ContainerLogFramer}: lines separated by {@code \n}, all of one stream.
     *
     * @param runtime the container runtime implied by the format ({@code docker}), or null when unknown
     */
    static List<SecurityEvent> parse(String format, String runtime, LineDecoder decoder, byte[] record, String origin)
            throws ParseException {
        List<DecodedLine> lines = decodeLines(decoder, record);
        DecodedLine first = lines.get(0);

        StringBuilder message = new StringBuilder(record.length);
        boolean previousPartial = false;
        Map<String, String> extras = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            DecodedLine line = lines.get(i);
            if (i > 0 && !previousPartial) {
                message.append('\n');
            }
            message.append(line.message());
            previousPartial = line.partial();
            line.attributes().forEach(extras::putIfAbsent);
        }
        int end = message.length();
        while (end > 0 && message.charAt(end - 1) == '\n') {
            end--;
        }
        message.setLength(end);

        ContainerLogPath path = ContainerLogPath.fromOrigin(origin);
        Map<String, String> attributes = new LinkedHashMap<>();
        if (path.file() != null) {
            attributes.put("log.file.path", path.file());
        }
        if (origin != null) {
            attributes.put("log.origin", origin);
        }
        attributes.put("log.time", first.time());
        if (lines.size() > 1) {
            attributes.put("log.lines", Integer.toString(lines.size()));
        }
        if (previousPartial) {
            attributes.put("log.partial", "true");
        }
        if (path.restartCount() != null) {
            attributes.put("kubernetes.container.restart_count", path.restartCount());
        }
        attributes.putAll(extras);

        SecurityEvent.Builder event = SecurityEvent.newBuilder()
                .setId(Ids.of(format, path.scope(), Ids.ofRecord(format, record)))
                .setTimestamp(first.timeNanos())
                .setSourceFormat(format)
                .setOriginal(new String(record, StandardCharsets.UTF_8))
                .setEvent(EventInfo.newBuilder()
                        .setKind("event")
                        .setCategory(List.of())
                        .setType(List.of())
                        .setDataset(DATASET)
                        .setIngested(System.currentTimeMillis() * 1_000_000L)
                        .build())
                .setLog(LogLine.newBuilder().setMessage(message.toString()).setStream(first.stream()).build())
                .setAttributes(attributes);
        if (path.hasKubernetes()) {
            event.setKubernetes(KubernetesInfo.newBuilder()
                    .setNamespace(path.namespace())
                    .setPod(path.pod())
                    .setPodUid(path.podUid())
                    .build());
        }
        if (path.hasContainer()) {
            event.setContainer(ContainerInfo.newBuilder()
                    .setId(path.containerId())
                    .setName(path.container())
                    .setRuntime(runtime)
                    .build());
        }
        return List.of(event.build());
    }

    private static List<DecodedLine> decodeLines(LineDecoder decoder, byte[] record) throws ParseException {
        List<DecodedLine> lines = new ArrayList<>();
        int start = 0;
        int number = 0;
        for (int i = 0; i <= record.length; i++) {
            if (i < record.length && record[i] != '\n') {
                continue;
            }
            number++;
            int end = i;
            if (end > start && record[end - 1] == '\r') {
                end--;
            }
            if (!isBlank(record, start, end)) {
                DecodedLine line;
                try {
                    line = decoder.decode(Arrays.copyOfRange(record, start, end));
                } catch (ParseException e) {
                    throw number == 1 && i == record.length ? e
                            : new ParseException("line " + number + " of the record: " + e.getMessage(), e);
                }
                if (!lines.isEmpty() && !lines.get(0).stream().equals(line.stream())) {
                    throw new ParseException("line " + number + " of the record is on " + line.stream()
                            + " but the record started on " + lines.get(0).stream() + " (a record holds one stream)");
                }
                lines.add(line);
            }
            start = i + 1;
        }
        if (lines.isEmpty()) {
            throw new ParseException("empty record: no log line");
        }
        return lines;
    }

    private static boolean isBlank(byte[] bytes, int from, int to) {
        for (int i = from; i < to; i++) {
            if (bytes[i] != ' ' && bytes[i] != '\t' && bytes[i] != '\r') {
                return false;
            }
        }
        return true;
    }

    /** Strict UTF-8: a malformed sequence is an error naming its byte offset, never a silent replacement. */
    static String utf8(byte[] bytes, int from, int to, String what) throws ParseException {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes, from, to - from);
        CharBuffer out = CharBuffer.allocate(to - from);
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) {
            result = decoder.flush(out);
        }
        if (result.isError()) {
            throw new ParseException("invalid UTF-8 in the " + what + " at byte " + in.position()
                    + " of the line (a log line must be UTF-8 text)");
        }
        return out.flip().toString();
    }

    /** The start of some bytes as text for error messages: at most 80 characters, invalid bytes replaced. */
    static String preview(byte[] bytes, int from, int to) {
        int length = Math.min(to - from, 320);
        String text = new String(bytes, from, length, StandardCharsets.UTF_8);
        return text.length() > 80 || length < to - from ? text.substring(0, Math.min(80, text.length())) + "..." : text;
    }
}
