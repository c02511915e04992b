package dev.bulwark.ingest.trivy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.bulwark.ingest.EventParser;
import dev.bulwark.ingest.JsonFields;
import dev.bulwark.ingest.JsonDocumentParser;
import dev.bulwark.ingest.Normalized;
import dev.bulwark.ingest.ParseException;
import dev.bulwark.ingest.SafeJson;
import dev.bulwark.schemas.ContainerInfo;
import dev.bulwark.schemas.EventInfo;
import dev.bulwark.schemas.Ids;
import dev.bulwark.schemas.RuleRef;
import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.schemas.Vulnerability;

/**
 * Parses Trivy JSON reports ({@code trivy image|fs|repo --format json}, {@code SchemaVersion 2}) into one
 * {@link SecurityEvent} per finding.
 *
 * <p>Why: knowing which images carry which vulnerabilities and leaked secrets turns runtime alerts into priorities
 * ("a shell in a container whose image has a critical RCE"), and a detector can flag vulnerable images that run.
 *
 * <p>Each record is one whole report (framing {@code JSON}; reports are pretty-printed over many lines). Output:
 * <ul>
 *   <li>one event per {@code Results[].Vulnerabilities[]}: {@code event.kind=state} (the image's state at scan time,
 *       as ECS suggests for scan results; a re-scan of the same image overwrites it, because the id is made of image,
 *       target, package, installed version, package path and vulnerability id, not of the scan),
 *       {@code category=[vulnerability]}, {@code type=[info]}, {@code dataset=trivy.vulnerability}, {@code vulnerability.*},
 *       severity CRITICAL 90, HIGH 70, MEDIUM 50, LOW 30, UNKNOWN 10;</li>
 *   <li>one event per {@code Results[].Secrets[]}, the same but {@code dataset=trivy.secret}, {@code vulnerability.id}
 *       and {@code rule.name} = Trivy's {@code RuleID}; the secret itself never leaves the parser: the code excerpt
 *       ({@code Code}, whose context lines Trivy does not mask) is dropped, only Trivy's masked {@code Match} is kept;</li>
 *   <li>when a report has neither, one summary event ({@code dataset=trivy.report}, {@code action=scan_summary}) with
 *       the counts, so that "this image was scanned and is clean" is on record; its id includes the report id and
 *       time, so each clean scan is kept.</li>
 * </ul>
 * The timestamp is the report's {@code CreatedAt}. {@code container.*} is set for container image artifacts: name and
 * tag from {@code ArtifactName} when it is an image reference, else from {@code Metadata.RepoTags[0]} (a scan of a
 * tarball names the file); the digest from the reference, else {@code Metadata.RepoDigests} (the registry manifest
 * digest that Kubernetes reports as imageID), else {@code Metadata.ImageID} (the config digest), with
 * {@code trivy.image.digest_source} saying which. {@code original} is the finding's own JSON (for the summary: the report
 * header without image config and layers), because one report becomes many events.
 *
 * <p>Attribute keys: {@code trivy.report_id}, {@code trivy.version}, {@code trivy.artifact.name},
 * {@code trivy.artifact.type}, {@code trivy.artifact.id}, {@code trivy.target}, {@code trivy.class}, {@code trivy.type},
 * {@code trivy.os.family}, {@code trivy.os.name}, {@code trivy.os.eosl}, {@code trivy.image.id},
 * {@code trivy.image.repo_digests}, {@code trivy.image.repo_tags}, {@code trivy.image.digest_source};
 * per vulnerability {@code vulnerability.reference} (PrimaryURL), {@code vulnerability.status},
 * {@code vulnerability.severity_source}, {@code vulnerability.score.base}, {@code vulnerability.score.version},
 * {@code vulnerability.score.source}, {@code vulnerability.cvss.vector}, {@code vulnerability.cwe},
 * {@code vulnerability.published}, {@code vulnerability.data_source}, {@code package.id}, {@code package.path},
 * {@code package.purl}, {@code trivy.layer.digest}, {@code trivy.layer.diff_id}; per secret
 * {@code trivy.secret.category}, {@code trivy.secret.start_line}, {@code trivy.secret.end_line},
 * {@code trivy.secret.match}; on the summary {@code trivy.results.count}, {@code trivy.vulnerabilities.count},
 * {@code trivy.secrets.count}, {@code trivy.misconfigurations.count}, {@code trivy.licenses.count}.
 */
public final class TrivyParser implements EventParser, JsonDocumentParser {

