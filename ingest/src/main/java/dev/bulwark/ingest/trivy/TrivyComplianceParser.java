package dev.bulwark.ingest.trivy;

import static dev.bulwark.ingest.Normalization.keyList;
import static dev.bulwark.ingest.Normalization.nowNanos;
import static dev.bulwark.ingest.Normalization.putText;
import static dev.bulwark.ingest.Normalization.within;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.bulwark.ingest.EventParser;
import dev.bulwark.ingest.JsonDocumentParser;
import dev.bulwark.ingest.JsonFields;
import dev.bulwark.ingest.Normalized;
import dev.bulwark.ingest.ParseException;
import dev.bulwark.ingest.SafeJson;
import dev.bulwark.schemas.EventInfo;
import dev.bulwark.schemas.Ids;
import dev.bulwark.schemas.PolicyResult;
import dev.bulwark.schemas.SecurityEvent;

/**
 * Parses Trivy compliance reports into one {@link SecurityEvent} per control: the JSON of
 * {@code trivy k8s|image --compliance <spec> --format json} with {@code --report all} ({@code ID}, {@code Title},
 * {@code Results} of controls with their findings) or {@code --report summary} ({@code SummaryControls} with
 * {@code TotalFail}), and trivy-operator's {@code aquasecurity.github.io/v1alpha1} {@code ClusterComplianceReport}
 * ({@code status.detailReport} or {@code status.summaryReport}), alone or in a list.
 *
 * <p>Why: a compliance report (CIS, NSA/CISA, Pod Security Standards) is a snapshot that the next run replaces
 * (trivy-operator every six hours); kept as events, each control's state has a history, and failing controls sit next
 * to the runtime findings.
 *
 * <p>Each control is one event: {@code event.kind=state}, {@code category=[configuration]}, {@code type=[info]},
 * {@code dataset=trivy.compliance}, {@code action=control_result}, and the typed {@link PolicyResult} with the
 * framework's spec id as {@code policy}, the control id as {@code rule}, its name as {@code message}, the framework's
 * title as {@code category}, the severity in lower case and the result: {@code fail} when a check failed, {@code pass}
 * when none did, {@code skip} for a manual control (Trivy's own rule: a name with {@code Manual}, which the summary
 * reports without a count). A control is about the cluster, so there is no resource; the failing targets are listed in
 * the attributes. The time is trivy-operator's {@code status.updateTimestamp}, else its {@code creationTimestamp};
 * Trivy's own output has no time, so its events get the ingest time ({@code trivy.compliance.time_source}). A report
 * without controls (or a ClusterComplianceReport not evaluated yet) is one event with {@code action=report_empty}.
 *
 * <p>Attribute keys: {@code trivy.compliance.spec_id}, {@code .title}, {@code .version}, {@code .description},
 * {@code .platform}, {@code .type}, {@code .related_resources}, {@code .report} ({@code all} or {@code summary}),
 * {@code .report_name}, {@code .report_uid}, {@code .time_source}, {@code .status} ({@code PASS}, {@code FAIL},
 * {@code MANUAL}), {@code .total_fail}, {@code .total_pass}, {@code .failed_targets} (at most 100, then
 * {@code .failed_targets_omitted}), {@code .failed_namespaces}, {@code .failed_checks}, {@code .checks} (the spec's
 * check ids), {@code .control.description}, {@code .control.default_status}.
 */
public final class TrivyComplianceParser implements EventParser, JsonDocumentParser {

    private static final String OPERATOR_API_VERSION = "aquasecurity.github.io/v1alpha1";
    private static final String OPERATOR_KIND = "ClusterComplianceReport";
    private static final Set<String> LIST_KINDS = Set.of("List", "ClusterComplianceReportList");
    private static final Map<String, Integer> SEVERITY = Map.of(
            "CRITICAL", 90, "HIGH", 70, "MEDIUM", 50, "LOW", 30, "UNKNOWN", 10);
    private static final Set<String> MISCONFIGURATION_STATUSES = Set.of("PASS", "FAIL", "EXCEPTION");
    static final int MAX_TARGETS = 100;
    private static final String PREFIX = "trivy.compliance.";

    @Override
    public String format() {
        return "trivy-compliance";
    }

    @Override
    public List<SecurityEvent> parse(byte[] record, String origin) throws ParseException {
        return parse(SafeJson.readObject(record), record);
    }

