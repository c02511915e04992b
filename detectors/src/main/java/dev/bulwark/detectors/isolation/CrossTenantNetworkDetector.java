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
 * intended (a shared service) and stays quiet. Policies are evaluated from the tenant context: a destination
 * namespace's ingress policies whose pod selector matches the destination pod's labels; an ingress rule allows the
 * source when it has no {@code from}, or a {@code from} entry whose namespace selector matches the source namespace's
 * labels (with the {@code kubernetes.io/metadata.name} label Kubernetes sets) and whose pod selector (if any) matches
 * the source pod, or an {@code ipBlock} holding the source IP. Only {@code matchLabels} selectors are evaluated; a
 * selector with {@code matchExpressions} is treated as allowing (no finding), so the detector errs on the quiet side.
 * Ports are not checked.
 */
public final class CrossTenantNetworkDetector implements Detector {

    public static final String RULE_ID = Isolation.RULE_PREFIX + "cross_tenant_network";

    private static final MitreAttack MITRE = FindingFactory.mitre(List.of("lateral-movement"), List.of("T1210", "T1046"));
    private static final ObjectMapper JSON = new ObjectMapper();

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
        String sourceIp = event.getSource() == null ? null : event.getSource().getIp();
        for (TenantContext policy : directory.objectsIn("networkpolicy", tenant.getPeerNamespace())) {
            String types = policy.getAttributes().getOrDefault("k8s.netpol.policy_types", "Ingress");
            if (!types.contains("Ingress")) {
                continue;
            }
            try {
                JsonNode podSelector = JSON.readTree(policy.getAttributes().getOrDefault("k8s.netpol.pod_selector", "{}"));
                if (!selects(podSelector, destinationLabels)) {
                    continue;
                }
                JsonNode ingress = JSON.readTree(policy.getAttributes().getOrDefault("k8s.netpol.ingress", "[]"));
                for (JsonNode rule : ingress) {
                    JsonNode from = rule.get("from");
                    if (from == null || from.isEmpty()) {
                        return true;
                    }
                    for (JsonNode peer : from) {
                        if (peerAllows(peer, sourceNamespaceLabels, sourcePodLabels, sourceIp)) {
                            return true;
                        }
                    }
                }
            } catch (java.io.IOException e) {
                return true; // an unreadable policy is not evidence of a violation
            }
        }
        return false;
    }

    private static boolean peerAllows(JsonNode peer, Map<String, String> namespaceLabels, Map<String, String> podLabels,
                                      String sourceIp) {
        if (peer.has("ipBlock")) {
            String cidr = peer.path("ipBlock").path("cidr").asText("");
            try {
                return sourceIp != null && dev.bulwark.detectors.sigma.Cidr.parse(cidr).contains(sourceIp);
            } catch (IllegalArgumentException e) {
                return true; // an unreadable block is not evidence of a violation
            }
        }
        if (peer.has("namespaceSelector")) {
            return selects(peer.get("namespaceSelector"), namespaceLabels)
                    && (!peer.has("podSelector") || selects(peer.get("podSelector"), podLabels));
        }
        // podSelector alone means pods of the policy's own namespace: never another tenant's.
        return false;
    }

    /** A label selector with matchLabels only; an empty selector selects everything. */
    static boolean selects(JsonNode selector, Map<String, String> labels) {
        if (selector == null || selector.isNull() || selector.isEmpty()) {
            return true;
        }
        if (selector.has("matchExpressions") && !selector.get("matchExpressions").isEmpty()) {
            return true;
        }
        JsonNode matchLabels = selector.path("matchLabels");
        for (var it = matchLabels.fields(); it.hasNext(); ) {
            var entry = it.next();
            if (!entry.getValue().asText().equals(labels.get(entry.getKey()))) {
                return false;
            }
        }
        return true;
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
