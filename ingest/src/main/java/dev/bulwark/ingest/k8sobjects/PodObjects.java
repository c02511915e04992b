package dev.bulwark.ingest.k8sobjects;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

import dev.bulwark.ingest.ParseException;
import dev.bulwark.schemas.KubernetesAttributes;
import dev.bulwark.schemas.NamedPort;
import dev.bulwark.schemas.PodSpecFacts;
import dev.bulwark.schemas.RunningContainer;
import dev.bulwark.schemas.TenantContext;

/**
 * Maps a Pod to what runtime events are joined with: its IPs, container ids, node and workload (attributes), and
 * its spec's facts ({@link PodSpecFacts}: service account, images, named ports and what decides how well it is
 * isolated from its node and its neighbours).
 *
 * <p>Why: Falco and Tetragon report a container id or an IP; the pod record turns either into a namespace (hence a
 * tenant) and says whether the pod could break out (privileged, host namespaces, host paths, added capabilities,
 * root), which raises the severity of anything it does.
 */
final class PodObjects {

    /** The three container lists of a pod spec, and their status lists. */
    /** IANA_SVC_NAME as the API server validates a port name: at most 15 of a-z, 0-9 and inner single hyphens. */
    private static final java.util.regex.Pattern PORT_NAME =
            java.util.regex.Pattern.compile("(?=.{1,15}$)(?=.*[a-z])[a-z0-9]+(-[a-z0-9]+)*");
    private static final List<String> CONTAINER_LISTS = List.of("containers", "initContainers", "ephemeralContainers");
    private static final List<String> STATUS_LISTS =
            List.of("containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses");

    private PodObjects() {
    }

    /** One container's security-relevant settings. */
    private record Container(String name, String image, boolean privileged, Set<String> capabilitiesAdded, Long runAsUser,
            Boolean runAsNonRoot, boolean escalationDisabled, boolean dropsAll, String seccomp, List<Integer> hostPorts) {
    }

    /** Host-pod annotation vcluster sets to the pod's name in the virtual cluster. */
    static final String VCLUSTER_OBJECT_NAME_ANNOTATION = "vcluster.loft.sh/object-name";
    /** Host-pod annotation vcluster sets to the pod's namespace in the virtual cluster. */
    static final String VCLUSTER_OBJECT_NAMESPACE_ANNOTATION = "vcluster.loft.sh/object-namespace";
    /** Host-pod label vcluster sets to the virtual namespace too (older vcluster versions set only this). */
    static final String VCLUSTER_NAMESPACE_LABEL = "vcluster.loft.sh/namespace";
    /** Host-pod label naming the virtual cluster that manages the pod. */
    static final String VCLUSTER_MANAGED_BY_LABEL = "vcluster.loft.sh/managed-by";

