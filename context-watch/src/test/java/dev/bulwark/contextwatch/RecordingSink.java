package dev.bulwark.contextwatch;

import static org.assertj.core.api.Assertions.fail;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import dev.bulwark.ingest.ContextUpdate;

/** Records what the watcher publishes, in order, and waits for what a test expects. */
final class RecordingSink implements ContextSink {

    static final Duration TIMEOUT = Duration.ofSeconds(20);

    private final List<ContextUpdate> updates = new ArrayList<>();
    private final List<RejectedObject> rejected = new ArrayList<>();

    @Override
    public synchronized void publish(ContextUpdate update) {
        updates.add(update);
        notifyAll();
    }

    @Override
    public synchronized void reject(RejectedObject object) {
        rejected.add(object);
        notifyAll();
    }

    synchronized List<ContextUpdate> updates() {
        return List.copyOf(updates);
    }

    synchronized List<RejectedObject> rejected() {
        return List.copyOf(rejected);
    }

    /** Updates of one key, in order. */
    synchronized List<ContextUpdate> updates(String key) {
        return updates.stream().filter(u -> u.key().equals(key)).toList();
    }

    /** The topic as compaction would leave it: the latest value of every key that is not a tombstone. */
    synchronized Map<String, ContextUpdate> live() {
        Map<String, ContextUpdate> live = new HashMap<>();
        for (ContextUpdate update : updates) {
            if (update.isDeletion()) {
                live.remove(update.key());
            } else {
                live.put(update.key(), update);
            }
        }
        return live;
    }

    /** Waits for the first update after index {@code from} that matches, and returns its index. */
    synchronized int await(int from, Predicate<ContextUpdate> expected, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (true) {
            for (int i = from; i < updates.size(); i++) {
                if (expected.test(updates.get(i))) {
                    return i;
                }
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                fail("no update " + what + " within " + TIMEOUT + "; got " + updates.subList(from, updates.size()));
            }
            wait(Math.max(1, left / 1_000_000));
        }
    }

    /** Waits for an upsert of the key. */
    int awaitUpsert(String key) throws InterruptedException {
        return await(0, u -> u.key().equals(key) && !u.isDeletion(), "upserting " + key);
    }

    /** Waits for an upsert of the key and returns it. */
    synchronized ContextUpdate awaitUpserted(String key) throws InterruptedException {
        return updates.get(awaitUpsert(key));
    }

    /** Waits for a tombstone of the key. */
    int awaitTombstone(String key) throws InterruptedException {
        return await(0, u -> u.key().equals(key) && u.isDeletion(), "tombstoning " + key);
    }

    /** Waits for a rejected object. */
    synchronized RejectedObject awaitRejected(Predicate<RejectedObject> expected) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (true) {
            for (RejectedObject object : rejected) {
                if (expected.test(object)) {
                    return object;
                }
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                fail("no matching rejected object within " + TIMEOUT + "; got " + rejected);
            }
            wait(Math.max(1, left / 1_000_000));
        }
    }
}
