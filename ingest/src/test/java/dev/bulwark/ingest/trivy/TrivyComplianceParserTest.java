package dev.bulwark.ingest.trivy;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.bulwark.ingest.Framing;
import dev.bulwark.ingest.InMemoryIngest;
import dev.bulwark.ingest.ParseException;
import dev.bulwark.ingest.Parsers;
import dev.bulwark.ingest.RecordMutations;
import dev.bulwark.ingest.SafeJson;
import dev.bulwark.samples.Samples;
import dev.bulwark.schemas.PolicyResult;
import dev.bulwark.schemas.SecurityEvent;

class TrivyComplianceParserTest {

    private static final String DIR = "trivy_compliance/";
    private static final long SECOND = 1_000_000_000L;

    private final TrivyComplianceParser parser = new TrivyComplianceParser();

    // ---------------------------------------------------------------------------------------------- Trivy's own output

    @Test
    void shouldMapEachControlOfTrivysAllReport() throws Exception {
        long before = System.currentTimeMillis() * 1_000_000L;
        List<SecurityEvent> events = parse(sample("trivy_compliance_report_all.json"));
        assertThat(events).hasSize(2);
        assertThat(events).allSatisfy(event -> {
            assertThat(event.getSourceFormat()).isEqualTo("trivy-compliance");
            assertThat(event.getTimestamp()).as("Trivy's output has no time").isGreaterThanOrEqualTo(before);
            assertThat(event.getEvent().getKind()).isEqualTo("state");
            assertThat(event.getEvent().getCategory()).containsExactly("configuration");
            assertThat(event.getEvent().getDataset()).isEqualTo("trivy.compliance");
            assertThat(event.getEvent().getAction()).isEqualTo("control_result");
            assertThat(event.getEvent().getOutcome()).isEqualTo("failure");
            assertThat(event.getKubernetes()).isNull();
            assertThat(event.getVulnerability()).as("not a scan finding").isNull();
            assertThat(event.getAttributes())
                    .containsEntry("trivy.compliance.spec_id", "1234")
                    .containsEntry("trivy.compliance.title", "NSA")
                    .containsEntry("trivy.compliance.related_resources", "https://example.com")
                    .containsEntry("trivy.compliance.report", "all")
                    .containsEntry("trivy.compliance.time_source", "ingested")
                    .containsEntry("trivy.compliance.status", "FAIL")
                    .containsEntry("trivy.compliance.total_fail", "1")
                    .containsEntry("trivy.compliance.total_pass", "0")
                    .doesNotContainKey("trivy.compliance.version");
        });
        assertThat(events.get(0).getPolicy()).isEqualTo(control("trivy", "1234", "1.0", "fail", "medium", "NSA",
                "Non-root containers"));
        assertThat(events.get(0).getEvent().getSeverity()).isEqualTo(50);
        assertThat(events.get(0).getAttributes()).containsEntry("trivy.compliance.failed_checks", "AVD-KSV012");
        assertThat(events.get(1).getPolicy()).isEqualTo(control("trivy", "1234", "1.1", "fail", "low", "NSA",
                "Immutable container file systems"));
        assertThat(events.get(1).getEvent().getSeverity()).isEqualTo(30);
        assertThat(events.get(1).getAttributes()).containsEntry("trivy.compliance.failed_checks", "AVD-KSV013");
        JsonNode original = SafeJson.readObject(events.get(1).getOriginal().getBytes(UTF_8));
        assertThat(original.get("ID").asText()).isEqualTo("1.1");
        assertThat(original.get("Results")).hasSize(1);
        assertThat(events.stream().map(SecurityEvent::getId).distinct()).hasSize(2);
    }

    @Test
    void shouldMapEachControlOfTrivysSummaryReports() throws Exception {
        List<SecurityEvent> nsa = parse(sample("trivy_compliance_report_summary.json"));
        assertThat(nsa).extracting(SecurityEvent::getPolicy).containsExactly(
                control("trivy", "1234", "1.0", "fail", "medium", "NSA", "Non-root containers"),
                control("trivy", "1234", "1.1", "fail", "low", "NSA", "Immutable container file systems"));
        assertThat(nsa).allSatisfy(e -> assertThat(e.getAttributes()).containsEntry("trivy.compliance.report", "summary")
                .containsEntry("trivy.compliance.total_fail", "1").doesNotContainKey("trivy.compliance.total_pass"));

        List<SecurityEvent> aws = parse(sample("trivy_docs_aws_cis_summary.json"));
        assertThat(aws).extracting(e -> e.getPolicy().getRule() + " " + e.getPolicy().getMessage() + " "
                + e.getPolicy().getSeverity() + " " + e.getAttributes().get("trivy.compliance.total_fail"))
                .containsExactly("1.1 limit-root-account-usage low 5", "1.10 no-password-reuse medium 1");
        assertThat(aws).allSatisfy(e -> {
            assertThat(e.getPolicy().getPolicy()).isEqualTo("aws-cis-1.2");
            assertThat(e.getPolicy().getCategory()).isEqualTo("AWS CIS Foundations");
        });
    }