    /** Trivy severities mapped to ECS event.severity (0-100). */
    private static final Map<String, Integer> SEVERITY = Map.of(
            "CRITICAL", 90, "HIGH", 70, "MEDIUM", 50, "LOW", 30, "UNKNOWN", 10);

    /** The only report layout this parser reads. */
    static final int SCHEMA_VERSION = 2;

    @Override
    public String format() {
        return "trivy";
    }

    @Override
    public List<SecurityEvent> parse(byte[] record, String origin) throws ParseException {
        return parse(SafeJson.readObject(record), record, origin);
    }

    @Override
    public Normalized normalize(JsonNode document, byte[] record, String origin) throws ParseException {
        return Normalized.events(parse(document, record, origin));
    }

    private List<SecurityEvent> parse(JsonNode root, byte[] record, String origin) throws ParseException {
        Long version = JsonFields.number(root, "SchemaVersion");
        if (version == null) {
            throw new ParseException("missing required field 'SchemaVersion': not a Trivy JSON report");
        }
        if (version != SCHEMA_VERSION) {
            throw new ParseException("unsupported Trivy SchemaVersion " + version + " (only SchemaVersion 2 is supported)");
        }
        Report report = Report.of(root);
        long ingested = System.currentTimeMillis() * 1_000_000L;

        List<SecurityEvent> events = new ArrayList<>();
        Counts counts = new Counts();
        List<JsonNode> results = objects(root, "Results", "Results");
        for (int i = 0; i < results.size(); i++) {
            JsonNode result = results.get(i);
            String where = "Results[" + i + "]";
            Map<String, String> resultAttributes;
            try {
                resultAttributes = new LinkedHashMap<>(report.attributes);
                // Target is empty for some classes (custom resources); it is optional here.
                putIfPresent(resultAttributes, "trivy.target", JsonFields.text(result, "Target"));
                putIfPresent(resultAttributes, "trivy.class", JsonFields.text(result, "Class"));
                putIfPresent(resultAttributes, "trivy.type", JsonFields.text(result, "Type"));
            } catch (ParseException e) {
                throw new ParseException(where + ": " + e.getMessage());
            }
            List<JsonNode> vulnerabilities = objects(result, "Vulnerabilities", where + ".Vulnerabilities");
            for (int j = 0; j < vulnerabilities.size(); j++) {
                try {
                    events.add(vulnerability(report, resultAttributes, vulnerabilities.get(j), ingested));
                } catch (ParseException e) {
                    throw new ParseException(where + ".Vulnerabilities[" + j + "]: " + e.getMessage());
                }
            }
            List<JsonNode> secrets = objects(result, "Secrets", where + ".Secrets");
            for (int j = 0; j < secrets.size(); j++) {
                try {
                    events.add(secret(report, resultAttributes, secrets.get(j), ingested));
                } catch (ParseException e) {
                    throw new ParseException(where + ".Secrets[" + j + "]: " + e.getMessage());
                }
            }
            counts.results++;
            counts.vulnerabilities += vulnerabilities.size();
            counts.secrets += secrets.size();
            counts.misconfigurations += objects(result, "Misconfigurations", where + ".Misconfigurations").size();
            counts.licenses += objects(result, "Licenses", where + ".Licenses").size();
        }
        if (events.isEmpty()) {
            events.add(summary(root, report, counts, ingested));
        }
        return events;
    }

