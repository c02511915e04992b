package dev.bulwark.sigma;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every rule read is applicable (it loads), not applicable (valid Sigma, but no source Bulwark receives serves its
 * logsource) or invalid; a not-applicable rule is never counted as invalid.
 */
class SigmaRuleClassificationTest {

    /** Copied from SigmaHQ, see the README beside them. */
    private static final Path SIGMAHQ_SAMPLE = Path.of("src/test/resources/sigma/sigmahq-sample");

    private static final String WINDOWS = """
            title: Windows whoami
            id: 22222222-0000-4000-8000-000000000001
            logsource:
                product: windows
                category: process_creation
            detection:
                selection:
                    Image|endswith: '\\whoami.exe'
                condition: selection
            """;

    private static final String LINUX_UNMAPPED_FIELD = """
            title: Linux whoami
            id: 22222222-0000-4000-8000-000000000002
            logsource:
                product: linux
                category: process_creation
            detection:
                selection_image:
                    Image|endswith: '/whoami'
                selection_hash:
                    Hashes|contains: 'MD5='
                condition: 1 of selection_*
            """;

    private static final String BROKEN_YAML = """
            title: Broken
            id: 22222222-0000-4000-8000-000000000003
            logsource: {product: linux, category: process_creation}
            detection:
                selection:
                    Image: [unclosed
                condition: selection
            """;

    @TempDir
    Path dir;

    private final SigmaEngine engine = SigmaEngine.create();

    @Test
    void aRuleNoSourceServesIsNotApplicableWithItsLogsourceNotInvalid() {
        LoadReport report = engine.loadSources(Map.of("win.yml", WINDOWS));

        assertThat(report.skipped()).isEmpty();
        assertThat(report.loaded()).isEmpty();
        assertThat(report.notApplicable()).singleElement().satisfies(rule -> {
            assertThat(rule.rule()).isEqualTo("22222222-0000-4000-8000-000000000001");
            assertThat(rule.location().file()).isEqualTo("win.yml");
            assertThat(rule.logsource().describe()).isEqualTo("product: windows, category: process_creation");
            assertThat(rule.reason())
                    .isEqualTo("no source Bulwark receives serves logsource product: windows, category: process_creation");
        });
        assertThat(report.notApplicableByLogsource()).containsExactly(Map.entry("product: windows, category: process_creation", 1));
    }

    @Test
    void aLinuxRuleWithAnUnmappedFieldIsApplicableWithAWarningNamingTheField() {
        LoadReport report = engine.loadSources(Map.of("lnx.yml", LINUX_UNMAPPED_FIELD));

        assertThat(report.skipped()).isEmpty();
        assertThat(report.notApplicable()).isEmpty();
        assertThat(report.loaded()).extracting(SigmaRule::id).containsExactly("22222222-0000-4000-8000-000000000002");
        assertThat(report.warnings()).singleElement().satisfies(warning -> {
            assertThat(warning.location().file()).isEqualTo("lnx.yml");
            assertThat(warning.location().line()).isEqualTo(10);
            assertThat(warning.reason()).contains("field 'Hashes' is not mapped for logsource 'linux_process_creation'");
        });
    }

    @Test
    void brokenYamlIsInvalidWithFileLineAndReason() {
        LoadReport report = engine.loadSources(Map.of("broken.yml", BROKEN_YAML));

        assertThat(report.notApplicable()).isEmpty();
        assertThat(report.skipped()).singleElement().satisfies(problem -> {
            assertThat(problem.location().file()).isEqualTo("broken.yml");
            assertThat(problem.location().line()).isEqualTo(7);
            assertThat(problem.reason()).startsWith("invalid YAML: ");
        });
    }

    @Test
    void aRuleNoSourceServesIsStillCheckedAsSigma() {
        LoadReport badRegex = engine.loadSources(Map.of("win.yml", WINDOWS.replace("Image|endswith: '\\whoami.exe'",
                "CommandLine|re: '(unclosed'")));
        assertThat(badRegex.notApplicable()).isEmpty();
        assertThat(badRegex.skipped()).singleElement().satisfies(p -> assertThat(p.reason()).contains("invalid regular expression"));

        LoadReport badModifier = engine.loadSources(Map.of("win.yml", WINDOWS.replace("Image|endswith", "Image|endswithx")));
        assertThat(badModifier.skipped()).singleElement().satisfies(p -> assertThat(p.reason()).contains("unknown modifier"));

        LoadReport badCondition = engine.loadSources(Map.of("win.yml", WINDOWS.replace("condition: selection",
                "condition: selection and missing")));
        assertThat(badCondition.skipped()).hasSize(1);
        assertThat(badCondition.notApplicable()).isEmpty();
    }

    @Test
    void aPlaceholderOnlyTheWindowsMappingWouldDefineDoesNotMakeANotApplicableRuleInvalid() {
        LoadReport report = engine.loadSources(Map.of("win.yml", WINDOWS.replace("Image|endswith: '\\whoami.exe'",
                "Computer|expand: '%domain_controllers%'")));
        assertThat(report.skipped()).isEmpty();
        assertThat(report.notApplicable()).hasSize(1);
    }

