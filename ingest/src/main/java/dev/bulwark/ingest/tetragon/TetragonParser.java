package dev.bulwark.ingest.tetragon;

import static dev.bulwark.ingest.Normalization.endpoint;
import static dev.bulwark.ingest.Normalization.keyList;
import static dev.bulwark.ingest.Normalization.nowNanos;
import static dev.bulwark.ingest.Normalization.putJson;
import static dev.bulwark.ingest.Normalization.putNumber;
import static dev.bulwark.ingest.Normalization.putStringMap;
import static dev.bulwark.ingest.Normalization.putText;
import static dev.bulwark.ingest.Normalization.within;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import dev.bulwark.ingest.EventParser;
import dev.bulwark.ingest.JsonFields;
import dev.bulwark.ingest.JsonDocumentParser;
import dev.bulwark.ingest.Normalized;
import dev.bulwark.ingest.ParseException;
import dev.bulwark.ingest.SafeJson;
import dev.bulwark.schemas.ContainerInfo;
import dev.bulwark.schemas.EventInfo;
import dev.bulwark.schemas.FileInfo;
import dev.bulwark.schemas.HostInfo;
import dev.bulwark.schemas.Ids;
import dev.bulwark.schemas.KubernetesAttributes;
import dev.bulwark.schemas.KubernetesInfo;
import dev.bulwark.schemas.NetworkInfo;
import dev.bulwark.schemas.OrchestratorInfo;
import dev.bulwark.schemas.ParentProcess;
import dev.bulwark.schemas.ProcessInfo;
import dev.bulwark.schemas.RuleRef;
import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.schemas.UserInfo;

/**
 * Parses Tetragon's JSON export ({@code tetra getevents -o json}, the export file, the JSON rendering of the gRPC
 * stream) into {@link SecurityEvent}s of kind {@code event}.
 *
 * <p>Why: Tetragon observes in the kernel what runs inside each container (every exec and exit) and the hooks its
 * tracing policies select (file access, sockets, credential changes, kernel modules), already joined to the pod and
 * container. Those are the raw facts detectors correlate with Falco alerts and Kubernetes audit events, so they are
 * normalized onto the same ECS-like model.
 *
 * <p>A record is one JSON object holding exactly one event-type key ({@code process_exec}, {@code process_exit},
 * {@code process_kprobe}, {@code process_tracepoint}, {@code process_uprobe}, {@code process_lsm},
 * {@code process_usdt}, {@code process_loader}, {@code process_throttle}, {@code rate_limit_info}, and the
 * {@code process_connect}/{@code process_close}/{@code process_listen} events of 2021-22 releases) beside the envelope
 * {@code node_name}, {@code time}, {@code cluster_name}, {@code node_labels}, {@code aggregation_info}. Protobuf zero
 * values are omitted by the exporter, so every field is optional except the event time (for {@code process_exec}
 * the process start time stands in when {@code time} is missing, as exec time and start time are the same instant).
 * What the schema cannot hold is kept in {@code attributes} under {@code tetragon.*} and {@code k8s.*} keys.
 */
public final class TetragonParser implements EventParser, JsonDocumentParser {

    /** How an event type is normalized. */
    private enum Shape { EXEC, EXIT, PROBE, LOADER, THROTTLE, RATE_LIMIT, LEGACY_CONNECT, LEGACY_CLOSE, LEGACY_LISTEN }

    private static final Map<String, Shape> EVENT_TYPES = new LinkedHashMap<>();

    static {
        EVENT_TYPES.put("process_exec", Shape.EXEC);
        EVENT_TYPES.put("process_exit", Shape.EXIT);
        EVENT_TYPES.put("process_kprobe", Shape.PROBE);
        EVENT_TYPES.put("process_tracepoint", Shape.PROBE);
        EVENT_TYPES.put("process_uprobe", Shape.PROBE);
        EVENT_TYPES.put("process_lsm", Shape.PROBE);
        EVENT_TYPES.put("process_usdt", Shape.PROBE);
        EVENT_TYPES.put("process_loader", Shape.LOADER);
        EVENT_TYPES.put("process_throttle", Shape.THROTTLE);
        EVENT_TYPES.put("rate_limit_info", Shape.RATE_LIMIT);
        EVENT_TYPES.put("process_connect", Shape.LEGACY_CONNECT);
        EVENT_TYPES.put("process_close", Shape.LEGACY_CLOSE);
        EVENT_TYPES.put("process_listen", Shape.LEGACY_LISTEN);
    }

