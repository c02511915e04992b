package dev.bulwark.detection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.apache.kafka.streams.kstream.KStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulwark.detectors.api.Detector;
import dev.bulwark.detectors.api.DetectorApi;
import dev.bulwark.detectors.api.DetectorContext;
import dev.bulwark.schemas.Finding;

class DetectorsTest {

    /** A detector that finds nothing, listed in this module's test {@code META-INF/services}. */
    public static class Quiet implements Detector {
        @Override
        public String name() {
            return "quiet";
        }

        @Override
        public String apiVersion() {
            return DetectorApi.VERSION;
        }

        @Override
        public KStream<String, Finding> build(DetectorContext context) {
            return context.events().filter((key, event) -> false, context.named("nothing")).mapValues(event -> (Finding) null,
                    context.named("no-finding"));
        }
    }

    /** Another one, so there is something to order and to disable. */
    public static class Also extends Quiet {
        @Override
        public String name() {
            return "also";
        }
    }

    /** Built against a newer minor version of the API than this one. */
    public static class FromTheFuture extends Quiet {
        @Override
        public String name() {
            return "from-the-future";
        }

        @Override
        public String apiVersion() {
            String[] parts = DetectorApi.VERSION.split("\\.");
            return parts[0] + "." + (Integer.parseInt(parts[1]) + 1);
        }
    }

    @Test
    void discoversDetectorsThroughServiceLoaderInNameOrder() {
        assertThat(Detectors.discover()).extracting(Detector::name).containsExactly("also", "quiet");
    }

    @Test
    void disablesDetectorsByNameAndRejectsUnknownNames() {
        List<Detector> all = Detectors.discover();
        assertThat(Detectors.enabled(all, List.of("quiet"))).extracting(Detector::name).containsExactly("also");
        assertThatThrownBy(() -> Detectors.enabled(all, List.of("no-such-detector")))
                .hasMessageContaining("unknown detector 'no-such-detector'");
    }

    @Test
    void aDetectorBuiltAgainstANewerApiIsRefusedByNameWithWhatToDo(@TempDir Path plugin) throws Exception {
        Path services = Files.createDirectories(plugin.resolve("META-INF/services"));
        Files.writeString(services.resolve(Detector.class.getName()), FromTheFuture.class.getName() + "\n");
        try (URLClassLoader loader = new URLClassLoader(new URL[] {plugin.toUri().toURL()}, getClass().getClassLoader())) {
            assertThatThrownBy(() -> Detectors.discover(loader))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("detector from-the-future")
                    .hasMessageContaining("newer than this Bulwark's " + DetectorApi.VERSION)
                    .hasMessageContaining("upgrade Bulwark");
        }
    }
}