    // ---------------------------------------------------------------------------------------------- trivy-operator

    @Test
    void shouldMapEveryControlOfTheOperatorsNsaSummaryAsItsOwnCountsSay() throws Exception {
        List<SecurityEvent> events = parse(sample("trivy_operator_docs_nsa_summary.json"));
        assertThat(events).hasSize(27);
        assertThat(events).allSatisfy(e -> {
            assertThat(e.getTimestamp()).isEqualTo(epoch("2022-12-05T12:21:30Z"));
            assertThat(e.getPolicy().getSource()).isEqualTo("trivy-operator");
            assertThat(e.getPolicy().getPolicy()).isEqualTo("0001");
            assertThat(e.getPolicy().getCategory()).isEqualTo("nsa");
            assertThat(e.getAttributes())
                    .containsEntry("trivy.compliance.report", "summary")
                    .containsEntry("trivy.compliance.report_name", "nsa")
                    .containsEntry("trivy.compliance.report_uid", "d9991808-fb2f-4756-842f-8e9205e85b71")
                    .containsEntry("trivy.compliance.version", "1.0")
                    .containsEntry("trivy.compliance.time_source", "update_timestamp");
        });
        Map<String, Long> verdicts = events.stream().collect(Collectors.groupingBy(e -> e.getPolicy().getVerdict(),
                Collectors.counting()));
        // status.totalCounts: failCount 12, passCount 15 (trivy-operator counts the 4 manual controls as passed).
        assertThat(verdicts).containsEntry("fail", 12L).containsEntry("pass", 11L).containsEntry("skip", 4L);
        Map<String, SecurityEvent> byControl = byControl(events);
        assertThat(byControl.get("1.0").getPolicy()).isEqualTo(control("trivy-operator", "0001", "1.0", "fail", "medium",
                "nsa", "Non-root containers"));
        assertThat(byControl.get("1.0").getAttributes()).containsEntry("trivy.compliance.total_fail", "8")
                .containsEntry("trivy.compliance.checks", "AVD-KSV-0012")
                .containsEntry("trivy.compliance.control.description", "Check that container is not running as root");
        assertThat(byControl.get("1.3").getPolicy().getVerdict()).isEqualTo("pass");
        assertThat(byControl.get("1.3").getEvent().getOutcome()).isEqualTo("success");
        SecurityEvent manual = byControl.get("3.0");
        assertThat(manual.getPolicy().getVerdict()).isEqualTo("skip");
        assertThat(manual.getPolicy().getSeverity()).isEqualTo("critical");
        assertThat(manual.getEvent().getOutcome()).isEqualTo("unknown");
        assertThat(manual.getAttributes()).containsEntry("trivy.compliance.status", "MANUAL")
                .containsEntry("trivy.compliance.control.default_status", "FAIL")
                .doesNotContainKey("trivy.compliance.total_fail");
    }

