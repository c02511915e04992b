package dev.bulwark.detectors.isolation;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import org.apache.kafka.streams.kstream.KStream;

import dev.bulwark.detectors.api.Detector;
import dev.bulwark.detectors.api.DetectorApi;
import dev.bulwark.detectors.api.DetectorContext;
import dev.bulwark.detectors.api.FindingBuilder;
import dev.bulwark.detectors.api.Mitre;
import dev.bulwark.detectors.api.Severity;
import dev.bulwark.detectors.api.TenantDirectory;
import dev.bulwark.schemas.Cidr;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.IpBlock;
import dev.bulwark.schemas.LabelSelector;
import dev.bulwark.schemas.MitreAttack;
import dev.bulwark.schemas.NamedPort;
import dev.bulwark.schemas.NetworkPolicyPeer;
import dev.bulwark.schemas.NetworkPolicyPort;
import dev.bulwark.schemas.NetworkPolicyRule;
import dev.bulwark.schemas.NetworkPolicySpec;
import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.schemas.TenantContext;
import dev.bulwark.schemas.TenantInfo;

/**
 * A pod of one tenant opens a network connection to a pod of another tenant that no known NetworkPolicy of the
 * destination namespace allows.
 *
 * <p>Why: tenant namespaces on a shared cluster are meant to be walled off by NetworkPolicies; a connection across
 * tenants that no policy permits means the walls are missing or bypassed. A connection a policy does permit is
 * intended (a shared service) and stays quiet. Policies are evaluated from the tenant context
 * ({@link TenantContext#getNetworkPolicy()}) as Kubernetes evaluates ingress: a destination namespace's Ingress
 * policies whose pod selector matches the destination pod's labels; an ingress rule allows the connection when both
 * its {@code ports} and its peers allow it.
 * <ul>
 *   <li>{@code ports} empty allows every port; otherwise one entry must have the connection's protocol
 *       ({@code network.transport} upper-cased, TCP when the event has none; an entry without a protocol is TCP)
 *       and either no port, the destination port as a number, a range {@code port..end_port}, or a named port.
 *       A named port matches only when the destination pod's context object lists a container port of that name,
 *       number and protocol ({@code pod_spec.named_ports}); when the pod or the name is unknown it does not match.</li>
 *   <li>peers ({@code from}) empty allows every source; otherwise one peer must match: a {@code namespace_selector}
 *       matching the source namespace's labels (with the {@code kubernetes.io/metadata.name} label Kubernetes sets)
 *       and a {@code pod_selector} (if any) matching the source pod, or an {@code ip_block} whose {@code cidr} holds
 *       the source IP and none of whose {@code except} CIDRs does. A {@code pod_selector} alone means the policy's own
 *       namespace, never another tenant's.</li>
 *   <li>Selectors are evaluated by {@link LabelSelector}.</li>
 * </ul>
 * Content that cannot be understood (a context record without the typed policy, an unknown operator or protocol, a
 * port out of range, a CIDR that does not parse) matches nothing, so it never allows a connection by accident.
 */
public final class CrossTenantNetworkDetector implements Detector {

    public static final String RULE_ID = Isolation.RULE_PREFIX + "cross_tenant_network";

    private static final MitreAttack MITRE = Mitre.of(List.of("lateral-movement"), List.of("T1210", "T1046"));

    @Override
    public String name() {
        return "cross-tenant-network";
    }

    @Override
    public String apiVersion() {
        return DetectorApi.VERSION;
    }

