package dev.bulwark.contextwatch;

import java.util.function.BooleanSupplier;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The watcher's meters (Prometheus names with {@code _total} for counters).
 *
 * <ul>
 *   <li>{@code bulwark.context.watch.events{kind, type}}: informer events; {@code type} is {@code added},
 *       {@code modified}, {@code deleted} (a watch DELETED event), {@code deleted_at_restart} (a key published before
 *       the restart whose object is gone) or {@code deleted_at_relist} (an object found gone by a relist). Kind
 *       {@code tenant} counts Capsule Tenants.</li>
 *   <li>{@code bulwark.context.watch.updates{kind, op}}: updates handed to the sink, {@code op} {@code upsert} or
 *       {@code tombstone}.</li>
 *   <li>{@code bulwark.context.watch.rejected{kind}}: objects the parser rejected (handed to the sink's reject).</li>
 *   <li>{@code bulwark.context.watch.relists{kind}}: full relists after the first list (after a watch expired with
 *       410 Gone or failed).</li>
 *   <li>{@code bulwark.context.watch.sink.failures}: sink calls that threw.</li>
 *   <li>{@code bulwark.context.watch.synced}: 1 once every informer has synced and the restart reconcile is done.</li>
 * </ul>
 */
final class WatchMetrics {

    private final MeterRegistry registry;

    WatchMetrics(MeterRegistry registry, BooleanSupplier synced) {
        this.registry = registry;
        // Held strongly: the supplier is a lambda nothing else references. One watcher per registry: a second one's
        // gauge would be ignored by the registry.
        Gauge.builder("bulwark.context.watch.synced", synced, s -> s.getAsBoolean() ? 1 : 0).strongReference(true)
                .description("1 once every informer has synced and the restart reconcile is done").register(registry);
    }

    void event(String kind, String type) {
        Counter.builder("bulwark.context.watch.events").tag("kind", kind).tag("type", type)
                .description("informer events").register(registry).increment();
    }

    void update(String kind, boolean tombstone) {
        Counter.builder("bulwark.context.watch.updates").tag("kind", kind).tag("op", tombstone ? "tombstone" : "upsert")
                .description("context updates handed to the sink").register(registry).increment();
    }

    void rejected(String kind) {
        Counter.builder("bulwark.context.watch.rejected").tag("kind", kind)
                .description("objects the parser rejected").register(registry).increment();
    }

    void relist(String kind) {
        Counter.builder("bulwark.context.watch.relists").tag("kind", kind)
                .description("relists after the first list (watch expired or failed)").register(registry).increment();
    }

    void sinkFailure() {
        Counter.builder("bulwark.context.watch.sink.failures")
                .description("sink calls that threw").register(registry).increment();
    }
}