    @Test
    void shouldListTheFailingTargetsAndNamespacesOfTheOperatorsNsaDetailAgreeingWithItsSummary() throws Exception {
        List<SecurityEvent> detail = parse(sample("trivy_operator_docs_nsa_detail.json"));
        List<SecurityEvent> summary = parse(sample("trivy_operator_docs_nsa_summary.json"));
        assertThat(detail).hasSize(27);
        assertThat(detail).allSatisfy(e -> {
            assertThat(e.getTimestamp()).isEqualTo(epoch("2022-12-05T08:43:10Z"));
            assertThat(e.getAttributes()).containsEntry("trivy.compliance.report", "all")
                    .containsEntry("trivy.compliance.description", "National Security Agency - Kubernetes Hardening Guidance");
        });
        // The two real reports of one cluster agree control by control.
        Map<String, SecurityEvent> summaries = byControl(summary);
        for (SecurityEvent control : detail) {
            SecurityEvent same = summaries.get(control.getPolicy().getRule());
            assertThat(control.getPolicy().getVerdict()).as(control.getPolicy().getRule()).isEqualTo(same.getPolicy().getVerdict());
            if (!"skip".equals(control.getPolicy().getVerdict())) {
                assertThat(control.getAttributes().get("trivy.compliance.total_fail")).as(control.getPolicy().getRule())
                        .isEqualTo(same.getAttributes().get("trivy.compliance.total_fail"));
            }
        }
        SecurityEvent nonRoot = byControl(detail).get("1.0");
        assertThat(nonRoot.getAttributes())
                .containsEntry("trivy.compliance.failed_targets", String.join(",",
                        "kube-system/pod-etcd-kind-control-plane", "kube-system/replicaset-coredns-558bd4d5db",
                        "kube-system/daemonset-kindnet", "kube-system/pod-kube-apiserver-kind-control-plane",
                        "kube-system/daemonset-kube-proxy", "kube-system/pod-kube-scheduler-kind-control-plane",
                        "local-path-storage/replicaset-local-path-provisioner-547f784dff",
                        "kube-system/pod-kube-controller-manager-kind-control-plane"))
                .containsEntry("trivy.compliance.failed_namespaces", "kube-system,local-path-storage")
                .containsEntry("trivy.compliance.failed_checks", "AVD-KSV-0012")
                .containsEntry("trivy.compliance.total_pass", "0");
        SecurityEvent passed = byControl(detail).get("1.3");
        assertThat(passed.getAttributes()).containsEntry("trivy.compliance.total_fail", "0")
                .containsEntry("trivy.compliance.total_pass", "1").doesNotContainKey("trivy.compliance.failed_targets");
    }

    @Test
    void shouldMapTheOperatorsCisSummary() throws Exception {
        List<SecurityEvent> events = parse(sample("trivy_operator_docs_cis_summary.json"));
        assertThat(events).hasSize(72);
        Map<String, Long> verdicts = events.stream().collect(Collectors.groupingBy(e -> e.getPolicy().getVerdict(),
                Collectors.counting()));
        // status.summary: failCount 24, passCount 48 (8 of them manual).
        assertThat(verdicts).containsEntry("fail", 24L).containsEntry("pass", 40L).containsEntry("skip", 8L);
        assertThat(events).allSatisfy(e -> {
            assertThat(e.getTimestamp()).isEqualTo(epoch("2023-01-01T10:28:00Z"));
            assertThat(e.getPolicy().getPolicy()).isEqualTo("cis");
            assertThat(e.getPolicy().getCategory()).isEqualTo("CIS Kubernetes Benchmarks v1.23");
        });
        SecurityEvent securityContext = byControl(events).get("5.7.3");
        assertThat(securityContext.getPolicy()).isEqualTo(control("trivy-operator", "cis", "5.7.3", "fail", "high",
                "CIS Kubernetes Benchmarks v1.23", "Apply Security Context to Your Pods and Containers"));
        assertThat(securityContext.getAttributes()).containsEntry("trivy.compliance.total_fail", "30");
        assertThat(byControl(events).get("5.5.1").getPolicy().getVerdict()).isEqualTo("skip");
        assertThat(events.stream().map(SecurityEvent::getId).distinct()).hasSize(72);
    }

    @Test
    void shouldAccountForEveryReportThroughTheRealIngestPath() throws Exception {
        StringBuilder input = new StringBuilder();
        for (String name : List.of("trivy_compliance_report_all.json", "trivy_compliance_report_summary.json",
                "trivy_docs_aws_cis_summary.json", "trivy_operator_docs_nsa_summary.json", "trivy_operator_docs_nsa_detail.json",
                "trivy_operator_docs_cis_summary.json")) {
            input.append(sample(name)).append('\n');
        }
        input.append("{\"Title\": \"no id\"}\n");
        InMemoryIngest.Result result = InMemoryIngest.run(input.toString().getBytes(UTF_8), "compliance.json", parser);
        assertThat(result.recordsIn()).isEqualTo(7);
        assertThat(result.events()).hasSize(2 + 2 + 2 + 27 + 27 + 72);
        assertThat(result.deadLetters()).singleElement().satisfies(letter ->
                assertThat(letter.getError()).startsWith("missing required field 'ID': not a Trivy compliance report"));
    }

