package dev.bulwark.ingest.policy;

import static dev.bulwark.ingest.Normalization.keyList;
import static dev.bulwark.ingest.Normalization.nowNanos;
import static dev.bulwark.ingest.Normalization.putJson;
import static dev.bulwark.ingest.Normalization.putNumber;
import static dev.bulwark.ingest.Normalization.putStringMap;
import static dev.bulwark.ingest.Normalization.putText;
import static dev.bulwark.ingest.Normalization.within;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.bulwark.ingest.EventParser;
import dev.bulwark.ingest.JsonDocumentParser;
import dev.bulwark.ingest.JsonFields;
import dev.bulwark.ingest.Normalized;
import dev.bulwark.ingest.ParseException;
import dev.bulwark.ingest.SafeJson;
import dev.bulwark.ingest.k8sobjects.Names;
import dev.bulwark.schemas.EventInfo;
import dev.bulwark.schemas.Ids;
import dev.bulwark.schemas.ImageVerification;
import dev.bulwark.schemas.KubernetesInfo;
import dev.bulwark.schemas.PolicyAttributes;
import dev.bulwark.schemas.PolicyResult;
import dev.bulwark.schemas.ResourceRef;
import dev.bulwark.schemas.SecurityEvent;

/**
 * Parses policy reports into one {@link SecurityEvent} per result and resource: {@code wgpolicyk8s.io/v1alpha2}
 * {@code PolicyReport} and {@code ClusterPolicyReport} (Kyverno, Kubescape, the trivy-operator adapter) and their
 * successor {@code openreports.io/v1alpha1} {@code Report} and {@code ClusterReport}, alone or in a list
 * ({@code kubectl get polr -A -o json}).
 *
 * <p>Why: reports are the current state of the cluster against its policies and keep no history; turned into events
 * they are kept, and each result lands with the namespace of the resource it is about, so the owning tenant sees its
 * own posture. Kyverno's verifyImages results are also image verification verdicts ({@link ImageVerifications}).
 *
 * <p>Each event: {@code event.kind=state}, {@code category=[configuration]}, {@code type=[info]},
 * {@code dataset=policy_report}, {@code action=policy_result}; the typed {@link PolicyResult} (source, policy, rule,
 * result, severity, category, message, scored, resource); {@code kubernetes.namespace} (and {@code pod} for a Pod);
 * {@code event.severity} critical 90, high 70, medium 50, low 30, info 10; {@code event.outcome} success for pass,
 * failure for fail and warn, unknown for error and skip. A result names its resources, else it is about the report's
 * {@code scope} (Kyverno writes one report per resource, with the resource as scope and results without resources),
 * else about nothing more precise than the report. The time is the result's {@code timestamp} (seconds and nanos, or
 * RFC 3339 as Kubescape writes it), else the report's {@code creationTimestamp}, else the ingest time
 * ({@code policy.time_source} says which). A report without results (Kyverno's Go types omit an empty list) is one
 * state event with {@code action=report_empty}: the resource has nothing evaluated. An empty list of reports has
 * nothing to say and is rejected. One bad result or report rejects the whole record, naming its index: a report is one
 * snapshot. The {@code original} of an event is its result, with only the event's resource in {@code resources}.
 */
public final class PolicyReportParser implements EventParser, JsonDocumentParser {

    private static final String WG_POLICY = "wgpolicyk8s.io/v1alpha2";
    private static final String OPEN_REPORTS = "openreports.io/v1alpha1";
    /** Kinds of each API version: namespaced first, then cluster-scoped. */
    private static final Map<String, List<String>> KINDS = Map.of(
            WG_POLICY, List.of("PolicyReport", "ClusterPolicyReport"),
            OPEN_REPORTS, List.of("Report", "ClusterReport"));
    private static final Set<String> LIST_KINDS = Set.of("List", "PolicyReportList", "ClusterPolicyReportList",
            "ReportList", "ClusterReportList");
    private static final Set<String> RESULTS = Set.of("pass", "fail", "warn", "error", "skip");
    private static final Map<String, Integer> SEVERITY = Map.of(
            "critical", 90, "high", 70, "medium", 50, "low", 30, "info", 10);
    private static final List<String> SUMMARY = List.of("pass", "fail", "warn", "error", "skip");
    /** Longest message kept in {@code policy.message}; the event's original holds the whole result. */
    static final int MAX_MESSAGE = 8 * 1024;
    /**
     * Most characters the events of one record may repeat: a result is copied into the event of each of its
     * resources, so a large result with many resources would multiply; such a record is rejected.
     */
    static final long MAX_OUTPUT_CHARS = 64L << 20;

