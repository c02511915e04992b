package dev.bulwark.cli;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * The detectors' state folder remembers which topics and application id it was made for, and refuses, with what to
 * do, to run with others.
 *
 * <p>Why: Kafka Streams keeps the tenant-directory global store and its checkpoints under {@code home/streams}. Started
 * with another {@code kafka.topicPrefix}, its global thread died at once ("Global thread has died") and the user was
 * left guessing; started with another {@code detection.applicationId}, it would silently begin a new consumer group and
 * read every event again, counting Sigma repeats twice. Started against another Kafka cluster (a new one, or the local
 * stack after {@code local down --purge}), the state describes records that no longer exist: Kafka Streams notices
 * only some of it, and a detector's memory of what it already reported (Sigma's fold episodes, say) would keep it from
 * reporting the same events again to a cluster and an index that never saw them. So the folder also records the
 * cluster id, and a folder of another cluster is emptied and rebuilt from the new cluster's topics.
 */
final class StateFolder {

    static final String MARKER = "bulwark-state.properties";

    private StateFolder() {
    }

    /**
     * Checks {@code folder} against the configuration, and records the configuration there when the folder is new.
     *
     * @throws IllegalStateException saying what differs and what to do
     */
    static void claim(Path folder, String topicPrefix, String applicationId) throws IOException {
        claim(folder, topicPrefix, applicationId, null);
    }

    /**
     * As {@link #claim(Path, String, String)}, and binds the folder to the Kafka cluster {@code clusterId} (null: not
     * known, nothing checked): a folder recorded for another cluster is emptied first.
     *
     * @return true when the folder held another cluster's state and was emptied
     */
    static boolean claim(Path folder, String topicPrefix, String applicationId, String clusterId) throws IOException {
        Path marker = folder.resolve(MARKER);
        Files.createDirectories(folder);
        Properties recorded = null;
        if (Files.isRegularFile(marker)) {
            recorded = new Properties();
            try (Reader in = Files.newBufferedReader(marker, StandardCharsets.UTF_8)) {
                recorded.load(in);
            }
        }
        boolean emptied = false;
        String wasCluster = recorded == null ? null : recorded.getProperty("clusterId");
        if (clusterId != null && wasCluster != null && !wasCluster.equals(clusterId)) {
            empty(folder);
            emptied = true;
            recorded = null;
        }
        if (recorded != null) {
            String wasPrefix = recorded.getProperty("topicPrefix");
            String wasApplication = recorded.getProperty("applicationId");
            if (wasPrefix != null && !wasPrefix.equals(topicPrefix)) {
                throw new IllegalStateException("the state folder " + folder + " holds the detectors' state for the topics "
                        + wasPrefix + "*, but kafka.topicPrefix is now " + topicPrefix + ". Kafka Streams cannot reuse it. "
                        + "Set kafka.topicPrefix back to '" + wasPrefix + "', or give this configuration its own home "
                        + "(home, BULWARK_HOME), or delete " + folder + " to rebuild the state from the topics.");
            }
            if (wasApplication != null && !wasApplication.equals(applicationId)) {
                throw new IllegalStateException("the state folder " + folder + " belongs to the detection application '"
                        + wasApplication + "', but detection.applicationId is now '" + applicationId + "'. A new "
                        + "application id is a new consumer group that reads every event again (Sigma repeats would "
                        + "count twice). Set detection.applicationId back to '" + wasApplication + "', or, to start over "
                        + "on purpose, delete " + folder + " (or use another home) and reset the old group's offsets.");
            }
            if (clusterId == null || clusterId.equals(wasCluster)) {
                return false; // as recorded
            }
        }
        Properties record = new Properties();
        record.setProperty("topicPrefix", topicPrefix);
        record.setProperty("applicationId", applicationId);
        if (clusterId != null) {
            record.setProperty("clusterId", clusterId);
        }
        try (Writer out = Files.newBufferedWriter(marker, StandardCharsets.UTF_8)) {
            record.store(out, "what this Kafka Streams state folder was made for (bulwark checks it at start)");
        }
        return emptied;
    }

    /** Deletes everything in {@code folder}, keeping the folder. */
    private static void empty(Path folder) throws IOException {
        try (var walk = Files.walk(folder)) {
            for (Path path : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                if (!path.equals(folder)) {
                    Files.delete(path);
                }
            }
        }
    }
}
