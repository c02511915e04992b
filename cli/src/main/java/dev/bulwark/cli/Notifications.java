package dev.bulwark.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import dev.bulwark.notify.Notifier;
import dev.bulwark.notify.NotifySettings;
import dev.bulwark.notify.Route;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The notify component: the configured routes ({@code notify.routes}), each in its own consumer group as the notify
 * component's Kafka user, delivering findings and incidents to webhooks, Slack and Alertmanager
 * (docs/notifications.md).
 */
final class Notifications implements AutoCloseable {

    private final Notifier notifier;
    private final KafkaProducer<String, byte[]> deadLetters;

    private Notifications(Notifier notifier, KafkaProducer<String, byte[]> deadLetters) {
        this.notifier = notifier;
        this.deadLetters = deadLetters;
    }

    /**
     * Starts one thread per route; {@code stateDir} names this instance in its consumer groups (static membership, as
     * the sink's).
     *
     * @throws IllegalArgumentException when a route's URL is plain http beyond loopback and
     *         {@code notify.allowPlainHttp} is not set
     */
    static Notifications start(BulwarkConfig config, Path stateDir, MeterRegistry metrics)
            throws InterruptedException {
        List<Route> routes = new ArrayList<>();
        for (Route route : config.notify.routes) {
            routes.add(route.checkUrl(config.notify.allowPlainHttp));
        }
        KafkaClients kafka = new KafkaClients(config).as(KafkaSecurity.Component.NOTIFY);
        kafka.checkAccess();
        String instanceId = kafka.instanceId(stateDir);
        KafkaProducer<String, byte[]> deadLetters = new KafkaProducer<>(kafka.producer("bulwark-notify-dlq"),
                new StringSerializer(), new ByteArraySerializer());
        try {
            Notifier notifier = new Notifier(routes, group -> new KafkaConsumer<>(kafka.groupConsumer(group,
                    instanceId + "-" + group), new StringDeserializer(), new ByteArrayDeserializer()), deadLetters,
                    kafka.topics(), NotifySettings.defaults(config.detection.applicationId), metrics);
            return new Notifications(notifier.start(), deadLetters);
        } catch (RuntimeException e) {
            deadLetters.close(Duration.ofSeconds(5));
            throw e;
        }
    }

    /** Why notifications cannot work right now, or {@code null} when every route's thread runs. */
    String notReadyReason() {
        return notifier.healthy() ? null : "a notification route stopped on an error (see the log); restart to resume";
    }

    @Override
    public void close() throws InterruptedException {
        notifier.close();
        deadLetters.close(Duration.ofSeconds(30));
    }
}
