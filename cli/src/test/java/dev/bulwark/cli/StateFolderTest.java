package dev.bulwark.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateFolderTest {

    @TempDir
    Path home;

    @Test
    void aFolderIsClaimedOnceAndKeepsItsTopicsAndApplication() throws Exception {
        Path streams = home.resolve("streams");
        StateFolder.claim(streams, "bulwark.", "bulwark-detectors");
        assertThat(streams.resolve(StateFolder.MARKER)).isRegularFile();
        StateFolder.claim(streams, "bulwark.", "bulwark-detectors"); // the same again: fine

        assertThatThrownBy(() -> StateFolder.claim(streams, "prod.", "bulwark-detectors"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("holds the detectors' state for the topics bulwark.*, but kafka.topicPrefix is now prod.")
                .hasMessageContaining("Set kafka.topicPrefix back to 'bulwark.'")
                .hasMessageContaining("delete " + streams);
        assertThatThrownBy(() -> StateFolder.claim(streams, "bulwark.", "other-app"))
                .hasMessageContaining("belongs to the detection application 'bulwark-detectors'")
                .hasMessageContaining("reads every event again");
    }
}
