package dev.bulwark.schemas;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Creates Bulwark's topics when they are missing; existing topics are left as they are.
 *
 * <p>Why: {@code local up}, {@code run} and tests all need the same topics with the same configs, and brokers are run
 * with automatic topic creation off so that a typo never silently creates a topic.
 */
public final class TopicAdmin {

    private TopicAdmin() {
    }

    /**
     * Waits until every partition of freshly created topics has a leader, so the first records sent are not bounced
     * with {@code NOT_LEADER_OR_FOLLOWER} while the controller elects them (an idempotent producer retrying many
     * in-flight batches against a partition without a leader can stall until its delivery timeout).
     */
    static void awaitLeaders(Admin admin, List<String> topicNames)
            throws InterruptedException, ExecutionException, TimeoutException {
        if (topicNames.isEmpty()) {
            return;
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            if (leadersServe(admin, topicNames)) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new TimeoutException("partitions of " + topicNames + " have no serving leader after 30 s");
            }
            Thread.sleep(100);
        }
    }

    /**
     * True when every partition has a leader in the metadata and that leader answers a ListOffsets request for it,
     * which it only does once it has taken leadership (the metadata can name a leader a moment before).
     */
    private static boolean leadersServe(Admin admin, List<String> topicNames) throws InterruptedException, TimeoutException {
        try {
            Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> latest = new java.util.HashMap<>();
            for (var description : admin.describeTopics(topicNames).allTopicNames().get(10, TimeUnit.SECONDS).values()) {
                for (var partition : description.partitions()) {
                    if (partition.leader() == null || partition.leader().isEmpty()) {
                        return false;
                    }
                    latest.put(new org.apache.kafka.common.TopicPartition(description.name(), partition.partition()),
                            org.apache.kafka.clients.admin.OffsetSpec.latest());
                }
            }
            admin.listOffsets(latest).all().get(10, TimeUnit.SECONDS);
            return true;
        } catch (ExecutionException e) {
            return false;
        }
    }

    /**
     * The largest record each topic accepts: its {@code max.message.bytes}, as the broker applies it (the topic's own
     * setting, else the broker's {@code message.max.bytes}).
     */
    public static Map<String, Integer> maxMessageBytes(Admin admin, java.util.Collection<String> topicNames)
            throws InterruptedException {
        List<org.apache.kafka.common.config.ConfigResource> resources = topicNames.stream()
                .map(name -> new org.apache.kafka.common.config.ConfigResource(
                        org.apache.kafka.common.config.ConfigResource.Type.TOPIC, name)).toList();
        try {
            Map<String, Integer> limits = new java.util.LinkedHashMap<>();
            admin.describeConfigs(resources).all().get(30, TimeUnit.SECONDS).forEach((resource, config) -> {
                var entry = config.get(org.apache.kafka.common.config.TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
                if (entry != null && entry.value() != null) {
                    limits.put(resource.name(), Integer.parseInt(entry.value()));
                }
            });
            return limits;
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            throw new IllegalStateException("cannot read the configs of topics " + topicNames + ": " + cause.getMessage(),
                    cause);
        }
    }

    /**
     * Ensures every topic of {@code topics} exists.
     *
     * @return the names of the topics that were created now
     */
    public static List<String> ensureTopics(Admin admin, Topics topics, int partitions, short replicationFactor)
            throws InterruptedException {
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be at least 1, got " + partitions);
        }
        try {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<NewTopic> missing = new ArrayList<>();
            for (Topic<String, ?> topic : topics.all()) {
                if (!existing.contains(topic.name())) {
                    missing.add(new NewTopic(topic.name(), partitions, replicationFactor).configs(topic.configs()));
                }
            }
            List<String> created = new ArrayList<>();
            for (var entry : admin.createTopics(missing).values().entrySet()) {
                try {
                    entry.getValue().get(30, TimeUnit.SECONDS);
                    created.add(entry.getKey());
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
            awaitLeaders(admin, created);
            return created;
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            String reason = cause instanceof TimeoutException || cause.getMessage() == null
                    ? "no answer from the broker within 30 s" : cause.getMessage();
            throw new IllegalStateException("cannot create Kafka topics: " + reason + " (is the broker up? try ./bulwark "
                    + "local status; a secured cluster also needs the kafka.security.* settings, see ./bulwark local env)",
                    cause);
        }
    }
}
