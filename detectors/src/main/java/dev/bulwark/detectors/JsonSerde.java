package dev.bulwark.detectors;

import java.io.IOException;

import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * A Kafka serde for a detector's own state records (Java records), as JSON.
 *
 * <p>Why: state such as a behaviour profile is internal to one detector and changes shape with it; JSON keeps it readable
 * in changelog topics and tolerant of added fields, without a schema per detector.
 */
public final class JsonSerde {

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();

    private JsonSerde() {
    }

    /** A serde for one state type. */
    public static <T> Serde<T> of(Class<T> type) {
        return Serdes.serdeFrom((topic, value) -> {
            try {
                return value == null ? null : MAPPER.writeValueAsBytes(value);
            } catch (IOException e) {
                throw new SerializationException("cannot write " + type.getSimpleName() + ": " + e.getMessage(), e);
            }
        }, (topic, bytes) -> {
            try {
                return bytes == null ? null : MAPPER.readValue(bytes, type);
            } catch (IOException e) {
                throw new SerializationException("cannot read " + type.getSimpleName() + ": " + e.getMessage(), e);
            }
        });
    }
}
