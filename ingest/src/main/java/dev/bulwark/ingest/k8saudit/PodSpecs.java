package dev.bulwark.ingest.k8saudit;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

import dev.bulwark.ingest.Normalization;

/**
 * Summarizes the security-relevant settings of a pod spec from an audit request body as flat {@code k8s.pod.*}
 * attributes: privileged containers, host namespaces, hostPath volumes, added capabilities, root users, privilege
 * escalation, host ports, images and service account.
 *
 * <p>Why: rules such as "privileged pod created" or "sensitive hostPath mounted" must not parse nested request
 * bodies; they compare one attribute. Only settings that weaken isolation are written (a missing key means "not
 * requested"), except {@code k8s.pod.images}, which is always written when the spec names images. Request bodies
 * may be partial (a patch), so unexpected shapes are skipped rather than rejected; the body itself stays in
 * {@code k8s.audit.request_object}.
 */
final class PodSpecs {

    private PodSpecs() {
    }

    /**
     * Writes the summary of {@code spec} into {@code attributes}.
     *
     * @param spec a pod spec node (missing or not an object: nothing is written)
     * @param templateOf the workload kind whose pod template this is, or null for a Pod's own spec
     */
    static void summarize(JsonNode spec, String templateOf, Map<String, String> attributes) {
        if (spec == null || !spec.isObject()) {
            return;
        }
        List<JsonNode> containers = new ArrayList<>();
        for (String list : List.of("initContainers", "containers", "ephemeralContainers")) {
            for (JsonNode container : spec.path(list)) {
                if (container.isObject()) {
                    containers.add(container);
                }
            }
        }
        Set<String> images = new LinkedHashSet<>();
        Set<String> privileged = new LinkedHashSet<>();
        Set<String> capabilities = new LinkedHashSet<>();
        Set<String> hostPorts = new LinkedHashSet<>();
        boolean escalation = false;
        JsonNode podContext = spec.path("securityContext");
        boolean runAsRoot = isZero(podContext.path("runAsUser"));
        boolean rootAllowed = isFalse(podContext.path("runAsNonRoot"));
        for (JsonNode container : containers) {
            String name = KubernetesAuditParser.textOrNull(container.path("name"));
            String image = KubernetesAuditParser.textOrNull(container.path("image"));
            if (image != null) {
                images.add(image);
            }
            JsonNode context = container.path("securityContext");
            if (isTrue(context.path("privileged"))) {
                privileged.add(name == null ? "?" : name);
            }
            for (JsonNode capability : context.path("capabilities").path("add")) {
                String text = KubernetesAuditParser.textOrNull(capability);
                if (text != null) {
                    capabilities.add(text);
                }
            }
            escalation |= isTrue(context.path("allowPrivilegeEscalation"));
            runAsRoot |= isZero(context.path("runAsUser"));
            rootAllowed |= isFalse(context.path("runAsNonRoot"));
            for (JsonNode port : container.path("ports")) {
                JsonNode hostPort = port.path("hostPort");
                if (hostPort.canConvertToInt() && hostPort.asInt() > 0) {
                    hostPorts.add(hostPort.asText());
                }
            }
        }
        Set<String> hostPaths = new LinkedHashSet<>();
        for (JsonNode volume : spec.path("volumes")) {
            String path = KubernetesAuditParser.textOrNull(volume.path("hostPath").path("path"));
            if (path != null) {
                hostPaths.add(path);
            }
        }

        Normalization.putText(attributes, "k8s.pod.template_of", templateOf);
        putJoined(attributes, "k8s.pod.images", images);
        if (!privileged.isEmpty()) {
            attributes.put("k8s.pod.privileged", "true");
            attributes.put("k8s.pod.privileged_containers", String.join(",", privileged));
        }
        putFlag(attributes, "k8s.pod.host_pid", isTrue(spec.path("hostPID")));
        putFlag(attributes, "k8s.pod.host_network", isTrue(spec.path("hostNetwork")));
        putFlag(attributes, "k8s.pod.host_ipc", isTrue(spec.path("hostIPC")));
        putJoined(attributes, "k8s.pod.host_path_mounts", hostPaths);
        putJoined(attributes, "k8s.pod.capabilities_added", capabilities);
        putFlag(attributes, "k8s.pod.allow_privilege_escalation", escalation);
        putFlag(attributes, "k8s.pod.run_as_root", runAsRoot);
        if (rootAllowed) {
            attributes.put("k8s.pod.run_as_non_root", "false");
        }
        putJoined(attributes, "k8s.pod.host_ports", hostPorts);
        Normalization.putText(attributes, "k8s.pod.service_account",
                KubernetesAuditParser.textOrNull(spec.path("serviceAccountName")));
    }

    private static boolean isTrue(JsonNode node) {
        return node.isBoolean() ? node.booleanValue() : node.isTextual() && "true".equalsIgnoreCase(node.asText());
    }

    private static boolean isFalse(JsonNode node) {
        return node.isBoolean() ? !node.booleanValue() : node.isTextual() && "false".equalsIgnoreCase(node.asText());
    }

    private static boolean isZero(JsonNode node) {
        return node.isIntegralNumber() ? node.canConvertToLong() && node.asLong() == 0
                : node.isTextual() && "0".equals(node.asText().strip());
    }

    private static void putFlag(Map<String, String> attributes, String key, boolean value) {
        if (value) {
            attributes.put(key, "true");
        }
    }

    private static void putJoined(Map<String, String> attributes, String key, Set<String> values) {
        if (!values.isEmpty()) {
            attributes.put(key, String.join(",", values));
        }
    }
}
