package dev.bulwark.ingest.k8sobjects;

import static dev.bulwark.ingest.k8sobjects.K8sFields.quote;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

import dev.bulwark.ingest.ParseException;
import dev.bulwark.schemas.IpBlock;
import dev.bulwark.schemas.KubernetesAttributes;
import dev.bulwark.schemas.LabelSelector;
import dev.bulwark.schemas.NetworkPolicyPeer;
import dev.bulwark.schemas.NetworkPolicyPort;
import dev.bulwark.schemas.NetworkPolicyRule;
import dev.bulwark.schemas.NetworkPolicySpec;
import dev.bulwark.schemas.TenantContext;

/**
 * Maps a NetworkPolicy to {@link TenantContext#getNetworkPolicy()}: its pod selector, effective policy types and
 * ingress and egress rules as typed records.
 *
 * <p>Why: whether a tenant's pods are network-isolated from other tenants is decided by the policies selecting them;
 * a detector that sees a cross-tenant connection needs to know whether a policy should have stopped it. The rules are
 * validated here once (wrong field types fail the object, as the API server would refuse it), so the detector
 * evaluates records, not JSON. Values the API server accepts but the detector may not understand (an unknown
 * protocol or selector operator, a CIDR it cannot parse, a port out of range) are kept as given; they allow nothing.
 */
final class NetworkPolicyObjects {

    private NetworkPolicyObjects() {
    }

    /**
     * Sets the typed policy (an absent {@code podSelector} is the empty selector; the effective types: when the field
     * is absent or empty, Ingress always and Egress when egress rules exist, as the API server defaults them) and the
     * attributes {@link KubernetesAttributes#NETPOL_INGRESS_RULES} and {@link KubernetesAttributes#NETPOL_EGRESS_RULES}
     * (rule counts). Rules whose JSON is longer than {@link KubernetesObjectsParser#MAX_JSON_ATTRIBUTE_CHARS} are
     * left out (so one huge policy cannot bloat every join) with their length in
     * {@link KubernetesAttributes#NETPOL_INGRESS_OMITTED_CHARS} or {@link KubernetesAttributes#NETPOL_EGRESS_OMITTED_CHARS};
     * a policy without its rules allows nothing.
     */
    static void networkPolicy(JsonNode policy, TenantContext.Builder out, Map<String, String> attributes)
            throws ParseException {
        JsonNode spec = K8sFields.object(policy, "spec", "spec");
        if (spec == null) {
            throw new ParseException("missing required field 'spec'");
        }
        JsonNode selector = K8sFields.object(spec, "podSelector", "spec.podSelector");
        NetworkPolicySpec.Builder typed = NetworkPolicySpec.newBuilder()
                // An absent selector is the empty selector: every pod of the namespace.
                .setPodSelector(selector == null ? LabelSelector.everything() : Selectors.read(selector, "spec.podSelector"));

        List<JsonNode> ingress = K8sFields.objects(spec, "ingress", "spec.ingress");
        List<JsonNode> egress = K8sFields.objects(spec, "egress", "spec.egress");
        Set<String> types = new LinkedHashSet<>();
        for (String type : K8sFields.strings(spec, "policyTypes", "spec.policyTypes")) {
            if (!type.equals("Ingress") && !type.equals("Egress")) {
                throw new ParseException("spec.policyTypes holds " + quote(type) + "; expected Ingress or Egress");
            }
            types.add(type);
        }
        if (types.isEmpty()) {
            types.add("Ingress");
            if (!egress.isEmpty()) {
                types.add("Egress");
            }
        }
        typed.setPolicyTypes(List.copyOf(types));
        typed.setIngress(rules(spec, ingress, "ingress", "from", KubernetesAttributes.NETPOL_INGRESS_OMITTED_CHARS,
                attributes));
        typed.setEgress(rules(spec, egress, "egress", "to", KubernetesAttributes.NETPOL_EGRESS_OMITTED_CHARS, attributes));
        out.setNetworkPolicy(typed.build());
        attributes.put(KubernetesAttributes.NETPOL_INGRESS_RULES, Integer.toString(ingress.size()));
        attributes.put(KubernetesAttributes.NETPOL_EGRESS_RULES, Integer.toString(egress.size()));
    }

