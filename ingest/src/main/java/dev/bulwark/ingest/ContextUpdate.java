package dev.bulwark.ingest;

import java.util.Objects;

import dev.bulwark.schemas.TenantContext;

/**
 * One change to tenant context: the newest version of an object, or its deletion.
 *
 * <p>Why: the context topic is compacted by {@link #key}; a {@code null} {@link #value} is published as a tombstone so
 * compaction removes the object and the detectors' tables forget it.
 *
 * @param key {@code kind/key} of the context record, e.g. {@code namespace/team-a}
 * @param value the new version, or null when the object was deleted
 */
public record ContextUpdate(String key, TenantContext value) {

    public ContextUpdate {
        Objects.requireNonNull(key, "key");
    }

    /** An upsert keyed by the record's kind and key. */
    public static ContextUpdate upsert(TenantContext value) {
        return new ContextUpdate(keyOf(value.getKind(), value.getKey()), value);
    }

    /** A deletion (tombstone) of the object with this kind and key. */
    public static ContextUpdate delete(String kind, String key) {
        return new ContextUpdate(keyOf(kind, key), null);
    }

    /** The compacted-topic key for a kind and key. */
    public static String keyOf(String kind, String key) {
        return kind + "/" + key;
    }

    public boolean isDeletion() {
        return value == null;
    }
}
