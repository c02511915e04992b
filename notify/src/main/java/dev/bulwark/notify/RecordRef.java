package dev.bulwark.notify;

import org.apache.kafka.common.TopicPartition;

/**
 * One consumed record, kept until it is delivered, summarised, skipped or dead-lettered: its place (for the commit and
 * the dead letter's origin) and its original bytes (for the dead letter).
 *
 * @param recordType the Avro type it holds ({@code Finding}, {@code Incident}), for the dead letter's source format
 */
record RecordRef(String topic, int partition, long offset, String key, byte[] value, String recordType) {

    TopicPartition topicPartition() {
        return new TopicPartition(topic, partition);
    }

    /** {@code topic-partition@offset}. */
    String origin() {
        return dev.bulwark.schemas.DeadLetters.origin(topic, partition, offset);
    }

    @Override
    public String toString() {
        return "RecordRef[" + origin() + "]";
    }
}
