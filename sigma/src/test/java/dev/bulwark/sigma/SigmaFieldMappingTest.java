package dev.bulwark.sigma;

import static dev.bulwark.sigma.SigmaTestSupport.exec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.bulwark.schemas.ContainerInfo;
import dev.bulwark.schemas.KubernetesInfo;
import dev.bulwark.schemas.LogLine;
import dev.bulwark.schemas.PodSpecFacts;
import dev.bulwark.schemas.ProcessInfo;
import dev.bulwark.schemas.SecurityEvent;

/** Field mapping: names, fallbacks, warnings, overrides, value translation and logsource selection. */
class SigmaFieldMappingTest {

    @Test
    void unmappedFieldLoadsWithAWarningAndIsAlwaysAbsent() {
        String yaml = SigmaTestSupport.processRule("""
                selection:
                    Image|endswith: '/nc'
                filter:
                    IntegrityLevel: 'High'
                condition: selection and not filter
                """);
        LoadReport report = SigmaEngine.create().loadSources(Map.of("unmapped.yml", yaml));
        assertThat(report.loaded()).hasSize(1);
        assertThat(report.warnings()).singleElement().satisfies(w -> {
            assertThat(w.reason()).isEqualTo("field 'IntegrityLevel' is not mapped for logsource "
                    + "'linux_process_creation' (product=linux category=process_creation); it is always absent");
            assertThat(w.location().line()).isEqualTo(12);
            assertThat(w.rule()).isEqualTo("test-rule");
        });
        assertThat(report.ruleSet().match(exec("/bin/nc", "nc"))).as("the filter never applies").hasSize(1);
    }

    @Test
    void userMappingOverridesAndExtendsTheDefaults() throws SigmaRuleException {
        FieldMapping mapping = FieldMapping.defaults().withOverrides("site.yaml", """
                logsources:
                    linux_process_creation:
                        fields:
                            ContainerImage: container.image_name
                            User: [process.user_name, user.name]
                """);
        String yaml = SigmaTestSupport.processRule("""
                selection:
                    ContainerImage|startswith: 'docker.io/library/'
                    User: 'alice'
                condition: selection
                """);
        SecurityEvent event = exec("/bin/sh", "sh");
        event.setContainer(ContainerInfo.newBuilder().setId("c1").setImageName("docker.io/library/alpine").build());
        event.getProcess().setUserName("alice");
        LoadReport report = SigmaEngine.create(mapping).loadSources(Map.of("r.yml", yaml));
        assertThat(report.warnings()).isEmpty();
        assertThat(report.ruleSet().match(event)).hasSize(1);
        assertThat(mapping.logsourceFor(SigmaLogsource.of("linux", "process_creation", null)).orElseThrow()
                .fields()).containsKeys("Image", "ContainerImage");
        assertThat(SigmaEngine.create().loadSources(Map.of("r.yml", yaml)).skipped())
                .as("without the user's mapping the rule needs an unmapped field: it can never fire").singleElement()
                .satisfies(p -> assertThat(p.reason()).contains("field 'ContainerImage' is not mapped"));
    }

    @Test
    void invalidEventPathInMappingIsAnErrorWithItsLine() {
        assertThatThrownBy(() -> FieldMapping.defaults().withOverrides("site.yaml", """
                fields:
                    Foo: process.no_such_field
                """)).isInstanceOfSatisfying(SigmaRuleException.class, e -> {
                    assertThat(e.getMessage()).startsWith("site.yaml:2:10: field 'Foo': no field 'no_such_field' in "
                            + "'process'");
                });
        assertThatThrownBy(() -> EventPaths.compile("attributes.k8s")).hasMessageContaining("not a record");
        assertThatThrownBy(() -> EventPaths.compile("process['x']")).hasMessageContaining("is not a map");
    }

    @Test
    void sigmaHqsBareApiGroupFieldIsTheAuditEventsObjectRefApiGroup() {
        String detection = """
                selection:
                    verb: list
                    apiGroup: rbac.authorization.k8s.io
                condition: selection
                """;
        SecurityEvent listRoles = SigmaTestSupport.base("k8s-audit", List.of("iam"), List.of("info"))
                .setKubernetesAudit(dev.bulwark.schemas.KubernetesAudit.newBuilder().setVerb("list")
                        .setResource("clusterroles").setApiGroup("rbac.authorization.k8s.io").build())
                .build();
        assertThat(SigmaTestSupport.fires(SigmaTestSupport.KUBERNETES_AUDIT, detection, listRoles)).isTrue();
        listRoles.getKubernetesAudit().setApiGroup("apps");
        assertThat(SigmaTestSupport.fires(SigmaTestSupport.KUBERNETES_AUDIT, detection, listRoles)).isFalse();
    }

    @Test
    void valueTranslationMapsDirectionToInitiated() {
        String detection = """
                selection:
                    Initiated: 'false'
                condition: selection
                """;
        SecurityEvent inbound = SigmaTestSupport.connect("/usr/sbin/sshd", "10.0.0.9", 22);
        inbound.getNetwork().setDirection("ingress");
        assertThat(SigmaTestSupport.fires(SigmaTestSupport.NETWORK_CONNECTION, detection, inbound)).isTrue();
        assertThat(SigmaTestSupport.fires(SigmaTestSupport.NETWORK_CONNECTION, detection,
                SigmaTestSupport.connect("/usr/bin/curl", "10.0.0.9", 443))).isFalse();
    }

