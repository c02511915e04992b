package dev.bulwark.ingest.trivy;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.bulwark.ingest.ParseException;
import dev.bulwark.ingest.Parsers;
import dev.bulwark.ingest.SafeJson;
import dev.bulwark.samples.Samples;
import dev.bulwark.schemas.SecurityEvent;

class TrivyParserTest {

    /** CreatedAt of every golden report: 2021-08-25T12:20:30.000000005Z (Trivy's test clock). */
    private static final long CREATED_AT = 1_629_894_030_000_000_005L;

    private final TrivyParser parser = new TrivyParser();

    private static byte[] sample(String name) throws Exception {
        return Files.readAllBytes(Samples.path("trivy/" + name + ".json.golden"));
    }

    private List<SecurityEvent> parse(String name) throws Exception {
        return parser.parse(sample(name), name + ".json:1-600");
    }

    private static SecurityEvent find(List<SecurityEvent> events, String vulnerabilityId, String packageName) {
        return events.stream()
                .filter(e -> e.getVulnerability().getId().equals(vulnerabilityId)
                        && e.getVulnerability().getPackageName().equals(packageName))
                .findFirst().orElseThrow();
    }

    @Test
    void shouldEmitOneEventPerVulnerabilityOfEachRealReport() throws Exception {
        assertThat(parse("alpine-310")).hasSize(4);
        assertThat(parse("debian-buster")).hasSize(2);
        assertThat(parse("spring4shell-jre11")).hasSize(1);
        assertThat(parse("secrets")).hasSize(2);
        for (String name : List.of("alpine-310", "debian-buster", "spring4shell-jre11", "secrets")) {
            List<SecurityEvent> events = parse(name);
            assertThat(events).allSatisfy(event -> {
                assertThat(event.getSourceFormat()).isEqualTo("trivy");
                assertThat(event.getTimestamp()).isEqualTo(CREATED_AT);
                assertThat(event.getEvent().getKind()).isEqualTo("state");
                assertThat(event.getEvent().getCategory()).containsExactly("vulnerability");
                assertThat(event.getEvent().getType()).containsExactly("info");
                assertThat(event.getAttributes()).containsEntry("trivy.report_id", "017b7d41-e09f-7000-80ea-000000000001")
                        .containsEntry("trivy.version", "dev");
            });
            assertThat(events.stream().map(SecurityEvent::getId).collect(Collectors.toSet())).hasSameSizeAs(events);
        }
    }