    @Override
    public Normalized normalize(JsonNode document, byte[] record, String origin) throws ParseException {
        return Normalized.events(parse(document, record));
    }

    /** Whether a JSON record looks like a Trivy compliance report (for {@code --format auto}). */
    public static boolean looksLike(JsonNode root) {
        if (isOperatorReport(root)) {
            return true;
        }
        JsonNode items = root.get("items");
        if (LIST_KINDS.contains(root.path("kind").asText("")) && items != null && items.isArray() && !items.isEmpty()
                && isOperatorReport(items.get(0))) {
            return true;
        }
        return root.has("ID") && root.has("Title") && !root.has("ArtifactName")
                && (root.has("SummaryControls") || root.has("Results") || root.size() <= 4);
    }

    private static boolean isOperatorReport(JsonNode node) {
        return node.path("apiVersion").asText("").startsWith("aquasecurity.github.io/")
                && OPERATOR_KIND.equals(node.path("kind").asText(""));
    }

    private List<SecurityEvent> parse(JsonNode root, byte[] record) throws ParseException {
        String recordId = Ids.ofRecord(format(), record);
        long ingested = nowNanos();
        String kind = root.path("kind").isTextual() ? root.get("kind").asText() : null;
        if (kind != null && LIST_KINDS.contains(kind)) {
            JsonNode items = root.get("items");
            if (items == null || !items.isArray()) {
                throw new ParseException("field 'items' of a " + kind + " must be an array, got "
                        + SafeJson.describe(items));
            }
            if (items.isEmpty()) {
                throw new ParseException(kind + " has no items: nothing to normalize");
            }
            List<SecurityEvent> events = new ArrayList<>();
            for (int i = 0; i < items.size(); i++) {
                JsonNode item = items.get(i);
                try {
                    if (!item.isObject()) {
                        throw new ParseException("expected a ClusterComplianceReport, got " + SafeJson.describe(item));
                    }
                    events.addAll(operatorReport(item, Ids.of(recordId, Integer.toString(i)), ingested));
                } catch (ParseException e) {
                    throw new ParseException("items[" + i + "]: " + e.getMessage(), e);
                }
            }
            return events;
        }
        if (root.has("apiVersion") || root.has("kind")) {
            return operatorReport(root, recordId, ingested);
        }
        return cliReport(root, recordId, ingested);
    }

    /** {@code trivy --compliance ... --format json}: {@code --report all} or {@code --report summary}. */
    private List<SecurityEvent> cliReport(JsonNode root, String reportId, long ingested) throws ParseException {
        Framework framework = new Framework();
        framework.id = JsonFields.text(root, "ID");
        if (framework.id == null) {
            throw new ParseException("missing required field 'ID': not a Trivy compliance report (keys found: "
                    + keyList(root) + ")");
        }
        framework.title = JsonFields.text(root, "Title");
        framework.version = JsonFields.text(root, "Version");
        framework.description = JsonFields.text(root, "Description");
        framework.relatedResources = JsonFields.strings(root, "RelatedResources");
        framework.source = "trivy";
        framework.time = ingested;
        framework.timeSource = "ingested";
        boolean summary = root.has("SummaryControls");
        framework.report = summary ? "summary" : "all";
        List<JsonNode> controls = objects(root, summary ? "SummaryControls" : "Results");
        List<SecurityEvent> events = new ArrayList<>();
        for (int i = 0; i < controls.size(); i++) {
            JsonNode control = controls.get(i);
            int index = i;
            events.add(within((summary ? "SummaryControls[" : "Results[") + i + "]", () -> summary
                    ? summaryControl(framework, control, "ID", "Name", "Severity", "TotalFail", Map.of(), reportId, index, ingested)
                    : cliControl(framework, control, reportId, index, ingested)));
        }
        if (events.isEmpty()) {
            events.add(empty(framework, root, reportId, ingested));
        }
        return events;
    }

