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
 * read every event again, counting Sigma repeats twice.
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
        Path marker = folder.resolve(MARKER);
        Files.createDirectories(folder);
        if (Files.isRegularFile(marker)) {
            Properties recorded = new Properties();
            try (Reader in = Files.newBufferedReader(marker, StandardCharsets.UTF_8)) {
                recorded.load(in);
            }
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
            return;
        }
        Properties record = new Properties();
        record.setProperty("topicPrefix", topicPrefix);
        record.setProperty("applicationId", applicationId);
        try (Writer out = Files.newBufferedWriter(marker, StandardCharsets.UTF_8)) {
            record.store(out, "what this Kafka Streams state folder was made for (bulwark checks it at start)");
        }
    }
}