    @Test
    void aCorrelationOfNotApplicableRulesIsNotApplicableAndAnUnknownReferenceStaysInvalid() {
        String correlation = """
                title: Many whoami
                id: 22222222-0000-4000-8000-0000000000c1
                correlation:
                    type: event_count
                    rules: [%s]
                    group-by: [User]
                    timespan: 5m
                    condition: {gte: 3}
                """;
        LoadReport report = engine.loadSources(Map.of("corr.yml", correlation.formatted("22222222-0000-4000-8000-000000000001")
                + "---\n" + WINDOWS));
        assertThat(report.skipped()).isEmpty();
        assertThat(report.notApplicable()).extracting(LoadReport.NotApplicable::rule)
                .containsExactlyInAnyOrder("22222222-0000-4000-8000-000000000001", "22222222-0000-4000-8000-0000000000c1");

        LoadReport unknown = engine.loadSources(Map.of("corr.yml", correlation.formatted("nowhere") + "---\n" + WINDOWS));
        assertThat(unknown.skipped()).singleElement().satisfies(p -> assertThat(p.reason()).contains("unknown rule 'nowhere'"));
    }

    @Test
    void aDirectoryIsClassifiedFileByFile() throws IOException {
        Files.writeString(dir.resolve("win.yml"), WINDOWS);
        Files.writeString(dir.resolve("win2.yml"), WINDOWS.replace("000000000001", "000000000011"));
        Files.writeString(dir.resolve("mac.yml"), WINDOWS.replace("000000000001", "000000000012")
                .replace("product: windows", "product: macos"));
        Files.writeString(dir.resolve("lnx.yml"), LINUX_UNMAPPED_FIELD);
        Files.writeString(dir.resolve("broken.yml"), BROKEN_YAML);

        RuleDirectory.Validation validation = RuleDirectory.validate(engine, dir, ParsedRules.empty());

        assertThat(validation.records()).extracting(RuleDirectory.RuleRecord::file).containsExactly(dir.resolve("lnx.yml"));
        assertThat(validation.notApplicable()).containsOnlyKeys(dir.resolve("win.yml"), dir.resolve("win2.yml"),
                dir.resolve("mac.yml"));
        assertThat(validation.notApplicableByLogsource()).containsExactly(
                Map.entry("product: windows, category: process_creation", 2),
                Map.entry("product: macos, category: process_creation", 1));
        assertThat(validation.invalidFiles()).containsExactly(dir.resolve("broken.yml"));
        assertThat(validation.problems()).singleElement().asString().startsWith(dir.resolve("broken.yml") + ":7:");
        assertThat(validation.warnings()).singleElement().asString()
                .startsWith(dir.resolve("lnx.yml") + ":10:").contains("field 'Hashes' is not mapped");
        assertThat(validation.ok()).isFalse();

        Files.delete(dir.resolve("broken.yml"));
        assertThat(RuleDirectory.validate(engine, dir, ParsedRules.empty()).ok())
                .as("not applicable files and warnings are no errors").isTrue();
    }

    @Test
    void aFileWithAnApplicableAndANotApplicableRuleIsNotApplicable() throws IOException {
        // The detector would reject the record's Windows rule, so the file is not published.
        Files.writeString(dir.resolve("both.yml"), LINUX_UNMAPPED_FIELD + "---\n" + WINDOWS);
        RuleDirectory.Validation validation = RuleDirectory.validate(engine, dir, ParsedRules.empty());
        assertThat(validation.records()).isEmpty();
        assertThat(validation.notApplicable()).containsOnlyKeys(dir.resolve("both.yml"));
        assertThat(validation.warnings()).as("only the warnings of published files").isEmpty();
    }

    @Test
    void sigmaHqRulesAreApplicableOrNotApplicableAndNeverInvalid() {
        RuleDirectory.Validation validation = RuleDirectory.validate(engine, SIGMAHQ_SAMPLE,
                RuleSource.bundled(engine.loader()));

        assertThat(validation.problems()).isEmpty();
        assertThat(validation.invalidFiles()).isEmpty();
        assertThat(validation.warnings()).isEmpty();
        assertThat(validation.records()).extracting(r -> SIGMAHQ_SAMPLE.relativize(r.file()).toString())
                .containsExactly(
                        "rules/application/kubernetes/audit/kubernetes_audit_cronjob_modification.yml",
                        "rules/linux/file_event/file_event_lnx_susp_cron_file_created.yml",
                        "rules/linux/process_creation/proc_creation_lnx_local_account.yml",
                        "rules/linux/process_creation/proc_creation_lnx_python_pty_spawn.yml");
        assertThat(validation.notApplicable().keySet()).extracting(file -> SIGMAHQ_SAMPLE.relativize(file).toString())
                .containsExactly(
                        "rules-emerging-threats/2026/Exploits/CVE-2026-54121/win_security_adcs_certighost_cdc_chase_request.yml",
                        "rules/cloud/aws/cloudtrail/aws_cloudtrail_bedrock_guardrail_deleted.yml",
                        "rules/cloud/azure/activity_logs/azure_application_gateway_modified_or_deleted.yml",
                        "rules/linux/auditd/lnx_auditd_audio_capture.yml",
                        "rules/macos/process_creation/proc_creation_macos_base64_decode.yml",
                        "rules/windows/process_creation/proc_creation_win_7zip_password_compression.yml",
                        "rules/windows/registry/registry_set/registry_set_add_port_monitor.yml");
        assertThat(validation.notApplicableByLogsource()).containsExactly(
                Map.entry("product: aws, service: cloudtrail", 1),
                Map.entry("product: azure, service: activitylogs", 1),
                Map.entry("product: linux, service: auditd", 1),
                Map.entry("product: macos, category: process_creation", 1),
                Map.entry("product: windows, category: process_creation", 1),
                Map.entry("product: windows, category: registry_set", 1),
                Map.entry("product: windows, service: security", 1));
        assertThat(List.copyOf(validation.notApplicable().values())).allSatisfy(rule ->
                assertThat(rule.toString()).contains(": [").contains("] no source Bulwark receives serves logsource "));
    }
}
