package dev.bulwark.detectors.api;

import org.apache.kafka.common.serialization.Serde;

/**
 * Adds state stores for one detector, named after it.
 *
 * <p>Why: store names become changelog topic names and must not collide between detectors or change between
 * releases (a renamed store starts empty). Every store is named {@code <detector>-<name>}; pass the returned name to
 * {@code process(..., storeNames)} and to {@code ProcessorContext#getStateStore} in the processor's {@code init}.
 */
public interface StateStores {

    /**
     * A persistent key-value store (RocksDB) backed by a changelog topic, so it survives restarts and moves with its
     * partitions to another instance. It is cached: repeated writes of a key within a commit interval reach RocksDB
     * and the changelog once, and reads see the latest write.
     *
     * @param name the store's name within the detector (lowercase letters, digits and dashes)
     * @return the store's full name, {@code <detector>-<name>}
     * @throws IllegalArgumentException when the name is malformed or already taken by this detector
     */
    <K, V> String keyValue(String name, Serde<K> keys, Serde<V> values);

    /**
     * An in-memory key-value store backed by a changelog topic: restored from the changelog on start, so keep it
     * small (bounded caches, pending work).
     *
     * @return the store's full name, {@code <detector>-<name>}
     * @throws IllegalArgumentException when the name is malformed or already taken by this detector
     */
    <K, V> String inMemoryKeyValue(String name, Serde<K> keys, Serde<V> values);
}
