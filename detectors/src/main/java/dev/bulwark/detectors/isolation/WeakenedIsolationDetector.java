package dev.bulwark.detectors.isolation;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.streams.kstream.KStream;

import dev.bulwark.detectors.api.Detector;
import dev.bulwark.detectors.api.DetectorApi;
import dev.bulwark.detectors.api.DetectorContext;
import dev.bulwark.detectors.api.Mitre;
import dev.bulwark.detectors.api.Severity;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.KubernetesAudit;
import dev.bulwark.schemas.MitreAttack;
import dev.bulwark.schemas.PodSpecFacts;
import dev.bulwark.schemas.SecurityEvent;

/**
 * Pods that weaken isolation on shared nodes: privileged containers, host PID/network/IPC namespaces, hostPath mounts of
 * sensitive host paths, dangerous capabilities, running as root.
 *
 * <p>Why: on a shared node, any of these lets a compromised workload reach its neighbours (other tenants' processes,
 * traffic, files or the container runtime). The detector reads the pod facts the audit parser extracts from pod (and
 * workload template) creations and updates ({@code kubernetes.pod_spec}), so it fires when the pod is admitted, before
 * anything runs in it. One finding per workload object and risk set; severity follows the worst fact: host namespaces,
 * privileged, runtime socket or root filesystem mounts and {@code SYS_ADMIN}-class capabilities are high; other
 * hostPath mounts and root users are medium.
 */
public final class WeakenedIsolationDetector implements Detector {

    public static final String RULE_ID = Isolation.RULE_PREFIX + "weakened_pod_isolation";

    private static final MitreAttack MITRE = Mitre.of(List.of("privilege-escalation"),
            List.of("T1611", "T1610"));
    private static final Set<String> DANGEROUS_CAPABILITIES = Set.of("SYS_ADMIN", "SYS_PTRACE", "SYS_MODULE",
            "NET_ADMIN", "DAC_READ_SEARCH", "SYS_RAWIO", "BPF", "PERFMON", "ALL");
    private static final List<String> SENSITIVE_HOST_PATHS = List.of("/", "/etc", "/proc", "/sys", "/root", "/var/run",
            "/run", "/var/lib/kubelet", "/var/lib/docker", "/var/lib/containerd", "/var/log", "/home", "/dev");

    @Override
    public String name() {
        return "weakened-isolation";
    }

    @Override
    public String apiVersion() {
        return DetectorApi.VERSION;
    }

    @Override
    public KStream<String, Finding> build(DetectorContext context) {
        return context.events()
                .filter((key, event) -> event.getKubernetesAudit() != null && Isolation.finalStage(event.getKubernetesAudit())
                        && Isolation.allowed(event.getKubernetesAudit()) && !risks(podSpec(event)).isEmpty(),
                        context.named("filter"))
                .mapValues(event -> finding(event, context), context.named("finding"));
    }

    /** The pod spec an audit event writes, or null. */
    static PodSpecFacts podSpec(SecurityEvent event) {
        return event.getKubernetes() == null ? null : event.getKubernetes().getPodSpec();
    }

    /** The isolation-weakening facts of a pod spec, worst first, each with its severity. */
    static List<Map.Entry<String, String>> risks(PodSpecFacts pod) {
        List<Map.Entry<String, String>> high = new ArrayList<>();
        List<Map.Entry<String, String>> medium = new ArrayList<>();
        if (pod == null) {
            return high;
        }
        if (Boolean.TRUE.equals(pod.getPrivileged())) {
            high.add(Map.entry("privileged container", "high"));
        }
        if (Boolean.TRUE.equals(pod.getHostPid())) {
            high.add(Map.entry("host PID namespace", "high"));
        }
        if (Boolean.TRUE.equals(pod.getHostNetwork())) {
            high.add(Map.entry("host NETWORK namespace", "high"));
        }
        if (Boolean.TRUE.equals(pod.getHostIpc())) {
            high.add(Map.entry("host IPC namespace", "high"));
        }
        for (String path : pod.getHostPathMounts()) {
            String trimmed = path.strip();
            if (trimmed.isEmpty()) {
                continue;
            }
            boolean sensitive = trimmed.endsWith(".sock") || SENSITIVE_HOST_PATHS.stream()
                    .anyMatch(p -> trimmed.equals(p) || (!"/".equals(p) && trimmed.startsWith(p + "/")));
            (sensitive ? high : medium).add(Map.entry("hostPath mount " + trimmed, sensitive ? "high" : "medium"));
        }
        for (String cap : pod.getCapabilitiesAdded()) {
            String name = cap.strip().toUpperCase(Locale.ROOT).replaceFirst("^CAP_", "");
            if (DANGEROUS_CAPABILITIES.contains(name)) {
                high.add(Map.entry("capability " + name, "high"));
            }
        }
        if (Boolean.TRUE.equals(pod.getRunAsRootExplicit())) {
            medium.add(Map.entry("runs as root (runAsUser 0)", "medium"));
        }
        List<Map.Entry<String, String>> all = new ArrayList<>(high);
        all.addAll(medium);
        return all;
    }

    private Finding finding(SecurityEvent event, DetectorContext context) {
        KubernetesAudit audit = event.getKubernetesAudit();
        PodSpecFacts pod = podSpec(event);
        List<Map.Entry<String, String>> risks = risks(pod);
        String severity = risks.get(0).getValue();
        List<String> facts = risks.stream().map(Map.Entry::getKey).toList();
        String workload = (pod.getTemplateOf() != null ? pod.getTemplateOf() : "Pod") + " " + audit.getObjectNamespace()
                + "/" + (audit.getObjectName() == null ? "?" : audit.getObjectName());
        String summary = workload + " weakens isolation on its node: " + String.join(", ", facts) + " (admitted for "
                + audit.getSubjectUser() + ")";
        Map<String, String> evidence = new LinkedHashMap<>();
        evidence.put("risks", String.join("; ", facts));
        String prefix = "kubernetes.pod_spec.";
        evidence.put(prefix + "privileged", text(pod.getPrivileged()));
        evidence.put(prefix + "host_pid", text(pod.getHostPid()));
        evidence.put(prefix + "host_network", text(pod.getHostNetwork()));
        evidence.put(prefix + "host_ipc", text(pod.getHostIpc()));
        evidence.put(prefix + "host_path_mounts", joined(pod.getHostPathMounts()));
        evidence.put(prefix + "capabilities_added", joined(pod.getCapabilitiesAdded()));
        evidence.put(prefix + "run_as_root_explicit", text(pod.getRunAsRootExplicit()));
        evidence.put(prefix + "images", joined(pod.getImages()));
        evidence.put("kubernetes_audit.subject_user", audit.getSubjectUser());
        evidence.put("kubernetes_audit.verb", audit.getVerb());
        return context.finding(event).rule(RULE_ID, "Pod weakens tenant isolation").severity(Severity.of(severity)).mitre(MITRE)
                .summary(summary).evidence(evidence).identity(workload, String.join("|", facts)).build();
    }

    private static String text(Boolean flag) {
        return flag == null ? null : flag.toString();
    }

    private static String joined(List<String> values) {
        return values.isEmpty() ? null : String.join(",", values);
    }
}
