package dev.bulwark.contextwatch;

import dev.bulwark.ingest.ContextUpdate;

/**
 * Where {@link ClusterContextWatcher} sends what it observes: context updates for the compacted context topic, and the
 * objects it could not normalize.
 *
 * <p>Why: the watcher knows Kubernetes, not Kafka; the caller decides how an update is produced (keyed by
 * {@link ContextUpdate#key()}, a null value as tombstone) and how a rejected object is dead-lettered, exactly as the
 * file ingest does for {@code --format k8s-objects}.
 *
 * <p>The watcher calls the sink from its informers' threads, one call at a time (never concurrently), in the order
 * the updates must be applied. Calls should not block for long: while one runs, every informer's events wait. A
 * {@code KafkaProducer.send} without waiting for its future is the intended use. A sink should not throw; an exception
 * is logged and counted ({@code bulwark.context.watch.sink.failures}), and that update is lost until the object
 * changes again or the watcher restarts.
 */
public interface ContextSink {

    /**
     * An upsert, or a tombstone ({@link ContextUpdate#isDeletion()}) for an object that is gone or being deleted.
     */
    void publish(ContextUpdate update);

    /**
     * An object the parser rejected (the reason says which field and why). Nothing was published for it: the
     * previous version of the object, if any, stays in the topic. Meant for the dead-letter topic, with
     * {@link RejectedObject#FORMAT} as the source format.
     */
    void reject(RejectedObject rejected);
}
