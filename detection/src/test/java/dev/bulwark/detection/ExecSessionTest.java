package dev.bulwark.detection;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.KStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulwark.detectors.api.Detector;
import dev.bulwark.detectors.api.DetectorApi;
import dev.bulwark.detectors.api.DetectorContext;
import dev.bulwark.detectors.api.FindingBuilder;
import dev.bulwark.detectors.api.Severity;
import dev.bulwark.schemas.ContainerInfo;
import dev.bulwark.schemas.EventInfo;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.KubernetesAttributes;
import dev.bulwark.schemas.KubernetesAudit;
import dev.bulwark.schemas.KubernetesInfo;
import dev.bulwark.schemas.ParentProcess;
import dev.bulwark.schemas.ProcessInfo;
import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.schemas.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * Exec-session attribution: process events of a {@code kubectl exec} carry who ran it onto every finding they cause,
 * whichever of the audit event and the process events arrives first, for two sessions in one pod at once, for Falco
 * (pid and parent pid) and Tetragon (exec ids); and nothing is lost or held for long when no session fits.
 */
class ExecSessionTest {

    private static final Instant T = Instant.parse("2026-03-01T10:00:00Z");
    private static final Duration GRACE = Duration.ofSeconds(10);
    private static final Duration WAIT = Duration.ofSeconds(5);

    @TempDir
    Path state;

    private final Topics topics = Topics.withPrefix("s.");
    private TopologyTestDriver driver;
    private TestInputTopic<String, SecurityEvent> events;
    private TestOutputTopic<String, Finding> findings;

