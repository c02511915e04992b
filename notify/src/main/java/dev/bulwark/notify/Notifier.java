package dev.bulwark.notify;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.producer.Producer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.bulwark.schemas.Topics;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The notifier: one {@link RouteNotifier} per route, each in its own consumer group
 * ({@code <applicationId>-notify-<route>}) and its own thread, so a receiver that is down stalls only its own route.
 *
 * <p>The consumers must not auto-commit (the routes commit after delivery); read_committed and
 * {@code auto.offset.reset=earliest} are expected, so that a new route starts from the oldest retained record (the rate
 * limit summarises that backlog) and nothing in between is skipped.
 */
public final class Notifier implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Notifier.class);

    private final List<RouteNotifier> routes = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();

    /**
     * @param consumers a new consumer for a group id (String keys, byte[] values, auto-commit off)
     * @param deadLetters the producer of dead letters, shared by the routes
     */
    public Notifier(List<Route> routes, Function<String, Consumer<String, byte[]>> consumers,
                    Producer<String, byte[]> deadLetters, Topics topics, NotifySettings settings, MeterRegistry metrics) {
        for (Route route : routes) {
            this.routes.add(new RouteNotifier(route, consumers.apply(settings.groupId(route)), deadLetters, topics,
                    settings, metrics));
        }
    }

    /** Starts one thread per route. */
    public Notifier start() {
        for (RouteNotifier route : routes) {
            Thread thread = new Thread(route, "bulwark-notify-" + route.route().name());
            thread.setUncaughtExceptionHandler((t, e) -> LOG.error("Route {} stopped on an error; its records stay"
                    + " uncommitted and are notified after a restart: {}", route.route().name(), e.toString()));
            threads.add(thread);
            thread.start();
        }
        LOG.info("Notifier started with {} route(s)", routes.size());
        return this;
    }

    /** Whether every route's thread is running (for readiness). */
    public boolean healthy() {
        return !threads.isEmpty() && threads.stream().allMatch(Thread::isAlive);
    }

    @Override
    public void close() throws InterruptedException {
        routes.forEach(RouteNotifier::close);
        for (Thread thread : threads) {
            thread.join(30_000);
        }
    }
}
