package dev.bulwark.schemas;

import java.util.Map;

import org.apache.kafka.common.serialization.Serde;

/**
 * One Kafka topic with its key and value serdes, so no code repeats a topic name or picks the wrong serde.
 *
 * @param name full topic name, prefix included
 * @param keySerde serde of the record key
 * @param valueSerde serde of the record value
 * @param configs topic-level configs applied when the topic is created (e.g. compaction)
 */
public record Topic<K, V>(String name, Serde<K> keySerde, Serde<V> valueSerde, Map<String, String> configs) {
}