    @BeforeEach
    void start() {
        var topology = DetectionTopology.build(topics, List.of(new EveryProcess()), new TenantResolver(Map.of()),
                Map.of(), new SimpleMeterRegistry(), new DetectionTopology.EnrichmentSettings(Duration.ZERO, 100,
                        1 << 20, false, new DetectionTopology.SessionSettings(GRACE, WAIT, Duration.ofHours(1), 1000,
                        Duration.ofHours(24))), new DetectionTopology.PostureSettings(false, Duration.ofMinutes(1)));
        Properties props = DetectionTopology.streamsConfig(topics, "s:9092", "s", state.toString(), false);
        driver = new TopologyTestDriver(topology, props, T);
        events = driver.createInputTopic(topics.events().name(), Serdes.String().serializer(),
                topics.events().valueSerde().serializer());
        findings = driver.createOutputTopic(topics.findings().name(), Serdes.String().deserializer(),
                topics.findings().valueSerde().deserializer());
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    @Test
    void aTetragonExecAndItsDescendantsCarryTheSessionAndOtherProcessesDoNot() {
        events.pipeInput("object/shop/pods/web-1", audit("a-1", "create", "web-1", "app", "alice", null, 0,
                "bash"));
        events.pipeInput("container/c1", tetragon("c1", "app", "web-1", "e-bash", "/bin/bash", "e-runc", "/usr/bin/runc",
                200));
        events.pipeInput("container/c1", tetragon("c1", "app", "web-1", "e-curl", "/usr/bin/curl", "e-bash",
                "/bin/bash", 900));
        events.pipeInput("container/c1", tetragon("c1", "app", "web-1", "e-sleep", "/bin/sleep", "e-init",
                "/usr/local/bin/app", 950));
        List<Finding> out = findings.readValuesToList();
        assertThat(out).extracting(ExecSessionTest::program).containsExactly("bash", "curl", "sleep");
        assertThat(out.subList(0, 2)).allSatisfy(f -> {
            assertThat(f.getEvidence().getFields()).containsEntry(FindingBuilder.SESSION_USER, "alice")
                    .containsEntry(FindingBuilder.SESSION_AUDIT_ID, "a-1").containsKey(FindingBuilder.SESSION_ID);
        });
        assertThat(out.get(2).getEvidence().getFields()).doesNotContainKey(FindingBuilder.SESSION_USER);
    }

    @Test
    void aFalcoShellThatArrivesBeforeItsAuditEventWaitsForItWithItsChildrenInOrder() {
        // An earlier session elsewhere: the audit log reaches Bulwark, so an unmatched root waits.
        events.pipeInput("object/shop/pods/db-0", audit("a-0", "create", "db-0", "db", "carol", null, -60_000,
                "psql"));
        events.pipeInput("container/c2", falco("c2", "app", "web-2", 4242, "sh", 4200, "runc", 100));
        events.pipeInput("container/c2", falco("c2", "app", "web-2", 4300, "wget", 4242, "sh", 400));
        assertThat(findings.readValuesToList()).as("both wait for the audit event").isEmpty();
        events.pipeInput("object/shop/pods/web-2", audit("a-2", "create", "web-2", "app", "bob", null, 0, "sh", "-c",
                "clear; (bash || ash || sh)"));
        driver.advanceWallClockTime(Duration.ofSeconds(3));
        List<Finding> out = findings.readValuesToList();
        assertThat(out).extracting(ExecSessionTest::program).containsExactly("sh", "wget");
        assertThat(out).allSatisfy(f -> assertThat(f.getEvidence().getFields())
                .containsEntry(FindingBuilder.SESSION_USER, "bob").containsEntry(FindingBuilder.SESSION_AUDIT_ID, "a-2"));
    }

    @Test
    void twoConcurrentSessionsInOnePodEachGetTheirOwnProcesses() {
        events.pipeInput("object/shop/pods/web-1", audit("a-alice", "create", "web-1", "app", "alice", null, 0,
                "bash"));
        events.pipeInput("object/shop/pods/web-1", audit("a-bob", "create", "web-1", "app", "bob", null, 500, "sh"));
        events.pipeInput("object/shop/pods/web-1", audit("a-dave", "create", "web-1", "app", "dave", null, 3000,
                "bash"));
        // Out of order and interleaved: bob's shell first, then alice's, then dave's, then their children.
        events.pipeInput("container/c1", falco("c1", "app", "web-1", 20, "sh", 5, "runc", 600));
        events.pipeInput("container/c1", falco("c1", "app", "web-1", 10, "bash", 5, "runc", 100));
        events.pipeInput("container/c1", falco("c1", "app", "web-1", 30, "bash", 5, "runc", 3100));
        events.pipeInput("container/c1", falco("c1", "app", "web-1", 11, "cat", 10, "bash", 3200));
        events.pipeInput("container/c1", falco("c1", "app", "web-1", 21, "id", 20, "sh", 3300));
        events.pipeInput("container/c1", falco("c1", "app", "web-1", 31, "nc", 30, "bash", 3400));
        List<Finding> out = findings.readValuesToList();
        assertThat(out).extracting(ExecSessionTest::program).containsExactly("sh", "bash", "bash", "cat", "id", "nc");
        assertThat(out).extracting(f -> f.getEvidence().getFields().get(FindingBuilder.SESSION_USER))
                .containsExactly("bob", "alice", "dave", "alice", "bob", "dave");
    }

    @Test
    void aWebSocketExecThroughImpersonationIsTheImpersonatedUsers() {
        events.pipeInput("object/shop/pods/web-1", audit("a-ws", "get", "web-1", "app", "admin", "dev-jane", 0, "sh"));
        events.pipeInput("container/c1", falco("c1", "app", "web-1", 7, "sh", 1, "containerd-shim", 50));
        Finding finding = findings.readValue();
        assertThat(finding.getEvidence().getFields()).containsEntry(FindingBuilder.SESSION_USER, "dev-jane");
        var session = ExecSessions.of(audit("a-ws", "get", "web-1", "app", "admin", "dev-jane", 0, "sh"));
        assertThat(session.getAuthenticatedUser()).isEqualTo("admin");
        assertThat(session.getCommand()).containsExactly("sh");
    }

    @Test
    void aRefusedExecOpensNoSessionAndAnUnmatchedRootGoesOnAfterTheGrace() {
        SecurityEvent refused = audit("a-no", "create", "web-1", "app", "mallory", null, 0, "sh");
        refused.getKubernetesAudit().setDecision("forbid");
        refused.getKubernetesAudit().setResponseCode(403);
        assertThat(ExecSessions.of(refused)).isNull();
        events.pipeInput("object/shop/pods/web-1", refused);
        events.pipeInput("object/shop/pods/db-0", audit("a-0", "create", "db-0", "db", "carol", null, -60_000,
                "psql"));
        // The container's entrypoint (started by the runtime too, no terminal) goes on at once; a refused exec's
        // would-be shell (a terminal) waits for a session in vain, then goes on without one.
        events.pipeInput("container/c2", falco("c2", "app", "web-1", 1, "nginx", 0, "containerd-shim", 10));
        assertThat(findings.readValuesToList()).extracting(ExecSessionTest::program).containsExactly("nginx");
        events.pipeInput("container/c1", falco("c1", "app", "web-1", 9, "sh", 0, "runc", 20));
        assertThat(findings.readValuesToList()).isEmpty();
        driver.advanceWallClockTime(WAIT.plusSeconds(1));
        List<Finding> out = findings.readValuesToList();
        assertThat(out).extracting(ExecSessionTest::program).containsExactly("sh");
        assertThat(out.get(0).getEvidence().getFields()).doesNotContainKey(FindingBuilder.SESSION_USER);
    }

    @Test
    void onlyWhatLooksExecedWaits() {
        ProcessInfo execd = tetragon("c", "app", "p", "e", "/bin/bash", "r",
                "/usr/bin/runc", 0).getProcess();
        execd.getParent().setCommandLine("/usr/bin/runc --root /var/run/runc exec --process /tmp/runc-process1 --detach x");
        assertThat(ExecSessions.looksExeced(execd)).isTrue();
        ProcessInfo entrypoint = tetragon("c", "app", "p", "e", "/usr/local/bin/agent", "s",
                "/usr/bin/containerd-shim", 0).getProcess();
        entrypoint.getParent().setCommandLine("/usr/bin/containerd-shim -namespace moby -workdir /var/lib/containerd");
        assertThat(ExecSessions.looksExeced(entrypoint)).isFalse();
        assertThat(ExecSessions.looksExeced(falco("c", "app", "p", 3, "bash", 1, "runc", 0).getProcess()))
                .as("a terminal").isTrue();
        assertThat(ExecSessions.looksExeced(falco("c", "app", "p", 3, "nginx", 1, "runc", 0).getProcess())).isFalse();
        assertThat(ExecSessions.looksExeced(falco("c", "app", "p", 3, "sh", 1, "node", 0).getProcess()))
                .as("not started by the runtime").isFalse();
    }

    @Test
    void withoutAnyAuditLogNothingWaits() {
        events.pipeInput("container/c1", falco("c1", "app", "web-1", 9, "sh", 0, "runc", 20));
        assertThat(findings.readValuesToList()).hasSize(1);
    }

    private static String program(Finding finding) {
        return finding.getSummary();
    }

    private static SecurityEvent audit(String auditId, String verb, String pod, String container, String user,
                                       String impersonated, long offsetMillis, String... command) {
        StringBuilder uri = new StringBuilder("/api/v1/namespaces/shop/pods/" + pod + "/exec?");
        for (String part : command) {
            uri.append("command=").append(java.net.URLEncoder.encode(part, java.nio.charset.StandardCharsets.UTF_8))
                    .append('&');
        }
        uri.append("container=").append(container).append("&stdin=true&tty=true");
        Instant received = T.plusMillis(offsetMillis);
        return SecurityEvent.newBuilder().setId(auditId).setTimestamp(received.toEpochMilli() * 1_000_000L + 35_000_000L)
                .setSourceFormat("k8s-audit").setEvent(EventInfo.newBuilder().build())
                .setKubernetesAudit(KubernetesAudit.newBuilder().setAuditId(auditId).setStage("ResponseStarted")
                        .setVerb(verb).setResource("pods").setSubresource("exec").setObjectNamespace("shop")
                        .setObjectName(pod).setSubjectUser(user).setImpersonatedUser(impersonated)
                        .setRequestUri(uri.toString()).setResponseCode(101).setDecision("allow").build())
                .setAttributes(new java.util.HashMap<>(Map.of(KubernetesAttributes.AUDIT_REQUEST_RECEIVED_TIMESTAMP,
                        received.toString())))
                .build();
    }

    private static SecurityEvent falco(String containerId, String container, String pod, long pid, String name,
                                       long ppid, String parent, long offsetMillis) {
        boolean shell = List.of("sh", "bash").contains(name); // kubectl exec -it: a terminal, as Falco's proc.tty says
        return process(containerId, container, pod, offsetMillis, ProcessInfo.newBuilder().setPid(pid).setName(name)
                .setTty(shell ? 34816L : null)
                .setParent(ParentProcess.newBuilder().setPid(ppid).setName(parent).build()).build());
    }

    private static SecurityEvent tetragon(String containerId, String container, String pod, String execId,
                                          String binary, String parentExecId, String parentBinary, long offsetMillis) {
        return process(containerId, container, pod, offsetMillis, ProcessInfo.newBuilder().setEntityId(execId)
                .setExecutable(binary).setName(ExecSessions.basename(binary))
                .setParent(ParentProcess.newBuilder().setEntityId(parentExecId).setExecutable(parentBinary)
                        .setName(ExecSessions.basename(parentBinary)).build()).build());
    }

    private static SecurityEvent process(String containerId, String container, String pod, long offsetMillis,
                                         ProcessInfo process) {
        return SecurityEvent.newBuilder().setId(containerId + "-" + process.getName() + "-" + offsetMillis)
                .setTimestamp(T.plusMillis(offsetMillis).toEpochMilli() * 1_000_000L).setSourceFormat("test")
                .setEvent(EventInfo.newBuilder().setKind("event").build())
                .setKubernetes(KubernetesInfo.newBuilder().setNamespace("shop").setPod(pod).build())
                .setContainer(ContainerInfo.newBuilder().setId(containerId).setName(container).build())
                .setProcess(process).build();
    }

    /** A finding for every process event, summarised by its program. */
    private static final class EveryProcess implements Detector {
        @Override
        public String name() {
            return "every-process";
        }

        @Override
        public String apiVersion() {
            return DetectorApi.VERSION;
        }

        @Override
        public KStream<String, Finding> build(DetectorContext context) {
            return context.events().filter((key, event) -> event.getProcess() != null, context.named("processes"))
                    .mapValues(event -> context.finding(event).rule("process", "Process").severity(Severity.LOW)
                            .summary(event.getProcess().getName()).build(), context.named("finding"));
        }
    }
}
