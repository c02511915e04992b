package dev.bulwark.ingest.containerlogs;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Kubernetes and container identity recovered from a container log file's path.
 *
 * <p>Why: a container log line says nothing about whose it is; the node's file layout does. Recognized layouts (see
 * kubelet's {@code legacyLogSymlink} and {@code BuildContainerLogsDirectory}):
 * <ul>
 *   <li>{@code /var/log/containers/<pod>_<namespace>_<container>-<64-hex id>.log} (the symlinks node agents tail);
 *       when kubelet cut a very long name to 255 bytes and the id is incomplete, only pod and namespace are kept;</li>
 *   <li>{@code /var/log/pods/<namespace>_<pod>_<pod uid>/<container>/<restart>.log}, also rotated
 *       ({@code 0.log.20240101-120000}), and the pre-1.14 {@code /var/log/pods/<pod uid>/<container>_<restart>.log};</li>
 *   <li>Docker's {@code /var/lib/docker/containers/<id>/<id>-json.log} (and rotated {@code -json.log.1}).</li>
 * </ul>
 * Pod names are DNS subdomains, namespaces and container names DNS labels; neither contains {@code _}, so a name that does not fit is not
 * mistaken for one. Anything else yields no metadata.
 *
 * @param file the file part of the origin (without {@code :line}), or null when the origin has none
 * @param namespace Kubernetes namespace, or null
 * @param pod pod name, or null
 * @param podUid pod UID, or null
 * @param container container name, or null
 * @param containerId full 64-hex container id, or null
 * @param restartCount the container's restart count from a {@code /var/log/pods} file name, or null
 */
record ContainerLogPath(String file, String namespace, String pod, String podUid, String container,
                        String containerId, String restartCount) {

    private static final String DNS_LABEL = "[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?";
    /** Kubernetes checks pod names against this without a per-label length limit (IsDNS1123Subdomain). */
    private static final String DNS_SUBDOMAIN = "[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*";
    private static final String UID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
    private static final String HEX64 = "[0-9a-f]{64}";
    private static final String ROTATED = "(?:\\.\\d{8}-\\d{6}(?:\\.gz)?)?";

    private static final Pattern ORIGIN_LINES = Pattern.compile(":\\d+(?:-\\d+)?$");
    private static final Pattern CONTAINERS = Pattern.compile(
            "(?<pod>" + DNS_SUBDOMAIN + ")_(?<ns>" + DNS_LABEL + ")_(?<container>" + DNS_LABEL + ")-(?<id>" + HEX64 + ")\\.log");
    /** A /var/log/containers name cut to 251 bytes + ".log" by kubelet: the id (and maybe the name) is incomplete. */
    private static final Pattern CONTAINERS_CUT = Pattern.compile(
            "(?<pod>" + DNS_SUBDOMAIN + ")_(?<ns>" + DNS_LABEL + ")_[-a-z0-9]*\\.log");
    private static final Pattern PODS = Pattern.compile(
            "(?:^|/)(?<ns>" + DNS_LABEL + ")_(?<pod>" + DNS_SUBDOMAIN + ")_(?<uid>" + UID + ")/(?<container>" + DNS_LABEL
                    + ")/(?<restart>\\d+)\\.log" + ROTATED + "$");
    private static final Pattern PODS_LEGACY = Pattern.compile(
            "(?:^|/)(?<uid>" + UID + ")/(?<container>" + DNS_LABEL + ")_(?<restart>\\d+)\\.log" + ROTATED + "$");
    private static final Pattern DOCKER = Pattern.compile(
            "(?:^|/)(?<id>" + HEX64 + ")/\\k<id>-json\\.log(?:\\.\\d+)?$");

    /** Longest path examined; longer origins are not real node paths. */
    private static final int MAX_PATH = 4096;

    /**
     * Metadata from an origin of the form {@code <file>}, {@code <file>:<line>} or {@code <file>:<first>-<last>}.
     */
    static ContainerLogPath fromOrigin(String origin) {
        if (origin == null || origin.isEmpty()) {
            return new ContainerLogPath(null, null, null, null, null, null, null);
        }
        String file = ORIGIN_LINES.matcher(origin).replaceFirst("");
        if (file.isEmpty() || file.length() > MAX_PATH) {
            return new ContainerLogPath(file.isEmpty() ? null : file, null, null, null, null, null, null);
        }
        String normalized = file.replace('\\', '/');
        String base = normalized.substring(normalized.lastIndexOf('/') + 1);

        Matcher m = CONTAINERS.matcher(base);
        if (m.matches()) {
            return new ContainerLogPath(file, m.group("ns"), m.group("pod"), null, m.group("container"), m.group("id"), null);
        }
        m = PODS.matcher(normalized);
        if (m.find()) {
            return new ContainerLogPath(file, m.group("ns"), m.group("pod"), m.group("uid"), m.group("container"), null,
                    m.group("restart"));
        }
        m = PODS_LEGACY.matcher(normalized);
        if (m.find()) {
            return new ContainerLogPath(file, null, null, m.group("uid"), m.group("container"), null, m.group("restart"));
        }
        m = DOCKER.matcher(normalized);
        if (m.find()) {
            return new ContainerLogPath(file, null, null, null, null, m.group("id"), null);
        }
        m = CONTAINERS_CUT.matcher(base);
        if (normalized.contains("/containers/") && base.length() == 255 && m.matches()) {
            return new ContainerLogPath(file, m.group("ns"), m.group("pod"), null, null, null, null);
        }
        return new ContainerLogPath(file, null, null, null, null, null, null);
    }

    /** True when the path told which pod the file belongs to. */
    boolean hasKubernetes() {
        return namespace != null || pod != null || podUid != null;
    }

    /** True when the path told which container the file belongs to. */
    boolean hasContainer() {
        return containerId != null || container != null;
    }

    /**
     * A stable name for the container across the file layouts that show it ({@code ns/pod/container} for both
     * Kubernetes layouts, else the container id, else the file), used in event ids so that the same line read through
     * the {@code /var/log/containers} symlink and through {@code /var/log/pods} gets one id.
     */
    String scope() {
        if (namespace != null && pod != null && container != null) {
            return namespace + "/" + pod + "/" + container;
        }
        if (podUid != null && container != null) {
            return podUid + "/" + container;
        }
        if (containerId != null) {
            return containerId;
        }
        return file == null ? "" : file;
    }
}
