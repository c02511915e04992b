package dev.bulwark.detectors.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DetectorApiTest {

    @Test
    void aDetectorBuiltAgainstAnOlderOrTheSameMinorVersionRuns() {
        assertThat(DetectorApi.incompatibility("1.0", "1.3")).isNull();
        assertThat(DetectorApi.incompatibility("1.3", "1.3")).isNull();
        assertThat(DetectorApi.incompatibility(DetectorApi.VERSION)).isNull();
    }

    @Test
    void aNewerMinorAnotherMajorOrAMalformedVersionIsRefusedSayingWhatToDo() {
        assertThat(DetectorApi.incompatibility("1.4", "1.3")).contains("newer than this Bulwark's 1.3")
                .contains("upgrade Bulwark");
        assertThat(DetectorApi.incompatibility("2.0", "1.3")).contains("another major version")
                .contains("rebuild it against bulwark-detectors-api 1.x");
        assertThat(DetectorApi.incompatibility("0.9", "1.3")).contains("another major version");
        assertThat(DetectorApi.incompatibility(null, "1.3")).contains("return DetectorApi.VERSION");
        assertThat(DetectorApi.incompatibility("1", "1.3")).contains("not major.minor");
        assertThat(DetectorApi.incompatibility("1.0-SNAPSHOT", "1.3")).contains("not major.minor");
    }
}