    private SecurityEvent vulnerability(Report report, Map<String, String> resultAttributes, JsonNode finding,
            long ingested) throws ParseException {
        String id = JsonFields.requiredText(finding, "VulnerabilityID");
        String packageName = JsonFields.requiredText(finding, "PkgName");
        String installed = JsonFields.text(finding, "InstalledVersion");
        String packagePath = JsonFields.text(finding, "PkgPath");
        String severityName = severityName(finding);

        Map<String, String> attributes = new LinkedHashMap<>(resultAttributes);
        putIfPresent(attributes, "vulnerability.reference", JsonFields.text(finding, "PrimaryURL"));
        putIfPresent(attributes, "vulnerability.status", JsonFields.text(finding, "Status"));
        String severitySource = JsonFields.text(finding, "SeveritySource");
        putIfPresent(attributes, "vulnerability.severity_source", severitySource);
        cvss(finding, severitySource, attributes);
        List<String> cwes = JsonFields.strings(finding, "CweIDs");
        if (!cwes.isEmpty()) {
            attributes.put("vulnerability.cwe", String.join(",", cwes));
        }
        putIfPresent(attributes, "vulnerability.published", JsonFields.text(finding, "PublishedDate"));
        JsonNode dataSource = JsonFields.object(finding, "DataSource");
        if (dataSource != null) {
            putIfPresent(attributes, "vulnerability.data_source", JsonFields.text(dataSource, "ID"));
        }
        putIfPresent(attributes, "package.id", JsonFields.text(finding, "PkgID"));
        putIfPresent(attributes, "package.path", packagePath);
        JsonNode identifier = JsonFields.object(finding, "PkgIdentifier");
        if (identifier != null) {
            putIfPresent(attributes, "package.purl", JsonFields.text(identifier, "PURL"));
        }
        JsonNode layer = JsonFields.object(finding, "Layer");
        if (layer != null) {
            putIfPresent(attributes, "trivy.layer.digest", JsonFields.text(layer, "Digest"));
            putIfPresent(attributes, "trivy.layer.diff_id", JsonFields.text(layer, "DiffID"));
        }

        return event(report)
                .setId(Ids.of(format(), report.subject, attributes.get("trivy.target"), packageName, installed, id, packagePath))
                .setOriginal(finding.toString())
                .setEvent(eventInfo("trivy.vulnerability", "vulnerability_detected", SEVERITY.get(severityName), ingested))
                .setVulnerability(Vulnerability.newBuilder()
                        .setId(id)
                        .setSeverity(severityName)
                        .setPackageName(packageName)
                        .setInstalledVersion(installed)
                        .setFixedVersion(JsonFields.text(finding, "FixedVersion"))
                        .setTitle(JsonFields.text(finding, "Title"))
                        .build())
                .setAttributes(attributes)
                .build();
    }

    private SecurityEvent secret(Report report, Map<String, String> resultAttributes, JsonNode finding, long ingested)
            throws ParseException {
        String ruleId = JsonFields.requiredText(finding, "RuleID");
        String severityName = severityName(finding);
        Long startLine = JsonFields.number(finding, "StartLine");
        Long endLine = JsonFields.number(finding, "EndLine");

        Map<String, String> attributes = new LinkedHashMap<>(resultAttributes);
        putIfPresent(attributes, "trivy.secret.category", JsonFields.text(finding, "Category"));
        putIfPresent(attributes, "trivy.secret.start_line", startLine == null ? null : startLine.toString());
        putIfPresent(attributes, "trivy.secret.end_line", endLine == null ? null : endLine.toString());
        putIfPresent(attributes, "trivy.secret.match", JsonFields.text(finding, "Match"));

        // Trivy masks the secret in Match and in the cause lines of Code, but not in the context lines around it.
        ObjectNode safe = ((ObjectNode) finding).deepCopy();
        safe.remove("Code");
        String title = JsonFields.text(finding, "Title");
        return event(report)
                .setId(Ids.of(format(), report.subject, attributes.get("trivy.target"), "secret", ruleId,
                        String.valueOf(startLine), String.valueOf(endLine)))
                .setOriginal(safe.toString())
                .setEvent(eventInfo("trivy.secret", "secret_detected", SEVERITY.get(severityName), ingested))
                .setVulnerability(Vulnerability.newBuilder()
                        .setId(ruleId)
                        .setSeverity(severityName)
                        .setTitle(title)
                        .build())
                .setRule(RuleRef.newBuilder().setName(ruleId).setRuleset("trivy-secret").build())
                .setAttributes(attributes)
                .build();
    }

    private SecurityEvent summary(JsonNode root, Report report, Counts counts, long ingested) {
        Map<String, String> attributes = new LinkedHashMap<>(report.attributes);
        attributes.put("trivy.results.count", Integer.toString(counts.results));
        attributes.put("trivy.vulnerabilities.count", Integer.toString(counts.vulnerabilities));
        attributes.put("trivy.secrets.count", Integer.toString(counts.secrets));
        attributes.put("trivy.misconfigurations.count", Integer.toString(counts.misconfigurations));
        attributes.put("trivy.licenses.count", Integer.toString(counts.licenses));
        return event(report)
                .setId(Ids.of(format(), "summary", report.subject, report.reportId, report.createdAt))
                .setOriginal(header(root).toString())
                .setEvent(eventInfo("trivy.report", "scan_summary", null, ingested))
                .setAttributes(attributes)
                .build();
    }