    /** trivy-operator's ClusterComplianceReport. */
    private List<SecurityEvent> operatorReport(JsonNode node, String reportId, long ingested) throws ParseException {
        String apiVersion = JsonFields.text(node, "apiVersion");
        String kind = JsonFields.text(node, "kind");
        if (!OPERATOR_KIND.equals(kind)) {
            throw new ParseException("not a Trivy compliance report: a " + (kind == null ? "record without kind" : clip(kind))
                    + (apiVersion == null ? "" : " (" + clip(apiVersion) + ")"));
        }
        if (!OPERATOR_API_VERSION.equals(apiVersion)) {
            throw new ParseException("unsupported apiVersion " + (apiVersion == null ? "(none)" : "\"" + clip(apiVersion) + "\"")
                    + " of a ClusterComplianceReport (expected " + OPERATOR_API_VERSION + ")");
        }
        Framework framework = new Framework();
        framework.source = "trivy-operator";
        framework.time = ingested;
        framework.timeSource = "ingested";
        JsonNode metadata = JsonFields.object(node, "metadata");
        if (metadata != null) {
            framework.reportName = within("metadata", () -> JsonFields.text(metadata, "name"));
            framework.reportUid = within("metadata", () -> JsonFields.text(metadata, "uid"));
            String created = within("metadata", () -> JsonFields.text(metadata, "creationTimestamp"));
            if (created != null) {
                framework.time = JsonFields.epochNanos("metadata.creationTimestamp", created);
                framework.timeSource = "creation_timestamp";
            }
        }
        Map<String, JsonNode> specControls = new LinkedHashMap<>();
        JsonNode spec = JsonFields.object(node, "spec");
        JsonNode compliance = spec == null ? null : within("spec", () -> JsonFields.object(spec, "compliance"));
        if (compliance != null) {
            within("spec.compliance", () -> {
                framework.id = JsonFields.text(compliance, "id");
                framework.title = JsonFields.text(compliance, "title");
                framework.version = JsonFields.text(compliance, "version");
                framework.description = JsonFields.text(compliance, "description");
                framework.platform = JsonFields.text(compliance, "platform");
                framework.type = JsonFields.text(compliance, "type");
                framework.relatedResources = JsonFields.strings(compliance, "relatedResources");
                List<JsonNode> controls = objects(compliance, "controls");
                for (JsonNode control : controls) {
                    String id = JsonFields.text(control, "id");
                    if (id != null) {
                        specControls.put(id, control);
                    }
                }
                return null;
            });
        }
        JsonNode status = JsonFields.object(node, "status");
        JsonNode detail = status == null ? null : within("status", () -> JsonFields.object(status, "detailReport"));
        JsonNode summary = status == null ? null : within("status", () -> JsonFields.object(status, "summaryReport"));
        if (status != null) {
            String updated = within("status", () -> JsonFields.text(status, "updateTimestamp"));
            if (updated != null) {
                framework.time = JsonFields.epochNanos("status.updateTimestamp", updated);
                framework.timeSource = "update_timestamp";
            }
        }
        JsonNode report = detail != null ? detail : summary;
        String where = detail != null ? "status.detailReport" : "status.summaryReport";
        List<SecurityEvent> events = new ArrayList<>();
        if (report != null) {
            framework.report = detail != null ? "all" : "summary";
            within(where, () -> {
                String id = JsonFields.text(report, "id");
                framework.id = id != null ? id : framework.id;
                String title = JsonFields.text(report, "title");
                framework.title = title != null ? title : framework.title;
                String version = JsonFields.text(report, "version");
                framework.version = version != null ? version : framework.version;
                String description = JsonFields.text(report, "description");
                framework.description = description != null ? description : framework.description;
                List<String> related = JsonFields.strings(report, "relatedVersion");
                framework.relatedResources = !related.isEmpty() ? related : framework.relatedResources;
                return null;
            });
            requireId(framework);
            List<JsonNode> controls = within(where, () -> objects(report, detail != null ? "results" : "controlCheck"));
            for (int i = 0; i < controls.size(); i++) {
                JsonNode control = controls.get(i);
                int index = i;
                String at = where + (detail != null ? ".results[" : ".controlCheck[") + i + "]";
                events.add(within(at, () -> detail != null
                        ? detailControl(framework, control, specControls, reportId, index, ingested)
                        : summaryControl(framework, control, "id", "name", "severity", "totalFail", specControls,
                                reportId, index, ingested)));
            }
        }
        requireId(framework);
        if (events.isEmpty()) {
            ObjectNode header = ((ObjectNode) node).deepCopy();
            JsonNode statusCopy = header.get("status");
            if (statusCopy instanceof ObjectNode object) {
                object.remove(List.of("detailReport", "summaryReport"));
            }
            events.add(empty(framework, header, reportId, ingested));
        }
        return events;
    }

