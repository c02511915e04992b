package dev.bulwark.detectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

class DetectorsTest {

    @Test
    void discoversTheShippedDetectorsThroughServiceLoader() {
        assertThat(Detectors.discover()).extracting(Detector::name).contains("interactive-shell-in-container");
    }

    @Test
    void disablesDetectorsByNameAndRejectsUnknownNames() {
        List<Detector> all = Detectors.discover();
        assertThat(Detectors.enabled(all, List.of("interactive-shell-in-container")))
                .extracting(Detector::name).doesNotContain("interactive-shell-in-container");
        assertThatThrownBy(() -> Detectors.enabled(all, List.of("no-such-detector")))
                .hasMessageContaining("unknown detector 'no-such-detector'");
    }
}
