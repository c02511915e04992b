package dev.bulwark.sigma;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import dev.bulwark.schemas.Endpoint;
import dev.bulwark.schemas.EventInfo;
import dev.bulwark.schemas.FileInfo;
import dev.bulwark.schemas.KubernetesAudit;
import dev.bulwark.schemas.KubernetesInfo;
import dev.bulwark.schemas.NetworkInfo;
import dev.bulwark.schemas.ParentProcess;
import dev.bulwark.schemas.PodSpecFacts;
import dev.bulwark.schemas.ProcessInfo;
import dev.bulwark.schemas.SecurityEvent;

/** Events shaped like the normalized output of the ingest parsers, and one-rule helpers. */
final class SigmaTestSupport {

    static final String PROCESS_CREATION = "product: linux\n    category: process_creation";
    static final String NETWORK_CONNECTION = "product: linux\n    category: network_connection";
    static final String FILE_EVENT = "product: linux\n    category: file_event";
    static final String KUBERNETES_AUDIT = "product: kubernetes\n    service: audit";

    private SigmaTestSupport() {
    }

    /** A Tetragon-style exec event. */
    static SecurityEvent exec(String executable, String commandLine) {
        return exec(executable, commandLine, null, null);
    }

    /** A Tetragon-style exec event with a parent. */
    static SecurityEvent exec(String executable, String commandLine, String parentExecutable, String parentCommandLine) {
        ProcessInfo.Builder process = ProcessInfo.newBuilder()
                .setPid(4242L)
                .setName(executable.substring(executable.lastIndexOf('/') + 1))
                .setExecutable(executable)
                .setCommandLine(commandLine)
                .setArgs(List.of(commandLine.split(" ")))
                .setUserName("root")
                .setWorkingDirectory("/");
        if (parentExecutable != null) {
            process.setParent(ParentProcess.newBuilder().setPid(1L).setExecutable(parentExecutable)
                    .setCommandLine(parentCommandLine).build());
        }
        return base("tetragon", List.of("process"), List.of("start")).setProcess(process.build()).build();
    }

    /** A Tetragon-style tcp_connect kprobe event from {@code executable}. */
    static SecurityEvent connect(String executable, String destinationIp, int destinationPort) {
        return base("tetragon", List.of("network"), List.of("connection", "start"))
                .setProcess(ProcessInfo.newBuilder().setExecutable(executable).setCommandLine(executable).build())
                .setSource(Endpoint.newBuilder().setIp("10.244.1.7").setPort(40000).build())
                .setDestination(Endpoint.newBuilder().setIp(destinationIp).setPort(destinationPort).build())
                .setNetwork(NetworkInfo.newBuilder().setTransport("tcp").setDirection("egress").build())
                .build();
    }

    /** A Tetragon-style file kprobe event. */
    static SecurityEvent file(String executable, String path) {
        return base("tetragon", List.of("file"), List.of("access"))
                .setProcess(ProcessInfo.newBuilder().setExecutable(executable).setCommandLine(executable).build())
                .setFile(FileInfo.newBuilder().setPath(path).build())
                .build();
    }

    /** A Kubernetes audit event as the audit parser normalizes it. */
    /** A Kubernetes audit event; {@code podSpec} is the summary of the pod spec it writes, or null. */
    static SecurityEvent audit(String verb, String resource, String subresource, String namespace, int code,
                               PodSpecFacts podSpec) {
        KubernetesAudit audit = KubernetesAudit.newBuilder()
                .setAuditId("8e4c5a3b").setStage("ResponseComplete").setVerb(verb).setResource(resource)
                .setSubresource(subresource).setObjectNamespace(namespace).setObjectName("web-0")
                .setSubjectUser("system:serviceaccount:payments:deployer")
                .setSubjectGroups(List.of("system:serviceaccounts", "system:authenticated"))
                .setSourceIps(List.of("10.0.0.5")).setResponseCode(code).setUserAgent("kubectl/v1.30.0")
                .build();
        return base("k8s-audit", List.of("iam"), List.of("creation", "allowed"))
                .setKubernetesAudit(audit)
                .setKubernetes(podSpec == null ? null : KubernetesInfo.newBuilder().setNamespace(namespace)
                        .setPodSpec(podSpec).build())
                .build();
    }

    static SecurityEvent.Builder base(String format, List<String> categories, List<String> types) {
        return SecurityEvent.newBuilder()
                .setId("evt-1")
                .setTimestamp(1_700_000_000_000_000_000L)
                .setSourceFormat(format)
                .setEvent(EventInfo.newBuilder().setCategory(categories).setType(types).build());
    }

    /** A rule document around a detection (indented by four spaces). */
    static String rule(String logsource, String detection) {
        return "title: Test rule\nid: test-rule\nstatus: test\nlevel: high\nlogsource:\n    " + logsource
                + "\ndetection:\n" + detection.stripTrailing().indent(4);
    }

    /** A process_creation rule around a detection. */
    static String processRule(String detection) {
        return rule(PROCESS_CREATION, detection);
    }

    /** Loads one rule text with the engine, asserting that it loads. */
    static CompiledRuleSet load(SigmaEngine engine, String yaml) {
        LoadReport report = engine.loadSources(Map.of("test.yml", yaml));
        assertThat(report.skipped()).as("skipped rules").isEmpty();
        assertThat(report.notApplicable()).as("not applicable rules").isEmpty();
        return report.ruleSet();
    }

    /** True when the process_creation rule around {@code detection} fires on {@code event}. */
    static boolean fires(String detection, SecurityEvent event) {
        return fires(PROCESS_CREATION, detection, event);
    }

    /** True when the rule of this logsource around {@code detection} fires on {@code event}. */
    static boolean fires(String logsource, String detection, SecurityEvent event) {
        return !load(SigmaEngine.create(), rule(logsource, detection)).match(event).isEmpty();
    }

    /** The failure when loading a rule text that must be skipped. */
    static RuleProblem failure(SigmaEngine engine, String source, String yaml) {
        LoadReport report = engine.loadSources(Map.of(source, yaml));
        assertThat(report.skipped()).as("skipped rules").hasSize(1);
        return report.skipped().get(0);
    }
}
