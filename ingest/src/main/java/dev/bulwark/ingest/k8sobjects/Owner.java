package dev.bulwark.ingest.k8sobjects;

import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

import dev.bulwark.ingest.ParseException;

/**
 * One entry of {@code metadata.ownerReferences}.
 *
 * <p>Why: owners say which workload runs a pod and, with Capsule, which {@code Tenant} owns a namespace or a role
 * binding.
 *
 * @param apiVersion the owner's apiVersion, e.g. {@code capsule.clastix.io/v1beta2}; may be null
 * @param kind the owner's kind, e.g. {@code ReplicaSet} or {@code Tenant}
 * @param name the owner's name
 * @param controller whether this owner is the managing controller
 */
record Owner(String apiVersion, String kind, String name, boolean controller) {

    /** The owner references of an object's metadata, validated. */
    static List<Owner> read(JsonNode metadata) throws ParseException {
        List<JsonNode> items = K8sFields.objects(metadata, "ownerReferences", "metadata.ownerReferences");
        Owner[] owners = new Owner[items.size()];
        for (int i = 0; i < owners.length; i++) {
            JsonNode item = items.get(i);
            String path = "metadata.ownerReferences[" + i + "]";
            String apiVersion = K8sFields.string(item, "apiVersion", path + ".apiVersion");
            if (apiVersion != null) {
                Names.printable(apiVersion, path + ".apiVersion", Names.MAX_SUBDOMAIN_LENGTH, false);
            }
            owners[i] = new Owner(apiVersion,
                    Names.printable(K8sFields.requiredString(item, "kind", path + ".kind"), path + ".kind",
                            Names.MAX_LABEL_LENGTH, false),
                    Names.pathSegment(K8sFields.requiredString(item, "name", path + ".name"), path + ".name"),
                    Boolean.TRUE.equals(K8sFields.bool(item, "controller", path + ".controller")));
        }
        return List.of(owners);
    }

    /** The managing controller, else the first owner, else null. */
    static Owner controllerOf(List<Owner> owners) {
        for (Owner owner : owners) {
            if (owner.controller()) {
                return owner;
            }
        }
        return owners.isEmpty() ? null : owners.get(0);
    }
}
