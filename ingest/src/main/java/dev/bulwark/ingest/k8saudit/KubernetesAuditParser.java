package dev.bulwark.ingest.k8saudit;

import static dev.bulwark.ingest.Normalization.keyList;
import static dev.bulwark.ingest.Normalization.nowNanos;
import static dev.bulwark.ingest.Normalization.putJson;
import static dev.bulwark.ingest.Normalization.putStringMap;
import static dev.bulwark.ingest.Normalization.putText;
import static dev.bulwark.ingest.Normalization.within;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.bulwark.ingest.EventParser;
import dev.bulwark.ingest.JsonFields;
import dev.bulwark.ingest.JsonDocumentParser;
import dev.bulwark.ingest.Normalized;
import dev.bulwark.ingest.ParseException;
import dev.bulwark.ingest.SafeJson;
import dev.bulwark.schemas.Endpoint;
import dev.bulwark.schemas.EventInfo;
import dev.bulwark.schemas.Ids;
import dev.bulwark.schemas.ImageVerification;
import dev.bulwark.schemas.KubernetesAudit;
import dev.bulwark.schemas.KubernetesAttributes;
import dev.bulwark.schemas.KubernetesInfo;
import dev.bulwark.schemas.PodSpecFacts;
import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.schemas.UserInfo;

/**
 * Parses Kubernetes API server audit records ({@code audit.k8s.io/v1} and {@code v1beta1}) into
 * {@link SecurityEvent}s of kind {@code event}: one {@code Event} per record as the log backend writes it, or an
 * {@code EventList} as the webhook backend posts it (one event per item).
 *
 * <p>Why: the audit log is the only record of who did what through the Kubernetes API: exec and attach into pods,
 * reading and changing secrets, binding roles, creating privileged or host-mounting pods, impersonation, denied
 * requests. Detectors need it on the same model as the runtime sources, with the actor, the target object, the
 * authorization decision and the security-relevant parts of the request body as plain fields.
 *
 * <p>Every stage is accepted (RequestReceived, ResponseStarted, ResponseComplete, Panic); the same {@code auditID}
 * repeats across stages, so {@code kubernetes_audit.audit_id} plus {@code stage} identifies a stage, while the event
 * id is derived from the record bytes (test corpora and replays reuse audit ids for different content). Old captures
 * without {@code apiVersion}, and records whose shipper dropped {@code kind} but which carry {@code auditID},
 * {@code stage} and {@code verb}, are accepted; any other kind or API version is rejected with a reason saying what
 * the record is. For Pod (and workload template) writes the pod spec is summarized in {@code kubernetes.pod_spec}
 * ({@link PodSpecFacts}, see {@link PodSpecs}), for RBAC writes the role reference, subjects and rules under {@code k8s.rbac.*}; the request
 * body itself is kept as compact JSON (up to 64 KiB, Secret values redacted) in {@code k8s.audit.request_object}.
 * Image verification verdicts of Kyverno's verifyImages and the sigstore policy-controller, and the images mutating
 * webhooks wrote, are read from the admission annotations, the admitted object and a denial's message
 * ({@link AdmissionFacts}).
 */
public final class KubernetesAuditParser implements EventParser, JsonDocumentParser {

    private static final Set<String> API_VERSIONS = Set.of("audit.k8s.io/v1", "audit.k8s.io/v1beta1");
    private static final List<String> STAGES = List.of("RequestReceived", "ResponseStarted", "ResponseComplete", "Panic");
    private static final String DECISION = "authorization.k8s.io/decision";
    private static final String REASON = "authorization.k8s.io/reason";
    private static final Set<String> WRITE_VERBS = Set.of("create", "update", "patch", "delete", "deletecollection");
    private static final Set<String> SPEC_VERBS = Set.of("create", "update", "patch");
    private static final Set<String> SESSION_SUBRESOURCES = Set.of("exec", "attach");
    private static final Set<String> NETWORK_SUBRESOURCES = Set.of("portforward", "proxy");
    private static final Set<String> IAM_RESOURCES = Set.of("roles", "clusterroles", "rolebindings", "clusterrolebindings",
            "serviceaccounts", "certificatesigningrequests", "tokenreviews", "subjectaccessreviews",
            "selfsubjectaccessreviews", "localsubjectaccessreviews", "selfsubjectrulesreviews");
    /** Workload kinds (and their resources) whose pod template is at {@code spec.template.spec}. */
    private static final Map<String, String> TEMPLATE_KINDS = Map.of(
            "deployments", "Deployment", "daemonsets", "DaemonSet", "statefulsets", "StatefulSet",
            "replicasets", "ReplicaSet", "jobs", "Job", "replicationcontrollers", "ReplicationController");
    private static final String REDACTED = "<redacted>";