    private static void requireId(Framework framework) throws ParseException {
        if (framework.id == null) {
            throw new ParseException("a ClusterComplianceReport without a compliance id (spec.compliance.id or the "
                    + "status report's id)");
        }
    }

    /** A summary control: {@code TotalFail} (absent for a manual control). */
    private SecurityEvent summaryControl(Framework framework, JsonNode control, String idField, String nameField,
            String severityField, String failField, Map<String, JsonNode> specControls, String reportId, int index,
            long ingested) throws ParseException {
        String id = JsonFields.requiredText(control, idField);
        String name = JsonFields.text(control, nameField);
        String severity = severity(JsonFields.text(control, severityField));
        Long totalFail = JsonFields.number(control, failField);
        if (totalFail != null && totalFail < 0) {
            throw new ParseException("field '" + failField + "' must not be negative, got " + totalFail);
        }
        Map<String, String> attributes = framework.attributes();
        String status = totalFail == null ? "MANUAL" : totalFail > 0 ? "FAIL" : "PASS";
        if (totalFail != null) {
            attributes.put(PREFIX + "total_fail", Long.toString(totalFail));
        }
        specControl(specControls.get(id), attributes);
        return control(framework, control, id, name, severity, status, attributes, reportId, index, ingested);
    }

    /** A control of {@code --report all}: Trivy results whose misconfigurations passed or failed. */
    private SecurityEvent cliControl(Framework framework, JsonNode control, String reportId, int index, long ingested)
            throws ParseException {
        String id = JsonFields.requiredText(control, "ID");
        String name = JsonFields.text(control, "Name");
        String severity = severity(JsonFields.text(control, "Severity"));
        Map<String, String> attributes = framework.attributes();
        putText(attributes, PREFIX + "control.description", JsonFields.text(control, "Description"));
        putText(attributes, PREFIX + "control.default_status", JsonFields.text(control, "DefaultStatus"));
        Findings findings = new Findings();
        List<JsonNode> results = objects(control, "Results");
        for (int i = 0; i < results.size(); i++) {
            JsonNode result = results.get(i);
            within("Results[" + i + "]", () -> {
                String target = JsonFields.text(result, "Target");
                List<JsonNode> misconfigurations = objects(result, "Misconfigurations");
                for (int j = 0; j < misconfigurations.size(); j++) {
                    JsonNode misconfiguration = misconfigurations.get(j);
                    String status = within("Misconfigurations[" + j + "]",
                            () -> JsonFields.requiredText(misconfiguration, "Status"));
                    String upper = status.toUpperCase(Locale.ROOT);
                    if (!MISCONFIGURATION_STATUSES.contains(upper)) {
                        throw new ParseException("Misconfigurations[" + j + "]: unknown Status \"" + clip(status)
                                + "\" (expected PASS, FAIL or EXCEPTION)");
                    }
                    String check = within("Misconfigurations[" + j + "]", () -> {
                        String avd = JsonFields.text(misconfiguration, "AVDID");
                        return avd != null ? avd : JsonFields.text(misconfiguration, "ID");
                    });
                    if ("FAIL".equals(upper)) {
                        findings.fail(target, check);
                    } else if ("PASS".equals(upper)) {
                        findings.pass++;
                    }
                }
                List<JsonNode> vulnerabilities = objects(result, "Vulnerabilities");
                for (int j = 0; j < vulnerabilities.size(); j++) {
                    JsonNode vulnerability = vulnerabilities.get(j);
                    findings.fail(target, within("Vulnerabilities[" + j + "]",
                            () -> JsonFields.text(vulnerability, "VulnerabilityID")));
                }
                return null;
            });
        }
        String status = isManual(name) ? "MANUAL" : findings.failed > 0 ? "FAIL" : "PASS";
        findings.put(attributes, false);
        return control(framework, control, id, name, severity, status, attributes, reportId, index, ingested);
    }

