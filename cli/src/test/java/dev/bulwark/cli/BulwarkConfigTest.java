package dev.bulwark.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BulwarkConfigTest {

    @TempDir
    Path dir;

    @Test
    void defaultsFitTheLocalStack() throws Exception {
        BulwarkConfig config = BulwarkConfig.load(null, Map.of());
        assertThat(config.kafka.bootstrap).isEqualTo("127.0.0.1:9092");
        assertThat(config.elasticsearch.url).isEqualTo("http://127.0.0.1:9200");
        assertThat(config.kafka.topicPrefix).isEqualTo("bulwark.");
    }

    @Test
    void environmentOverridesTheFile() throws Exception {
        Path file = Files.writeString(dir.resolve("b.yaml"), """
                kafka:
                  bootstrap: kafka:9092
                  partitions: 6
                elasticsearch:
                  url: http://es:9200
                tenants:
                  acme: [payments, web]
                """);
        BulwarkConfig config = BulwarkConfig.load(file, Map.of("BULWARK_ES_URL", "http://other:9200"));
        assertThat(config.kafka.bootstrap).isEqualTo("kafka:9092");
        assertThat(config.kafka.partitions).isEqualTo(6);
        assertThat(config.elasticsearch.url).isEqualTo("http://other:9200");
        assertThat(config.tenantByNamespace()).containsEntry("payments", "acme").containsEntry("web", "acme");
    }

    @Test
    void detectionThreadsComeFromTheFileOrTheEnvironmentWithinBounds() throws Exception {
        Path file = Files.writeString(dir.resolve("threads.yaml"), "detection:\n  streamThreads: 3\n");
        assertThat(BulwarkConfig.load(null, Map.of()).detection.streamThreads).isEqualTo(1);
        assertThat(BulwarkConfig.load(file, Map.of()).detection.streamThreads).isEqualTo(3);
        assertThat(BulwarkConfig.load(file, Map.of("BULWARK_DETECTION_THREADS", "2")).detection.streamThreads).isEqualTo(2);
        assertThatThrownBy(() -> BulwarkConfig.load(null, Map.of("BULWARK_DETECTION_THREADS", "0")))
                .hasMessageContaining("BULWARK_DETECTION_THREADS (detection.streamThreads): must be 1-64, got 0");
    }

    @Test
    void theShippedExampleFileLoads() throws Exception {
        Path example = Path.of("../bulwark.example.yaml");
        assertThat(BulwarkConfig.load(example, Map.of()).metrics.port).isEqualTo(9464);
    }

    @Test
    void rejectsTyposAndBadValuesWithTheReason() throws Exception {
        Path typo = Files.writeString(dir.resolve("typo.yaml"), "kafka:\n  bootstrapp: x\n");
        assertThatThrownBy(() -> BulwarkConfig.load(typo, Map.of()))
                .hasMessageContaining("unknown setting kafka.bootstrapp (did you mean kafka.bootstrap?)")
                .hasMessageContaining("valid: kafka.bootstrap, kafka.topicPrefix");
        assertThatThrownBy(() -> BulwarkConfig.load(null, Map.of("BULWARK_TOPIC_PARTITIONS", "many")))
                .hasMessageContaining("BULWARK_TOPIC_PARTITIONS (kafka.partitions): 'many' is not a whole number");
        Path iso = Files.writeString(dir.resolve("iso.yaml"), "kafka:\n  sessionTimeout: PT30S\ndetection:\n  contextWait: 2\n");
        assertThatThrownBy(() -> BulwarkConfig.load(iso, Map.of()))
                .hasMessageContaining("kafka.sessionTimeout: 'PT30S' is not a duration")
                .hasMessageContaining("write 30s")
                .hasMessageContaining("detection.contextWait: '2' is not a duration");
        assertThatThrownBy(() -> BulwarkConfig.load(dir.resolve("missing.yaml"), Map.of())).hasMessageContaining("does not exist");
        Path twice = Files.writeString(dir.resolve("twice.yaml"), "tenants:\n  a: [ns]\n  b: [ns]\n");
        assertThatThrownBy(() -> BulwarkConfig.load(twice, Map.of()).tenantByNamespace())
                .hasMessageContaining("namespace ns is listed for two tenants");
    }

    @Test
    void theHttpServersLimitsComeFromTheConfiguration() throws Exception {
        Path file = Files.writeString(dir.resolve("http.yaml"), "http:\n  headerTimeout: 3s\n  maxConnections: 50\n");
        var limits = BulwarkConfig.load(file, Map.of()).httpLimits();
        assertThat(limits.headerTimeout()).isEqualTo(java.time.Duration.ofSeconds(3));
        assertThat(limits.maxConnections()).isEqualTo(50);
        assertThat(limits.bodyTimeout()).isEqualTo(dev.bulwark.http.HttpLimits.defaults().bodyTimeout());
        assertThat(BulwarkConfig.load(null, Map.of()).httpLimits()).isEqualTo(dev.bulwark.http.HttpLimits.defaults());
    }

    @Test
    void secretsNeverAppearInErrorsOrDiagnostics() throws Exception {
        Path file = Files.writeString(dir.resolve("secret.yaml"), """
                elasticsearch:
                  password: hunter2-very-secret
                """);
        assertThatThrownBy(() -> BulwarkConfig.load(file, Map.of("BULWARK_INGEST_TOKENS", "short-secret-x")))
                .hasMessageContaining("BULWARK_INGEST_TOKENS (ingest.tokens): must be tokens of at least 16 characters")
                .hasMessageNotContaining("short-secret-x");
        String settings = BulwarkConfig.FIELDS.parse(Map.of("elasticsearch", Map.of("password", "hunter2-very-secret")),
                Map.of()).toString();
        assertThat(settings).contains("elasticsearch.password=********").doesNotContain("hunter2");
    }

    @Test
    void eachDetectorsSettingsAreTypedAndCheckedAgainstItsDeclaration() throws Exception {
        var detectors = dev.bulwark.detection.Detectors.discover();
        Path good = Files.writeString(dir.resolve("detectors.yaml"), """
                detection:
                  detectors:
                    cross-tenant-access: {threshold: 3, window: 1h30m}
                    interactive-shell-in-container: {shells: [bash, zsh]}
                """);
        var parsed = dev.bulwark.detection.Detectors.settings(detectors, BulwarkConfig.load(good, Map.of()).detection.detectors);
        assertThat(parsed.get("cross-tenant-access").get(dev.bulwark.detectors.isolation.CrossTenantAccessDetector.WINDOW))
                .isEqualTo(java.time.Duration.ofMinutes(90));
        assertThat(parsed.get("interactive-shell-in-container")
                .get(dev.bulwark.detectors.container.InteractiveShellInContainerDetector.SHELLS)).containsExactly("bash", "zsh");
        assertThat(parsed.get("sigma").get(dev.bulwark.sigma.SigmaSettings.FOLD_WINDOW))
                .isEqualTo(java.time.Duration.ofMinutes(10));

        Path bad = Files.writeString(dir.resolve("bad-detectors.yaml"), """
                detection:
                  detectors:
                    cross-tenant-access: {treshold: 3, window: PT10M}
                    sigmaa: {bundled: false}
                """);
        BulwarkConfig config = BulwarkConfig.load(bad, Map.of());
        assertThatThrownBy(() -> dev.bulwark.detection.Detectors.settings(detectors, config.detection.detectors))
                .hasMessageContaining("detection.detectors.sigmaa: no detector is named sigmaa; detectors: behaviour-baseline")
                .hasMessageContaining("unknown setting detection.detectors.cross-tenant-access.treshold (did you mean "
                        + "threshold?); valid: threshold, window")
                .hasMessageContaining("detection.detectors.cross-tenant-access.window: 'PT10M' is not a duration");
    }

    @Test
    void findingsOptionsAreTheQueryApiParameters() {
        FindingsCommand command = new FindingsCommand();
        new picocli.CommandLine(command).parseArgs("--tenant", "acme", "--severity", "high,critical", "--rule", "r1",
                "--since", "1h", "--query", "bash", "--isolation", "--status", "open", "--limit", "20");
        assertThat(command.parameters()).containsExactlyInAnyOrderEntriesOf(Map.of("tenant", "acme",
                "severity", "high,critical", "rule", "r1", "from", "1h", "q", "bash", "isolation", "true",
                "status", "open", "sort", "newest", "size", "20"));
        assertThat(dev.bulwark.api.FindingsService.SEARCH_PARAMS).containsAll(command.parameters().keySet());
    }

    @Test
    void readsApiSettingsAndTokensFromTheFileAndTheEnvironment() throws Exception {
        Path file = Files.writeString(dir.resolve("api.yaml"), """
                api:
                  port: 9090
                  tokens:
                    - {token: file-token-0123456789abcdef, role: soc, name: alice}
                """);
        BulwarkConfig fromFile = BulwarkConfig.load(file, Map.of());
        assertThat(fromFile.apiTokens().authenticate("Bearer file-token-0123456789abcdef"))
                .hasValueSatisfying(p -> assertThat(p.name()).isEqualTo("alice"));
        // The variable replaces the file's list, as every variable overrides its key.
        BulwarkConfig config = BulwarkConfig.load(file, Map.of("BULWARK_API_TOKENS",
                "env-token-0123456789abcdef=tenant:acme", "BULWARK_API_HOST", "127.0.0.2"));
        assertThat(config.api.port).isEqualTo(9090);
        assertThat(config.api.host).isEqualTo("127.0.0.2");
        assertThat(config.apiTokens().authenticate("Bearer file-token-0123456789abcdef")).isEmpty();
        assertThat(config.apiTokens().authenticate("Bearer env-token-0123456789abcdef"))
                .hasValueSatisfying(p -> assertThat(p.tenant()).isEqualTo("acme"));
        assertThat(BulwarkConfig.load(null, Map.of()).api.port).isEqualTo(8080);
        assertThatThrownBy(() -> BulwarkConfig.load(null, Map.of("BULWARK_API_TOKENS", "short=soc")))
                .hasMessageContaining("at least 16");
        assertThatThrownBy(() -> BulwarkConfig.load(null, Map.of("BULWARK_API_PORT", "70000")))
                .hasMessageContaining("api.port");
    }

    @Test
    void theDemoScenarioHoldsThreeInteractiveShellsAndTwoBrokenRecords() throws Exception {
        byte[] scenario;
        try (var in = DemoCommand.class.getResourceAsStream(DemoCommand.SCENARIO)) {
            scenario = in.readAllBytes();
        }
        assertThat(DemoCommand.expectedShellEvents(scenario)).hasSize(3);
        var tenants = new dev.bulwark.detection.TenantResolver(java.util.Map.of("acme-payments", "acme", "acme-web", "acme",
                "globex-data", "globex"));
        assertThat(DemoCommand.expectedEvents(scenario, tenants)).as("plus globex's service account exec'ing into acme")
                .hasSize(4).containsAll(DemoCommand.expectedShellEvents(scenario));
        assertThat(DemoCommand.expectedEvents(scenario, dev.bulwark.detection.TenantResolver.none()))
                .as("without tenants nothing crosses tenants").hasSize(3);
    }
}
