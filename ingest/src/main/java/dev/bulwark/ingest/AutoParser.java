package dev.bulwark.ingest;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;

import dev.bulwark.ingest.policy.PolicyReportParser;
import dev.bulwark.ingest.trivy.TrivyComplianceParser;

/**
 * {@code --format auto}: recognizes the format of each record and hands it to that format's parser.
 *
 * <p>Why: collectors often get mixed streams (a directory of Falco, audit and Trivy output, or a shipper that merges
 * sources); detecting per record means one command takes them all, and a record of no known format is dead-lettered
 * with a reason listing what was looked for.
 *
 * <p>Recognition, by the record's shape: Falco alerts have {@code rule}, {@code priority} and {@code output};
 * Tetragon events have one {@code process_*} key; Kubernetes audit records are {@code audit.k8s.io} {@code Event}s or
 * {@code EventList}s; policy reports have a {@code wgpolicyk8s.io} or {@code openreports.io} {@code apiVersion} (or
 * are lists of them); Trivy compliance reports have {@code ID} and {@code Title} (or are trivy-operator
 * {@code ClusterComplianceReport}s); Trivy reports have {@code SchemaVersion} and {@code Results} or {@code ArtifactName}; Kubernetes
 * objects have {@code apiVersion}, {@code kind} and {@code metadata} (or are lists or watch events of them); Docker
 * json-file lines have {@code log} and {@code stream}; a non-JSON line that starts with an RFC 3339 time
 * and a stream name is a CRI log line. Partial CRI lines are joined only with {@code --format cri}, whose framing knows
 * them.
 */
final class AutoParser implements SourceParser {

    private static final Pattern CRI_LINE = Pattern.compile(
            "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?(Z|[+-]\\d{2}:\\d{2}) (stdout|stderr) [PF]( |$)");

    private final Parsers.Settings settings;
    private final Map<String, SourceParser> parsers = new ConcurrentHashMap<>();

    AutoParser(Parsers.Settings settings) {
        this.settings = settings;
    }

    @Override
    public String format() {
        return "auto";
    }

    @Override
    public Normalized normalize(byte[] record, String origin) throws ParseException {
        JsonNode document = isJson(record) ? SafeJson.readObject(record) : null;
        SourceParser parser = parser(document == null ? detectLine(record) : detect(document));
        // The document read to recognize the format is handed over, so each record is read once.
        return document != null && parser instanceof JsonDocumentParser json
                ? json.normalize(document, record, origin) : parser.normalize(record, origin);
    }

    private SourceParser parser(String format) throws ParseException {
        if (!Parsers.formats().contains(format)) {
            throw new ParseException("record looks like " + format + ", which this build cannot parse");
        }
        return parsers.computeIfAbsent(format, f -> Parsers.forFormat(f, settings));
    }

    /** The format name of a record, or a ParseException saying why none fits. */
    static String detect(byte[] record) throws ParseException {
        return isJson(record) ? detect(SafeJson.readObject(record)) : detectLine(record);
    }

    private static int firstNonBlank(byte[] record) {
        int first = 0;
        while (first < record.length && (record[first] == ' ' || record[first] == '\t' || record[first] == '\r'
                || record[first] == '\n')) {
            first++;
        }
        return first;
    }

    private static boolean isJson(byte[] record) {
        int first = firstNonBlank(record);
        return first < record.length && record[first] == '{';
    }

    /** The format of a record that is not a JSON object: a CRI log line, or an error. */
    private static String detectLine(byte[] record) throws ParseException {
        int first = firstNonBlank(record);
        if (first == record.length) {
            throw new ParseException("empty record");
        }
        String start = new String(record, first, Math.min(record.length - first, 80), StandardCharsets.UTF_8);
        if (CRI_LINE.matcher(start).find()) {
            return "cri";
        }
        throw new ParseException("unrecognized record: not JSON and not a CRI log line (\""
                + start.replaceAll("[^\\x20-\\x7e]", "?") + "\")");
    }

    /** The format of a JSON record, from its document's shape. */
    private static String detect(JsonNode root) throws ParseException {
        if (root.has("rule") && root.has("priority") && root.has("output")) {
            return "falco";
        }
        for (var it = root.fieldNames(); it.hasNext(); ) {
            if (it.next().startsWith("process_") && (root.has("node_name") || root.has("time"))) {
                return "tetragon";
            }
        }
        String apiVersion = root.path("apiVersion").asText("");
        String kind = root.path("kind").asText("");
        if (apiVersion.startsWith("audit.k8s.io/") && ("Event".equals(kind) || "EventList".equals(kind))) {
            return "k8s-audit";
        }
        if ("Event".equals(kind) && root.has("auditID") && root.has("stage")) {
            return "k8s-audit";
        }
        if (PolicyReportParser.looksLike(root)) {
            return "policy-report";
        }
        if (TrivyComplianceParser.looksLike(root)) {
            return "trivy-compliance";
        }
        if (root.has("SchemaVersion") && (root.has("Results") || root.has("ArtifactName"))) {
            return "trivy";
        }
        if (root.has("kind") && (root.has("metadata") || root.has("items")) || isWatchEvent(root)) {
            return "k8s-objects";
        }
        if (root.has("log") && root.has("stream")) {
            return "docker";
        }
        throw new ParseException("unrecognized JSON record: none of falco (rule, priority, output), tetragon (process_*), "
                + "k8s-audit (audit.k8s.io Event), policy-report (wgpolicyk8s.io or openreports.io report), "
                + "trivy-compliance (ID, Title, SummaryControls or Results; ClusterComplianceReport), "
                + "trivy (SchemaVersion, Results), k8s-objects (kind, metadata), docker (log, stream) fits");
    }

    private static boolean isWatchEvent(JsonNode root) {
        return root.has("type") && root.path("object").isObject() && root.path("object").has("kind");
    }
}
