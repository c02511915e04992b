package dev.bulwark.bench;

import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * Deletes the topics a benchmark created (its own and those its Kafka Streams apps created), once it is done.
 *
 * <p>Why: a full run writes gigabytes to the local broker, which keeps them for a week by default; benchmarks run again
 * and again would fill the disk.
 */
final class BenchTopics {

    private BenchTopics() {
    }

    /** Deletes every topic whose name starts with {@code prefix}; never throws (a failure is only reported). */
    static void deleteStartingWith(String bootstrap, String prefix) {
        if (bootstrap == null || prefix == null || prefix.length() < 8) {
            return;
        }
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000))) {
            List<String> topics = admin.listTopics().names().get().stream().filter(t -> t.startsWith(prefix)).toList();
            if (!topics.isEmpty()) {
                admin.deleteTopics(topics).all().get();
                BenchCommand.say("deleted the benchmark's " + topics.size() + " topics (" + prefix + "*)");
            }
        } catch (Exception e) {
            BenchCommand.say("WARNING: could not delete the benchmark topics " + prefix + "*: " + e.getMessage()
                    + "; delete them with kafka-topics.sh or ./bulwark local down --purge");
        }
    }
}