    @Override
    public String format() {
        return "policy-report";
    }

    @Override
    public List<SecurityEvent> parse(byte[] record, String origin) throws ParseException {
        return parse(SafeJson.readObject(record), record);
    }

    @Override
    public Normalized normalize(JsonNode document, byte[] record, String origin) throws ParseException {
        return Normalized.events(parse(document, record));
    }

    /** Whether a JSON record looks like a policy report or a list of them (for {@code --format auto}). */
    public static boolean looksLike(JsonNode root) {
        if (isReport(root)) {
            return true;
        }
        JsonNode items = root.get("items");
        return LIST_KINDS.contains(root.path("kind").asText("")) && items != null && items.isArray()
                && !items.isEmpty() && isReport(items.get(0));
    }

    private static boolean isReport(JsonNode node) {
        String apiVersion = node.path("apiVersion").asText("");
        return (apiVersion.startsWith("wgpolicyk8s.io/") || apiVersion.startsWith("openreports.io/"))
                && node.path("kind").isTextual();
    }

    private List<SecurityEvent> parse(JsonNode root, byte[] record) throws ParseException {
        String recordId = Ids.ofRecord(format(), record);
        Budget budget = new Budget();
        String kind = root.path("kind").isTextual() ? root.get("kind").asText() : null;
        if (kind != null && LIST_KINDS.contains(kind)) {
            JsonNode items = root.get("items");
            if (items == null || items.isNull()) {
                throw new ParseException("a " + kind + " without 'items'");
            }
            if (!items.isArray()) {
                throw new ParseException("field 'items' must be an array, got " + SafeJson.describe(items));
            }
            if (items.isEmpty()) {
                throw new ParseException(kind + " has no items: nothing to normalize");
            }
            List<SecurityEvent> events = new ArrayList<>();
            for (int i = 0; i < items.size(); i++) {
                JsonNode item = items.get(i);
                String where = "items[" + i + "]";
                try {
                    if (!item.isObject()) {
                        throw new ParseException("expected a report object, got " + SafeJson.describe(item));
                    }
                    events.addAll(report(item, Ids.of(recordId, Integer.toString(i)), budget));
                } catch (ParseException e) {
                    throw new ParseException(where + ": " + e.getMessage(), e);
                }
            }
            return events;
        }
        return report(root, recordId, budget);
    }

    /** The events of one report. */
    private List<SecurityEvent> report(JsonNode node, String reportId, Budget budget) throws ParseException {
        Report report = Report.of(node);
        long ingested = nowNanos();
        JsonNode results = node.get("results");
        if (results == null || results.isNull() || results.isArray() && results.isEmpty()) {
            return List.of(empty(report, reportId, ingested));
        }
        if (!results.isArray()) {
            throw new ParseException("field 'results' must be an array, got " + SafeJson.describe(results));
        }
        List<SecurityEvent> events = new ArrayList<>();
        for (int i = 0; i < results.size(); i++) {
            JsonNode result = results.get(i);
            try {
                if (!result.isObject()) {
                    throw new ParseException("must be an object, got " + SafeJson.describe(result));
                }
                results(report, (ObjectNode) result, Ids.of(reportId, Integer.toString(i)), ingested, budget, events);
            } catch (ParseException e) {
                throw new ParseException("results[" + i + "]: " + e.getMessage(), e);
            }
        }
        return events;
    }