    /** Tetragon's "unset" audit uid ((uint32) -1). */
    private static final long AUID_UNSET = 4294967295L;

    @Override
    public String format() {
        return "tetragon";
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
        String type = eventType(root);
        Shape shape = EVENT_TYPES.get(type);
        JsonNode body = root.get(type);
        if (!body.isObject()) {
            throw new ParseException("field '" + type + "' must be an object, got " + SafeJson.describe(body));
        }
        String shortType = type.startsWith("process_") ? type.substring("process_".length()) : type;
        String prefix = "tetragon." + shortType + ".";
        Map<String, String> attributes = new LinkedHashMap<>();

        SecurityEvent.Builder event = SecurityEvent.newBuilder()
                .setId(Ids.ofRecord(format(), record))
                .setSourceFormat(format())
                .setOriginal(new String(record, StandardCharsets.UTF_8));
        String node = JsonFields.text(root, "node_name");
        if (node != null) {
            event.setHost(HostInfo.newBuilder().setHostname(node).build());
        }
        String cluster = JsonFields.text(root, "cluster_name");
        if (cluster != null) {
            event.setOrchestrator(OrchestratorInfo.newBuilder().setCluster(cluster).build());
        }
        putStringMap(attributes, "tetragon.node_labels.", JsonFields.object(root, "node_labels"));
        JsonNode aggregation = JsonFields.object(root, "aggregation_info");
        if (aggregation != null) {
            putNumber(attributes, "tetragon.aggregation.count", JsonFields.number(aggregation, "count"));
        }

        JsonNode process = shape == Shape.THROTTLE || shape == Shape.RATE_LIMIT ? null : requiredObject(body, type, "process");
        if (process != null) {
            JsonNode parent = within(type, () -> JsonFields.object(body, "parent"));
            ProcessInfo info = within(type + ".process", () -> process(process, attributes));
            String parentExecId = within(type + ".process", () -> JsonFields.text(process, "parent_exec_id"));
            if (parent != null) {
                info.setParent(within(type + ".parent", () -> parentProcess(parent, parentExecId)));
            } else if (parentExecId != null) {
                info.setParent(ParentProcess.newBuilder().setEntityId(parentExecId).build());
            }
            event.setProcess(info);
            within(type + ".process", () -> {
                workload(process, node, event, attributes);
                return null;
            });
            String uid = event.getProcess().getUserId();
            if (uid != null || event.getProcess().getUserName() != null) {
                event.setUser(UserInfo.newBuilder().setId(uid).setName(event.getProcess().getUserName()).build());
            }
        }

        Classification what = new Classification();
        switch (shape) {
            case EXEC -> what.set("process", "start", "exec");
            case EXIT -> {
                what.set("process", "end", "exit");
                putNumber(attributes, "tetragon.exit.status", JsonFields.number(body, "status"));
                putText(attributes, "tetragon.exit.signal", JsonFields.text(body, "signal"));
            }
            case PROBE -> probe(body, type, shortType, prefix, event, what, attributes);
            case LOADER -> {
                what.set("process", "start", "load");
                what.categories.add("library");
                String path = JsonFields.text(body, "path");
                if (path != null) {
                    event.setFile(FileInfo.newBuilder().setPath(path).build());
                }
                putText(attributes, prefix + "buildid", JsonFields.text(body, "buildid"));
            }
            case THROTTLE -> {
                what.set("host", "info", "throttle");
                putText(attributes, prefix + "type", JsonFields.text(body, "type"));
                putText(attributes, prefix + "cgroup", JsonFields.text(body, "cgroup"));
            }
            case RATE_LIMIT -> {
                what.set("host", "info", "rate_limit");
                putNumber(attributes, "tetragon.rate_limit.dropped_process_events",
                        JsonFields.number(body, "number_of_dropped_process_events"));
            }
            default -> legacyNetwork(body, shape, shortType, event, what, attributes);
        }

        event.setTimestamp(timestamp(root, type, shape, process, attributes));
        event.setAttributes(attributes);
        event.setEvent(EventInfo.newBuilder()
                .setKind("event")
                .setCategory(what.categories)
                .setType(what.types)
                .setAction(what.action)
                .setDataset("tetragon." + type)
                .setOutcome(what.outcome)
                .setIngested(nowNanos())
                .build());
        return List.of(event.build());
    }