    static void pod(JsonNode pod, JsonNode metadata, Map<String, String> labels, Owner controller,
            TenantContext.Builder out, Map<String, String> attributes) throws ParseException {
        JsonNode spec = K8sFields.object(pod, "spec", "spec");
        if (spec == null) {
            throw new ParseException("missing required field 'spec'");
        }
        JsonNode podSecurity = K8sFields.object(spec, "securityContext", "spec.securityContext");
        Long podRunAsUser = podSecurity == null ? null : K8sFields.integer(podSecurity, "runAsUser", "spec.securityContext.runAsUser");
        Boolean podRunAsNonRoot = podSecurity == null ? null
                : K8sFields.bool(podSecurity, "runAsNonRoot", "spec.securityContext.runAsNonRoot");
        boolean podHostProcess = podSecurity != null && hostProcess(podSecurity, "spec.securityContext");

        List<Container> containers = new ArrayList<>();
        Container first = null;
        for (String list : CONTAINER_LISTS) {
            List<JsonNode> items = K8sFields.objects(spec, list, "spec." + list);
            for (int i = 0; i < items.size(); i++) {
                Container container = container(items.get(i), "spec." + list + "[" + i + "]");
                containers.add(container);
                if (first == null && list.equals("containers")) {
                    first = container;
                }
            }
        }
        if (first == null) {
            throw new ParseException("field 'spec.containers' is missing or empty (a pod has at least one container)");
        }

        out.setImage(first.image());
        Set<String> images = new LinkedHashSet<>();
        Set<String> capabilities = new LinkedHashSet<>();
        boolean privileged = podHostProcess;
        boolean mayRunAsRoot = false;
        boolean explicitRoot = false;
        boolean escalationDisabled = true;
        boolean dropsAll = true;
        boolean seccompConfined = true;
        String podSeccomp = podSecurity == null ? null : seccomp(podSecurity, "spec.securityContext");
        boolean seccompUnconfined = "Unconfined".equals(podSeccomp);
        Set<Integer> hostPorts = new LinkedHashSet<>();
        for (Container container : containers) {
            escalationDisabled &= container.escalationDisabled();
            dropsAll &= container.dropsAll();
            String seccomp = container.seccomp() != null ? container.seccomp() : podSeccomp;
            seccompConfined &= "RuntimeDefault".equals(seccomp) || "Localhost".equals(seccomp);
            seccompUnconfined |= "Unconfined".equals(container.seccomp());
            hostPorts.addAll(container.hostPorts());
            if (container.image() != null) {
                images.add(container.image());
            }
            capabilities.addAll(container.capabilitiesAdded());
            privileged |= container.privileged();
            Long uid = container.runAsUser() != null ? container.runAsUser() : podRunAsUser;
            Boolean nonRoot = container.runAsNonRoot() != null ? container.runAsNonRoot() : podRunAsNonRoot;
            explicitRoot |= uid != null && uid == 0;
            mayRunAsRoot |= (uid != null && uid == 0) || (uid == null && !Boolean.TRUE.equals(nonRoot));
        }
        PodSpecFacts.Builder facts = PodSpecFacts.newBuilder()
                .setImages(List.copyOf(images))
                .setPrivileged(privileged)
                .setHostPid(flag(spec, "hostPID"))
                .setHostNetwork(flag(spec, "hostNetwork"))
                .setHostIpc(flag(spec, "hostIPC"))
                .setMayRunAsRoot(mayRunAsRoot)
                .setRunAsRootExplicit(explicitRoot)
                .setCapabilitiesAdded(List.copyOf(capabilities))
                .setHostPathMounts(List.copyOf(hostPaths(spec)))
                .setNamedPorts(namedPorts(spec))
                .setHostPorts(List.copyOf(hostPorts))
                .setVolumeTypes(List.copyOf(volumeTypes(spec)))
                .setEscalationDisabled(escalationDisabled)
                .setCapabilitiesDroppedAll(dropsAll)
                .setSeccompConfined(seccompConfined)
                .setSeccompUnconfined(seccompUnconfined);

        String node = K8sFields.string(spec, "nodeName", "spec.nodeName");
        if (node != null) {
            attributes.put(KubernetesAttributes.POD_NODE, Names.dnsSubdomain(node, "spec.nodeName"));
        }
        String serviceAccount = K8sFields.string(spec, "serviceAccountName", "spec.serviceAccountName");
        if (serviceAccount == null) {
            // The deprecated alias, still filled in by the API server.
            serviceAccount = K8sFields.string(spec, "serviceAccount", "spec.serviceAccount");
        }
        if (serviceAccount != null) {
            facts.setServiceAccount(Names.dnsSubdomain(serviceAccount, "spec.serviceAccountName"));
        }
        out.setPodSpec(facts.build());
        workload(labels, controller, attributes);
        vcluster(metadata, labels, attributes);
        Map<String, String> specImages = new java.util.HashMap<>();
        for (Container container : containers) {
            if (container.name() != null && container.image() != null) {
                specImages.put(container.name(), container.image());
            }
        }
        status(pod, out, attributes, specImages);
    }

    /**
     * Where a pod synced by vcluster lives in its virtual cluster. vcluster copies a virtual pod into the namespace
     * that hosts the virtual cluster, under a translated name, and marks the copy with the virtual name and namespace
     * (annotations {@code vcluster.loft.sh/object-name} and {@code vcluster.loft.sh/object-namespace}, label
     * {@code vcluster.loft.sh/namespace}) and the virtual cluster's name (label {@code vcluster.loft.sh/managed-by}).
     * The record keeps the host namespace: that is where the pod runs and whose tenant owns the virtual cluster. The
     * marks are written by whoever can create pods in the virtual cluster as much as by vcluster, so a value that is
     * not a valid name is left out rather than failing the pod (which would hide its IP from attribution).
     */
    private static void vcluster(JsonNode metadata, Map<String, String> labels, Map<String, String> attributes)
            throws ParseException {
        JsonNode annotations = K8sFields.object(metadata, "annotations", "metadata.annotations");
        String objectName = annotations == null ? null
                : K8sFields.string(annotations, VCLUSTER_OBJECT_NAME_ANNOTATION,
                        "metadata.annotations[" + K8sFields.quote(VCLUSTER_OBJECT_NAME_ANNOTATION) + "]");
        String objectNamespace = annotations == null ? null
                : K8sFields.string(annotations, VCLUSTER_OBJECT_NAMESPACE_ANNOTATION,
                        "metadata.annotations[" + K8sFields.quote(VCLUSTER_OBJECT_NAMESPACE_ANNOTATION) + "]");
        if (objectNamespace == null) {
            objectNamespace = labels.get(VCLUSTER_NAMESPACE_LABEL);
        }
        putValid(attributes, KubernetesAttributes.VCLUSTER_OBJECT_NAME, objectName, Names::dnsSubdomain);
        putValid(attributes, KubernetesAttributes.VCLUSTER_NAMESPACE, objectNamespace, Names::dnsLabel);
        putValid(attributes, KubernetesAttributes.VCLUSTER_NAME, labels.get(VCLUSTER_MANAGED_BY_LABEL), Names::dnsLabel);
    }

