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

    @Test
    void aFolderOfAnotherKafkaClusterIsEmptiedAndClaimedAgain() throws Exception {
        Path streams = home.resolve("streams");
        assertThat(StateFolder.claim(streams, "bulwark.", "bulwark-detectors", "cluster-a")).isFalse();
        java.nio.file.Files.createDirectories(streams.resolve("bulwark-detectors/2_0"));
        java.nio.file.Files.writeString(streams.resolve("bulwark-detectors/2_0/.checkpoint"), "0\n");
        assertThat(StateFolder.claim(streams, "bulwark.", "bulwark-detectors", "cluster-a")).as("same cluster").isFalse();
        assertThat(streams.resolve("bulwark-detectors/2_0/.checkpoint")).exists();

        assertThat(StateFolder.claim(streams, "bulwark.", "bulwark-detectors", "cluster-b")).isTrue();
        assertThat(streams.resolve("bulwark-detectors")).doesNotExist();
        assertThat(java.nio.file.Files.readString(streams.resolve(StateFolder.MARKER))).contains("clusterId=cluster-b");
        // An unknown cluster id (the broker did not say) checks nothing and keeps what was recorded.
        assertThat(StateFolder.claim(streams, "bulwark.", "bulwark-detectors", null)).isFalse();
        assertThat(java.nio.file.Files.readString(streams.resolve(StateFolder.MARKER))).contains("clusterId=cluster-b");
        // A folder claimed before cluster ids were recorded is bound to the cluster it meets first.
        Path older = home.resolve("older");
        StateFolder.claim(older, "bulwark.", "bulwark-detectors");
        assertThat(StateFolder.claim(older, "bulwark.", "bulwark-detectors", "cluster-a")).isFalse();
        assertThat(java.nio.file.Files.readString(older.resolve(StateFolder.MARKER))).contains("clusterId=cluster-a");
    }
}