    /** One event per resource of a result (or one for the scope, or one for the report). */
    private void results(Report report, ObjectNode result, String resultId, long ingested, Budget budget,
            List<SecurityEvent> events) throws ParseException {
        String policy = JsonFields.requiredText(result, "policy");
        String rule = JsonFields.text(result, "rule");
        String outcome = resultValue(result);
        String severity = severity(result);
        String source = JsonFields.text(result, "source");
        if (source == null) {
            source = report.source;
        }
        String category = JsonFields.text(result, "category");
        String message = JsonFields.text(result, "message");
        Boolean scored = scored(result);
        Timestamp time = timestamp(result, report, ingested);

        Map<String, String> attributes = new LinkedHashMap<>(report.attributes);
        attributes.put(PolicyAttributes.TIME_SOURCE, time.source());
        JsonNode properties = JsonFields.object(result, "properties");
        if (properties != null) {
            within("properties", () -> {
                putStringMap(attributes, PolicyAttributes.PROPERTIES_PREFIX, properties);
                return null;
            });
        }
        JsonNode selector = JsonFields.object(result, "resourceSelector");
        putJson(attributes, PolicyAttributes.RESOURCE_SELECTOR, selector);
        if (message != null && message.length() > MAX_MESSAGE) {
            attributes.put(PolicyAttributes.MESSAGE_ORIGINAL_LENGTH, Integer.toString(message.length()));
            message = message.substring(0, MAX_MESSAGE);
        }
        ImageVerification verdict = imageVerdict(source, outcome, message, policy, rule);

        List<ResourceRef> resources = new ArrayList<>();
        JsonNode listed = result.get("resources");
        if (listed != null && !listed.isNull()) {
            if (!listed.isArray()) {
                throw new ParseException("field 'resources' must be an array, got " + SafeJson.describe(listed));
            }
            for (int j = 0; j < listed.size(); j++) {
                JsonNode item = listed.get(j);
                String where = "resources[" + j + "]";
                if (!item.isObject()) {
                    throw new ParseException(where + " must be an object, got " + SafeJson.describe(item));
                }
                resources.add(within(where, () -> resource(item)));
            }
        }
        String resourceSource = !resources.isEmpty() ? "result" : report.scope != null ? "scope" : "none";
        if (resources.isEmpty()) {
            resources.add(report.scope);
        }
        attributes.put(PolicyAttributes.RESOURCE_SOURCE, resourceSource);

        ObjectNode bare = result.deepCopy();
        bare.remove("resources");
        budget.spend(resources.size(), bare.toString().length() + (message == null ? 0 : message.length()));
        for (int j = 0; j < resources.size(); j++) {
            ResourceRef resource = resources.get(j);
            ObjectNode original = bare;
            if ("result".equals(resourceSource)) {
                original = bare.deepCopy();
                ArrayNode one = original.putArray("resources");
                one.add(listed.get(j));
            }
            PolicyResult typed = PolicyResult.newBuilder()
                    .setSource(source)
                    .setPolicy(policy)
                    .setRule(rule)
                    .setVerdict(outcome)
                    .setSeverity(severity)
                    .setCategory(category)
                    .setMessage(message)
                    .setScored(scored)
                    .setResource(resource)
                    .build();
            SecurityEvent.Builder event = SecurityEvent.newBuilder()
                    .setId(Ids.of(resultId, Integer.toString(j)))
                    .setTimestamp(time.nanos())
                    .setSourceFormat(format())
                    .setOriginal(original.toString())
                    .setEvent(eventInfo("policy_result", outcome, severity, ingested))
                    .setPolicy(typed)
                    .setKubernetes(kubernetes(resource, report))
                    .setAttributes(new LinkedHashMap<>(attributes));
            if (verdict != null) {
                event.setImageVerifications(List.of(verdict));
            }
            events.add(event.build());
        }
    }