    /** A control of trivy-operator's detail report: checks that succeeded or not, with their targets. */
    private SecurityEvent detailControl(Framework framework, JsonNode control, Map<String, JsonNode> specControls,
            String reportId, int index, long ingested) throws ParseException {
        String id = JsonFields.requiredText(control, "id");
        String name = JsonFields.text(control, "name");
        String severity = severity(JsonFields.text(control, "severity"));
        Map<String, String> attributes = framework.attributes();
        putText(attributes, PREFIX + "control.description", JsonFields.text(control, "description"));
        putText(attributes, PREFIX + "control.default_status", JsonFields.text(control, "status"));
        specControl(specControls.get(id), attributes);
        Findings findings = new Findings();
        List<JsonNode> checks = objects(control, "checks");
        for (int i = 0; i < checks.size(); i++) {
            JsonNode check = checks.get(i);
            within("checks[" + i + "]", () -> {
                JsonNode success = check.get("success");
                if (success == null || !success.isBoolean()) {
                    throw new ParseException("field 'success' must be a boolean, got " + SafeJson.describe(success));
                }
                if (success.booleanValue()) {
                    findings.pass++;
                } else {
                    findings.fail(JsonFields.text(check, "target"), JsonFields.text(check, "checkID"));
                }
                return null;
            });
        }
        String status = isManual(name) ? "MANUAL" : findings.failed > 0 ? "FAIL" : "PASS";
        findings.put(attributes, true);
        return control(framework, control, id, name, severity, status, attributes, reportId, index, ingested);
    }

    /** The check ids and description the spec gives a control. */
    private static void specControl(JsonNode spec, Map<String, String> attributes) throws ParseException {
        if (spec == null) {
            return;
        }
        List<String> ids = new ArrayList<>();
        for (JsonNode check : objects(spec, "checks")) {
            String id = JsonFields.text(check, "id");
            if (id != null) {
                ids.add(id);
            }
        }
        if (!ids.isEmpty()) {
            attributes.put(PREFIX + "checks", String.join(",", ids));
        }
        // The report's own description and status come first.
        if (!attributes.containsKey(PREFIX + "control.description")) {
            putText(attributes, PREFIX + "control.description", JsonFields.text(spec, "description"));
        }
        if (!attributes.containsKey(PREFIX + "control.default_status")) {
            putText(attributes, PREFIX + "control.default_status", JsonFields.text(spec, "defaultStatus"));
        }
    }

    private SecurityEvent control(Framework framework, JsonNode control, String id, String name, String severity,
            String status, Map<String, String> attributes, String reportId, int index, long ingested) {
        attributes.put(PREFIX + "status", status);
        String result = switch (status) {
            case "FAIL" -> "fail";
            case "PASS" -> "pass";
            default -> "skip";
        };
        return SecurityEvent.newBuilder()
                .setId(Ids.of(reportId, Integer.toString(index)))
                .setTimestamp(framework.time)
                .setSourceFormat(format())
                .setOriginal(control.toString())
                .setEvent(EventInfo.newBuilder()
                        .setKind("state")
                        .setCategory(List.of("configuration"))
                        .setType(List.of("info"))
                        .setAction("control_result")
                        .setDataset("trivy.compliance")
                        .setOutcome(switch (result) {
                            case "pass" -> "success";
                            case "fail" -> "failure";
                            default -> "unknown";
                        })
                        .setSeverity(severity == null ? null : SEVERITY.get(severity.toUpperCase(Locale.ROOT)))
                        .setIngested(ingested)
                        .build())
                .setPolicy(PolicyResult.newBuilder()
                        .setSource(framework.source)
                        .setPolicy(framework.id)
                        .setRule(id)
                        .setVerdict(result)
                        .setSeverity(severity)
                        .setCategory(framework.title)
                        .setMessage(name)
                        .build())
                .setAttributes(attributes)
                .build();
    }

    /** The event of a report with no controls: nothing was evaluated. */
    private SecurityEvent empty(Framework framework, JsonNode header, String reportId, long ingested) {
        return SecurityEvent.newBuilder()
                .setId(Ids.of(reportId, "empty"))
                .setTimestamp(framework.time)
                .setSourceFormat(format())
                .setOriginal(header.toString())
                .setEvent(EventInfo.newBuilder()
                        .setKind("state")
                        .setCategory(List.of("configuration"))
                        .setType(List.of("info"))
                        .setAction("report_empty")
                        .setDataset("trivy.compliance")
                        .setOutcome("unknown")
                        .setIngested(ingested)
                        .build())
                .setAttributes(framework.attributes())
                .build();
    }