    @Test
    void shouldSayNothingWasEvaluatedForAReportWithoutControls() throws Exception {
        // Trivy omits an empty SummaryControls; a ClusterComplianceReport has no status before its first run.
        SecurityEvent cli = parseOne("{\"ID\":\"k8s-pss-baseline-0.1\",\"Title\":\"Kubernetes Pod Security Standards - Baseline\"}");
        assertThat(cli.getEvent().getAction()).isEqualTo("report_empty");
        assertThat(cli.getPolicy()).isNull();
        assertThat(cli.getAttributes()).containsEntry("trivy.compliance.spec_id", "k8s-pss-baseline-0.1");

        SecurityEvent unevaluated = parseOne(edit(sample("trivy_operator_docs_cis_summary.json"), root -> root.remove("status")));
        assertThat(unevaluated.getEvent().getAction()).isEqualTo("report_empty");
        assertThat(unevaluated.getTimestamp()).isEqualTo(epoch("2023-01-01T10:27:01Z"));
        assertThat(unevaluated.getAttributes()).containsEntry("trivy.compliance.spec_id", "cis")
                .containsEntry("trivy.compliance.time_source", "creation_timestamp");
        assertThat(SafeJson.readObject(unevaluated.getOriginal().getBytes(UTF_8)).has("spec")).isTrue();
    }

    @Test
    void shouldParseAListOfClusterComplianceReports() throws Exception {
        ObjectNode list = SafeJson.mapper().createObjectNode().put("apiVersion", "v1").put("kind", "List");
        ArrayNode items = list.putArray("items");
        items.add(SafeJson.readObject(sample("trivy_operator_docs_nsa_summary.json").getBytes(UTF_8)));
        items.add(SafeJson.readObject(sample("trivy_operator_docs_cis_summary.json").getBytes(UTF_8)));
        List<SecurityEvent> events = parse(list.toString());
        assertThat(events).hasSize(27 + 72);
        assertThat(events.stream().map(SecurityEvent::getId).distinct()).hasSize(27 + 72);
    }

    // ---------------------------------------------------------------------------------------------- broken input

    @Test
    void shouldRejectBrokenReportsNamingTheControlAndField() throws Exception {
        String all = sample("trivy_compliance_report_all.json");
        String summary = sample("trivy_compliance_report_summary.json");
        String operator = sample("trivy_operator_docs_nsa_detail.json");
        assertReason("{\"Title\":\"x\",\"Results\":[]}", "missing required field 'ID': not a Trivy compliance report (keys found: Title, Results)");
        assertReason(edit(all, root -> root.put("Results", "none")), "field 'Results' must be an array, got a string");
        assertReason(edit(all, root -> ((ArrayNode) root.get("Results")).add(1)), "Results[2] must be an object, got a number");
        assertReason(edit(all, root -> control(root, "Results", 0).remove("ID")), "in 'Results[0]': missing required field 'ID'");
        assertReason(edit(all, root -> control(root, "Results", 1).put("Severity", "SEVERE")),
                "in 'Results[1]': unknown Severity \"SEVERE\" (expected CRITICAL, HIGH, MEDIUM, LOW or UNKNOWN)");
        assertReason(edit(all, root -> ((ObjectNode) control(root, "Results", 0).get("Results").get(0).get("Misconfigurations")
                .get(0)).put("Status", "MAYBE")), "in 'Results[0]': in 'Results[0]': Misconfigurations[0]: unknown Status \"MAYBE\"");
        assertReason(edit(all, root -> ((ObjectNode) control(root, "Results", 0).get("Results").get(0).get("Misconfigurations")
                .get(0)).remove("Status")), "in 'Misconfigurations[0]': missing required field 'Status'");
        assertReason(edit(summary, root -> control(root, "SummaryControls", 0).put("TotalFail", -1)),
                "in 'SummaryControls[0]': field 'TotalFail' must not be negative, got -1");
        assertReason(edit(summary, root -> control(root, "SummaryControls", 0).put("TotalFail", "many")),
                "in 'SummaryControls[0]': field 'TotalFail' must be a whole number");
        assertReason(edit(operator, root -> root.put("apiVersion", "aquasecurity.github.io/v1beta9")),
                "unsupported apiVersion \"aquasecurity.github.io/v1beta9\" of a ClusterComplianceReport");
        assertReason("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\"}", "not a Trivy compliance report: a ConfigMap (v1)");
        assertReason(edit(operator, root -> ((ObjectNode) root.get("status").get("detailReport").get("results").get(2)
                .get("checks").get(0)).put("success", "no")),
                "in 'status.detailReport.results[2]': in 'checks[0]': field 'success' must be a boolean, got a string");
        assertReason(edit(operator, root -> ((ObjectNode) root.get("status")).put("updateTimestamp", "Monday")),
                "field 'status.updateTimestamp' is not an RFC 3339 timestamp");
        assertReason(edit(operator, root -> {
            ((ObjectNode) root.get("status").get("detailReport")).remove("id");
            ((ObjectNode) root.get("spec").get("compliance")).remove("id");
        }), "a ClusterComplianceReport without a compliance id");
        assertReason("{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[]}", "List has no items: nothing to normalize");
        assertReason("{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[{\"apiVersion\":\"v1\",\"kind\":\"Pod\"}]}",
                "items[0]: not a Trivy compliance report: a Pod (v1)");
        assertReason("[]", "expected a JSON object, got an array");
    }