    private SecurityEvent.Builder event(Report report) {
        SecurityEvent.Builder event = SecurityEvent.newBuilder()
                .setTimestamp(report.timestamp)
                .setSourceFormat(format());
        if (report.container != null) {
            event.setContainer(ContainerInfo.newBuilder(report.container).build());
        }
        return event;
    }

    private static EventInfo eventInfo(String dataset, String action, Integer severity, long ingested) {
        return EventInfo.newBuilder()
                .setKind("state")
                .setCategory(List.of("vulnerability"))
                .setType(List.of("info"))
                .setAction(action)
                .setDataset(dataset)
                .setSeverity(severity)
                .setIngested(ingested)
                .build();
    }

    private static String severityName(JsonNode finding) throws ParseException {
        String severity = JsonFields.text(finding, "Severity");
        if (severity == null) {
            return "UNKNOWN";
        }
        String upper = severity.toUpperCase(Locale.ROOT);
        if (!SEVERITY.containsKey(upper)) {
            throw new ParseException("unknown Severity \"" + clip(severity)
                    + "\" (expected one of CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN)");
        }
        return upper;
    }

    /**
     * The CVSS score Trivy's severity came from when it has one, else NVD's, else the first vendor's; version 3 scores
     * before version 4 and 2.
     */
    private static void cvss(JsonNode finding, String severitySource, Map<String, String> attributes) throws ParseException {
        JsonNode cvss = JsonFields.object(finding, "CVSS");
        if (cvss == null || cvss.isEmpty()) {
            return;
        }
        List<String> vendors = new ArrayList<>();
        if (severitySource != null && cvss.has(severitySource)) {
            vendors.add(severitySource);
        }
        if (cvss.has("nvd")) {
            vendors.add("nvd");
        }
        cvss.fieldNames().forEachRemaining(vendors::add);
        for (String[] version : new String[][] {{"V3Score", "V3Vector", null}, {"V40Score", "V40Vector", "4.0"},
                {"V2Score", "V2Vector", "2.0"}}) {
            for (String vendor : vendors) {
                JsonNode scores = cvss.get(vendor);
                if (!scores.isObject()) {
                    throw new ParseException("field 'CVSS." + clip(vendor) + "' must be an object, got " + SafeJson.describe(scores));
                }
                JsonNode score = scores.get(version[0]);
                if (score == null || score.isNull()) {
                    continue;
                }
                if (!score.isNumber()) {
                    throw new ParseException("field 'CVSS." + clip(vendor) + "." + version[0] + "' must be a number, got "
                            + SafeJson.describe(score));
                }
                String vector = JsonFields.text(scores, version[1]);
                attributes.put("vulnerability.score.base", score.asText());
                attributes.put("vulnerability.score.version", version[2] != null ? version[2] : v3Version(vector));
                attributes.put("vulnerability.score.source", vendor);
                putIfPresent(attributes, "vulnerability.cvss.vector", vector);
                return;
            }
        }
    }

    /** {@code CVSS:3.1/AV:N/...} gives 3.1; without a vector, 3. */
    private static String v3Version(String vector) {
        if (vector != null && vector.startsWith("CVSS:")) {
            int slash = vector.indexOf('/');
            if (slash > 5 && slash <= 10) {
                return vector.substring(5, slash);
            }
        }
        return "3";
    }

    /** An array of objects; empty when absent or null. */
    private static List<JsonNode> objects(JsonNode parent, String field, String where) throws ParseException {
        JsonNode node = parent.get(field);
        List<JsonNode> items = new ArrayList<>();
        if (node == null || node.isNull()) {
            return items;
        }
        if (!node.isArray()) {
            throw new ParseException("field '" + where + "' must be an array, got " + SafeJson.describe(node));
        }
        for (int i = 0; i < node.size(); i++) {
            JsonNode item = node.get(i);
            if (!item.isObject()) {
                throw new ParseException(where + "[" + i + "] must be an object, got " + SafeJson.describe(item));
            }
            items.add(item);
        }
        return items;
    }

    /** The report without its findings, image config (environment variables may hold secrets) and layer lists. */
    private static JsonNode header(JsonNode root) {
        ObjectNode header = ((ObjectNode) root).deepCopy();
        header.remove("Results");
        JsonNode metadata = header.get("Metadata");
        if (metadata instanceof ObjectNode object) {
            object.remove(List.of("ImageConfig", "Layers", "DiffIDs"));
        }
        return header;
    }