    @Test
    void splitTurnsJoinedAttributesIntoLists() throws Exception {
        // A site mapping can point a Sigma field at a comma-joined attribute (here Falco's container.mounts).
        FieldMapping mapping = FieldMapping.defaults().withOverrides("site.yaml", """
                logsources:
                  kubernetes_audit:
                    fields:
                      hostPath: {path: "attributes['mounts']", split: ','}
                """);
        String rule = SigmaTestSupport.rule(SigmaTestSupport.KUBERNETES_AUDIT, """
                selection:
                    hostPath: '/var/run/docker.sock'
                condition: selection
                """);
        var rules = SigmaEngine.create(mapping).loadSources(Map.of("r.yml", rule)).ruleSet();
        assertThat(rules.match(SecurityEvent.newBuilder(SigmaTestSupport.audit("create", "pods", null, "a", 201, null))
                .setAttributes(Map.of("mounts", "/etc, /var/run/docker.sock")).build())).hasSize(1);
        assertThat(rules.match(SecurityEvent.newBuilder(SigmaTestSupport.audit("create", "pods", null, "a", 201, null))
                .setAttributes(Map.of("mounts", "/var/run/docker.sock.bak")).build())).isEmpty();
    }

    @Test
    void aListFieldMatchesWhenAnyElementDoes() {
        String detection = """
                selection:
                    hostPath: '/var/run/docker.sock'
                condition: selection
                """;
        assertThat(SigmaTestSupport.fires(SigmaTestSupport.KUBERNETES_AUDIT, detection, SigmaTestSupport.audit("create",
                "pods", null, "a", 201, PodSpecFacts.newBuilder().setHostPathMounts(List.of("/etc", "/var/run/docker.sock"))
                        .build()))).isTrue();
        assertThat(SigmaTestSupport.fires(SigmaTestSupport.KUBERNETES_AUDIT, detection, SigmaTestSupport.audit("create",
                "pods", null, "a", 201, PodSpecFacts.newBuilder().setHostPathMounts(List.of("/var/run/docker.sock.bak"))
                        .build()))).isFalse();
    }

    @Test
    void falcoProcessAlertsReachProcessRulesButFileAlertsDoNot() {
        String detection = """
                selection:
                    CommandLine|contains: 'bash'
                condition: selection
                """;
        SecurityEvent shell = SigmaTestSupport.base("falco", List.of("intrusion_detection", "process"), List.of("info"))
                .setProcess(ProcessInfo.newBuilder().setName("sh").setCommandLine("sh -c clear; (bash || ash || sh)")
                        .build())
                .build();
        SecurityEvent fileAlert = SigmaTestSupport.base("falco", List.of("intrusion_detection", "process", "file"),
                        List.of("info"))
                .setProcess(ProcessInfo.newBuilder().setName("bash").setCommandLine("bash -c cat /etc/shadow").build())
                .setAttributes(Map.of("evt.type", "openat"))
                .build();
        SecurityEvent execAlert = SigmaTestSupport.base("falco", List.of("intrusion_detection", "process", "file"),
                        List.of("info"))
                .setProcess(ProcessInfo.newBuilder().setName("bash").setCommandLine("bash -i").build())
                .setAttributes(Map.of("evt.type", "execve"))
                .build();
        assertThat(SigmaTestSupport.fires(detection, shell)).isTrue();
        assertThat(SigmaTestSupport.fires(detection, fileAlert)).isFalse();
        assertThat(SigmaTestSupport.fires(detection, execAlert)).isTrue();
    }

    @Test
    void bulwarkLogsourceTakesEventPathsAndSearchesLogMessages() {
        String native_ = SigmaTestSupport.rule("product: bulwark", """
                selection:
                    container.image_name|startswith: 'docker.io/'
                    kubernetes.pod_spec.privileged: 'true'
                    attributes['k8s.audit.level']: 'RequestResponse'
                condition: selection
                """);
        SecurityEvent event = SigmaTestSupport.base("k8s-audit", List.of("iam"), List.of("creation"))
                .setContainer(ContainerInfo.newBuilder().setImageName("docker.io/library/nginx").build())
                .setKubernetes(KubernetesInfo.newBuilder().setPodSpec(PodSpecFacts.newBuilder().setPrivileged(true).build())
                        .build())
                .setAttributes(Map.of("k8s.audit.level", "RequestResponse"))
                .build();
        LoadReport report = SigmaEngine.create().loadSources(Map.of("native.yml", native_));
        assertThat(report.warnings()).isEmpty();
        assertThat(report.ruleSet().match(event)).hasSize(1);

        String keywords = SigmaTestSupport.rule("product: bulwark", """
                keywords:
                    - 'segfault at'
                    - 'Out of memory: Killed process'
                condition: keywords
                """);
        SecurityEvent log = SigmaTestSupport.base("cri", List.of("process"), List.of("info"))
                .setLog(LogLine.newBuilder().setMessage("kernel: OUT OF MEMORY: killed process 4242 (java)").build())
                .build();
        assertThat(SigmaEngine.create().loadSources(Map.of("k.yml", keywords)).ruleSet().match(log)).hasSize(1);
        log.getLog().setMessage("all good");
        assertThat(SigmaEngine.create().loadSources(Map.of("k.yml", keywords)).ruleSet().match(log)).isEmpty();
    }

    @Test
    void mostSpecificLogsourceEntryWins() {
        FieldMapping mapping = FieldMapping.defaults();
        assertThat(mapping.logsourceFor(SigmaLogsource.of("kubernetes", "application", "audit")))
                .map(LogsourceMapping::name).contains("kubernetes_audit");
        assertThat(mapping.logsourceFor(SigmaLogsource.of("linux", "process_creation", null)))
                .map(LogsourceMapping::name).contains("linux_process_creation");
        assertThat(mapping.logsourceFor(SigmaLogsource.of("LINUX", "Process_Creation", null))).isPresent();
        assertThat(mapping.logsourceFor(SigmaLogsource.of("linux", null, "auditd"))).isEmpty();
    }
}