    /** The event of a report without results: its scope has nothing evaluated. */
    private SecurityEvent empty(Report report, String reportId, long ingested) {
        Map<String, String> attributes = new LinkedHashMap<>(report.attributes);
        long time = ingested;
        String source = "ingested";
        if (report.createdNanos != null) {
            time = report.createdNanos;
            source = "report_created";
        }
        attributes.put(PolicyAttributes.TIME_SOURCE, source);
        attributes.put(PolicyAttributes.RESOURCE_SOURCE, report.scope != null ? "scope" : "none");
        return SecurityEvent.newBuilder()
                .setId(Ids.of(reportId, "empty"))
                .setTimestamp(time)
                .setSourceFormat(format())
                .setOriginal(report.header.toString())
                .setEvent(EventInfo.newBuilder()
                        .setKind("state")
                        .setCategory(List.of("configuration"))
                        .setType(List.of("info"))
                        .setAction("report_empty")
                        .setDataset("policy_report")
                        .setOutcome("unknown")
                        .setIngested(ingested)
                        .build())
                .setKubernetes(kubernetes(report.scope, report))
                .setAttributes(attributes)
                .build();
    }

    /** Kyverno's verifyImages results carry the verdict in their message. */
    private static ImageVerification imageVerdict(String source, String outcome, String message, String policy,
            String rule) {
        if (source != null && !source.toLowerCase(Locale.ROOT).startsWith("kyverno")) {
            return null;
        }
        ImageVerification verdict = ImageVerifications.kyvernoMessage(message, policy, rule,
                ImageVerifications.EVIDENCE_REPORT);
        if (verdict == null || "error".equals(outcome)) {
            return null;
        }
        // The report's result decides; a warn is a failure that is not scored.
        verdict.setVerdict("pass".equals(outcome) ? "pass" : "skip".equals(outcome) ? "skip" : "fail");
        return verdict;
    }

    private static KubernetesInfo kubernetes(ResourceRef resource, Report report) {
        String namespace = resource != null && resource.getNamespace() != null ? resource.getNamespace() : report.namespace;
        String pod = resource != null && "Pod".equals(resource.getKind())
                && (resource.getApiVersion() == null || "v1".equals(resource.getApiVersion())) ? resource.getName() : null;
        if (namespace == null && pod == null) {
            return null;
        }
        return KubernetesInfo.newBuilder().setNamespace(namespace).setPod(pod).build();
    }

    private static EventInfo eventInfo(String action, String outcome, String severity, long ingested) {
        return EventInfo.newBuilder()
                .setKind("state")
                .setCategory(List.of("configuration"))
                .setType(List.of("info"))
                .setAction(action)
                .setDataset("policy_report")
                .setOutcome(switch (outcome) {
                    case "pass" -> "success";
                    case "fail", "warn" -> "failure";
                    default -> "unknown";
                })
                .setSeverity(severity == null ? null : SEVERITY.get(severity))
                .setIngested(ingested)
                .build();
    }

    private static String resultValue(JsonNode result) throws ParseException {
        String value = JsonFields.requiredText(result, "result");
        String lower = value.toLowerCase(Locale.ROOT);
        if (!RESULTS.contains(lower)) {
            throw new ParseException("unknown result \"" + clip(value) + "\" (expected pass, fail, warn, error or skip)");
        }
        return lower;
    }

    /** critical, high, medium, low, info; Kubescape's unknown is no severity. */
    private static String severity(JsonNode result) throws ParseException {
        String value = JsonFields.text(result, "severity");
        if (value == null) {
            return null;
        }
        String lower = value.toLowerCase(Locale.ROOT);
        if ("unknown".equals(lower)) {
            return null;
        }
        if (!SEVERITY.containsKey(lower)) {
            throw new ParseException("unknown severity \"" + clip(value)
                    + "\" (expected critical, high, medium, low or info)");
        }
        return lower;
    }

