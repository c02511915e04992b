package dev.bulwark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * README.md's configuration table, bulwark.example.yaml and docs/configuration.md are generated from the declarations;
 * this test fails when a committed copy is stale. Regenerate with {@code ./bulwark config docs --write}.
 */
class ConfigDocsTest {

    private static final Path CHECKOUT = Path.of("..").toAbsolutePath().normalize();

    @Test
    void theGeneratedDocumentationIsUpToDate() throws Exception {
        for (Map.Entry<Path, String> file : ConfigCommand.generated(CHECKOUT).entrySet()) {
            assertThat(Files.readString(file.getKey(), StandardCharsets.UTF_8))
                    .as(CHECKOUT.relativize(file.getKey()) + " is stale: run ./bulwark config docs --write")
                    .isEqualTo(file.getValue());
        }
    }

    @Test
    void theExampleFileIsAValidConfigurationThatSetsEveryDefault() throws Exception {
        BulwarkConfig example = BulwarkConfig.load(CHECKOUT.resolve("bulwark.example.yaml"), Map.of());
        BulwarkConfig defaults = BulwarkConfig.load(null, Map.of());
        assertThat(example.kafka.bootstrap).isEqualTo(defaults.kafka.bootstrap);
        assertThat(example.kafka.sessionTimeout).isEqualTo(defaults.kafka.sessionTimeout);
        assertThat(example.detection.contextWait).isEqualTo(defaults.detection.contextWait);
        assertThat(example.ingest.tenantKeys).isEqualTo(defaults.ingest.tenantKeys);
        assertThat(example.metrics.port).isEqualTo(defaults.metrics.port);
        // Every detector with settings has its block, and the blocks parse against the declarations.
        var detectors = dev.bulwark.detection.Detectors.discover();
        var parsed = dev.bulwark.detection.Detectors.settings(detectors, example.detection.detectors);
        assertThat(example.detection.detectors.keySet()).contains("sigma", "cross-tenant-access",
                "interactive-shell-in-container", "behaviour-baseline");
        assertThat(parsed.get("sigma").get(dev.bulwark.sigma.SigmaSettings.FOLD_WINDOW))
                .isEqualTo(java.time.Duration.ofMinutes(10));
    }

    @Test
    void everyKeyIsDocumented() {
        for (var field : BulwarkConfig.FIELDS.fields()) {
            assertThat(field.doc()).as(field.name()).isNotBlank();
            assertThat(ConfigDocs.readmeTable()).contains("`" + field.name() + "`");
        }
        for (var detector : dev.bulwark.detection.Detectors.discover()) {
            for (var field : detector.settings()) {
                assertThat(field.doc()).as(detector.name() + "." + field.name()).isNotBlank();
            }
        }
    }
}
