package dev.bulwark.ingest.falco;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

import dev.bulwark.ingest.EventParser;
import dev.bulwark.ingest.JsonFields;
import dev.bulwark.ingest.JsonDocumentParser;
import dev.bulwark.ingest.Normalized;
import dev.bulwark.ingest.ParseException;
import dev.bulwark.ingest.SafeJson;
import dev.bulwark.schemas.ContainerInfo;
import dev.bulwark.schemas.Endpoint;
import dev.bulwark.schemas.EventInfo;
import dev.bulwark.schemas.FileInfo;
import dev.bulwark.schemas.HostInfo;
import dev.bulwark.schemas.Ids;
import dev.bulwark.schemas.KubernetesAttributes;
import dev.bulwark.schemas.KubernetesAudit;
import dev.bulwark.schemas.KubernetesInfo;
import dev.bulwark.schemas.NetworkInfo;
import dev.bulwark.schemas.ParentProcess;
import dev.bulwark.schemas.ProcessInfo;
import dev.bulwark.schemas.RuleRef;
import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.schemas.UserInfo;

/**
 * Parses Falco JSON output ({@code json_output: true}, file/stdout/http output and falcosidekick's forward) into
 * {@link SecurityEvent}s of kind {@code alert}.
 *
 * <p>Handles every layout seen in the wild: 2021-era records with only {@code output, priority, rule, time}, current
 * records with {@code source, tags, hostname}, key order of any kind, typed or stringly-typed {@code output_fields},
 * {@code <NA>} placeholders, and {@code k8s_audit} alerts with {@code ka.*} fields. Field names inside
 * {@code output_fields} are opaque keys (they contain dots and brackets) and are all kept verbatim in
 * {@code attributes}.
 */
public final class FalcoParser implements EventParser, JsonDocumentParser {

    /** Falco priorities, lower-cased, mapped to ECS event.severity (0-100). */
    private static final Map<String, Integer> SEVERITY = Map.of(
            "emergency", 100, "alert", 90, "critical", 80, "error", 70,
            "warning", 50, "notice", 30, "informational", 20, "info", 20, "debug", 10);

    private static final Set<String> KNOWN_SOURCES_WITH_PROCESSES = Set.of("syscall");

    @Override
    public String format() {
        return "falco";
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
        String rule = JsonFields.requiredText(root, "rule");
        String priority = JsonFields.requiredText(root, "priority");
        Integer severity = SEVERITY.get(priority.toLowerCase(Locale.ROOT));
        if (severity == null) {
            throw new ParseException("unknown Falco priority \"" + clip(priority) + "\" (expected one of Emergency, Alert, "
                    + "Critical, Error, Warning, Notice, Informational, Debug)");
        }
        JsonNode fields = JsonFields.object(root, "output_fields");
        if (fields == null) {
            fields = SafeJson.mapper().createObjectNode();
        }
        String source = JsonFields.text(root, "source");
        if (source == null) {
            source = "syscall";
        }
        long timestamp = timestamp(root, fields);

        String uuid = JsonFields.text(root, "uuid");
        SecurityEvent.Builder event = SecurityEvent.newBuilder()
                .setId(uuid != null ? uuid : Ids.ofRecord(format(), record))
                .setTimestamp(timestamp)
                .setSourceFormat(format())
                .setOriginal(new String(record, StandardCharsets.UTF_8))
                .setRule(RuleRef.newBuilder().setName(rule).setRuleset("falco").build())
                .setTags(JsonFields.strings(root, "tags"))
                .setAttributes(attributes(fields))
                .setNullFields(nullFields(fields));

        String hostname = JsonFields.text(root, "hostname");
        if (hostname != null) {
            event.setHost(HostInfo.newBuilder().setHostname(hostname).build());
        }

        List<String> categories = new ArrayList<>(List.of("intrusion_detection"));
        ProcessInfo process = process(fields);
        if (process != null) {
            event.setProcess(process);
            categories.add("process");
            String user = JsonFields.text(fields, "user.name");
            if (user != null) {
                event.setUser(UserInfo.newBuilder().setName(user).setId(JsonFields.text(fields, "user.uid")).build());
            }
        }
        String filePath = JsonFields.text(fields, "fd.name");
        String serverIp = JsonFields.text(fields, "fd.sip");
        if (serverIp != null || JsonFields.text(fields, "fd.rip") != null) {
            categories.add("network");
            event.setSource(endpoint(fields, "fd.cip", "fd.cport"));
            event.setDestination(endpoint(fields, "fd.sip", "fd.sport"));
            String transport = JsonFields.text(fields, "fd.l4proto");
            // Who opened the connection, from the syscall: connect is outbound, accept inbound (Sigma's Initiated).
            String syscall = JsonFields.text(fields, "evt.type");
            String direction = syscall == null ? null : switch (syscall) {
                case "connect" -> "egress";
                case "accept", "accept4" -> "ingress";
                default -> null;
            };
            if (transport != null || direction != null) {
                event.setNetwork(NetworkInfo.newBuilder()
                        .setTransport(transport == null ? null : transport.toLowerCase(Locale.ROOT))
                        .setDirection(direction).build());
            }
        } else if (filePath != null) {
            categories.add("file");
            event.setFile(FileInfo.newBuilder().setPath(filePath).build());
        }
        ContainerInfo container = container(fields);
        if (container != null) {
            event.setContainer(container);
        }
        KubernetesInfo kubernetes = kubernetes(fields);
        if (kubernetes != null) {
            event.setKubernetes(kubernetes);
        }
        if ("k8s_audit".equals(source)) {
            categories.add("iam");
            event.setKubernetesAudit(audit(fields));
            String user = JsonFields.text(fields, "ka.user.name");
            if (user != null) {
                event.setUser(UserInfo.newBuilder().setName(user).build());
            }
        } else if (!KNOWN_SOURCES_WITH_PROCESSES.contains(source) && process == null) {
            categories.add("host");
        }
        event.setEvent(EventInfo.newBuilder()
                .setKind("alert")
                .setCategory(categories)
                .setType(List.of("info"))
                .setAction(rule)
                .setDataset("falco." + source)
                .setSeverity(severity)
                .setIngested(System.currentTimeMillis() * 1_000_000L)
                .build());
        return List.of(event.build());
    }