    @Test
    void shouldMapSpring4ShellToVulnerabilityPackageAndImageFields() throws Exception {
        SecurityEvent event = parse("spring4shell-jre11").get(0);
        assertThat(event.getVulnerability().getId()).isEqualTo("CVE-2022-22965");
        assertThat(event.getVulnerability().getSeverity()).isEqualTo("CRITICAL");
        assertThat(event.getVulnerability().getPackageName()).isEqualTo("org.springframework:spring-beans");
        assertThat(event.getVulnerability().getInstalledVersion()).isEqualTo("5.3.15");
        assertThat(event.getVulnerability().getFixedVersion()).isEqualTo("5.3.18");
        assertThat(event.getVulnerability().getTitle()).isEqualTo("spring-framework: RCE via Data Binding on JDK 9+");
        assertThat(event.getEvent().getSeverity()).isEqualTo(90);
        assertThat(event.getEvent().getDataset()).isEqualTo("trivy.vulnerability");
        assertThat(event.getEvent().getAction()).isEqualTo("vulnerability_detected");
        // The artifact is a tarball path, so the image name and tag come from RepoTags; no RepoDigests: the image id.
        assertThat(event.getContainer().getImageName()).isEqualTo("ghcr.io/aquasecurity/trivy-test-images");
        assertThat(event.getContainer().getImageTag()).isEqualTo("spring4shell-jre11");
        assertThat(event.getContainer().getImageDigest())
                .isEqualTo("sha256:ed8f0747d483b60657982f0ef1ba74482aed08795cf0eb774b00bc53022a8351");
        assertThat(event.getAttributes())
                .containsEntry("trivy.target", "Java")
                .containsEntry("trivy.class", "lang-pkgs")
                .containsEntry("trivy.type", "jar")
                .containsEntry("trivy.os.family", "debian")
                .containsEntry("trivy.os.name", "11.3")
                .containsEntry("trivy.artifact.name", "testdata/fixtures/images/spring4shell-jre11.tar.gz")
                .containsEntry("trivy.artifact.type", "container_image")
                .containsEntry("trivy.image.digest_source", "image_id")
                .containsEntry("package.path", "usr/local/tomcat/webapps/helloworld.war/WEB-INF/lib/spring-beans-5.3.15.jar")
                .containsEntry("package.purl", "pkg:maven/org.springframework/spring-beans@5.3.15")
                .containsEntry("vulnerability.reference", "https://avd.aquasec.com/nvd/cve-2022-22965")
                .containsEntry("vulnerability.status", "fixed")
                .containsEntry("vulnerability.score.base", "9.8")
                .containsEntry("vulnerability.score.version", "3.1")
                .containsEntry("vulnerability.score.source", "ghsa")
                .containsEntry("vulnerability.cvss.vector", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
                .containsEntry("vulnerability.cwe", "CWE-94")
                .containsEntry("trivy.layer.digest", "sha256:b47862f824700e0ea830e568e989fba777d8223c1f8321c6256b0c965b9f61ee");
        JsonNode original = SafeJson.readObject(event.getOriginal().getBytes(UTF_8));
        assertThat(original.get("VulnerabilityID").asText()).isEqualTo("CVE-2022-22965");
        assertThat(original.has("Description")).isTrue();
    }

    @Test
    void shouldKeepBothPackagesWithTheSameCveApartAndMapSeverities() throws Exception {
        List<SecurityEvent> alpine = parse("alpine-310");
        assertThat(alpine).extracting(e -> e.getVulnerability().getId() + " " + e.getVulnerability().getPackageName())
                .containsExactlyInAnyOrder("CVE-2019-1549 libcrypto1.1", "CVE-2019-1551 libcrypto1.1",
                        "CVE-2019-1549 libssl1.1", "CVE-2019-1551 libssl1.1");
        assertThat(alpine).allSatisfy(e -> assertThat(e.getEvent().getSeverity()).isEqualTo(50));
        SecurityEvent libssl = find(alpine, "CVE-2019-1549", "libssl1.1");
        assertThat(libssl.getAttributes()).containsEntry("trivy.class", "os-pkgs").containsEntry("trivy.type", "alpine")
                .containsEntry("trivy.os.eosl", "true")
                .containsEntry("vulnerability.score.source", "nvd").containsEntry("vulnerability.score.base", "5.3")
                .doesNotContainKey("package.path");

        List<SecurityEvent> debian = parse("debian-buster");
        SecurityEvent bash = find(debian, "CVE-2019-18276", "bash");
        assertThat(bash.getVulnerability().getSeverity()).isEqualTo("LOW");
        assertThat(bash.getEvent().getSeverity()).isEqualTo(30);
        assertThat(bash.getVulnerability().getFixedVersion()).isNull();
        assertThat(bash.getAttributes()).containsEntry("vulnerability.status", "affected")
                // SeveritySource debian has no CVSS entry: NVD's score is used.
                .containsEntry("vulnerability.score.source", "nvd").containsEntry("vulnerability.score.base", "7.8");
        SecurityEvent libidn = find(debian, "CVE-2019-18224", "libidn2-0");
        assertThat(libidn.getEvent().getSeverity()).isEqualTo(90);
        assertThat(libidn.getVulnerability().getFixedVersion()).isEqualTo("2.0.5-1+deb10u1");
    }

    @Test
    void shouldGiveStableIdsAcrossReScansOfTheSameImage() throws Exception {
        Set<String> first = parse("alpine-310").stream().map(SecurityEvent::getId).collect(Collectors.toSet());
        ObjectNode rescan = (ObjectNode) SafeJson.readObject(sample("alpine-310"));
        rescan.put("CreatedAt", "2021-09-01T00:00:00Z").put("ReportID", "other");
        List<SecurityEvent> later = parser.parse(rescan.toString().getBytes(UTF_8), "x");
        assertThat(later.stream().map(SecurityEvent::getId).collect(Collectors.toSet())).isEqualTo(first);
        assertThat(later.get(0).getTimestamp()).isEqualTo(1_630_454_400_000_000_000L);

        ObjectNode otherImage = (ObjectNode) SafeJson.readObject(sample("alpine-310"));
        ((ObjectNode) otherImage.get("Metadata")).put("ImageID", "sha256:" + "0".repeat(64));
        Set<String> other = parser.parse(otherImage.toString().getBytes(UTF_8), "x").stream()
                .map(SecurityEvent::getId).collect(Collectors.toSet());
        assertThat(other).doesNotContainAnyElementsOf(first);
    }

    @Test
    void shouldTakeNameTagAndDigestFromAnImageReferenceAndRepoDigests() throws Exception {
        ObjectNode report = (ObjectNode) SafeJson.readObject(sample("debian-buster"));
        report.put("ArtifactName", "registry.example.com:5000/team/api:1.4.2");
        ((ObjectNode) report.get("Metadata")).putArray("RepoDigests")
                .add("mirror.example.com/api@sha256:" + "a".repeat(64))
                .add("registry.example.com:5000/team/api@sha256:" + "b".repeat(64));
        SecurityEvent event = parser.parse(report.toString().getBytes(UTF_8), "x").get(0);
        assertThat(event.getContainer().getImageName()).isEqualTo("registry.example.com:5000/team/api");
        assertThat(event.getContainer().getImageTag()).isEqualTo("1.4.2");
        assertThat(event.getContainer().getImageDigest()).isEqualTo("sha256:" + "b".repeat(64));
        assertThat(event.getAttributes()).containsEntry("trivy.image.digest_source", "repo_digest")
                .containsEntry("trivy.image.id", "sha256:c2c03a296d2329a4f3ab72a7bf38b78a8a80108204d326b0139d6af700e152d1");

        report.put("ArtifactName", "alpine@sha256:" + "c".repeat(64));
        event = parser.parse(report.toString().getBytes(UTF_8), "x").get(0);
        assertThat(event.getContainer().getImageName()).isEqualTo("alpine");
        assertThat(event.getContainer().getImageTag()).isNull();
        assertThat(event.getContainer().getImageDigest()).isEqualTo("sha256:" + "c".repeat(64));
        assertThat(event.getAttributes()).containsEntry("trivy.image.digest_source", "reference");
    }

    @Test
    void shouldMapSecretsWithoutLeakingTheUnmaskedCodeContext() throws Exception {
        List<SecurityEvent> events = parse("secrets");
        SecurityEvent aws = events.stream().filter(e -> e.getVulnerability().getId().equals("aws-access-key-id"))
                .findFirst().orElseThrow();
        assertThat(aws.getEvent().getDataset()).isEqualTo("trivy.secret");
        assertThat(aws.getEvent().getAction()).isEqualTo("secret_detected");
        assertThat(aws.getEvent().getSeverity()).isEqualTo(90);
        assertThat(aws.getVulnerability().getSeverity()).isEqualTo("CRITICAL");
        assertThat(aws.getVulnerability().getTitle()).isEqualTo("AWS Access Key ID");
        assertThat(aws.getVulnerability().getPackageName()).isNull();
        assertThat(aws.getRule().getName()).isEqualTo("aws-access-key-id");
        assertThat(aws.getRule().getRuleset()).isEqualTo("trivy-secret");
        assertThat(aws.getContainer()).isNull();
        assertThat(aws.getAttributes())
                .containsEntry("trivy.target", "deploy.sh")
                .containsEntry("trivy.class", "secret")
                .containsEntry("trivy.artifact.type", "repository")
                .containsEntry("trivy.secret.category", "AWS")
                .containsEntry("trivy.secret.start_line", "3")
                .containsEntry("trivy.secret.end_line", "3")
                .containsEntry("trivy.secret.match", "export AWS_ACCESS_KEY_ID=********************");
        for (SecurityEvent event : events) {
            String everything = event.toString();
            // The second finding's code context holds an unmasked token on a line Trivy does not mask.
            assertThat(everything).doesNotContain("ghp_0123456789").doesNotContain("\"Code\"");
        }
    }

    @Test
    void shouldEmitOneSummaryEventForAReportWithoutFindings() throws Exception {
        ObjectNode report = (ObjectNode) SafeJson.readObject(sample("spring4shell-jre11"));
        ((ObjectNode) report.get("Results").get(1)).remove("Vulnerabilities");
        List<SecurityEvent> events = parser.parse(report.toString().getBytes(UTF_8), "clean.json:1-300");
        assertThat(events).hasSize(1);
        SecurityEvent summary = events.get(0);
        assertThat(summary.getEvent().getKind()).isEqualTo("state");
        assertThat(summary.getEvent().getType()).containsExactly("info");
        assertThat(summary.getEvent().getDataset()).isEqualTo("trivy.report");
        assertThat(summary.getEvent().getAction()).isEqualTo("scan_summary");
        assertThat(summary.getEvent().getSeverity()).isNull();
        assertThat(summary.getVulnerability()).isNull();
        assertThat(summary.getTimestamp()).isEqualTo(CREATED_AT);
        assertThat(summary.getContainer().getImageDigest())
                .isEqualTo("sha256:ed8f0747d483b60657982f0ef1ba74482aed08795cf0eb774b00bc53022a8351");
        assertThat(summary.getAttributes())
                .containsEntry("trivy.results.count", "3")
                .containsEntry("trivy.vulnerabilities.count", "0")
                .containsEntry("trivy.secrets.count", "0")
                .containsEntry("trivy.misconfigurations.count", "0")
                .doesNotContainKey("trivy.target");
        JsonNode header = SafeJson.readObject(summary.getOriginal().getBytes(UTF_8));
        assertThat(header.has("Results")).isFalse();
        assertThat(header.get("Metadata").has("ImageConfig")).isFalse();
        assertThat(header.get("ArtifactName").asText()).isEqualTo("testdata/fixtures/images/spring4shell-jre11.tar.gz");

        ObjectNode noResults = (ObjectNode) SafeJson.readObject(sample("alpine-310"));
        noResults.remove("Results");
        assertThat(parser.parse(noResults.toString().getBytes(UTF_8), "x")).singleElement()
                .satisfies(e -> assertThat(e.getAttributes()).containsEntry("trivy.results.count", "0"));
    }

    @Test
    void shouldRejectOtherSchemaVersionsSayingWhichWasFound() {
        assertReason("{\"SchemaVersion\":1,\"ArtifactName\":\"a\",\"CreatedAt\":\"2021-08-25T12:20:30Z\"}",
                "unsupported Trivy SchemaVersion 1 (only SchemaVersion 2 is supported)");
        assertReason("{\"SchemaVersion\":\"3\",\"ArtifactName\":\"a\",\"CreatedAt\":\"2021-08-25T12:20:30Z\"}",
                "unsupported Trivy SchemaVersion 3");
        assertReason("{\"ArtifactName\":\"a\",\"Results\":[]}", "missing required field 'SchemaVersion': not a Trivy JSON report");
        assertReason("{\"SchemaVersion\":2.5}", "field 'SchemaVersion' must be a whole number");
        assertReason("{\"SchemaVersion\":\"two\"}", "field 'SchemaVersion' must be a whole number");
    }

    @Test
    void shouldRejectBrokenReportsNamingThePlace() throws Exception {
        String head = "{\"SchemaVersion\":2,\"ArtifactName\":\"img:1\",\"ArtifactType\":\"container_image\","
                + "\"CreatedAt\":\"2021-08-25T12:20:30Z\",";
        assertReason("{\"SchemaVersion\":2,\"ArtifactName\":\"a\"}", "missing required field 'CreatedAt'");
        assertReason("{\"SchemaVersion\":2,\"CreatedAt\":\"2021-08-25T12:20:30Z\"}", "missing required field 'ArtifactName'");
        assertReason("{\"SchemaVersion\":2,\"ArtifactName\":\"a\",\"CreatedAt\":\"last week\"}",
                "field 'CreatedAt' is not an RFC 3339 timestamp");
        assertReason(head + "\"Results\":{}}", "field 'Results' must be an array, got an object");
        assertReason(head + "\"Results\":[42]}", "Results[0] must be an object, got a number");
        assertReason(head + "\"Results\":[{\"Target\":\"t\",\"Vulnerabilities\":\"none\"}]}",
                "field 'Results[0].Vulnerabilities' must be an array, got a string");
        assertReason(head + "\"Results\":[{\"Target\":\"t\",\"Vulnerabilities\":[{\"PkgName\":\"p\"}]}]}",
                "Results[0].Vulnerabilities[0]: missing required field 'VulnerabilityID'");
        assertReason(head + "\"Results\":[{\"Target\":\"t\",\"Vulnerabilities\":[{\"VulnerabilityID\":\"CVE-1\",\"PkgName\":\"p\","
                + "\"Severity\":\"SEVERE\"}]}]}", "Results[0].Vulnerabilities[0]: unknown Severity \"SEVERE\"");
        assertReason(head + "\"Results\":[{\"Target\":\"t\",\"Vulnerabilities\":[{\"VulnerabilityID\":\"CVE-1\",\"PkgName\":\"p\","
                + "\"CVSS\":{\"nvd\":{\"V3Score\":\"high\"}}}]}]}", "field 'CVSS.nvd.V3Score' must be a number, got a string");
        assertReason(head + "\"Results\":[{\"Target\":\"t\",\"Vulnerabilities\":[{\"VulnerabilityID\":{\"id\":1},\"PkgName\":\"p\"}]}]}",
                "Results[0].Vulnerabilities[0]: field 'VulnerabilityID' must be a scalar");
        assertReason(head + "\"Results\":[{\"Target\":\"t\",\"Secrets\":[{\"Severity\":\"HIGH\"}]}]}",
                "Results[0].Secrets[0]: missing required field 'RuleID'");
        assertReason(head + "\"Metadata\":{\"RepoTags\":\"img:1\"}}", "field 'RepoTags' must be an array");
        assertReason("[" + new String(sample("alpine-310"), UTF_8) + "]", "expected a JSON object, got an array");
        String truncated = new String(sample("alpine-310"), UTF_8);
        assertReason(truncated.substring(0, truncated.length() / 2), "invalid JSON");
    }

    @Test
    void shouldRejectHostileJson() throws Exception {
        String head = "{\"SchemaVersion\":2,\"ArtifactName\":\"a\",\"CreatedAt\":\"2021-08-25T12:20:30Z\",\"x\":";
        assertReason(head + "[".repeat(100_000) + "]".repeat(100_000) + "}", "safety limit");
        byte[] bytes = sample("alpine-310");
        byte[] broken = java.util.Arrays.copyOf(bytes, bytes.length);
        int title = new String(bytes, UTF_8).indexOf("openssl: information");
        broken[title] = (byte) 0xFF;
        assertThatThrownBy(() -> parser.parse(broken, "x")).isInstanceOf(ParseException.class).hasMessageContaining("UTF-8");
        assertReason(new String(bytes, UTF_8).replaceFirst("\"PkgName\": \"libcrypto1.1\",",
                "\"PkgName\": \"libcrypto1.1\", \"PkgName\": \"x\","), "Duplicate field");
    }

    @Test
    void shouldHandleALargeReportWithinTheRecordLimit() throws Exception {
        ObjectNode report = (ObjectNode) SafeJson.readObject(sample("alpine-310"));
        ArrayNode vulnerabilities = (ArrayNode) report.get("Results").get(0).get("Vulnerabilities");
        JsonNode template = vulnerabilities.get(0);
        vulnerabilities.removeAll();
        for (int i = 0; i < 5000; i++) {
            vulnerabilities.add(((ObjectNode) template.deepCopy()).put("VulnerabilityID", "CVE-2099-" + i));
        }
        byte[] bytes = report.toString().getBytes(UTF_8);
        assertThat(bytes.length).isGreaterThan(1 << 20);
        List<SecurityEvent> events = parser.parse(bytes, "big.json:1");
        assertThat(events).hasSize(5000);
        assertThat(events.stream().map(SecurityEvent::getId).distinct()).hasSize(5000);
    }

    @Test
    void shouldBeRegisteredWithJsonDocumentFraming() {
        assertThat(Parsers.forFormat("trivy")).isInstanceOf(TrivyParser.class);
        assertThat(Parsers.formats()).contains("falco", "cri", "docker", "trivy");
        assertThat(parser.framing()).isSameAs(dev.bulwark.ingest.Framing.JSON);
    }

    private void assertReason(String record, String reason) {
        assertThatThrownBy(() -> parser.parse(record.getBytes(UTF_8), "report.json:1"))
                .isInstanceOf(ParseException.class)
                .hasMessageContaining(reason);
    }
}
