package dev.bulwark.ingest.k8saudit;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

import dev.bulwark.schemas.KubernetesAttributes;
import dev.bulwark.schemas.PodSpecFacts;

/**
 * Summarizes the security-relevant settings of a pod spec from an audit request body as {@link PodSpecFacts}
 * ({@code kubernetes.pod_spec}): privileged containers, host namespaces, hostPath volumes, added capabilities, root
 * users, privilege escalation, host ports, images and service account.
 *
 * <p>Why: rules such as "privileged pod created" or "sensitive hostPath mounted" must not parse nested request
 * bodies; they compare one field. Only settings that weaken isolation are written (a null flag means "not
 * requested"), so a Sigma rule asking whether a flag exists matches only pods that set it. Request bodies may be
 * partial (a patch), so unexpected shapes are skipped rather than rejected; the body itself stays in the
 * {@link KubernetesAttributes#AUDIT_REQUEST_OBJECT} attribute.
 */
final class PodSpecs {

    private PodSpecs() {
    }

    /**
     * The summary of {@code spec}.
     *
     * @param spec a pod spec node (missing or not an object: null)
     * @param templateOf the workload kind whose pod template this is, or null for a Pod's own spec
     */
    static PodSpecFacts summarize(JsonNode spec, String templateOf) {
        if (spec == null || !spec.isObject()) {
            return null;
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
        Set<Integer> hostPorts = new LinkedHashSet<>();
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
                    hostPorts.add(hostPort.asInt());
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

        return PodSpecFacts.newBuilder()
                .setTemplateOf(templateOf)
                .setImages(List.copyOf(images))
                .setPrivileged(privileged.isEmpty() ? null : true)
                .setPrivilegedContainers(List.copyOf(privileged))
                .setHostPid(trueOrNull(isTrue(spec.path("hostPID"))))
                .setHostNetwork(trueOrNull(isTrue(spec.path("hostNetwork"))))
                .setHostIpc(trueOrNull(isTrue(spec.path("hostIPC"))))
                .setHostPathMounts(List.copyOf(hostPaths))
                .setCapabilitiesAdded(List.copyOf(capabilities))
                .setAllowPrivilegeEscalation(trueOrNull(escalation))
                .setRunAsRootExplicit(trueOrNull(runAsRoot))
                .setRunAsNonRootDisabled(trueOrNull(rootAllowed))
                .setHostPorts(List.copyOf(hostPorts))
                .setServiceAccount(KubernetesAuditParser.textOrNull(spec.path("serviceAccountName")))
                .build();
    }

    /** Only settings that weaken isolation are written: true, else null ("not requested"). */
    private static Boolean trueOrNull(boolean value) {
        return value ? Boolean.TRUE : null;
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
}