    /** A name check of {@link Names}. */
    private interface NameRule {
        String check(String value, String what) throws ParseException;
    }

    private static void putValid(Map<String, String> attributes, String key, String value, NameRule rule) {
        if (value == null || value.isEmpty()) {
            return;
        }
        try {
            attributes.put(key, rule.check(value, key));
        } catch (ParseException e) {
            // Left out: see vcluster().
        }
    }

    private static Container container(JsonNode container, String path) throws ParseException {
        String name = K8sFields.string(container, "name", path + ".name");
        String image = K8sFields.string(container, "image", path + ".image");
        if (image != null) {
            Names.printable(image, path + ".image", Names.MAX_TEXT_LENGTH, false);
            if (image.indexOf(',') >= 0 || image.indexOf(' ') >= 0) {
                throw new ParseException("field '" + path + ".image' " + K8sFields.quote(image) + " is not an image reference");
            }
        }
        List<Integer> hostPorts = new ArrayList<>();
        List<JsonNode> ports = K8sFields.objects(container, "ports", path + ".ports");
        for (int i = 0; i < ports.size(); i++) {
            Long hostPort = K8sFields.integer(ports.get(i), "hostPort", path + ".ports[" + i + "].hostPort");
            if (hostPort != null && hostPort > 0 && hostPort <= 65535) {
                hostPorts.add(hostPort.intValue());
            }
        }
        JsonNode security = K8sFields.object(container, "securityContext", path + ".securityContext");
        if (security == null) {
            return new Container(name, image, false, Set.of(), null, null, false, false, null, hostPorts);
        }
        String securityPath = path + ".securityContext";
        boolean privileged = Boolean.TRUE.equals(K8sFields.bool(security, "privileged", securityPath + ".privileged"))
                || hostProcess(security, securityPath);
        Set<String> added = new LinkedHashSet<>();
        JsonNode capabilities = K8sFields.object(security, "capabilities", securityPath + ".capabilities");
        boolean dropsAll = false;
        if (capabilities != null) {
            for (String capability : K8sFields.strings(capabilities, "add", securityPath + ".capabilities.add")) {
                added.add(capability(capability, securityPath + ".capabilities.add"));
            }
            for (String capability : K8sFields.strings(capabilities, "drop", securityPath + ".capabilities.drop")) {
                dropsAll |= "ALL".equals(capability.strip().toUpperCase(Locale.ROOT));
            }
        }
        return new Container(name, image, privileged,
                added,
                K8sFields.integer(security, "runAsUser", securityPath + ".runAsUser"),
                K8sFields.bool(security, "runAsNonRoot", securityPath + ".runAsNonRoot"),
                Boolean.FALSE.equals(K8sFields.bool(security, "allowPrivilegeEscalation",
                        securityPath + ".allowPrivilegeEscalation")),
                dropsAll, seccomp(security, securityPath), hostPorts);
    }

