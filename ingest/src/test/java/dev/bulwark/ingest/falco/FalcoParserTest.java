package dev.bulwark.ingest.falco;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.bulwark.ingest.ParseException;
import dev.bulwark.samples.Samples;
import dev.bulwark.schemas.SecurityEvent;

class FalcoParserTest {

    private final FalcoParser parser = new FalcoParser();

    private SecurityEvent parseOne(String line) throws ParseException {
        List<SecurityEvent> events = parser.parse(line.getBytes(UTF_8), "test:1");
        assertThat(events).hasSize(1);
        return events.get(0);
    }

    @Test
    void parsesEveryRealSampleAlert() throws Exception {
        List<String> lines = Samples.lines("falco/falco_alerts_real.ndjson");
        assertThat(lines).hasSize(14);
        for (String line : lines) {
            SecurityEvent event = parseOne(line);
            assertThat(event.getEvent().getKind()).isEqualTo("alert");
            assertThat(event.getRule().getName()).isNotBlank();
            assertThat(event.getTimestamp()).isPositive();
            assertThat(event.getOriginal()).isEqualTo(line);
        }
    }

    @Test
    void mapsTerminalShellAlertToEcsFieldsWithNanosecondTime() throws Exception {
        SecurityEvent event = parseOne(Samples.lines("falco/falco_alerts_real.ndjson").get(0));
        assertThat(event.getTimestamp()).isEqualTo(1_685_022_245_478_445_995L);
        assertThat(event.getRule().getName()).isEqualTo("Terminal shell in container");
        assertThat(event.getEvent().getSeverity()).isEqualTo(80);
        assertThat(event.getEvent().getDataset()).isEqualTo("falco.syscall");
        assertThat(event.getEvent().getCategory()).contains("process");
        assertThat(event.getHost().getHostname()).isEqualTo("falco-xczjd");
        assertThat(event.getContainer().getId()).isEqualTo("ee97d9c4186f");
        assertThat(event.getContainer().getImageName()).isEqualTo("docker.io/library/alpine");
        assertThat(event.getKubernetes().getNamespace()).isEqualTo("default");
        assertThat(event.getKubernetes().getPod()).isEqualTo("kubecon");
        assertThat(event.getProcess().getName()).isEqualTo("sh");
        assertThat(event.getProcess().getCommandLine()).isEqualTo("sh -c clear; (bash || ash || sh)");
        assertThat(event.getProcess().getTty()).isEqualTo(34816L);
        assertThat(event.getProcess().getInteractive()).isTrue();
        assertThat(event.getProcess().getParent().getName()).isEqualTo("runc");
        assertThat(event.getUser().getName()).isEqualTo("root");
        assertThat(event.getTags()).containsExactly("container", "mitre_execution", "shell");
        assertThat(event.getAttributes()).containsEntry("user.loginuid", "-1");
    }

    @Test
    void mapsK8sAuditAlertWithStringResponseCode() throws Exception {
        SecurityEvent event = parseOne(Samples.lines("falco/falco_alerts_real.ndjson").get(1));
        assertThat(event.getEvent().getDataset()).isEqualTo("falco.k8s_audit");
        assertThat(event.getKubernetesAudit().getResponseCode()).isEqualTo(201);
        assertThat(event.getKubernetesAudit().getDecision()).isEqualTo("allow");
        assertThat(event.getKubernetesAudit().getResource()).isEqualTo("serviceaccounts");
        assertThat(event.getKubernetesAudit().getObjectNamespace()).isEqualTo("default");
        assertThat(event.getUser().getName()).isEqualTo("system:node:ip-192-168-34-135.ec2.internal");
    }

    @Test
    void treatsNaPlaceholdersAndNullsAsAbsentAndHostAsNoContainer() throws Exception {
        List<String> lines = Samples.lines("falco/falco_alerts_real.ndjson");
        SecurityEvent old = parseOne(lines.get(6));
        assertThat(old.getContainer().getImageName()).isNull();
        // Sent as null: present without a value (Sigma's exists), kept apart from fields Falco did not send.
        assertThat(old.getNullFields()).containsExactly("attributes['container.image.repository']",
                "attributes['proc.pname']");
        assertThat(old.getAttributes()).doesNotContainKeys("container.image.repository", "proc.pname");
        assertThat(parseOne(lines.get(13)).getNullFields()).isEmpty();
        assertThat(old.getProcess().getParent()).satisfiesAnyOf(
                p -> assertThat(p).isNull(), p -> assertThat(p.getName()).isNull());
        SecurityEvent host = parseOne(lines.get(13));
        assertThat(host.getContainer()).isNull();
        assertThat(host.getFile().getPath()).isEqualTo("/etc/shadow");
    }

