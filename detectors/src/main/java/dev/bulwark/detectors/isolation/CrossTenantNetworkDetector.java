package dev.bulwark.detectors.isolation;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.bulwark.detectors.Detector;
import dev.bulwark.detectors.DetectorContext;
import dev.bulwark.detectors.FindingFactory;
import dev.bulwark.detectors.context.TenantDirectory;
import dev.bulwark.detectors.sigma.Cidr;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.MitreAttack;
import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.schemas.TenantContext;
import dev.bulwark.schemas.TenantInfo;

/**
 * A pod of one tenant opens a network connection to a pod of another tenant that no known NetworkPolicy of the
 * destination namespace allows.
 *
 * <p>Why: tenant namespaces on a shared cluster are meant to be walled off by NetworkPolicies; a connection across
 * tenants that no policy permits means the walls are missing or bypassed. A connection a policy does permit is
 * intended (a shared service) and stays quiet. Policies are evaluated from the tenant context as Kubernetes evaluates
 * ingress: a destination namespace's Ingress policies whose pod selector matches the destination pod's labels; an
 * ingress rule allows the connection when both its {@code ports} and its {@code from} allow it.
 * <ul>
 *   <li>{@code ports} absent or empty allows every port; otherwise one entry must have the connection's protocol
 *       ({@code network.transport} upper-cased, TCP when the event has none; an entry without {@code protocol} is TCP)
 *       and either no {@code port}, the destination port as a number, a range {@code port..endPort}, or a named port.
 *       A named port matches only when the destination pod's context object lists a container port of that name,
 *       number and protocol ({@code k8s.pod.named_ports}); when the pod or the name is unknown it does not match.</li>
 *   <li>{@code from} absent or empty allows every source; otherwise one peer must match: a {@code namespaceSelector}
 *       matching the source namespace's labels (with the {@code kubernetes.io/metadata.name} label Kubernetes sets)
 *       and a {@code podSelector} (if any) matching the source pod, or an {@code ipBlock} whose {@code cidr} holds
 *       the source IP and none of whose {@code except} CIDRs does. A {@code podSelector} alone means the policy's own
 *       namespace, never another tenant's.</li>
 *   <li>Selectors combine {@code matchLabels} and {@code matchExpressions} ({@code In}, {@code NotIn},
 *       {@code Exists}, {@code DoesNotExist}) by AND.</li>
 * </ul>
 * Content that cannot be read (an unparseable policy, selector, port entry or CIDR, an unknown operator or protocol)
 * matches nothing, so it never allows a connection by accident.
 */
public final class CrossTenantNetworkDetector implements Detector {

    public static final String RULE_ID = Isolation.RULE_PREFIX + "cross_tenant_network";

    private static final MitreAttack MITRE = FindingFactory.mitre(List.of("lateral-movement"), List.of("T1210", "T1046"));
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The destination pod's named container ports, {@code name:port/PROTOCOL} comma-separated. */
    static final String NAMED_PORTS = "k8s.pod.named_ports";

    @Override
    public String name() {
        return "cross-tenant-network";
    }

    @Override
    public java.util.Set<Input> inputs() {
        return java.util.Set.of(Input.EVENTS, Input.TENANT_DIRECTORY);
    }

    @Override
    public KStream<String, Finding> build(DetectorContext context) {
        return context.events()
                .filter((key, event) -> crossesTenants(event), Named.as(name() + "-crossing"))
                .processValues(() -> new FixedKeyProcessor<String, SecurityEvent, Finding>() {
                    private FixedKeyProcessorContext<String, Finding> processorContext;
                    private TenantDirectory directory;

                    @Override
                    public void init(FixedKeyProcessorContext<String, Finding> processorContext) {
                        this.processorContext = processorContext;
                        this.directory = context.directory(processorContext);
                    }

                    @Override
                    public void process(FixedKeyRecord<String, SecurityEvent> record) {
                        SecurityEvent event = record.value();
                        if (!allowedByPolicy(event, directory)) {
                            processorContext.forward(record.withValue(finding(event, context)));
                        }
                    }
                }, Named.as(name() + "-policy-check"));
    }