    /**
     * The named ports of the pod's containers (protocol TCP when absent), which
     * a NetworkPolicy may name instead of a number. An entry whose name, number or protocol the API server would
     * reject is left out rather than failing the pod.
     */
    private static List<NamedPort> namedPorts(JsonNode spec) throws ParseException {
        Set<NamedPort> named = new LinkedHashSet<>();
        List<JsonNode> containers = K8sFields.objects(spec, "containers", "spec.containers");
        for (int i = 0; i < containers.size(); i++) {
            String path = "spec.containers[" + i + "].ports";
            List<JsonNode> ports = K8sFields.objects(containers.get(i), "ports", path);
            for (int j = 0; j < ports.size(); j++) {
                String portPath = path + "[" + j + "]";
                String name = K8sFields.string(ports.get(j), "name", portPath + ".name");
                Long number = K8sFields.integer(ports.get(j), "containerPort", portPath + ".containerPort");
                String protocol = K8sFields.string(ports.get(j), "protocol", portPath + ".protocol");
                protocol = protocol == null ? "TCP" : protocol;
                if (name != null && PORT_NAME.matcher(name).matches() && number != null && number >= 1
                        && number <= 65535 && (protocol.equals("TCP") || protocol.equals("UDP") || protocol.equals("SCTP"))) {
                    named.add(NamedPort.newBuilder().setName(name).setPort(number.intValue()).setProtocol(protocol).build());
                }
            }
        }
        return List.copyOf(named);
    }