    /** The alert time: {@code time} (RFC 3339, ns), else {@code evt.time} (epoch ns) from output_fields. */
    private static long timestamp(JsonNode root, JsonNode fields) throws ParseException {
        String time = JsonFields.text(root, "time");
        if (time != null) {
            return JsonFields.epochNanos("time", time);
        }
        Long nanos = JsonFields.number(fields, "evt.time");
        if (nanos != null) {
            return nanos;
        }
        String iso = JsonFields.text(fields, "evt.time.iso8601");
        if (iso != null) {
            return JsonFields.epochNanos("evt.time.iso8601", iso);
        }
        throw new ParseException("missing alert time: neither 'time' nor output_fields 'evt.time' is present");
    }

    /**
     * The output fields Falco sent as null (a field of the rule's output with no value for this event, e.g.
     * {@code k8s.ns.name} of a host process), as {@code attributes['key']}: present, but null.
     */
    private static List<String> nullFields(JsonNode fields) {
        List<String> nulls = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = fields.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            if (entry.getValue().isNull()) {
                nulls.add("attributes['" + entry.getKey() + "']");
            }
        }
        return nulls;
    }

    private static Map<String, String> attributes(JsonNode fields) throws ParseException {
        Map<String, String> attributes = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = fields.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            JsonNode value = entry.getValue();
            if (value.isNull()) {
                continue;
            }
            if (value.isContainerNode()) {
                // Lists (e.g. ka.req.pod.containers.image) keep their JSON form.
                attributes.put(entry.getKey(), value.toString());
            } else {
                attributes.put(entry.getKey(), value.asText());
            }
        }
        return attributes;
    }

    private static ProcessInfo process(JsonNode fields) throws ParseException {
        String name = JsonFields.text(fields, "proc.name");
        String cmdline = JsonFields.text(fields, "proc.cmdline");
        String exe = firstText(fields, "proc.exepath", "proc.exe");
        Long pid = JsonFields.number(fields, "proc.pid");
        if (name == null && cmdline == null && exe == null && pid == null) {
            return null;
        }
        Long tty = JsonFields.number(fields, "proc.tty");
        ProcessInfo.Builder process = ProcessInfo.newBuilder()
                .setPid(pid)
                .setName(name)
                .setExecutable(exe)
                .setCommandLine(cmdline)
                .setArgs(cmdline == null ? List.of() : List.of(cmdline.split(" +")))
                .setWorkingDirectory(JsonFields.text(fields, "proc.cwd"))
                .setUserName(JsonFields.text(fields, "user.name"))
                .setUserId(JsonFields.text(fields, "user.uid"))
                .setTty(tty)
                .setInteractive(tty == null ? null : tty != 0);
        String parentName = JsonFields.text(fields, "proc.pname");
        Long parentPid = JsonFields.number(fields, "proc.ppid");
        String parentCmd = JsonFields.text(fields, "proc.pcmdline");
        String parentExe = firstText(fields, "proc.pexepath", "proc.pexe");
        if (parentName != null || parentPid != null || parentCmd != null || parentExe != null) {
            process.setParent(ParentProcess.newBuilder()
                    .setName(parentName).setPid(parentPid).setCommandLine(parentCmd).setExecutable(parentExe).build());
        }
        return process.build();
    }

    private static ContainerInfo container(JsonNode fields) throws ParseException {
        String id = JsonFields.text(fields, "container.id");
        String image = JsonFields.text(fields, "container.image.repository");
        if (image == null) {
            image = JsonFields.text(fields, "container.image");
        }
        String name = JsonFields.text(fields, "container.name");
        if (id == null && image == null && name == null) {
            return null;
        }
        if ("host".equals(id)) {
            // Falco marks host processes with container.id=host: not a container.
            return null;
        }
        String privileged = JsonFields.text(fields, "container.privileged");
        return ContainerInfo.newBuilder()
                .setId(id)
                .setName(name)
                .setImageName(image)
                .setImageTag(JsonFields.text(fields, "container.image.tag"))
                .setImageDigest(JsonFields.text(fields, "container.image.digest"))
                .setPrivileged(privileged == null ? null : Boolean.parseBoolean(privileged))
                .build();
    }

    private static KubernetesInfo kubernetes(JsonNode fields) throws ParseException {
        String namespace = firstText(fields, KubernetesAttributes.FALCO_NAMESPACE_NAME, "k8smeta.ns.name");
        String pod = firstText(fields, KubernetesAttributes.FALCO_POD_NAME, "k8smeta.pod.name");
        if (namespace == null && pod == null) {
            return null;
        }
        return KubernetesInfo.newBuilder()
                .setNamespace(namespace)
                .setPod(pod)
                .setPodUid(firstText(fields, KubernetesAttributes.FALCO_POD_UID, "k8smeta.pod.uid"))
                .build();
    }

    private static KubernetesAudit audit(JsonNode fields) throws ParseException {
        Long code = JsonFields.number(fields, "ka.response.code");
        String user = JsonFields.text(fields, "ka.user.name");
        String sourceIps = JsonFields.text(fields, "ka.sourceips");
        return KubernetesAudit.newBuilder()
                .setAuditId(JsonFields.text(fields, "ka.auditid"))
                .setStage(JsonFields.text(fields, "ka.stage"))
                .setVerb(JsonFields.text(fields, "ka.verb"))
                .setRequestUri(JsonFields.text(fields, "ka.uri"))
                .setResource(JsonFields.text(fields, "ka.target.resource"))
                .setSubresource(JsonFields.text(fields, "ka.target.subresource"))
                .setObjectNamespace(JsonFields.text(fields, "ka.target.namespace"))
                .setObjectName(JsonFields.text(fields, "ka.target.name"))
                .setSubjectUser(user)
                .setSubjectServiceaccount(serviceAccount(user))
                .setImpersonatedUser(JsonFields.text(fields, "ka.impuser.name"))
                .setSourceIps(sourceIps == null ? List.of() : List.of(sourceIps.replaceAll("[\\[\\]]", "").split(",")))
                .setUserAgent(JsonFields.text(fields, "ka.useragent"))
                .setResponseCode(code == null || code > Integer.MAX_VALUE || code < 0 ? null : code.intValue())
                .setDecision(JsonFields.text(fields, "ka.auth.decision"))
                .setReason(JsonFields.text(fields, "ka.auth.reason"))
                .build();
    }

    /** {@code system:serviceaccount:ns:name} becomes {@code ns/name}. */
    static String serviceAccount(String user) {
        String prefix = "system:serviceaccount:";
        if (user == null || !user.startsWith(prefix)) {
            return null;
        }
        String rest = user.substring(prefix.length());
        int colon = rest.indexOf(':');
        return colon <= 0 ? null : rest.substring(0, colon) + "/" + rest.substring(colon + 1);
    }

    private static Endpoint endpoint(JsonNode fields, String ipField, String portField) throws ParseException {
        String ip = JsonFields.text(fields, ipField);
        Long port = JsonFields.number(fields, portField);
        if (ip == null && port == null) {
            return null;
        }
        return Endpoint.newBuilder().setIp(ip).setPort(port == null || port < 0 || port > 65535 ? null : port.intValue()).build();
    }

    private static String firstText(JsonNode fields, String... names) throws ParseException {
        for (String name : names) {
            String value = JsonFields.text(fields, name);
            if (value != null) {
                return value;
            }
        }
        return null;
    }

    private static String clip(String value) {
        return value.length() > 40 ? value.substring(0, 40) + "..." : value;
    }
}
