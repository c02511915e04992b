package dev.bulwark.api;

import java.time.Clock;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A bounded map whose entries expire: the console's pending sign-ins and its sessions.
 *
 * <p>Why bounded: anyone can start a sign-in, so a flood of them must not grow memory without bound. At most
 * {@code capacity} entries are kept; when full, expired entries are dropped first, then the oldest one. Expired entries
 * are never returned, and are dropped as they are met (from the oldest end at every insertion).
 */
final class ExpiringStore<V> {

    private record Entry<V>(V value, Instant expires) {
    }

    private final int capacity;
    private final Clock clock;
    private final LinkedHashMap<String, Entry<V>> entries = new LinkedHashMap<>();
    private long evicted;

    ExpiringStore(int capacity, Clock clock) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1");
        }
        this.capacity = capacity;
        this.clock = clock;
    }

    /** Stores a value until {@code expires}; returns whether an unexpired entry had to be evicted to make room. */
    synchronized boolean put(String key, V value, Instant expires) {
        Instant now = clock.instant();
        dropExpiredOldest(now);
        boolean evictedLive = false;
        if (!entries.containsKey(key) && entries.size() >= capacity) {
            entries.values().removeIf(entry -> !entry.expires().isAfter(now));
            if (entries.size() >= capacity) {
                Iterator<Map.Entry<String, Entry<V>>> oldest = entries.entrySet().iterator();
                oldest.next();
                oldest.remove();
                evicted++;
                evictedLive = true;
            }
        }
        entries.put(key, new Entry<>(value, expires));
        return evictedLive;
    }

    /** The value, or null when absent or expired. */
    synchronized V get(String key) {
        Entry<V> entry = entries.get(key);
        if (entry == null) {
            return null;
        }
        if (!entry.expires().isAfter(clock.instant())) {
            entries.remove(key);
            return null;
        }
        return entry.value();
    }

    /** Removes and returns the value, or null when absent or expired (an expired one is removed too). */
    synchronized V remove(String key) {
        Entry<V> entry = entries.remove(key);
        return entry == null || !entry.expires().isAfter(clock.instant()) ? null : entry.value();
    }

    /** Entries held now, expired ones not yet dropped included. */
    synchronized int size() {
        return entries.size();
    }

    /** Unexpired entries evicted so far to stay within the capacity. */
    synchronized long evicted() {
        return evicted;
    }

    private void dropExpiredOldest(Instant now) {
        Iterator<Entry<V>> oldest = entries.values().iterator();
        while (oldest.hasNext()) {
            if (oldest.next().expires().isAfter(now)) {
                return;
            }
            oldest.remove();
        }
    }
}
