package dev.bulwark.ingest.containerlogs;

import java.util.concurrent.ConcurrentHashMap;
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

    /** Distinct files whose metadata {@link #fromOrigin} keeps; the cache is emptied when it grows past this. */
    static final int CACHE_SIZE = 256;

    /**
     * Metadata by file, shared by all threads. Why: a file's metadata is the same for each of its (often millions of)
     * records, and the patterns above cost several microseconds per record. Bounded by clearing: a flood of distinct
     * names (HTTP senders, rotated files) only costs re-parsing, never memory. Threads racing on a miss may each parse
     * the same file once; the results are equal records, so whichever is kept does not matter.
     */
    private static final ConcurrentHashMap<String, ContainerLogPath> BY_FILE = new ConcurrentHashMap<>();

    /**
     * The last metadata each thread looked up. Why: consecutive records mostly come from one file, and comparing the
     * origin's file part with the last one avoids building that part as a string and hashing it.
     */
    private static final ThreadLocal<ContainerLogPath> LAST = new ThreadLocal<>();

    private static final ContainerLogPath NONE = new ContainerLogPath(null, null, null, null, null, null, null);

    /**
     * Metadata from an origin of the form {@code <file>}, {@code <file>:<line>} or {@code <file>:<first>-<last>}.
     * Equal to {@link #ofFile} of the origin without its {@code :line} suffix; computed once per distinct file (see
     * {@link #BY_FILE}). Thread-safe.
     */
    static ContainerLogPath fromOrigin(String origin) {
        if (origin == null || origin.isEmpty()) {
            return NONE;
        }
        int fileLength = fileLength(origin);
        if (fileLength < 0) {
            return cached(ORIGIN_LINES.matcher(origin).replaceFirst(""));
        }
        ContainerLogPath last = LAST.get();
        if (last != null && last.file.length() == fileLength && origin.startsWith(last.file)) {
            return last;
        }
        ContainerLogPath path = cached(fileLength == origin.length() ? origin : origin.substring(0, fileLength));
        if (path.file != null && path.file.length() <= MAX_PATH) {
            LAST.set(path);
        }
        return path;
    }

    /**
     * The length of an origin without the suffix {@link #ORIGIN_LINES} matches, or -1 when the origin ends with a line
     * terminator, before which {@code $} also matches (then the pattern itself decides).
     */
    private static int fileLength(String origin) {
        int length = origin.length();
        char lastChar = origin.charAt(length - 1);
        if (!isDigit(lastChar)) {
            return isLineTerminator(lastChar) ? -1 : length;
        }
        int digits = length - 1;
        while (digits > 0 && isDigit(origin.charAt(digits - 1))) {
            digits--;
        }
        if (digits == 0) {
            return length;
        }
        if (origin.charAt(digits - 1) == ':') {
            return digits - 1;
        }
        if (origin.charAt(digits - 1) == '-') {
            int first = digits - 1;
            while (first > 0 && isDigit(origin.charAt(first - 1))) {
                first--;
            }
            if (first < digits - 1 && first > 0 && origin.charAt(first - 1) == ':') {
                return first - 1;
            }
        }
        return length;
    }

    /** What {@code \d} matches without {@code UNICODE_CHARACTER_CLASS}. */
    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    /** The line terminators {@code $} recognizes without {@code UNIX_LINES}. */
    private static boolean isLineTerminator(char c) {
        return c == '\n' || c == '\r' || c == '\u0085' || c == '\u2028' || c == '\u2029';
    }

    /** {@link #ofFile} through {@link #BY_FILE}; empty and over-long names (decided without patterns) are not kept. */
    private static ContainerLogPath cached(String file) {
        if (file.isEmpty() || file.length() > MAX_PATH) {
            return ofFile(file);
        }
        ContainerLogPath path = BY_FILE.get(file);
        if (path == null) {
            path = ofFile(file);
            if (BY_FILE.size() >= CACHE_SIZE) {
                BY_FILE.clear();
            }
            BY_FILE.put(file, path);
        }
        return path;
    }

    /** Metadata from a file name (an origin without {@code :line}), parsed each time. */
    static ContainerLogPath ofFile(String file) {
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