    /** ECS categorization collected while reading an event. */
    private static final class Classification {
        final List<String> categories = new ArrayList<>();
        final List<String> types = new ArrayList<>();
        String action;
        String outcome;

        void set(String category, String type, String eventAction) {
            categories.add(category);
            types.add(type);
            action = eventAction;
        }
    }

    /** The one event-type key of the record, or a precise reason why there is none. */
    private static String eventType(JsonNode root) throws ParseException {
        List<String> found = new ArrayList<>();
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (EVENT_TYPES.containsKey(key)) {
                found.add(key);
            }
        }
        if (found.size() == 1) {
            return found.get(0);
        }
        if (found.size() > 1) {
            throw new ParseException("a Tetragon event holds exactly one event type, found " + found.size() + ": "
                    + String.join(", ", found));
        }
        if (root.isEmpty()) {
            throw new ParseException("not a Tetragon event: the object is empty (expected one of "
                    + String.join(", ", EVENT_TYPES.keySet()) + ")");
        }
        String apiVersion = root.path("apiVersion").isTextual() ? root.get("apiVersion").asText() : null;
        String kind = root.path("kind").isTextual() ? root.get("kind").asText() : null;
        if (apiVersion != null && kind != null) {
            throw new ParseException("not a Tetragon event: it is a Kubernetes object of kind " + clip(kind) + " ("
                    + clip(apiVersion) + "), e.g. a policy, not an exported event");
        }
        throw new ParseException("not a Tetragon event: no known event type among keys [" + keyList(root)
                + "] (expected one of " + String.join(", ", EVENT_TYPES.keySet()) + ")");
    }

    private static long timestamp(JsonNode root, String type, Shape shape, JsonNode process, Map<String, String> attributes)
            throws ParseException {
        String time = JsonFields.text(root, "time");
        if (time != null) {
            return JsonFields.epochNanos("time", time);
        }
        if (shape == Shape.EXEC && process != null) {
            String start = JsonFields.text(process, "start_time");
            if (start != null) {
                attributes.put("tetragon.time_source", "process.start_time");
                return JsonFields.epochNanos("process.start_time", start);
            }
        }
        throw new ParseException("missing event time: field 'time' is absent in this " + type + " event");
    }

    private static ProcessInfo process(JsonNode proc, Map<String, String> attributes) throws ParseException {
        String binary = JsonFields.text(proc, "binary");
        String arguments = JsonFields.text(proc, "arguments");
        Long uid = JsonFields.number(proc, "uid");
        JsonNode user = JsonFields.object(proc, "user");
        ProcessInfo.Builder process = ProcessInfo.newBuilder()
                .setPid(JsonFields.number(proc, "pid"))
                .setEntityId(JsonFields.text(proc, "exec_id"))
                .setName(basename(binary))
                .setExecutable(binary)
                .setCommandLine(commandLine(binary, arguments))
                .setArgs(args(binary, arguments))
                .setWorkingDirectory(JsonFields.text(proc, "cwd"))
                .setUserId(uid == null ? null : Long.toString(uid))
                .setUserName(user == null ? null : JsonFields.text(user, "name"));

        putText(attributes, "tetragon.process.flags", JsonFields.text(proc, "flags"));
        putText(attributes, "tetragon.process.start_time", JsonFields.text(proc, "start_time"));
        putNumber(attributes, "tetragon.process.tid", JsonFields.number(proc, "tid"));
        Long auid = JsonFields.number(proc, "auid");
        if (auid != null && auid != AUID_UNSET) {
            attributes.put("tetragon.process.auid", Long.toString(auid));
        }
        putText(attributes, "tetragon.process.docker", JsonFields.text(proc, "docker"));
        JsonNode inInitTree = proc.get("in_init_tree");
        if (inInitTree != null && inInitTree.isBoolean()) {
            attributes.put("tetragon.process.in_init_tree", Boolean.toString(inInitTree.booleanValue()));
        }
        JsonNode cap = JsonFields.object(proc, "cap");
        if (cap != null) {
            for (String set : List.of("effective", "permitted", "inheritable")) {
                List<String> caps = JsonFields.strings(cap, set);
                if (!caps.isEmpty()) {
                    attributes.put("tetragon.process.cap." + set, String.join(",", caps));
                }
            }
        }
        JsonNode ns = JsonFields.object(proc, "ns");
        if (ns != null) {
            List<String> host = new ArrayList<>();
            for (Map.Entry<String, JsonNode> entry : ns.properties()) {
                if (entry.getValue().path("is_host").asBoolean(false)) {
                    host.add(entry.getKey());
                }
            }
            if (!host.isEmpty()) {
                attributes.put("tetragon.process.ns.host", String.join(",", host));
            }
        }
        putJson(attributes, "tetragon.process.binary_properties", JsonFields.object(proc, "binary_properties"));
        putJson(attributes, "tetragon.process.credentials", JsonFields.object(proc, "process_credentials"));
        return process.build();
    }

    private static ParentProcess parentProcess(JsonNode parent, String parentExecId) throws ParseException {
        String binary = JsonFields.text(parent, "binary");
        return ParentProcess.newBuilder()
                .setPid(JsonFields.number(parent, "pid"))
                .setEntityId(firstNonNull(JsonFields.text(parent, "exec_id"), parentExecId))
                .setName(basename(binary))
                .setExecutable(binary)
                .setCommandLine(commandLine(binary, JsonFields.text(parent, "arguments")))
                .build();
    }

    /** Pod, container and workload of the process, from {@code process.pod} (absent for host processes). */
    private static void workload(JsonNode proc, String node, SecurityEvent.Builder event, Map<String, String> attributes)
            throws ParseException {
        JsonNode pod = JsonFields.object(proc, "pod");
        JsonNode container = pod == null ? null : JsonFields.object(pod, "container");
        if (pod != null) {
            Map<String, String> labels = new LinkedHashMap<>();
            putStringMap(labels, "", JsonFields.object(pod, "pod_labels"));
            event.setKubernetes(KubernetesInfo.newBuilder()
                    .setNamespace(JsonFields.text(pod, "namespace"))
                    .setPod(JsonFields.text(pod, "name"))
                    .setPodUid(JsonFields.text(pod, "uid"))
                    .setNode(node)
                    .setWorkload(JsonFields.text(pod, "workload"))
                    .setLabels(labels)
                    .build());
            putText(attributes, KubernetesAttributes.WORKLOAD_KIND, JsonFields.text(pod, "workload_kind"));
            putStringMap(attributes, KubernetesAttributes.POD_ANNOTATIONS_PREFIX, JsonFields.object(pod, "pod_annotations"));
        }
        if (container != null) {
            event.setContainer(within("pod.container", () -> container(container, attributes)));
        } else {
            String docker = JsonFields.text(proc, "docker");
            if (docker != null) {
                // Only the truncated id Tetragon reads from the cgroup path is known; it is a prefix of the full id.
                event.setContainer(ContainerInfo.newBuilder().setId(docker).build());
                attributes.put("tetragon.container.id_truncated", "true");
            }
        }
    }

    private static ContainerInfo container(JsonNode container, Map<String, String> attributes) throws ParseException {
        String rawId = JsonFields.text(container, "id");
        String runtime = null;
        String id = rawId;
        if (rawId != null) {
            int scheme = rawId.indexOf("://");
            if (scheme > 0) {
                runtime = runtime(rawId.substring(0, scheme));
                id = rawId.substring(scheme + 3);
            }
        }
        JsonNode image = JsonFields.object(container, "image");
        ImageRef ref = image == null ? ImageRef.NONE
                : ImageRef.of(JsonFields.text(image, "name"), JsonFields.text(image, "id"));
        JsonNode securityContext = JsonFields.object(container, "security_context");
        Boolean privileged = null;
        if (securityContext != null && securityContext.has("privileged")) {
            privileged = securityContext.get("privileged").asBoolean(false);
        }
        putText(attributes, "tetragon.container.start_time", JsonFields.text(container, "start_time"));
        putNumber(attributes, "tetragon.process.vpid", JsonFields.number(container, "pid"));
        JsonNode probe = container.get("maybe_exec_probe");
        if (probe != null && probe.isBoolean() && probe.booleanValue()) {
            attributes.put("tetragon.container.maybe_exec_probe", "true");
        }
        return ContainerInfo.newBuilder()
                .setId(id == null || id.isEmpty() ? null : id)
                .setName(JsonFields.text(container, "name"))
                .setImageName(ref.name())
                .setImageTag(ref.tag())
                .setImageDigest(ref.digest())
                .setRuntime(runtime)
                .setPrivileged(privileged)
                .build();
    }

    /** kprobe, tracepoint, uprobe, LSM and USDT events: the hook, the policy and the hooked function's arguments. */
    private static void probe(JsonNode body, String type, String shortType, String prefix, SecurityEvent.Builder event,
            Classification what, Map<String, String> attributes) throws ParseException {
        String function = JsonFields.text(body, "function_name");
        String subsys = JsonFields.text(body, "subsys");
        String tracepoint = JsonFields.text(body, "event");
        String path = JsonFields.text(body, "path");
        String symbol = JsonFields.text(body, "symbol");
        String provider = JsonFields.text(body, "provider");
        String name = JsonFields.text(body, "name");
        putText(attributes, prefix + "function", function);
        putText(attributes, prefix + "subsys", subsys);
        putText(attributes, prefix + "event", tracepoint);
        putText(attributes, prefix + "path", path);
        putText(attributes, prefix + "symbol", symbol);
        putText(attributes, prefix + "provider", provider);
        putText(attributes, prefix + "name", name);
        String policy = JsonFields.text(body, "policy_name");
        putText(attributes, prefix + "policy", policy);
        putText(attributes, prefix + "action", JsonFields.text(body, "action"));
        putText(attributes, prefix + "return_action", JsonFields.text(body, "return_action"));
        putText(attributes, prefix + "message", JsonFields.text(body, "message"));
        putText(attributes, prefix + "ima_hash", JsonFields.text(body, "ima_hash"));
        if (policy != null) {
            event.setRule(RuleRef.newBuilder().setName(policy).setRuleset("tetragon").build());
        }
        event.setTags(JsonFields.strings(body, "tags"));

        String action = switch (type) {
            case "process_tracepoint" -> subsys == null && tracepoint == null ? null
                    : (subsys == null ? "" : subsys) + "/" + (tracepoint == null ? "" : tracepoint);
            case "process_uprobe" -> symbol;
            case "process_usdt" -> provider == null && name == null ? null
                    : (provider == null ? "" : provider) + ":" + (name == null ? "" : name);
            default -> function;
        };
        if (action == null) {
            action = shortType;
        }

        ProbeArgs found = new ProbeArgs();
        JsonNode args = body.get("args");
        if (args != null && !args.isNull()) {
            if (!args.isArray()) {
                throw new ParseException("field '" + type + ".args' must be an array, got " + SafeJson.describe(args));
            }
            for (int i = 0; i < args.size(); i++) {
                JsonNode arg = args.get(i);
                if (!arg.isObject()) {
                    throw new ParseException("field '" + type + ".args[" + i + "]' must be an object, got "
                            + SafeJson.describe(arg));
                }
                int index = i;
                within(type + ".args[" + i + "]", () -> {
                    found.read(arg);
                    return null;
                });
                putJson(attributes, prefix + "args." + index, arg);
            }
        }
        JsonNode returned = JsonFields.object(body, "return");
        putJson(attributes, prefix + "return", returned);
        if (returned != null) {
            Long code = within(type + ".return", () -> JsonFields.number(returned, "int_arg"));
            if (code != null) {
                // Kernel convention: a negative return is an error (or a denial, for security_* hooks).
                what.outcome = code < 0 ? "failure" : "success";
            }
        }

        List<String> categories = what.categories;
        List<String> types = what.types;
        if (found.filePath != null) {
            event.setFile(FileInfo.newBuilder().setPath(found.filePath).build());
            categories.add("file");
            types.add("access");
        }
        if (found.source != null || found.destination != null) {
            event.setSource(found.source);
            event.setDestination(found.destination);
            String lower = action.toLowerCase(Locale.ROOT);
            String direction = lower.contains("accept") ? "ingress" : lower.contains("connect") ? "egress" : null;
            if (found.transport != null || direction != null) {
                event.setNetwork(NetworkInfo.newBuilder().setTransport(found.transport).setDirection(direction).build());
            }
            categories.add("network");
            types.add("connection");
            if (lower.contains("close")) {
                types.add("end");
            } else if (lower.contains("connect") || lower.contains("accept")) {
                types.add("start");
            }
        }
        if (found.module) {
            categories.add("driver");
        }
        if (categories.isEmpty()) {
            // Credential changes, capability checks, namespace changes: something the process did.
            categories.add("process");
        }
        if (types.isEmpty()) {
            types.add("info");
        }
        what.action = action;
    }

    /** The {@code process_connect}/{@code process_close}/{@code process_listen} events of Tetragon 2021-22. */
    private static void legacyNetwork(JsonNode body, Shape shape, String shortType, SecurityEvent.Builder event,
            Classification what, Map<String, String> attributes) throws ParseException {
        List<String> types = what.types;
        what.categories.add("network");
        what.action = shortType;
        String transport = transport(body.get("protocol"));
        if (shape == Shape.LEGACY_LISTEN) {
            // A listening socket has no peer; its address is what clients connect to.
            event.setDestination(endpoint(body, "ip", "port"));
            types.add("start");
            event.setNetwork(NetworkInfo.newBuilder().setTransport(transport).setDirection("ingress").build());
        } else {
            event.setSource(endpoint(body, "source_ip", "source_port"));
            event.setDestination(endpoint(body, "destination_ip", "destination_port"));
            types.add("connection");
            types.add(shape == Shape.LEGACY_CONNECT ? "start" : "end");
            event.setNetwork(NetworkInfo.newBuilder().setTransport(transport)
                    .setDirection(shape == Shape.LEGACY_CONNECT ? "egress" : null).build());
        }
        JsonNode stats = JsonFields.object(body, "stats");
        if (stats != null) {
            for (Map.Entry<String, JsonNode> entry : stats.properties()) {
                putText(attributes, "tetragon.close.stats." + entry.getKey(), JsonFields.text(stats, entry.getKey()));
            }
        }
    }

    /** {@code IPPROTO_TCP}, {@code TCP} or protocol number 6 become {@code tcp}. */
    static String transport(JsonNode protocol) {
        if (protocol == null || protocol.isNull() || protocol.isContainerNode()) {
            return null;
        }
        if (protocol.isIntegralNumber()) {
            return switch (protocol.asInt()) {
                case 1 -> "icmp";
                case 6 -> "tcp";
                case 17 -> "udp";
                case 58 -> "ipv6-icmp";
                case 132 -> "sctp";
                default -> protocol.asText();
            };
        }
        String text = protocol.asText().toLowerCase(Locale.ROOT);
        if (text.startsWith("ipproto_")) {
            text = text.substring("ipproto_".length());
        }
        return text.isEmpty() ? null : text;
    }

    /** The container runtime named by a container id's scheme ({@code containerd://}, {@code docker://}, ...). */
    private static String runtime(String scheme) {
        String lower = scheme.toLowerCase(Locale.ROOT);
        return "crio".equals(lower) ? "cri-o" : lower;
    }

    /** {@code binary arguments}, as a shell would show it. */
    private static String commandLine(String binary, String arguments) {
        if (binary == null) {
            return arguments;
        }
        return arguments == null ? binary : binary + " " + arguments;
    }

    private static List<String> args(String binary, String arguments) {
        List<String> args = new ArrayList<>();
        if (binary != null) {
            args.add(binary);
        }
        if (arguments != null) {
            args.addAll(Arguments.split(arguments));
        }
        return args;
    }

    private static String basename(String path) {
        if (path == null) {
            return null;
        }
        int slash = path.lastIndexOf('/');
        String name = slash < 0 ? path : path.substring(slash + 1);
        return name.isEmpty() ? null : name;
    }

    private static JsonNode requiredObject(JsonNode parent, String parentName, String field) throws ParseException {
        JsonNode node = within(parentName, () -> JsonFields.object(parent, field));
        if (node == null) {
            throw new ParseException("missing required field '" + parentName + "." + field + "'");
        }
        return node;
    }

    private static String firstNonNull(String first, String second) {
        return first != null ? first : second;
    }

    static String emptyToNull(String value) {
        return value == null || value.isEmpty() ? null : value;
    }

    private static String clip(String value) {
        return value.length() > 60 ? value.substring(0, 60) + "..." : value;
    }
}
