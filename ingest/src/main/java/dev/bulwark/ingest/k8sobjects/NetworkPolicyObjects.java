package dev.bulwark.ingest.k8sobjects;

import static dev.bulwark.ingest.k8sobjects.K8sFields.quote;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

import dev.bulwark.ingest.ParseException;
import dev.bulwark.ingest.SafeJson;

/**
 * Maps a NetworkPolicy to attributes: its pod selector, policy types and ingress and egress rules as compact JSON.
 *
 * <p>Why: whether a tenant's pods are network-isolated from other tenants is decided by the policies selecting them;
 * a detector that sees a cross-tenant connection needs to know whether a policy should have stopped it. The rules
 * stay JSON because their shape (peers, ports, CIDR blocks with exceptions) does not fit the context schema, and they
 * are evaluated only when a connection is questioned.
 */
final class NetworkPolicyObjects {

    private NetworkPolicyObjects() {
    }

    /**
     * Sets {@code k8s.netpol.pod_selector}, {@code k8s.netpol.policy_types} (the effective types: when the field is
     * absent or empty, Ingress always and Egress when egress rules exist, as the API server defaults them),
     * {@code k8s.netpol.ingress}, {@code k8s.netpol.egress} (when present) and {@code k8s.netpol.ingress_rules},
     * {@code k8s.netpol.egress_rules} (rule counts).
     */
    static void networkPolicy(JsonNode policy, Map<String, String> attributes) throws ParseException {
        JsonNode spec = K8sFields.object(policy, "spec", "spec");
        if (spec == null) {
            throw new ParseException("missing required field 'spec'");
        }
        JsonNode selector = K8sFields.object(spec, "podSelector", "spec.podSelector");
        // An absent selector is the empty selector: every pod of the namespace.
        KubernetesObjectsParser.putBoundedJson(attributes, "k8s.netpol.pod_selector",
                selector == null ? SafeJson.mapper().createObjectNode() : selector);

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
        attributes.put("k8s.netpol.policy_types", String.join(",", types));
        if (K8sFields.present(spec, "ingress") != null) {
            KubernetesObjectsParser.putBoundedJson(attributes, "k8s.netpol.ingress", spec.get("ingress"));
        }
        if (K8sFields.present(spec, "egress") != null) {
            KubernetesObjectsParser.putBoundedJson(attributes, "k8s.netpol.egress", spec.get("egress"));
        }
        attributes.put("k8s.netpol.ingress_rules", Integer.toString(ingress.size()));
        attributes.put("k8s.netpol.egress_rules", Integer.toString(egress.size()));
    }
}
