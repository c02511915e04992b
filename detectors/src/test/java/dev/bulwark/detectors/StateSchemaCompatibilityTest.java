package dev.bulwark.detectors;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.bulwark.detectors.state.ImageProfile;
import dev.bulwark.detectors.state.ImageRisk;
import dev.bulwark.detectors.state.KnownDigests;
import dev.bulwark.detectors.state.NamespaceTenant;
import dev.bulwark.detectors.state.ProbingAttempts;
import dev.bulwark.detectors.state.ReportedContainer;
import dev.bulwark.schemas.SchemaHistory;

/**
 * The detectors' state schemas against their released versions ({@code src/main/resources/schema-history}), as
 * the schemas module checks the wire schemas: state written by a released Bulwark must stay readable after an upgrade,
 * and state written by this one must stay readable by the newest release (a rolling upgrade, or a rollback).
 */
class StateSchemaCompatibilityTest {

    @ParameterizedTest
    @ValueSource(classes = {NamespaceTenant.class, ImageRisk.class, ReportedContainer.class, ImageProfile.class,
            ProbingAttempts.class, KnownDigests.class})
    void theCurrentSchemaReadsEveryReleasedVersionAndEveryReleasedVersionReadsIt(Class<?> type) {
        assertThat(SchemaHistory.compatibilityProblems(type)).as(type.getSimpleName()).isEmpty();
    }

    /** A state schema added without its first released version would not be checked at all. */
    @Test
    void everyStateSchemaHasAReleasedVersion() throws IOException {
        List<String> schemas;
        try (Stream<Path> files = Files.list(Path.of("src/main/avro"))) {
            schemas = files.map(file -> file.getFileName().toString()).filter(name -> name.endsWith(".avsc"))
                    .map(name -> name.substring(0, name.length() - ".avsc".length())).sorted().toList();
        }
        assertThat(schemas).as("each listed in the @ValueSource of the tests above")
                .containsExactly("ImageProfile", "ImageRisk", "KnownDigests", "NamespaceTenant", "ProbingAttempts",
                        "ReportedContainer");
        for (String name : schemas) {
            assertThat(SchemaHistory.olderVersionsOf("dev.bulwark.detectors.state." + name))
                    .as("src/main/resources/schema-history/%s/index.txt", name).isNotEmpty();
        }
    }
}
