package dev.bulwark.detectors.isolation;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.kafka.streams.kstream.KStream;

import dev.bulwark.detectors.api.Detector;
import dev.bulwark.detectors.api.DetectorApi;
import dev.bulwark.detectors.api.DetectorContext;
import dev.bulwark.detectors.api.Mitre;
import dev.bulwark.detectors.api.Severity;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.MitreAttack;
import dev.bulwark.schemas.SecurityEvent;

/**
 * A containerized process touches the container runtime socket, or another pod's volumes under the kubelet's
 * directory.
 *
 * <p>Why: the runtime socket controls every container on the node (every tenant's); another pod's volume directory holds
 * its secrets and data. Either from inside a container is a breakout on a shared node. Critical for the runtime
 * socket; high for another pod's volumes (the pod UID in the path differs from the process's own pod).
 */
public final class HostAccessDetector implements Detector {

    public static final String RULE_ID = Isolation.RULE_PREFIX + "host_access";

    private static final MitreAttack MITRE = Mitre.of(List.of("privilege-escalation", "collection"),
            List.of("T1611", "T1552.007"));
    private static final List<String> RUNTIME_SOCKETS = List.of("/var/run/docker.sock", "/run/docker.sock",
            "/run/containerd/containerd.sock", "/var/run/containerd/containerd.sock", "/var/run/crio/crio.sock",
            "/run/crio/crio.sock", "/var/run/cri-dockerd.sock");
    private static final Pattern POD_VOLUME = Pattern.compile("^/var/lib/kubelet/pods/([0-9a-f-]{36})/volumes/");

    @Override
    public String name() {
        return "host-access";
    }

    @Override
    public String apiVersion() {
        return DetectorApi.VERSION;
    }

    @Override
    public KStream<String, Finding> build(DetectorContext context) {
        return context.events()
                .filter((key, event) -> classify(event) != null, context.named("filter"))
                .mapValues(event -> finding(event, context), context.named("finding"));
    }

    /** What the event touched that it should not, or null. */
    static String classify(SecurityEvent event) {
        if (event.getFile() == null || event.getFile().getPath() == null || event.getContainer() == null
                || event.getContainer().getId() == null) {
            return null;
        }
        String path = event.getFile().getPath();
        if (RUNTIME_SOCKETS.contains(path)) {
            return "the container runtime socket " + path;
        }
        Matcher volume = POD_VOLUME.matcher(path);
        if (volume.find()) {
            String ownPod = event.getKubernetes() == null ? null : event.getKubernetes().getPodUid();
            if (!volume.group(1).equals(ownPod)) {
                return "the volumes of pod " + volume.group(1);
            }
        }
        return null;
    }

    private Finding finding(SecurityEvent event, DetectorContext context) {
        String what = classify(event);
        boolean socket = what.startsWith("the container runtime socket");
        String process = event.getProcess() == null ? "a process" : "process " + event.getProcess().getName();
        String where = event.getKubernetes() == null ? "container " + event.getContainer().getId()
                : "pod " + event.getKubernetes().getNamespace() + "/" + event.getKubernetes().getPod();
        Map<String, String> evidence = new LinkedHashMap<>();
        evidence.put("file.path", event.getFile().getPath());
        evidence.put("process.executable", event.getProcess() == null ? null : event.getProcess().getExecutable());
        evidence.put("process.command_line", event.getProcess() == null ? null : event.getProcess().getCommandLine());
        evidence.put("container.id", event.getContainer().getId());
        evidence.put("container.image.name", event.getContainer().getImageName());
        return context.finding(event).rule(RULE_ID, socket ? "Container touched the runtime socket"
                        : "Container touched another pod's volumes").severity(Severity.of(socket ? "critical" : "high")).mitre(MITRE)
                .summary(process + " in " + where + " touched " + what).evidence(evidence).identity(event.getContainer().getId(), event.getFile().getPath()).build();
    }
}