    /** Trivy's summary leaves manual controls without a count; their names say {@code (Manual)}. */
    private static boolean isManual(String name) {
        return name != null && name.contains("Manual");
    }

    private static String severity(String value) throws ParseException {
        if (value == null) {
            return null;
        }
        String upper = value.toUpperCase(Locale.ROOT);
        if (!SEVERITY.containsKey(upper)) {
            throw new ParseException("unknown Severity \"" + clip(value) + "\" (expected CRITICAL, HIGH, MEDIUM, LOW or UNKNOWN)");
        }
        return "UNKNOWN".equals(upper) ? null : upper.toLowerCase(Locale.ROOT);
    }

    /** An array of objects; empty when absent or null. */
    private static List<JsonNode> objects(JsonNode parent, String field) throws ParseException {
        JsonNode node = parent.get(field);
        List<JsonNode> items = new ArrayList<>();
        if (node == null || node.isNull()) {
            return items;
        }
        if (!node.isArray()) {
            throw new ParseException("field '" + field + "' must be an array, got " + SafeJson.describe(node));
        }
        for (int i = 0; i < node.size(); i++) {
            JsonNode item = node.get(i);
            if (!item.isObject()) {
                throw new ParseException(field + "[" + i + "] must be an object, got " + SafeJson.describe(item));
            }
            items.add(item);
        }
        return items;
    }

    private static String clip(String value) {
        String printable = value.replaceAll("[^\\x20-\\x7e]", "?");
        return printable.length() > 40 ? printable.substring(0, 40) + "..." : printable;
    }

    /** Failed and passed checks of one control. */
    private static final class Findings {
        private int failed;
        private int pass;
        private final Set<String> targets = new LinkedHashSet<>();
        private final Set<String> checks = new LinkedHashSet<>();

        void fail(String target, String check) {
            failed++;
            if (target != null) {
                targets.add(target);
            }
            if (check != null) {
                checks.add(check);
            }
        }

        /** The counts and lists; {@code namespaced} targets ({@code <ns>/<kind>-<name>}) also give their namespaces. */
        void put(Map<String, String> attributes, boolean namespaced) {
            attributes.put(PREFIX + "total_fail", Integer.toString(failed));
            attributes.put(PREFIX + "total_pass", Integer.toString(pass));
            if (!targets.isEmpty()) {
                List<String> kept = targets.stream().limit(MAX_TARGETS).toList();
                attributes.put(PREFIX + "failed_targets", String.join(",", kept));
                if (targets.size() > MAX_TARGETS) {
                    attributes.put(PREFIX + "failed_targets_omitted", Integer.toString(targets.size() - MAX_TARGETS));
                }
                if (namespaced) {
                    Set<String> namespaces = new LinkedHashSet<>();
                    for (String target : targets) {
                        int slash = target.indexOf('/');
                        if (slash > 0) {
                            namespaces.add(target.substring(0, slash));
                        }
                    }
                    if (!namespaces.isEmpty()) {
                        attributes.put(PREFIX + "failed_namespaces", String.join(",", namespaces));
                    }
                }
            }
            if (!checks.isEmpty()) {
                attributes.put(PREFIX + "failed_checks", String.join(",", checks));
            }
        }
    }

    /** What every control of one report shares. */
    private static final class Framework {
        private String id;
        private String title;
        private String version;
        private String description;
        private String platform;
        private String type;
        private List<String> relatedResources = List.of();
        private String source;
        private String report;
        private String reportName;
        private String reportUid;
        private long time;
        private String timeSource;

        Map<String, String> attributes() {
            Map<String, String> attributes = new LinkedHashMap<>();
            putText(attributes, PREFIX + "spec_id", id);
            putText(attributes, PREFIX + "title", title);
            putText(attributes, PREFIX + "version", version);
            putText(attributes, PREFIX + "description", description);
            putText(attributes, PREFIX + "platform", platform);
            putText(attributes, PREFIX + "type", type);
            if (!relatedResources.isEmpty()) {
                attributes.put(PREFIX + "related_resources", String.join(",", relatedResources));
            }
            putText(attributes, PREFIX + "report", report);
            putText(attributes, PREFIX + "report_name", reportName);
            putText(attributes, PREFIX + "report_uid", reportUid);
            attributes.put(PREFIX + "time_source", timeSource);
            return attributes;
        }
    }
}
