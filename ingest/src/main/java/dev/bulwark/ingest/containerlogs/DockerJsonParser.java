package dev.bulwark.ingest.containerlogs;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import dev.bulwark.ingest.EventParser;
import dev.bulwark.ingest.Framing;
import dev.bulwark.ingest.JsonFields;
import dev.bulwark.ingest.ParseException;
import dev.bulwark.ingest.SafeJson;
import dev.bulwark.schemas.SecurityEvent;

/**
 * Parses Docker's json-file log driver output ({@code /var/lib/docker/containers/<id>/<id>-json.log}, and
 * {@code /var/log/containers} on nodes that ran dockershim) into {@link SecurityEvent}s with {@code log.message} and
 * {@code log.stream}.
 *
 * <p>Why: Docker hosts and older Kubernetes nodes keep container output in this format.
 *
 * <p>A line is one JSON object {@code {"log":"...\n","stream":"stdout","time":"<RFC3339Nano>"}} with an optional
 * {@code attrs} object ({@code --log-opt labels/env}, kept as {@code docker.attrs.<key>} attributes). Docker splits
 * output lines longer than 16 KiB into several objects; only the last one's {@code log} ends with {@code \n}, so a
 * {@code log} without it is a partial chunk that the framing joins with the next line of the same stream. All three keys
 * are required and must be strings. The events name runtime {@code docker} when the file path shows the container.
 */
public final class DockerJsonParser implements EventParser {

    private static final Framing FRAMING = maxRecordBytes -> new ContainerLogFramer(DockerJsonParser::decode, maxRecordBytes);

    @Override
    public String format() {
        return "docker";
    }

    /** Partial chunks and stack traces of one stream become one record. */
    @Override
    public Framing framing() {
        return FRAMING;
    }

    @Override
    public List<SecurityEvent> parse(byte[] record, String origin) throws ParseException {
        return ContainerLogEvents.parse(format(), "docker", DockerJsonParser::decode, record, origin);
    }

    /**
     * Whether a line looks like a Docker json-file line: a JSON object with string {@code log} and {@code stream} and a
     * {@code time}, for format detection. Never throws.
     */
    public static boolean looksLike(byte[] line) {
        if (line == null) {
            return false;
        }
        int first = 0;
        while (first < line.length && (line[first] == ' ' || line[first] == '\t')) {
            first++;
        }
        if (first >= line.length || line[first] != '{') {
            return false;
        }
        try {
            JsonNode root = SafeJson.readObject(line);
            return root.path("log").isTextual() && root.path("stream").isTextual() && root.has("time");
        } catch (ParseException | RuntimeException e) {
            return false;
        }
    }

    /** Decodes one json-file line. */
    static DecodedLine decode(byte[] line) throws ParseException {
        JsonNode root = SafeJson.readObject(line);
        String log = requiredString(root, "log");
        String stream = requiredString(root, "stream");
        if (!DecodedLine.isStream(stream)) {
            throw new ParseException("field 'stream' has unknown value \"" + clip(stream) + "\" (expected stdout or stderr)");
        }
        String time = requiredString(root, "time");
        long nanos = JsonFields.epochNanos("time", time);
        Map<String, String> attributes = Map.of();
        JsonNode attrs = JsonFields.object(root, "attrs");
        if (attrs != null && !attrs.isEmpty()) {
            attributes = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = attrs.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> entry = it.next();
                JsonNode value = entry.getValue();
                if (!value.isNull()) {
                    attributes.put("docker.attrs." + entry.getKey(), value.isContainerNode() ? value.toString() : value.asText());
                }
            }
        }
        boolean partial = !log.endsWith("\n");
        String message = log;
        if (!partial) {
            int end = log.length() - 1;
            if (end > 0 && log.charAt(end - 1) == '\r') {
                end--;
            }
            message = log.substring(0, end);
        }
        return new DecodedLine(stream, nanos, time, partial, message, attributes);
    }

    private static String requiredString(JsonNode root, String field) throws ParseException {
        JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            throw new ParseException("missing required field '" + field + "'");
        }
        if (!node.isTextual()) {
            throw new ParseException("field '" + field + "' must be a string, got " + SafeJson.describe(node));
        }
        return node.textValue();
    }

    private static String clip(String value) {
        return value.length() > 40 ? value.substring(0, 40) + "..." : value;
    }
}