    @Test
    @Timeout(60)
    void shouldRejectHostileInputAndNeverThrowAnythingElse() throws Exception {
        assertReason("{\"ID\":\"x\",\"Title\":\"t\",\"Results\":" + "[".repeat(10_000) + "]".repeat(10_000) + "}",
                "JSON exceeds a safety limit");
        String all = sample("trivy_compliance_report_all.json");
        assertReason(all.replaceFirst("\"ID\": \"1.0\",", "\"ID\": \"1.0\", \"ID\": \"2.0\","), "Duplicate field 'ID'");
        byte[] bytes = all.getBytes(UTF_8);
        bytes[all.indexOf("Non-root")] = (byte) 0xED; // the lead byte of an encoded surrogate
        bytes[all.indexOf("Non-root") + 1] = (byte) 0xA0;
        bytes[all.indexOf("Non-root") + 2] = (byte) 0x80;
        assertThatThrownBy(() -> parser.parse(bytes, "t")).isInstanceOf(ParseException.class).hasMessageContaining("UTF-8");

        for (String name : List.of("trivy_compliance_report_all.json", "trivy_compliance_report_summary.json")) {
            byte[] compact = SafeJson.mapper().writeValueAsBytes(SafeJson.readObject(sample(name).getBytes(UTF_8)));
            RecordMutations.forEach(compact, 3, 5, record -> {
                try {
                    assertThat(parser.parse(record, "fuzz")).isNotEmpty();
                } catch (ParseException e) {
                    assertThat(e.getMessage()).isNotBlank();
                }
            });
        }
    }

    @Test
    void shouldBeRegisteredWithJsonDocumentFraming() {
        assertThat(Parsers.forFormat("trivy-compliance")).isInstanceOf(TrivyComplianceParser.class);
        assertThat(parser.framing()).isSameAs(Framing.JSON);
    }

    // ---------------------------------------------------------------------------------------------- helpers

    private static PolicyResult control(String source, String policy, String rule, String verdict, String severity,
            String category, String message) {
        return PolicyResult.newBuilder().setSource(source).setPolicy(policy).setRule(rule).setVerdict(verdict)
                .setSeverity(severity).setCategory(category).setMessage(message).build();
    }

    private static ObjectNode control(JsonNode root, String field, int index) {
        return (ObjectNode) root.get(field).get(index);
    }

    private static Map<String, SecurityEvent> byControl(List<SecurityEvent> events) {
        return events.stream().collect(Collectors.toMap(e -> e.getPolicy().getRule(), Function.identity()));
    }

    private static long epoch(String time) {
        java.time.Instant instant = java.time.Instant.parse(time);
        return instant.getEpochSecond() * SECOND + instant.getNano();
    }

    private static String sample(String name) throws IOException {
        return Files.readString(Samples.path(DIR + name), UTF_8);
    }

    private List<SecurityEvent> parse(String record) throws ParseException {
        return parser.parse(record.getBytes(UTF_8), "test:1");
    }

    private SecurityEvent parseOne(String record) throws ParseException {
        List<SecurityEvent> events = parse(record);
        assertThat(events).hasSize(1);
        return events.get(0);
    }

    private void assertReason(String record, String reason) {
        assertThatThrownBy(() -> parser.parse(record.getBytes(UTF_8), "test:1"))
                .isInstanceOf(ParseException.class)
                .hasMessageContaining(reason);
    }

    private static String edit(String record, Consumer<ObjectNode> change) throws IOException {
        ObjectNode root = (ObjectNode) SafeJson.mapper().readTree(record);
        change.accept(root);
        return SafeJson.mapper().writeValueAsString(root);
    }
}