    @Test
    void aConnectionsDirectionComesFromItsSyscall() throws Exception {
        String template = "{\"rule\":\"r\",\"priority\":\"Notice\",\"time\":\"2026-12-07T06:00:00Z\",\"output_fields\":"
                + "{\"evt.type\":\"%s\",\"fd.sip\":\"203.0.113.9\",\"fd.sport\":443,\"fd.l4proto\":\"TCP\"}}";
        assertThat(parseOne(template.formatted("connect")).getNetwork().getDirection()).isEqualTo("egress");
        assertThat(parseOne(template.formatted("accept4")).getNetwork().getDirection()).isEqualTo("ingress");
        SecurityEvent sendto = parseOne(template.formatted("sendto"));
        assertThat(sendto.getNetwork().getDirection()).as("no direction to tell").isNull();
        assertThat(sendto.getNetwork().getTransport()).isEqualTo("tcp");
    }

    @Test
    void fallsBackToEvtTimeWhenTimeIsMissing() throws Exception {
        SecurityEvent event = parseOne("{\"rule\":\"r\",\"priority\":\"Debug\",\"output_fields\":{\"evt.time\":1610667584834631763}}");
        assertThat(event.getTimestamp()).isEqualTo(1_610_667_584_834_631_763L);
    }

    @Test
    void rejectsHostileAndBrokenRecordsWithPreciseReasons() {
        assertReason("{\"rule\":\"r\",\"priority\":\"Critical\",\"time\":\"2023-05-25T13:44", "invalid JSON");
        assertReason("[1,2,3]", "expected a JSON object, got an array");
        assertReason("{\"priority\":\"Critical\",\"time\":\"2023-05-25T13:44:05Z\"}", "missing required field 'rule'");
        assertReason("{\"rule\":\"r\",\"priority\":\"Sev9\",\"time\":\"2023-05-25T13:44:05Z\"}", "unknown Falco priority");
        assertReason("{\"rule\":\"r\",\"priority\":\"Notice\",\"time\":\"yesterday\"}", "not an RFC 3339 timestamp");
        assertReason("{\"rule\":\"r\",\"priority\":\"Notice\"}", "missing alert time");
        assertReason("{\"rule\":{\"x\":1},\"priority\":\"Notice\",\"time\":\"2023-05-25T13:44:05Z\"}", "field 'rule' must be a scalar");
        assertReason("{\"rule\":\"r\",\"priority\":\"Notice\",\"time\":\"2023-05-25T13:44:05Z\",\"output_fields\":[]}",
                "field 'output_fields' must be an object");
        assertReason("{\"rule\":\"r\",\"priority\":\"Notice\",\"time\":\"2023-05-25T13:44:05Z\",\"output_fields\":{\"proc.pid\":\"abc\"}}",
                "field 'proc.pid' must be a whole number");
        assertReason("{\"rule\":\"r\",\"rule\":\"s\",\"priority\":\"Notice\",\"time\":\"2023-05-25T13:44:05Z\"}", "Duplicate field");
        assertReason("{\"rule\":\"r\"} {\"x\":1}", "invalid JSON");
    }

    @Test
    void rejectsDeeplyNestedJsonWithoutStackOverflow() {
        String deep = "{\"rule\":\"r\",\"priority\":\"Notice\",\"time\":\"2023-05-25T13:44:05Z\",\"x\":"
                + "[".repeat(100_000) + "]".repeat(100_000) + "}";
        assertReason(deep, "safety limit");
    }

    @Test
    void rejectsInvalidUtf8() {
        byte[] bytes = "{\"rule\":\"r\",\"priority\":\"Notice\",\"time\":\"2023-05-25T13:44:05Z\",\"output\":\"\u0000\"}".getBytes(UTF_8);
        byte[] broken = new byte[bytes.length];
        System.arraycopy(bytes, 0, broken, 0, bytes.length);
        broken[bytes.length - 3] = (byte) 0xC3; // a lead byte without continuation
        assertThatThrownBy(() -> parser.parse(broken, "t")).isInstanceOf(ParseException.class)
                .hasMessageContaining("UTF-8");
    }

    private void assertReason(String record, String reason) {
        assertThatThrownBy(() -> parser.parse(record.getBytes(UTF_8), "test:1"))
                .isInstanceOf(ParseException.class)
                .hasMessageContaining(reason);
    }
}
