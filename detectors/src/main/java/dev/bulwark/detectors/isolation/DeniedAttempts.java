package dev.bulwark.detectors.isolation;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

import dev.bulwark.detectors.state.DeniedAttemptsWindow;
import dev.bulwark.schemas.AvroSerde;
import dev.bulwark.schemas.SecurityEvent;

/**
 * Denied cross-tenant requests of one identity against one tenant within a window: how many, since when, the first
 * event ids (at most {@value #MAX_IDS}) and the latest event.
 *
 * <p>Why: the probing finding needs the count and the evidence, while the state per key stays small and bounded.
 */
final class DeniedAttempts {

    static final int MAX_IDS = 20;
    private static final AvroSerde<SecurityEvent> EVENTS = AvroSerde.of(SecurityEvent.class);
    private static final AvroSerde<DeniedAttemptsWindow> STATE = AvroSerde.of(DeniedAttemptsWindow.class);

    private final long count;
    private final long firstSeenMillis;
    private final List<String> eventIds;
    private final SecurityEvent last;

    private DeniedAttempts(long count, long firstSeenMillis, List<String> eventIds, SecurityEvent last) {
        this.count = count;
        this.firstSeenMillis = firstSeenMillis;
        this.eventIds = eventIds;
        this.last = last;
    }

    static DeniedAttempts empty() {
        return new DeniedAttempts(0, Long.MAX_VALUE, List.of(), null);
    }

    DeniedAttempts add(SecurityEvent event) {
        List<String> ids = new ArrayList<>(eventIds);
        if (ids.size() < MAX_IDS) {
            ids.add(event.getId());
        }
        long millis = Math.floorDiv(event.getTimestamp(), 1_000_000L);
        return new DeniedAttempts(count + 1, Math.min(firstSeenMillis, millis), ids, event);
    }

    long count() {
        return count;
    }

    long firstSeenMillis() {
        return firstSeenMillis;
    }

    List<String> eventIds() {
        return eventIds;
    }

    SecurityEvent last() {
        return last;
    }

    /**
     * The store's serde: a {@link DeniedAttemptsWindow} Avro record. Entries an older release wrote in its own binary
     * layout (which starts with the count, never with Avro's marker {@code C3 01}) are still read; they last one
     * window's retention at most.
     */
    static Serde<DeniedAttempts> serde() {
        return Serdes.serdeFrom((topic, value) -> value == null ? null : STATE.encode(value.toRecord()),
                (topic, bytes) -> bytes == null ? null
                        : bytes.length >= 2 && bytes[0] == (byte) 0xC3 && bytes[1] == (byte) 0x01
                        ? fromRecord(STATE.decode(bytes)) : decodeLegacy(bytes));
    }

    private DeniedAttemptsWindow toRecord() {
        return DeniedAttemptsWindow.newBuilder().setCount(count).setFirstSeen(firstSeenMillis).setEventIds(eventIds)
                .setLastEvent(last == null ? null : java.nio.ByteBuffer.wrap(EVENTS.encode(last))).build();
    }

    private static DeniedAttempts fromRecord(DeniedAttemptsWindow record) {
        java.nio.ByteBuffer event = record.getLastEvent();
        byte[] bytes = null;
        if (event != null) {
            bytes = new byte[event.remaining()];
            event.duplicate().get(bytes);
        }
        return new DeniedAttempts(record.getCount(), record.getFirstSeen(), List.copyOf(record.getEventIds()),
                bytes == null ? null : EVENTS.decode(bytes));
    }

    /** The layout of releases before the Avro record: count, first seen, ids, then the encoded event. */
    private static DeniedAttempts decodeLegacy(byte[] bytes) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            long count = in.readLong();
            long first = in.readLong();
            int ids = in.readInt();
            List<String> eventIds = new ArrayList<>(ids);
            for (int i = 0; i < ids; i++) {
                eventIds.add(in.readUTF());
            }
            byte[] event = new byte[in.readInt()];
            in.readFully(event);
            return new DeniedAttempts(count, first, eventIds, event.length == 0 ? null : EVENTS.decode(event));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