    @Override
    public KStream<String, Finding> build(DetectorContext context) {
        return context.events()
                .filter((key, event) -> crossesTenants(event), context.named("crossing"))
                .processValues(() -> new CrossTenantNetworkProcessor(context.tenants()::directory, context::finding),
                        context.named("policy-check"));
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
        List<NamedPort> namedPorts = destinationPod == null || destinationPod.getPodSpec() == null ? List.of()
                : destinationPod.getPodSpec().getNamedPorts();
        String sourceIp = event.getSource() == null ? null : event.getSource().getIp();
        Integer port = event.getDestination().getPort();
        String protocol = protocol(event);
        for (TenantContext policy : directory.objectsIn("networkpolicy", tenant.getPeerNamespace())) {
            NetworkPolicySpec spec = policy.getNetworkPolicy();
            if (spec == null || !appliesToIngress(spec) || !LabelSelector.matches(spec.getPodSelector(), destinationLabels)) {
                continue; // a policy without a readable spec allows nothing
            }
            for (NetworkPolicyRule rule : spec.getIngress()) {
                if (portsAllow(rule.getPorts(), port, protocol, namedPorts)
                        && fromAllows(rule.getPeers(), sourceNamespaceLabels, sourcePodLabels, sourceIp)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Ingress among the policy's types; no types means the API server's default, which always includes Ingress. */
    private static boolean appliesToIngress(NetworkPolicySpec spec) {
        return spec.getPolicyTypes().isEmpty() || spec.getPolicyTypes().contains("Ingress");
    }

    /** The event's transport as a NetworkPolicy protocol (upper case); TCP when the event does not say. */
    static String protocol(SecurityEvent event) {
        String transport = event.getNetwork() == null ? null : event.getNetwork().getTransport();
        return transport == null || transport.isBlank() ? "TCP" : transport.strip().toUpperCase(java.util.Locale.ROOT);
    }

    private static boolean fromAllows(List<NetworkPolicyPeer> from, Map<String, String> namespaceLabels,
                                      Map<String, String> podLabels, String sourceIp) {
        if (from.isEmpty()) {
            return true;
        }
        for (NetworkPolicyPeer peer : from) {
            if (peerAllows(peer, namespaceLabels, podLabels, sourceIp)) {
                return true;
            }
        }
        return false;
    }

    /**
     * True when a rule's {@code ports} let the connection through: the list is empty, or one entry has the
     * destination's protocol (TCP when absent) and either no port (every port of the protocol), a number equal to the
     * destination port or, with {@code end_port}, a range {@code port..end_port} holding it, or a name that a
     * container of the destination pod gives the destination port with that protocol. An unknown destination port
     * matches only an entry without a port.
     */
    static boolean portsAllow(List<NetworkPolicyPort> ports, Integer port, String protocol, List<NamedPort> namedPorts) {
        if (ports.isEmpty()) {
            return true;
        }
        for (NetworkPolicyPort entry : ports) {
            if (portMatches(entry, port, protocol, namedPorts)) {
                return true;
            }
        }
        return false;
    }

    private static boolean portMatches(NetworkPolicyPort entry, Integer port, String protocol, List<NamedPort> namedPorts) {
        String wanted = entry.getProtocol() == null ? "TCP" : entry.getProtocol();
        if (!protocol.equals(wanted)) {
            return false;
        }
        boolean hasEnd = entry.getEndPort() != null;
        if (entry.getPortName() != null) {
            // A named port: resolved against the destination pod's container ports; never a range.
            return port != null && !hasEnd && entry.getPort() == null
                    && namedPortResolves(entry.getPortName(), port, protocol, namedPorts);
        }
        Integer first = entry.getPort();
        if (first == null) {
            return !hasEnd; // every port of the protocol; an endPort without a port is invalid
        }
        if (port == null || !validPort(first)) {
            return false;
        }
        if (!hasEnd) {
            return port.intValue() == first;
        }
        int end = entry.getEndPort();
        if (!validPort(end) || end < first) {
            return false;
        }
        return port >= first && port <= end;
    }

    private static boolean validPort(int port) {
        return port >= 1 && port <= 65535;
    }

    /** True when the destination pod names a container port {@code name} with this number and protocol. */
    private static boolean namedPortResolves(String name, int port, String protocol, List<NamedPort> namedPorts) {
        for (NamedPort named : namedPorts) {
            if (named.getName().equals(name) && named.getPort() == port && named.getProtocol().equals(protocol)) {
                return true;
            }
        }
        return false;
    }

    private static boolean peerAllows(NetworkPolicyPeer peer, Map<String, String> namespaceLabels,
                                      Map<String, String> podLabels, String sourceIp) {
        if (peer.getIpBlock() != null) {
            return ipBlockAllows(peer.getIpBlock(), sourceIp);
        }
        if (peer.getNamespaceSelector() != null) {
            // With a namespaceSelector, an absent podSelector means every pod of the selected namespaces.
            return LabelSelector.matches(peer.getNamespaceSelector(), namespaceLabels)
                    && (peer.getPodSelector() == null || LabelSelector.matches(peer.getPodSelector(), podLabels));
        }
        // podSelector alone means pods of the policy's own namespace: never another tenant's.
        return false;
    }

    /**
     * True when {@code sourceIp} is in the block's {@code cidr} and in none of its {@code except} CIDRs. A block with
     * an unreadable {@code cidr} or {@code except} entry allows nothing.
     */
    static boolean ipBlockAllows(IpBlock block, String sourceIp) {
        if (sourceIp == null) {
            return false;
        }
        try {
            if (!Cidr.parse(block.getCidr()).contains(sourceIp)) {
                return false;
            }
            for (String excluded : block.getExcept()) {
                if (Cidr.parse(excluded).contains(sourceIp)) {
                    return false;
                }
            }
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
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

    /** The finding for a connection no policy allows, owned by the destination (victim) tenant. */
    static Finding finding(SecurityEvent event, Function<SecurityEvent, FindingBuilder> findings) {
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
        return findings.apply(victimView).rule(RULE_ID, "Cross-tenant connection without a NetworkPolicy").severity(Severity.HIGH).mitre(MITRE)
                .summary(summary).evidence(evidence).identity(source, tenant.getPeerNamespace() + "/" + tenant.getPeerPod(), String.valueOf(event.getDestination().getPort())).build();
    }
}