    private static void putIfPresent(Map<String, String> attributes, String key, String value) {
        if (value != null) {
            attributes.put(key, value);
        }
    }

    private static String clip(String value) {
        return value.length() > 40 ? value.substring(0, 40) + "..." : value;
    }

    /** Findings per kind in one report. */
    private static final class Counts {
        private int results;
        private int vulnerabilities;
        private int secrets;
        private int misconfigurations;
        private int licenses;
    }

    /** What every event of one report shares. */
    private static final class Report {
        private long timestamp;
        private String createdAt;
        private String reportId;
        /** The scanned thing in ids: the image digest, else the artifact name. */
        private String subject;
        private ContainerInfo container;
        private final Map<String, String> attributes = new LinkedHashMap<>();

        static Report of(JsonNode root) throws ParseException {
            Report report = new Report();
            report.createdAt = JsonFields.requiredText(root, "CreatedAt");
            report.timestamp = JsonFields.epochNanos("CreatedAt", report.createdAt);
            report.reportId = JsonFields.text(root, "ReportID");
            String artifactName = JsonFields.requiredText(root, "ArtifactName");
            String artifactType = JsonFields.text(root, "ArtifactType");
            Map<String, String> attributes = report.attributes;
            putIfPresent(attributes, "trivy.report_id", report.reportId);
            JsonNode trivy = JsonFields.object(root, "Trivy");
            if (trivy != null) {
                putIfPresent(attributes, "trivy.version", JsonFields.text(trivy, "Version"));
            }
            attributes.put("trivy.artifact.name", artifactName);
            putIfPresent(attributes, "trivy.artifact.type", artifactType);
            putIfPresent(attributes, "trivy.artifact.id", JsonFields.text(root, "ArtifactID"));

            JsonNode metadata = JsonFields.object(root, "Metadata");
            String imageId = null;
            List<String> repoTags = List.of();
            List<String> repoDigests = List.of();
            if (metadata != null) {
                JsonNode os = JsonFields.object(metadata, "OS");
                if (os != null) {
                    putIfPresent(attributes, "trivy.os.family", JsonFields.text(os, "Family"));
                    putIfPresent(attributes, "trivy.os.name", JsonFields.text(os, "Name"));
                    putIfPresent(attributes, "trivy.os.eosl", JsonFields.text(os, "EOSL"));
                }
                imageId = JsonFields.text(metadata, "ImageID");
                repoTags = JsonFields.strings(metadata, "RepoTags");
                repoDigests = JsonFields.strings(metadata, "RepoDigests");
                putIfPresent(attributes, "trivy.image.id", imageId);
                if (!repoDigests.isEmpty()) {
                    attributes.put("trivy.image.repo_digests", String.join(",", repoDigests));
                }
                if (!repoTags.isEmpty()) {
                    attributes.put("trivy.image.repo_tags", String.join(",", repoTags));
                }
            }

            boolean image = "container_image".equals(artifactType) || artifactType == null && imageId != null;
            report.subject = artifactName;
            if (image) {
                ImageReference reference = ImageReference.parse(artifactName);
                if (reference == null && !repoTags.isEmpty()) {
                    reference = ImageReference.parse(repoTags.get(0));
                }
                String name = reference != null ? reference.name() : artifactName;
                String digest = reference != null ? reference.digest() : null;
                String digestSource = digest != null ? "reference" : null;
                if (digest == null) {
                    digest = repoDigest(repoDigests, name);
                    digestSource = digest != null ? "repo_digest" : null;
                }
                if (digest == null && imageId != null) {
                    digest = imageId;
                    digestSource = "image_id";
                }
                putIfPresent(attributes, "trivy.image.digest_source", digestSource);
                report.container = ContainerInfo.newBuilder()
                        .setImageName(name)
                        .setImageTag(reference != null ? reference.tag() : null)
                        .setImageDigest(digest)
                        .build();
                if (digest != null) {
                    report.subject = digest;
                }
            }
            return report;
        }

        /** The digest of the RepoDigests entry for this repository, else of the first entry. */
        private static String repoDigest(List<String> repoDigests, String name) {
            for (String entry : repoDigests) {
                if (name.equals(ImageReference.repositoryOf(entry)) && ImageReference.digestOf(entry) != null) {
                    return ImageReference.digestOf(entry);
                }
            }
            for (String entry : repoDigests) {
                String digest = ImageReference.digestOf(entry);
                if (digest != null) {
                    return digest;
                }
            }
            return null;
        }
    }
}