    private static List<NetworkPolicyRule> rules(JsonNode spec, List<JsonNode> items, String field, String peersField,
            String omittedKey, Map<String, String> attributes) throws ParseException {
        List<NetworkPolicyRule> rules = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            rules.add(rule(items.get(i), "spec." + field + "[" + i + "]", peersField));
        }
        int chars = items.isEmpty() ? 0 : spec.get(field).toString().length();
        if (chars > KubernetesObjectsParser.MAX_JSON_ATTRIBUTE_CHARS) {
            attributes.put(omittedKey, Integer.toString(chars));
            return List.of();
        }
        return rules;
    }

    private static NetworkPolicyRule rule(JsonNode rule, String path, String peersField) throws ParseException {
        List<NetworkPolicyPeer> peers = new ArrayList<>();
        List<JsonNode> peerItems = K8sFields.objects(rule, peersField, path + "." + peersField);
        for (int i = 0; i < peerItems.size(); i++) {
            peers.add(peer(peerItems.get(i), path + "." + peersField + "[" + i + "]"));
        }
        List<NetworkPolicyPort> ports = new ArrayList<>();
        List<JsonNode> portItems = K8sFields.objects(rule, "ports", path + ".ports");
        for (int i = 0; i < portItems.size(); i++) {
            ports.add(port(portItems.get(i), path + ".ports[" + i + "]"));
        }
        return NetworkPolicyRule.newBuilder().setPeers(peers).setPorts(ports).build();
    }

    private static NetworkPolicyPeer peer(JsonNode peer, String path) throws ParseException {
        NetworkPolicyPeer.Builder out = NetworkPolicyPeer.newBuilder()
                .setPodSelector(Selectors.optional(peer, "podSelector", path + ".podSelector"))
                .setNamespaceSelector(Selectors.optional(peer, "namespaceSelector", path + ".namespaceSelector"));
        JsonNode block = K8sFields.object(peer, "ipBlock", path + ".ipBlock");
        if (block != null) {
            String cidr = Names.printable(K8sFields.requiredString(block, "cidr", path + ".ipBlock.cidr"),
                    path + ".ipBlock.cidr", Names.MAX_LABEL_LENGTH, false);
            out.setIpBlock(IpBlock.newBuilder().setCidr(cidr)
                    .setExcept(K8sFields.strings(block, "except", path + ".ipBlock.except")).build());
        }
        return out.build();
    }

    /** A port entry: {@code port} is a number or a name, as in the API ({@code IntOrString}). */
    private static NetworkPolicyPort port(JsonNode port, String path) throws ParseException {
        String protocol = K8sFields.string(port, "protocol", path + ".protocol");
        NetworkPolicyPort.Builder out = NetworkPolicyPort.newBuilder()
                .setProtocol(protocol == null ? null : Names.printable(protocol, path + ".protocol", Names.MAX_LABEL_LENGTH,
                        false));
        JsonNode number = K8sFields.present(port, "port");
        if (number != null && number.isTextual()) {
            out.setPortName(Names.printable(number.textValue(), path + ".port", Names.MAX_LABEL_LENGTH, false));
        } else if (number != null) {
            out.setPort(intValue(number, path + ".port"));
        }
        JsonNode endPort = K8sFields.present(port, "endPort");
        if (endPort != null) {
            out.setEndPort(intValue(endPort, path + ".endPort"));
        }
        return out.build();
    }

    private static int intValue(JsonNode node, String path) throws ParseException {
        if (!node.isIntegralNumber() || !node.canConvertToInt()) {
            throw new ParseException("field '" + path + "' must be a port number or name, got "
                    + dev.bulwark.ingest.SafeJson.describe(node));
        }
        return node.intValue();
    }
}