    static boolean crossesTenants(SecurityEvent event) {
        TenantInfo tenant = event.getTenant();
        return tenant != null && event.getDestination() != null && Isolation.known(tenant.getOwner())
                && Isolation.known(tenant.getPeer()) && !tenant.getOwner().equals(tenant.getPeer())
                && (event.getNetwork() == null || !"ingress".equals(event.getNetwork().getDirection()));
    }

    /** True when an ingress policy of the destination namespace lets the source in. */
    static boolean allowedByPolicy(SecurityEvent event, TenantDirectory directory) {
        TenantInfo tenant = event.getTenant();
        String sourceNamespace = event.getKubernetes() == null ? null : event.getKubernetes().getNamespace();
        Map<String, String> sourceNamespaceLabels = namespaceLabels(directory, sourceNamespace);
        Map<String, String> sourcePodLabels = event.getKubernetes() == null ? Map.of() : event.getKubernetes().getLabels();
        TenantContext destinationPod = directory.object("pod", tenant.getPeerNamespace() + "/" + tenant.getPeerPod());
        Map<String, String> destinationLabels = destinationPod == null ? Map.of() : destinationPod.getLabels();
        String namedPorts = destinationPod == null ? null : destinationPod.getAttributes().get(NAMED_PORTS);
        String sourceIp = event.getSource() == null ? null : event.getSource().getIp();
        Integer port = event.getDestination().getPort();
        String protocol = protocol(event);
        for (TenantContext policy : directory.objectsIn("networkpolicy", tenant.getPeerNamespace())) {
            String types = policy.getAttributes().getOrDefault("k8s.netpol.policy_types", "Ingress");
            if (!types.contains("Ingress")) {
                continue;
            }
            JsonNode podSelector = json(policy.getAttributes().getOrDefault("k8s.netpol.pod_selector", "{}"));
            JsonNode ingress = json(policy.getAttributes().getOrDefault("k8s.netpol.ingress", "[]"));
            if (podSelector == null || ingress == null || !ingress.isArray() || !selects(podSelector, destinationLabels)) {
                continue; // an unreadable policy allows nothing
            }
            for (JsonNode rule : ingress) {
                if (rule.isObject() && portsAllow(rule.get("ports"), port, protocol, namedPorts)
                        && fromAllows(rule.get("from"), sourceNamespaceLabels, sourcePodLabels, sourceIp)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static JsonNode json(String text) {
        try {
            JsonNode node = JSON.readTree(text);
            return node == null || node.isMissingNode() ? null : node;
        } catch (java.io.IOException e) {
            return null;
        }
    }

    /** The event's transport as a NetworkPolicy protocol (upper case); TCP when the event does not say. */
    static String protocol(SecurityEvent event) {
        String transport = event.getNetwork() == null ? null : event.getNetwork().getTransport();
        return transport == null || transport.isBlank() ? "TCP" : transport.strip().toUpperCase(java.util.Locale.ROOT);
    }

    private static boolean fromAllows(JsonNode from, Map<String, String> namespaceLabels, Map<String, String> podLabels,
                                      String sourceIp) {
        if (from == null || from.isNull() || (from.isArray() && from.isEmpty())) {
            return true;
        }
        if (!from.isArray()) {
            return false;
        }
        for (JsonNode peer : from) {
            if (peer.isObject() && peerAllows(peer, namespaceLabels, podLabels, sourceIp)) {
                return true;
            }
        }
        return false;
    }

    /**
     * True when a rule's {@code ports} let the connection through: the list is absent or empty, or one entry has the
     * destination's protocol (TCP when absent) and either no {@code port} (every port of the protocol), a number equal
     * to the destination port or, with {@code endPort}, a range {@code port..endPort} holding it, or a name that a
     * container of the destination pod gives the destination port with that protocol. An unknown destination port
     * matches only an entry without {@code port}.
     */
    static boolean portsAllow(JsonNode ports, Integer port, String protocol, String namedPorts) {
        if (ports == null || ports.isNull() || (ports.isArray() && ports.isEmpty())) {
            return true;
        }
        if (!ports.isArray()) {
            return false;
        }
        for (JsonNode entry : ports) {
            if (entry.isObject() && portMatches(entry, port, protocol, namedPorts)) {
                return true;
            }
        }
        return false;
    }

    private static boolean portMatches(JsonNode entry, Integer port, String protocol, String namedPorts) {
        JsonNode entryProtocol = entry.get("protocol");
        String wanted = entryProtocol == null || entryProtocol.isNull() ? "TCP" : entryProtocol.isTextual()
                ? entryProtocol.asText() : null;
        if (!protocol.equals(wanted)) {
            return false;
        }
        JsonNode number = entry.get("port");
        JsonNode endPort = entry.get("endPort");
        boolean hasEnd = endPort != null && !endPort.isNull();
        if (number == null || number.isNull()) {
            return !hasEnd; // every port of the protocol; an endPort without a port is invalid
        }
        if (port == null) {
            return false;
        }
        if (number.isTextual()) {
            // A named port: resolved against the destination pod's container ports; never a range.
            return !hasEnd && namedPortResolves(number.asText(), port, protocol, namedPorts);
        }
        if (!validPort(number)) {
            return false;
        }
        int first = number.intValue();
        if (!hasEnd) {
            return port == first;
        }
        if (!validPort(endPort) || endPort.intValue() < first) {
            return false;
        }
        return port >= first && port <= endPort.intValue();
    }

    private static boolean validPort(JsonNode node) {
        return node.isIntegralNumber() && node.canConvertToInt() && node.intValue() >= 1 && node.intValue() <= 65535;
    }

    /** Looks {@code name} up in a pod's {@value #NAMED_PORTS} ({@code name:port/PROTOCOL}, comma-separated). */
    private static boolean namedPortResolves(String name, int port, String protocol, String namedPorts) {
        if (namedPorts == null || name.isEmpty()) {
            return false;
        }
        for (String item : namedPorts.split(",")) {
            int colon = item.indexOf(':');
            int slash = item.indexOf('/', colon + 1);
            if (colon <= 0 || slash < 0 || !item.substring(0, colon).equals(name)
                    || !item.substring(slash + 1).equals(protocol)) {
                continue;
            }
            try {
                if (Integer.parseInt(item.substring(colon + 1, slash)) == port) {
                    return true;
                }
            } catch (NumberFormatException e) {
                // an unreadable entry resolves nothing
            }
        }
        return false;
    }

    private static boolean peerAllows(JsonNode peer, Map<String, String> namespaceLabels, Map<String, String> podLabels,
                                      String sourceIp) {
        if (peer.has("ipBlock")) {
            return ipBlockAllows(peer.get("ipBlock"), sourceIp);
        }
        if (peer.has("namespaceSelector")) {
            return selects(peer.get("namespaceSelector"), namespaceLabels)
                    && (!peer.has("podSelector") || selects(peer.get("podSelector"), podLabels));
        }
        // podSelector alone means pods of the policy's own namespace: never another tenant's.
        return false;
    }

    /**
     * True when {@code sourceIp} is in the block's {@code cidr} and in none of its {@code except} CIDRs. A block with
     * an unreadable {@code cidr} or {@code except} entry allows nothing.
     */
    static boolean ipBlockAllows(JsonNode block, String sourceIp) {
        if (sourceIp == null || block == null || !block.isObject() || !block.path("cidr").isTextual()) {
            return false;
        }
        try {
            if (!Cidr.parse(block.get("cidr").asText()).contains(sourceIp)) {
                return false;
            }
            JsonNode except = block.get("except");
            if (except == null || except.isNull()) {
                return true;
            }
            if (!except.isArray()) {
                return false;
            }
            for (JsonNode excluded : except) {
                if (!excluded.isTextual() || Cidr.parse(excluded.asText()).contains(sourceIp)) {
                    return false;
                }
            }
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * A label selector: every {@code matchLabels} pair and every {@code matchExpressions} requirement must hold; an
     * empty or absent selector selects everything. Operators are {@code In}, {@code NotIn} (also true when the label
     * is absent), {@code Exists} and {@code DoesNotExist}; a selector that cannot be read (not an object, a
     * non-string label value, an unknown operator, {@code In}/{@code NotIn} without values, {@code Exists} or
     * {@code DoesNotExist} with values) selects nothing.
     */
    static boolean selects(JsonNode selector, Map<String, String> labels) {
        if (selector == null || selector.isNull()) {
            return true;
        }
        if (!selector.isObject()) {
            return false;
        }
        JsonNode matchLabels = selector.get("matchLabels");
        if (matchLabels != null && !matchLabels.isNull()) {
            if (!matchLabels.isObject()) {
                return false;
            }
            for (var it = matchLabels.fields(); it.hasNext(); ) {
                var entry = it.next();
                if (!entry.getValue().isTextual() || !entry.getValue().asText().equals(labels.get(entry.getKey()))) {
                    return false;
                }
            }
        }
        JsonNode expressions = selector.get("matchExpressions");
        if (expressions != null && !expressions.isNull()) {
            if (!expressions.isArray()) {
                return false;
            }
            for (JsonNode expression : expressions) {
                if (!requirementHolds(expression, labels)) {
                    return false;
                }
            }
        }
        return true;
    }

    private static boolean requirementHolds(JsonNode expression, Map<String, String> labels) {
        if (!expression.isObject() || !expression.path("key").isTextual() || !expression.path("operator").isTextual()) {
            return false;
        }
        String key = expression.get("key").asText();
        JsonNode valuesNode = expression.get("values");
        java.util.Set<String> values = new java.util.HashSet<>();
        if (valuesNode != null && !valuesNode.isNull()) {
            if (!valuesNode.isArray()) {
                return false;
            }
            for (JsonNode value : valuesNode) {
                if (!value.isTextual()) {
                    return false;
                }
                values.add(value.asText());
            }
        }
        String value = labels.get(key);
        return switch (expression.get("operator").asText()) {
            case "In" -> !values.isEmpty() && value != null && values.contains(value);
            case "NotIn" -> !values.isEmpty() && (value == null || !values.contains(value));
            case "Exists" -> values.isEmpty() && value != null;
            case "DoesNotExist" -> values.isEmpty() && value == null;
            default -> false;
        };
    }

    private static Map<String, String> namespaceLabels(TenantDirectory directory, String namespace) {
        Map<String, String> labels = new HashMap<>();
        if (namespace == null) {
            return labels;
        }
        TenantContext object = directory.object("namespace", namespace);
        if (object != null) {
            labels.putAll(object.getLabels());
        }
        labels.put("kubernetes.io/metadata.name", namespace);
        return labels;
    }

    private Finding finding(SecurityEvent event, DetectorContext context) {
        TenantInfo tenant = event.getTenant();
        String source = event.getKubernetes() == null ? "a pod" : event.getKubernetes().getNamespace() + "/"
                + event.getKubernetes().getPod();
        String destination = tenant.getPeerNamespace() + "/" + tenant.getPeerPod() + " (" + event.getDestination().getIp()
                + (event.getDestination().getPort() == null ? "" : ":" + event.getDestination().getPort()) + ")";
        String summary = "Pod " + source + " of tenant " + tenant.getOwner() + " connected to pod " + destination
                + " of tenant " + tenant.getPeer() + " and no NetworkPolicy of " + tenant.getPeerNamespace() + " allows it";
        // The destination tenant is the victim and owns the finding; the source tenant is the other party.
        SecurityEvent victimView = SecurityEvent.newBuilder(event).setTenant(TenantInfo.newBuilder(tenant)
                .setOwner(tenant.getPeer()).setActor(tenant.getOwner()).setPeer(null).build()).build();
        Map<String, String> evidence = new LinkedHashMap<>();
        evidence.put("source.pod", source);
        evidence.put("source.ip", event.getSource() == null ? null : event.getSource().getIp());
        evidence.put("destination.ip", event.getDestination().getIp());
        evidence.put("destination.port", event.getDestination().getPort() == null ? null
                : event.getDestination().getPort().toString());
        evidence.put("destination.pod", tenant.getPeerNamespace() + "/" + tenant.getPeerPod());
        evidence.put("process.executable", event.getProcess() == null ? null : event.getProcess().getExecutable());
        evidence.put("tenant.source", tenant.getOwner());
        evidence.put("tenant.destination", tenant.getPeer());
        return FindingFactory.of(this, RULE_ID, "Cross-tenant connection without a NetworkPolicy", "high", MITRE, summary,
                victimView, context.tenants(), evidence, source, tenant.getPeerNamespace() + "/" + tenant.getPeerPod(),
                String.valueOf(event.getDestination().getPort()));
    }
}