    private static Boolean scored(JsonNode result) throws ParseException {
        JsonNode node = result.get("scored");
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isBoolean()) {
            throw new ParseException("field 'scored' must be a boolean, got " + SafeJson.describe(node));
        }
        return node.booleanValue();
    }

    /** The time of a result and what it came from. */
    private record Timestamp(long nanos, String source) {
    }

    private static Timestamp timestamp(JsonNode result, Report report, long ingested) throws ParseException {
        JsonNode node = result.get("timestamp");
        if (node != null && !node.isNull()) {
            if (node.isTextual()) {
                // Kubescape writes a metav1.Time (RFC 3339) where the CRD has a metav1.Timestamp.
                return new Timestamp(JsonFields.epochNanos("timestamp", node.textValue()), "result");
            }
            if (!node.isObject()) {
                throw new ParseException("field 'timestamp' must be an object {seconds, nanos} or an RFC 3339 time, got "
                        + SafeJson.describe(node));
            }
            Long seconds = within("timestamp", () -> JsonFields.number(node, "seconds"));
            Long nanos = within("timestamp", () -> JsonFields.number(node, "nanos"));
            if (seconds != null) {
                long fraction = nanos == null ? 0 : nanos;
                if (fraction < 0 || fraction > 999_999_999L || seconds < 0 || seconds > Long.MAX_VALUE / 1_000_000_000L - 1) {
                    throw new ParseException("field 'timestamp' is out of range (seconds " + seconds + ", nanos "
                            + fraction + ")");
                }
                if (seconds > 0 || fraction > 0) {
                    return new Timestamp(seconds * 1_000_000_000L + fraction, "result");
                }
            }
        }
        if (report.createdNanos != null) {
            return new Timestamp(report.createdNanos, "report_created");
        }
        return new Timestamp(ingested, "ingested");
    }

    /** A Kubernetes object reference: a result's resource or a report's scope. */
    static ResourceRef resource(JsonNode node) throws ParseException {
        String namespace = JsonFields.text(node, "namespace");
        if (namespace != null) {
            Names.dnsLabel(namespace, "namespace");
        }
        ResourceRef reference = ResourceRef.newBuilder()
                .setApiVersion(name(node, "apiVersion"))
                .setKind(name(node, "kind"))
                .setNamespace(namespace)
                .setName(name(node, "name"))
                .setUid(name(node, "uid"))
                .build();
        if (reference.getKind() == null && reference.getName() == null && reference.getUid() == null) {
            throw new ParseException("a resource reference needs a kind, a name or a uid (keys found: "
                    + keyList(node) + ")");
        }
        return reference;
    }

    private static String name(JsonNode node, String field) throws ParseException {
        String value = JsonFields.text(node, field);
        return value == null ? null : Names.printable(value, field, Names.MAX_TEXT_LENGTH, false);
    }

    private static String clip(String value) {
        String printable = value.replaceAll("[^\\x20-\\x7e]", "?");
        return printable.length() > 40 ? printable.substring(0, 40) + "..." : printable;
    }

    /** What a record's events may repeat in total ({@link #MAX_OUTPUT_CHARS}). */
    private static final class Budget {
        private long left = MAX_OUTPUT_CHARS;

        void spend(int events, long charsEach) throws ParseException {
            long cost = events * charsEach;
            if (cost > left) {
                throw new ParseException("the report's events would repeat more than " + (MAX_OUTPUT_CHARS >> 20)
                        + " MiB of result text (" + events + " resources of a " + charsEach
                        + "-character result); split the report");
            }
            left -= cost;
        }
    }

    /** What every result of one report shares. */
    private static final class Report {
        private String namespace;
        private String source;
        private ResourceRef scope;
        private Long createdNanos;
        private JsonNode header;
        private final Map<String, String> attributes = new LinkedHashMap<>();

        static Report of(JsonNode node) throws ParseException {
            Report report = new Report();
            JsonNode apiVersionNode = node.get("apiVersion");
            JsonNode kindNode = node.get("kind");
            if (apiVersionNode == null || !apiVersionNode.isTextual() || kindNode == null || !kindNode.isTextual()) {
                throw new ParseException("not a policy report: it needs a string 'apiVersion' and 'kind' (keys found: "
                        + keyList(node) + ")");
            }
            String apiVersion = apiVersionNode.textValue();
            String kind = kindNode.textValue();
            List<String> kinds = KINDS.get(apiVersion);
            if (kinds == null) {
                throw new ParseException("unsupported apiVersion \"" + clip(apiVersion) + "\" of a " + clip(kind)
                        + " (expected " + WG_POLICY + " or " + OPEN_REPORTS + ")");
            }
            if (!kinds.contains(kind)) {
                throw new ParseException(apiVersion + " has no kind \"" + clip(kind) + "\" (expected "
                        + String.join(" or ", kinds) + ")");
            }
            boolean namespaced = kinds.get(0).equals(kind);
            Map<String, String> attributes = report.attributes;
            attributes.put(PolicyAttributes.REPORT_API_VERSION, apiVersion);
            attributes.put(PolicyAttributes.REPORT_KIND, kind);

            JsonNode metadata = JsonFields.object(node, "metadata");
            if (metadata != null) {
                within("metadata", () -> {
                    putText(attributes, PolicyAttributes.REPORT_NAME, name(metadata, "name"));
                    String namespace = JsonFields.text(metadata, "namespace");
                    if (namespace != null) {
                        if (!namespaced) {
                            throw new ParseException("a " + kind + " is cluster-scoped but has namespace \""
                                    + clip(namespace) + "\"");
                        }
                        report.namespace = Names.dnsLabel(namespace, "namespace");
                        attributes.put(PolicyAttributes.REPORT_NAMESPACE, namespace);
                    }
                    putText(attributes, PolicyAttributes.REPORT_UID, name(metadata, "uid"));
                    String created = JsonFields.text(metadata, "creationTimestamp");
                    if (created != null) {
                        report.createdNanos = JsonFields.epochNanos("creationTimestamp", created);
                        attributes.put(PolicyAttributes.REPORT_CREATED, created);
                    }
                    for (String field : List.of("labels", "annotations")) {
                        JsonNode map = JsonFields.object(metadata, field);
                        if (map != null) {
                            within(field, () -> {
                                putStringMap(attributes, "labels".equals(field) ? PolicyAttributes.REPORT_LABELS_PREFIX
                                        : PolicyAttributes.REPORT_ANNOTATIONS_PREFIX, map);
                                return null;
                            });
                        }
                    }
                    return null;
                });
            }
            report.source = JsonFields.text(node, "source");
            putText(attributes, PolicyAttributes.REPORT_SOURCE, report.source);
            JsonNode scope = JsonFields.object(node, "scope");
            if (scope != null) {
                report.scope = within("scope", () -> resource(scope));
                putText(attributes, PolicyAttributes.SCOPE_PREFIX + "api_version", report.scope.getApiVersion());
                putText(attributes, PolicyAttributes.SCOPE_PREFIX + "kind", report.scope.getKind());
                putText(attributes, PolicyAttributes.SCOPE_PREFIX + "namespace", report.scope.getNamespace());
                putText(attributes, PolicyAttributes.SCOPE_PREFIX + "name", report.scope.getName());
                putText(attributes, PolicyAttributes.SCOPE_PREFIX + "uid", report.scope.getUid());
            }
            putJson(attributes, PolicyAttributes.SCOPE_SELECTOR, JsonFields.object(node, "scopeSelector"));
            JsonNode summary = JsonFields.object(node, "summary");
            if (summary != null) {
                for (String count : SUMMARY) {
                    putNumber(attributes, PolicyAttributes.REPORT_SUMMARY_PREFIX + count,
                            within("summary", () -> JsonFields.number(summary, count)));
                }
            }
            JsonNode results = node.get("results");
            attributes.put(PolicyAttributes.REPORT_RESULTS, Integer.toString(results != null && results.isArray()
                    ? results.size() : 0));
            ObjectNode header = ((ObjectNode) node).deepCopy();
            header.remove("results");
            report.header = header;
            return report;
        }
    }
}