    @Override
    public String format() {
        return "k8s-audit";
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
        String kind = kind(root);
        String recordId = Ids.ofRecord(format(), record);
        if ("Event".equals(kind)) {
            return List.of(event(root, recordId, new String(record, StandardCharsets.UTF_8)));
        }
        JsonNode items = root.get("items");
        if (items == null || items.isNull()) {
            throw new ParseException("EventList has no 'items' field");
        }
        if (!items.isArray()) {
            throw new ParseException("field 'items' must be an array, got " + SafeJson.describe(items));
        }
        if (items.isEmpty()) {
            throw new ParseException("EventList has no items: nothing to normalize");
        }
        List<SecurityEvent> events = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            JsonNode item = items.get(i);
            try {
                if (!item.isObject()) {
                    throw new ParseException("expected an audit Event object, got " + SafeJson.describe(item));
                }
                if (item.hasNonNull("kind") && !"Event".equals(kind(item))) {
                    throw new ParseException("an EventList item must be an Event");
                }
                // Each item becomes its own event; its original is the item, not the whole list.
                events.add(event(item, Ids.of(recordId, Integer.toString(i)), item.toString()));
            } catch (ParseException e) {
                throw new ParseException("EventList item " + i + ": " + e.getMessage(), e);
            }
        }
        return events;
    }

    /** {@code Event} or {@code EventList} of the audit API, or a reason saying what the object is instead. */
    private static String kind(JsonNode node) throws ParseException {
        JsonNode kindNode = node.get("kind");
        JsonNode versionNode = node.get("apiVersion");
        String apiVersion = versionNode != null && versionNode.isTextual() ? versionNode.asText() : null;
        String kind;
        if (kindNode == null || kindNode.isNull()) {
            // Some shippers drop the type fields; an auditID with a stage and a verb is an audit event all the same.
            if (!node.path("auditID").isTextual() || !node.path("stage").isTextual() || !node.path("verb").isTextual()) {
                throw new ParseException("not a Kubernetes audit event: it has no 'kind' (keys found: "
                        + keyList(node) + ")");
            }
            kind = "Event";
        } else if (!kindNode.isTextual()) {
            throw new ParseException("not a Kubernetes audit event: 'kind' must be \"Event\" or \"EventList\", got "
                    + SafeJson.describe(kindNode));
        } else {
            kind = kindNode.asText();
        }
        if (!"Event".equals(kind) && !"EventList".equals(kind)) {
            throw new ParseException("not a Kubernetes audit event: it is a " + clip(kind)
                    + (apiVersion == null ? "" : " (" + clip(apiVersion) + ")") + " object");
        }
        if (versionNode != null && !versionNode.isNull()) {
            if (apiVersion == null) {
                throw new ParseException("field 'apiVersion' must be a string, got " + SafeJson.describe(versionNode));
            }
            if ("v1".equals(apiVersion) || apiVersion.startsWith("events.k8s.io/")) {
                throw new ParseException("not a Kubernetes audit event: a " + kind + " of " + apiVersion
                        + " is a cluster event (kubectl get events), not an API server audit record");
            }
            if (!API_VERSIONS.contains(apiVersion)) {
                throw new ParseException("unsupported audit apiVersion \"" + clip(apiVersion)
                        + "\" (expected audit.k8s.io/v1 or audit.k8s.io/v1beta1)");
            }
        }
        return kind;
    }

    private SecurityEvent event(JsonNode node, String id, String original) throws ParseException {
        String stage = JsonFields.requiredText(node, "stage");
        if (!STAGES.contains(stage)) {
            throw new ParseException("unknown audit stage \"" + clip(stage) + "\" (expected one of "
                    + String.join(", ", STAGES) + ")");
        }
        String verb = JsonFields.requiredText(node, "verb");
        String requestUri = JsonFields.text(node, "requestURI");
        Map<String, String> attributes = new LinkedHashMap<>();
        putText(attributes, KubernetesAttributes.AUDIT_LEVEL, JsonFields.text(node, "level"));
        String received = JsonFields.text(node, "requestReceivedTimestamp");
        putText(attributes, KubernetesAttributes.AUDIT_REQUEST_RECEIVED_TIMESTAMP, received);

        JsonNode user = JsonFields.object(node, "user");
        if (user == null) {
            throw new ParseException("missing required field 'user'");
        }
        String username = within("user", () -> JsonFields.text(user, "username"));
        String uid = within("user", () -> JsonFields.text(user, "uid"));
        List<String> groups = within("user", () -> JsonFields.strings(user, "groups"));
        within("user", () -> putExtra(attributes, KubernetesAttributes.AUDIT_USER_EXTRA_PREFIX, user));

        JsonNode impersonated = JsonFields.object(node, "impersonatedUser");
        String impersonatedUser = null;
        if (impersonated != null) {
            impersonatedUser = within("impersonatedUser", () -> JsonFields.text(impersonated, "username"));
            List<String> impersonatedGroups = within("impersonatedUser", () -> JsonFields.strings(impersonated, "groups"));
            if (!impersonatedGroups.isEmpty()) {
                attributes.put(KubernetesAttributes.AUDIT_IMPERSONATED_GROUPS, String.join(",", impersonatedGroups));
            }
            putText(attributes, KubernetesAttributes.AUDIT_IMPERSONATED_UID,
                    within("impersonatedUser", () -> JsonFields.text(impersonated, "uid")));
            within("impersonatedUser", () -> putExtra(attributes, KubernetesAttributes.AUDIT_IMPERSONATED_EXTRA_PREFIX, impersonated));
        }

        List<String> sourceIps = JsonFields.strings(node, "sourceIPs");
        JsonNode objectRef = JsonFields.object(node, "objectRef");
        ObjectRef ref = objectRef == null ? ObjectRef.NONE : within("objectRef", () -> ObjectRef.of(objectRef));
        putText(attributes, KubernetesAttributes.AUDIT_OBJECT_API_VERSION, ref.apiVersion());
        putText(attributes, KubernetesAttributes.AUDIT_OBJECT_UID, ref.uid());
        putText(attributes, KubernetesAttributes.AUDIT_OBJECT_RESOURCE_VERSION, ref.resourceVersion());

        JsonNode status = JsonFields.object(node, "responseStatus");
        Integer code = null;
        if (status != null) {
            Long raw = within("responseStatus", () -> JsonFields.number(status, "code"));
            code = raw == null || raw < 0 || raw > 999 ? null : raw.intValue();
            for (String field : List.of("status", "reason", "message")) {
                putText(attributes, KubernetesAttributes.AUDIT_RESPONSE_PREFIX + field,
                        within("responseStatus", () -> JsonFields.text(status, field)));
            }
        }

        JsonNode annotations = JsonFields.object(node, "annotations");
        String decision = null;
        String reason = null;
        if (annotations != null) {
            decision = within("annotations", () -> JsonFields.text(annotations, DECISION));
            reason = within("annotations", () -> JsonFields.text(annotations, REASON));
            within("annotations", () -> {
                putStringMap(attributes, KubernetesAttributes.AUDIT_ANNOTATIONS_PREFIX, annotations);
                return null;
            });
        }
        if (decision == null && code != null && (code == 401 || code == 403)) {
            decision = "forbid";
            attributes.put(KubernetesAttributes.AUDIT_DECISION_SOURCE, "response_code");
        }

        JsonNode requestObject = node.get("requestObject");
        JsonNode responseObject = node.get("responseObject");
        String objectName = ref.name();
        if (objectName == null && "create".equals(verb) && responseObject != null
                && !"Status".equals(responseObject.path("kind").asText())
                && responseObject.path("metadata").path("name").isTextual()) {
            // Objects created with metadata.generateName get their name only in the response.
            objectName = responseObject.get("metadata").get("name").asText();
            attributes.put(KubernetesAttributes.AUDIT_OBJECT_NAME_SOURCE, "responseObject");
        }
        String responseMessage = status == null ? null : within("responseStatus", () -> JsonFields.text(status, "message"));
        List<ImageVerification> verdicts = AdmissionFacts.read(annotations, responseObject, code, responseMessage,
                attributes);
        PodSpecFacts podSpec = null;
        if (requestObject != null && !requestObject.isNull()) {
            podSpec = requestObject(requestObject, ref, verb, attributes);
        }
        if (ref.subresource() != null && requestUri != null) {
            queryParameters(requestUri, ref.subresource(), attributes);
        }

        KubernetesAudit audit = KubernetesAudit.newBuilder()
                .setAuditId(JsonFields.text(node, "auditID"))
                .setStage(stage)
                .setVerb(verb)
                .setRequestUri(requestUri)
                .setApiGroup(ref.apiGroup())
                .setResource(ref.resource())
                .setSubresource(ref.subresource())
                .setObjectNamespace(ref.namespace())
                .setObjectName(objectName)
                .setSubjectUser(username)
                .setSubjectGroups(groups)
                .setSubjectServiceaccount(serviceAccount(username))
                .setImpersonatedUser(impersonatedUser)
                .setSourceIps(sourceIps)
                .setUserAgent(JsonFields.text(node, "userAgent"))
                .setResponseCode(code)
                .setDecision(decision)
                .setReason(reason)
                .build();

        SecurityEvent.Builder event = SecurityEvent.newBuilder()
                .setId(id)
                .setTimestamp(timestamp(node, received))
                .setSourceFormat(format())
                .setOriginal(original)
                .setKubernetesAudit(audit)
                .setEvent(classify(verb, ref, code, decision))
                .setImageVerifications(verdicts)
                .setAttributes(attributes);
        if (username != null || uid != null) {
            event.setUser(UserInfo.newBuilder().setName(username).setId(uid).build());
        }
        if (!sourceIps.isEmpty()) {
            event.setSource(Endpoint.newBuilder().setIp(sourceIps.get(0)).build());
        }
        if (ref.namespace() != null || podSpec != null) {
            event.setKubernetes(KubernetesInfo.newBuilder()
                    .setNamespace(ref.namespace())
                    .setPod("pods".equals(ref.resource()) ? objectName : null)
                    .setPodSpec(podSpec)
                    .build());
        }
        return event.build();
    }

    /** The audit {@code objectRef}: what the request was about. */
    record ObjectRef(String resource, String subresource, String namespace, String name, String apiGroup,
            String apiVersion, String uid, String resourceVersion) {
        static final ObjectRef NONE = new ObjectRef(null, null, null, null, null, null, null, null);

        static ObjectRef of(JsonNode node) throws ParseException {
            return new ObjectRef(JsonFields.text(node, "resource"), JsonFields.text(node, "subresource"),
                    JsonFields.text(node, "namespace"), JsonFields.text(node, "name"), JsonFields.text(node, "apiGroup"),
                    JsonFields.text(node, "apiVersion"), JsonFields.text(node, "uid"),
                    JsonFields.text(node, "resourceVersion"));
        }
    }

    /** ECS categorization: IAM always, plus what the request did (session, network, configuration change). */
    private static EventInfo classify(String verb, ObjectRef ref, Integer code, String decision) {
        List<String> categories = new ArrayList<>(List.of("iam"));
        List<String> types = new ArrayList<>();
        String subresource = ref.subresource();
        boolean pods = "pods".equals(ref.resource());
        if (pods && isIn(SESSION_SUBRESOURCES, subresource)) {
            // exec/attach are "create" over SPDY and "get" over WebSockets (kubectl >= 1.30): a session either way.
            categories.add("process");
            types.add("start");
        } else if (isIn(NETWORK_SUBRESOURCES, subresource)) {
            categories.add("network");
            types.add("connection");
        } else {
            types.add(switch (verb) {
                case "create" -> "creation";
                case "update", "patch" -> "change";
                case "delete", "deletecollection" -> "deletion";
                case "get", "list", "watch" -> "access";
                default -> "info";
            });
            if (WRITE_VERBS.contains(verb) && !isIn(IAM_RESOURCES, ref.resource())) {
                categories.add("configuration");
            }
        }
        if ("allow".equals(decision)) {
            types.add("allowed");
        } else if ("forbid".equals(decision)) {
            types.add("denied");
        }
        String outcome;
        if (code != null) {
            outcome = code < 400 ? "success" : "failure";
        } else {
            outcome = "forbid".equals(decision) ? "failure" : "unknown";
        }
        String action = subresource == null ? verb
                : verb + " " + (ref.resource() == null ? "" : ref.resource()) + "/" + subresource;
        return EventInfo.newBuilder()
                .setKind("event")
                .setCategory(categories)
                .setType(types)
                .setAction(action)
                .setDataset("kubernetes.audit")
                .setOutcome(outcome)
                .setIngested(nowNanos())
                .build();
    }

    /** {@code stageTimestamp}, else {@code requestReceivedTimestamp}, else the v1beta1 {@code timestamp}. */
    private static long timestamp(JsonNode node, String received) throws ParseException {
        String stage = JsonFields.text(node, "stageTimestamp");
        if (stage != null) {
            return JsonFields.epochNanos("stageTimestamp", stage);
        }
        if (received != null) {
            return JsonFields.epochNanos("requestReceivedTimestamp", received);
        }
        String legacy = JsonFields.text(node, "timestamp");
        if (legacy != null) {
            return JsonFields.epochNanos("timestamp", legacy);
        }
        throw new ParseException("missing event time: none of 'stageTimestamp', 'requestReceivedTimestamp', "
                + "'timestamp' is present");
    }

    /**
     * The request body: kept (bounded, Secret values redacted) and summarized for RBAC objects; returns the summary
     * of the pod spec it writes (a Pod's own or a workload's pod template), or null.
     */
    private static PodSpecFacts requestObject(JsonNode body, ObjectRef ref, String verb, Map<String, String> attributes) {
        String kind = body.path("kind").isTextual() ? body.get("kind").asText() : null;
        putText(attributes, KubernetesAttributes.AUDIT_REQUEST_OBJECT_KIND, kind);
        boolean secret = "Secret".equals(kind) || "secrets".equals(ref.resource());
        putJson(attributes, KubernetesAttributes.AUDIT_REQUEST_OBJECT, secret ? redactSecret(body) : body);
        if (!body.isObject() || !SPEC_VERBS.contains(verb)) {
            return null;
        }
        String resource = ref.resource();
        PodSpecIn pod = podSpec(body, kind, resource, ref.subresource());
        PodSpecFacts podSpec = pod == null ? null : PodSpecs.summarize(pod.spec(), pod.templateOf());
        if ("RoleBinding".equals(kind) || "ClusterRoleBinding".equals(kind)
                || "rolebindings".equals(resource) || "clusterrolebindings".equals(resource)) {
            JsonNode roleRef = body.path("roleRef");
            if (roleRef.isObject()) {
                putJson(attributes, KubernetesAttributes.RBAC_ROLE_REF, roleRef);
                putText(attributes, KubernetesAttributes.RBAC_ROLE_REF_KIND, textOrNull(roleRef.path("kind")));
                putText(attributes, KubernetesAttributes.RBAC_ROLE_REF_NAME, textOrNull(roleRef.path("name")));
            }
            if (body.path("subjects").isArray()) {
                putJson(attributes, KubernetesAttributes.RBAC_SUBJECTS, body.get("subjects"));
            }
        }
        if ("Role".equals(kind) || "ClusterRole".equals(kind) || "roles".equals(resource) || "clusterroles".equals(resource)) {
            JsonNode rules = body.path("rules");
            if (rules.isArray()) {
                putJson(attributes, KubernetesAttributes.RBAC_RULES, rules);
                if (hasWildcard(rules)) {
                    attributes.put(KubernetesAttributes.RBAC_WILDCARD, "true");
                }
            }
        }
        return podSpec;
    }

    /** A pod spec in a request body, and the workload kind whose pod template it is (null for a Pod's own spec). */
    private record PodSpecIn(JsonNode spec, String templateOf) {
    }

    /** The pod spec a request writes: a Pod's own, or a workload's pod template; null when there is none. */
    private static PodSpecIn podSpec(JsonNode body, String kind, String resource, String subresource) {
        boolean podResource = "pods".equals(resource) && (subresource == null || "ephemeralcontainers".equals(subresource));
        if ("Pod".equals(kind) || (kind == null && podResource)) {
            return new PodSpecIn(body.path("spec"), null);
        }
        if ("PodTemplate".equals(kind) || (kind == null && "podtemplates".equals(resource))) {
            return new PodSpecIn(body.path("template").path("spec"), "PodTemplate");
        }
        if ("CronJob".equals(kind) || (kind == null && "cronjobs".equals(resource))) {
            return new PodSpecIn(body.path("spec").path("jobTemplate").path("spec").path("template").path("spec"), "CronJob");
        }
        String workload = kind != null ? (TEMPLATE_KINDS.containsValue(kind) ? kind : null)
                : resource == null ? null : TEMPLATE_KINDS.get(resource);
        return workload == null ? null : new PodSpecIn(body.path("spec").path("template").path("spec"), workload);
    }

    private static boolean hasWildcard(JsonNode rules) {
        for (JsonNode rule : rules) {
            for (String field : List.of("verbs", "resources", "apiGroups")) {
                for (JsonNode value : rule.path(field)) {
                    if ("*".equals(value.asText())) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /** A copy of a Secret body with every {@code data}/{@code stringData} value and the last-applied copy redacted. */
    private static JsonNode redactSecret(JsonNode body) {
        if (!body.isObject()) {
            return body;
        }
        ObjectNode copy = body.deepCopy();
        for (String field : List.of("data", "stringData")) {
            JsonNode values = copy.get(field);
            if (values != null && values.isObject()) {
                List<String> keys = new ArrayList<>();
                values.fieldNames().forEachRemaining(keys::add);
                for (String key : keys) {
                    ((ObjectNode) values).put(key, REDACTED);
                }
            } else if (values != null && !values.isNull()) {
                copy.put(field, REDACTED);
            }
        }
        JsonNode annotations = copy.path("metadata").path("annotations");
        if (annotations.isObject() && annotations.has("kubectl.kubernetes.io/last-applied-configuration")) {
            ((ObjectNode) annotations).put("kubectl.kubernetes.io/last-applied-configuration", REDACTED);
        }
        return copy;
    }

    /**
     * Parameters of exec, attach and port-forward requests from the request URI: {@code command} (each argv element
     * is one parameter, joined with spaces), {@code container}, {@code tty}, {@code stdin}, {@code ports}.
     */
    private static void queryParameters(String requestUri, String subresource, Map<String, String> attributes) {
        if (!SESSION_SUBRESOURCES.contains(subresource) && !"portforward".equals(subresource)) {
            return;
        }
        int question = requestUri.indexOf('?');
        if (question < 0) {
            return;
        }
        Map<String, List<String>> params = new LinkedHashMap<>();
        for (String pair : requestUri.substring(question + 1).split("&")) {
            int equals = pair.indexOf('=');
            String key = decode(equals < 0 ? pair : pair.substring(0, equals));
            String value = equals < 0 ? "" : decode(pair.substring(equals + 1));
            params.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
        }
        String prefix = KubernetesAttributes.auditSubresourcePrefix(subresource);
        List<String> command = params.get("command");
        if (command != null) {
            attributes.put(prefix + "command", String.join(" ", command));
        }
        for (String key : List.of("container", "tty", "stdin", "ports")) {
            List<String> values = params.get(key);
            if (values != null) {
                attributes.put(prefix + key, String.join(",", new LinkedHashSet<>(values)));
            }
        }
    }

    private static String decode(String text) {
        try {
            return URLDecoder.decode(text, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            // A malformed escape: keep the text as sent.
            return text;
        }
    }

    /** {@code user.extra}: a map of string lists, one attribute per key with the values comma-joined. */
    private static Void putExtra(Map<String, String> attributes, String prefix, JsonNode user) throws ParseException {
        JsonNode extra = JsonFields.object(user, "extra");
        if (extra != null) {
            for (Iterator<String> it = extra.fieldNames(); it.hasNext(); ) {
                String key = it.next();
                attributes.put(prefix + key, String.join(",", JsonFields.strings(extra, key)));
            }
        }
        return null;
    }

    /** {@code system:serviceaccount:ns:name} becomes {@code ns/name}. */
    static String serviceAccount(String user) {
        String prefix = "system:serviceaccount:";
        if (user == null || !user.startsWith(prefix)) {
            return null;
        }
        String rest = user.substring(prefix.length());
        int colon = rest.indexOf(':');
        return colon <= 0 || colon == rest.length() - 1 ? null : rest.substring(0, colon) + "/" + rest.substring(colon + 1);
    }

    /** The text of a scalar node, or null for a missing, null, empty or container node (lenient request bodies). */
    static String textOrNull(JsonNode node) {
        return node.isValueNode() && !node.isNull() && !node.asText().isEmpty() ? node.asText() : null;
    }

    /** Null-safe membership: the immutable collections reject a null lookup. */
    private static boolean isIn(Set<String> set, String value) {
        return value != null && set.contains(value);
    }

    private static String clip(String value) {
        return value.length() > 60 ? value.substring(0, 60) + "..." : value;
    }
}
