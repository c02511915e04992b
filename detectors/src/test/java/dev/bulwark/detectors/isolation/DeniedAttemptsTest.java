package dev.bulwark.detectors.isolation;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;

import org.junit.jupiter.api.Test;

import dev.bulwark.schemas.AvroSerde;
import dev.bulwark.schemas.EventInfo;
import dev.bulwark.schemas.SecurityEvent;

class DeniedAttemptsTest {

    private static SecurityEvent event(String id, long millis) {
        return SecurityEvent.newBuilder().setId(id).setTimestamp(millis * 1_000_000L).setSourceFormat("k8s-audit")
                .setEvent(EventInfo.newBuilder().build()).build();
    }

    @Test
    void theStateIsAnAvroRecordAndRoundTrips() {
        var serde = DeniedAttempts.serde();
        DeniedAttempts attempts = DeniedAttempts.empty().add(event("a1", 2_000)).add(event("a2", 1_000));
        byte[] bytes = serde.serializer().serialize("t", attempts);
        assertThat(bytes[0]).as("Avro single-object marker").isEqualTo((byte) 0xC3);
        DeniedAttempts read = serde.deserializer().deserialize("t", bytes);
        assertThat(read.count()).isEqualTo(2);
        assertThat(read.firstSeenMillis()).isEqualTo(1_000);
        assertThat(read.eventIds()).containsExactly("a1", "a2");
        assertThat(read.last().getId()).isEqualTo("a2");
        DeniedAttempts empty = serde.deserializer().deserialize("t", serde.serializer().serialize("t", DeniedAttempts.empty()));
        assertThat(empty.count()).isZero();
        assertThat(empty.last()).isNull();
        assertThat(empty.firstSeenMillis()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void entriesInThePreviousBinaryLayoutAreStillRead() throws Exception {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(buffer)) {
            out.writeLong(3);
            out.writeLong(500);
            out.writeInt(1);
            out.writeUTF("old-1");
            byte[] event = AvroSerde.of(SecurityEvent.class).encode(event("old-3", 900));
            out.writeInt(event.length);
            out.write(event);
        }
        DeniedAttempts read = DeniedAttempts.serde().deserializer().deserialize("t", buffer.toByteArray());
        assertThat(read.count()).isEqualTo(3);
        assertThat(read.firstSeenMillis()).isEqualTo(500);
        assertThat(read.eventIds()).containsExactly("old-1");
        assertThat(read.last().getId()).isEqualTo("old-3");
    }
}