    /** Upper case without the {@code CAP_} prefix, which runtimes accept both with and without. */
    private static String capability(String capability, String path) throws ParseException {
        String name = capability.strip().toUpperCase(Locale.ROOT);
        if (name.startsWith("CAP_")) {
            name = name.substring(4);
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) {
                throw new ParseException("field '" + path + "' holds " + K8sFields.quote(capability)
                        + ", which is not a capability name");
            }
        }
        if (name.isEmpty()) {
            throw new ParseException("field '" + path + "' holds an empty capability name");
        }
        return name;
    }

    /** The {@code seccompProfile.type} of a security context, or null when it sets none. */
    private static String seccomp(JsonNode securityContext, String path) throws ParseException {
        JsonNode profile = K8sFields.object(securityContext, "seccompProfile", path + ".seccompProfile");
        return profile == null ? null : K8sFields.string(profile, "type", path + ".seccompProfile.type");
    }

    /** The kinds of the pod's volumes: the name of each volume's source field, as the API names it. */
    private static Set<String> volumeTypes(JsonNode spec) throws ParseException {
        Set<String> types = new java.util.TreeSet<>();
        List<JsonNode> volumes = K8sFields.objects(spec, "volumes", "spec.volumes");
        for (JsonNode volume : volumes) {
            for (java.util.Iterator<String> names = volume.fieldNames(); names.hasNext(); ) {
                String field = names.next();
                if (!"name".equals(field) && field.length() <= Names.MAX_LABEL_LENGTH) {
                    types.add(field);
                }
            }
        }
        return types;
    }

    /** A Windows HostProcess container shares the node like a privileged Linux container. */
    private static boolean hostProcess(JsonNode securityContext, String path) throws ParseException {
        JsonNode windows = K8sFields.object(securityContext, "windowsOptions", path + ".windowsOptions");
        return windows != null
                && Boolean.TRUE.equals(K8sFields.bool(windows, "hostProcess", path + ".windowsOptions.hostProcess"));
    }

    private static boolean flag(JsonNode spec, String field) throws ParseException {
        return Boolean.TRUE.equals(K8sFields.bool(spec, field, "spec." + field));
    }

    private static Set<String> hostPaths(JsonNode spec) throws ParseException {
        Set<String> paths = new LinkedHashSet<>();
        List<JsonNode> volumes = K8sFields.objects(spec, "volumes", "spec.volumes");
        for (int i = 0; i < volumes.size(); i++) {
            String path = "spec.volumes[" + i + "].hostPath";
            JsonNode hostPath = K8sFields.object(volumes.get(i), "hostPath", path);
            if (hostPath != null) {
                String hostDir = K8sFields.requiredString(hostPath, "path", path + ".path");
                paths.add(Names.printable(hostDir, path + ".path", Names.MAX_TEXT_LENGTH, false));
            }
        }
        return paths;
    }

    /**
     * The owning workload: the controller owner, except that a ReplicaSet named {@code <deployment>-<pod-template-hash>}
     * is resolved to its Deployment.
     */
    private static void workload(Map<String, String> labels, Owner controller, Map<String, String> attributes) {
        if (controller == null) {
            return;
        }
        String kind = controller.kind();
        String name = controller.name();
        String hash = labels.get("pod-template-hash");
        if ("ReplicaSet".equals(kind) && hash != null && name.length() > hash.length() + 1 && name.endsWith("-" + hash)) {
            kind = "Deployment";
            name = name.substring(0, name.length() - hash.length() - 1);
        }
        attributes.put(KubernetesAttributes.POD_WORKLOAD_KIND, kind);
        attributes.put(KubernetesAttributes.POD_WORKLOAD_NAME, name);
    }

    private static void status(JsonNode pod, TenantContext.Builder out, Map<String, String> attributes,
            Map<String, String> specImages) throws ParseException {
        JsonNode status = K8sFields.object(pod, "status", "status");
        if (status == null) {
            return;
        }
        String phase = K8sFields.string(status, "phase", "status.phase");
        if (phase != null) {
            attributes.put(KubernetesAttributes.POD_PHASE, Names.printable(phase, "status.phase", Names.MAX_LABEL_LENGTH, false));
        }
        String podIp = K8sFields.string(status, "podIP", "status.podIP");
        Set<String> ips = new LinkedHashSet<>();
        if (podIp != null) {
            out.setPodIp(Names.ip(podIp, "status.podIP"));
            ips.add(podIp);
        }
        List<JsonNode> podIps = K8sFields.objects(status, "podIPs", "status.podIPs");
        for (int i = 0; i < podIps.size(); i++) {
            String ip = K8sFields.requiredString(podIps.get(i), "ip", "status.podIPs[" + i + "].ip");
            ips.add(Names.ip(ip, "status.podIPs[" + i + "].ip"));
        }
        putJoined(attributes, KubernetesAttributes.POD_IPS, ips);
        String hostIp = K8sFields.string(status, "hostIP", "status.hostIP");
        if (hostIp != null) {
            attributes.put(KubernetesAttributes.POD_HOST_IP, Names.ip(hostIp, "status.hostIP"));
        }

        Set<String> ids = new LinkedHashSet<>();
        Set<String> runtimes = new LinkedHashSet<>();
        List<RunningContainer> running = new ArrayList<>();
        for (String list : STATUS_LISTS) {
            List<JsonNode> statuses = K8sFields.objects(status, list, "status." + list);
            for (int i = 0; i < statuses.size(); i++) {
                String path = "status." + list + "[" + i + "].containerID";
                String id = K8sFields.string(statuses.get(i), "containerID", path);
                if (id == null) {
                    continue; // not started yet
                }
                int separator = id.indexOf("://");
                if (separator >= 0) {
                    runtimes.add(Names.dnsLabel(id.substring(0, separator), path + " runtime"));
                    id = id.substring(separator + 3);
                }
                ids.add(Names.containerId(id, path));
                running.add(running(statuses.get(i), "status." + list + "[" + i + "]", specImages));
            }
        }
        putJoined(attributes, KubernetesAttributes.POD_CONTAINER_IDS, ids);
        putJoined(attributes, KubernetesAttributes.POD_CONTAINER_RUNTIMES, runtimes);
        out.setContainers(running);
    }

    private static String emptyAsNull(String value) {
        return value == null || value.isEmpty() ? null : value;
    }

    /** The digest in an image reference ({@code repo@sha256:<64 hex>}), or null. */
    private static final java.util.regex.Pattern DIGEST = java.util.regex.Pattern.compile("@(sha256:[0-9a-f]{64})$");

    /**
     * A started container: its name, the image its spec asks for, and the image and image id the kubelet reports. The
     * image id is what was pulled ({@code docker.io/library/nginx@sha256:...}, or with some runtimes
     * {@code docker-pullable://...} or just {@code sha256:...} for a local image); its digest is kept when it names one.
     */
    private static RunningContainer running(JsonNode status, String path, Map<String, String> specImages)
            throws ParseException {
        String name = K8sFields.requiredString(status, "name", path + ".name");
        String image = emptyAsNull(K8sFields.string(status, "image", path + ".image"));
        if (image != null) {
            Names.printable(image, path + ".image", Names.MAX_TEXT_LENGTH, false);
        }
        // Empty while the image is being pulled.
        String imageId = emptyAsNull(K8sFields.string(status, "imageID", path + ".imageID"));
        String digest = null;
        if (imageId != null) {
            Names.printable(imageId, path + ".imageID", Names.MAX_TEXT_LENGTH, false);
            java.util.regex.Matcher matcher = DIGEST.matcher(imageId);
            if (matcher.find()) {
                digest = matcher.group(1);
            }
        }
        return RunningContainer.newBuilder().setName(Names.printable(name, path + ".name", Names.MAX_LABEL_LENGTH, false))
                .setSpecImage(specImages.get(name)).setImage(image).setImageId(imageId).setDigest(digest).build();
    }

    private static void putJoined(Map<String, String> attributes, String key, Set<String> values) {
        if (!values.isEmpty()) {
            attributes.put(key, String.join(",", values));
        }
    }
}
