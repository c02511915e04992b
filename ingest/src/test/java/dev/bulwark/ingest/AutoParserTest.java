package dev.bulwark.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.bulwark.samples.Samples;

class AutoParserTest {

    private static String detect(String record) throws ParseException {
        return AutoParser.detect(record.getBytes(StandardCharsets.UTF_8));
    }

    private static String detectFile(String sample) throws Exception {
        return AutoParser.detect(Files.readAllBytes(Samples.path(sample)));
    }

    @Test
    void recognizesEverySourceByItsShape() throws Exception {
        for (String line : Samples.lines("falco/falco_alerts_real.ndjson")) {
            if (line.contains("\"priority\"") && line.contains("\"output\"") && line.startsWith("{")) {
                assertThat(detect(line)).as(line).isEqualTo("falco");
            }
        }
        for (String line : Samples.lines("tetragon/tetragon_docs_events.ndjson")) {
            assertThat(detect(line)).as(line).isEqualTo("tetragon");
        }
        for (String line : Samples.lines("k8s_audit/k8s_audit_selected.ndjson")) {
            if (line.startsWith("{\"annotations\"") || line.contains("\"auditID\"")) {
                assertThat(detect(line)).as(line).isEqualTo("k8s-audit");
            }
        }
        assertThat(detectFile("trivy/alpine-310.json.golden")).isEqualTo("trivy");
        for (String report : List.of("kyverno_docs_policyreport_pod.json", "kyverno_docs_openreports_report_list.json",
                "kyverno_docs_vap_policyreport_list.json", "kyverno_blog_ivpol_policyreport.json",
                "kyverno_conformance_verify_image_background_audit.json",
                "kyverno_conformance_clusterpolicyreport_properties.json")) {
            assertThat(detectFile("policy_reports/" + report)).as(report).isEqualTo("policy-report");
        }
        for (String report : List.of("trivy_compliance_report_all.json", "trivy_compliance_report_summary.json",
                "trivy_docs_aws_cis_summary.json", "trivy_operator_docs_nsa_summary.json", "trivy_operator_docs_nsa_detail.json",
                "trivy_operator_docs_cis_summary.json")) {
            assertThat(detectFile("trivy_compliance/" + report)).as(report).isEqualTo("trivy-compliance");
        }
        assertThat(detect("{\"ID\":\"k8s-pss-baseline-0.1\",\"Title\":\"PSS baseline\"}")).isEqualTo("trivy-compliance");
        for (String file : List.of("trivy_operator_polr_adapter_readme.ndjson", "openreports_repo_samples.ndjson")) {
            for (String line : Samples.lines("policy_reports/" + file)) {
                // Also the openreports samples of kinds that API group lacks: the policy-report parser says why.
                assertThat(detect(line)).as(line).isEqualTo("policy-report");
            }
        }
        assertThat(detectFile("k8s_rbac/capsule_namespace_solar-production.json")).isEqualTo("k8s-objects");
        assertThat(detectFile("k8s_rbac/capsule_rolebindings_solar-production.json")).isEqualTo("k8s-objects");
        assertThat(detect("{\"type\":\"DELETED\",\"object\":{\"kind\":\"Namespace\",\"metadata\":{\"name\":\"a\"}}}"))
                .isEqualTo("k8s-objects");
        for (String line : Samples.lines("container_logs/docker_json_file_lines.log")) {
            if (line.startsWith("{")) {
                assertThat(detect(line)).as(line).isEqualTo("docker");
            }
        }
        assertThat(detect("2016-10-06T00:17:09.669794202Z stdout F The content of the log entry 1")).isEqualTo("cri");
        assertThat(detect("2016-10-06T00:17:10.113242941+02:00 stderr P partial")).isEqualTo("cri");
    }

    @Test
    void unknownRecordsAreRejectedWithWhatWasLookedFor() {
        assertThatThrownBy(() -> detect("{\"hello\":\"world\"}")).isInstanceOf(ParseException.class)
                .hasMessageContaining("none of falco");
        assertThatThrownBy(() -> detect("GET / HTTP/1.1")).isInstanceOf(ParseException.class)
                .hasMessageContaining("not JSON and not a CRI log line");
        assertThatThrownBy(() -> detect("   ")).isInstanceOf(ParseException.class).hasMessageContaining("empty");
        assertThatThrownBy(() -> detect("{\"a\":")).isInstanceOf(ParseException.class).hasMessageContaining("invalid JSON");
        assertThatThrownBy(() -> detect("\u0000\u0001binary")).isInstanceOf(ParseException.class);
    }

    @Test
    void autoDelegatesToTheDetectedParser() throws Exception {
        SourceParser auto = Parsers.forFormat("auto");
        String alert = Samples.lines("falco/falco_alerts_real.ndjson").get(0);
        Normalized normalized = auto.normalize(alert.getBytes(StandardCharsets.UTF_8), "t:1");
        assertThat(normalized.events()).hasSize(1);
        assertThat(normalized.events().get(0).getSourceFormat()).isEqualTo("falco");
    }

    @Test
    void autoGivesExactlyWhatTheFormatsOwnParserGivesForEveryJsonSource() throws Exception {
        SourceParser auto = Parsers.forFormat("auto");
        java.util.Map<String, java.util.List<String>> samples = java.util.Map.of(
                "falco", Samples.lines("falco/falco_alerts_real.ndjson"),
                "tetragon", Samples.lines("tetragon/tetragon_docs_events.ndjson"),
                "trivy", java.util.List.of(Files.readString(Samples.path("trivy/alpine-310.json.golden"))),
                "k8s-objects", java.util.List.of(Files.readString(
                        Samples.path("k8s_rbac/capsule_rolebindings_solar-production.json"))),
                "policy-report", java.util.List.of(Files.readString(
                        Samples.path("policy_reports/kyverno_docs_vap_policyreport_list.json")),
                        Files.readString(Samples.path("policy_reports/kyverno_docs_policyreport_pod.json"))),
                "trivy-compliance", java.util.List.of(Files.readString(
                        Samples.path("trivy_compliance/trivy_operator_docs_nsa_detail.json"))));
        int compared = 0;
        for (var entry : samples.entrySet()) {
            SourceParser own = Parsers.forFormat(entry.getKey());
            for (String record : entry.getValue()) {
                byte[] bytes = record.getBytes(StandardCharsets.UTF_8);
                Normalized expected;
                try {
                    expected = own.normalize(bytes, "t:1");
                } catch (ParseException e) {
                    continue; // the samples hold some deliberately broken records
                }
                Normalized actual = auto.normalize(bytes, "t:1");
                assertThat(withoutIngestTime(actual.events())).as(entry.getKey())
                        .isEqualTo(withoutIngestTime(expected.events()));
                assertThat(actual.contextUpdates()).as(entry.getKey()).isEqualTo(expected.contextUpdates());
                compared++;
            }
        }
        assertThat(compared).isGreaterThan(10);
    }

    /** The events with {@code event.ingested} (the clock at parsing) cleared, so two parses compare equal. */
    private static java.util.List<dev.bulwark.schemas.SecurityEvent> withoutIngestTime(
            java.util.List<dev.bulwark.schemas.SecurityEvent> events) {
        return events.stream().map(e -> {
            dev.bulwark.schemas.SecurityEvent copy = dev.bulwark.schemas.SecurityEvent.newBuilder(e).build();
            if (copy.getEvent() != null) {
                copy.getEvent().setIngested(0L);
            }
            return copy;
        }).toList();
    }
}
