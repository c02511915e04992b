package dev.bulwark.detectors.isolation;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ProbingWindowTest {

    private static final long WINDOW = 60_000;
    private static final long GRACE = 10_000;

    private static ProbingWindow.Step add(ProbingWindow window, String id, long time, int threshold) {
        return window.add(id, time, threshold, WINDOW, GRACE);
    }

    @Test
    void firesWhenThresholdRefusalsFallWithinAnyWindow() {
        ProbingWindow w = ProbingWindow.empty();
        w = add(w, "a", 1_000, 3).window();
        w = add(w, "b", 40_000, 3).window();
        ProbingWindow.Step third = add(w, "c", 61_000, 3);
        assertThat(third.firing()).as("a at 1s is outside (1s, 61s]").isNull();
        ProbingWindow.Step fourth = add(third.window(), "d", 62_000, 3);
        assertThat(fourth.firing()).isNotNull();
        assertThat(fourth.firing().count()).isEqualTo(3);
        assertThat(fourth.firing().eventIds()).containsExactly("b", "c", "d");
        assertThat(fourth.firing().firstSeen()).isEqualTo(40_000);
        assertThat(fourth.window().suppressedUntil()).isEqualTo(62_000 + WINDOW);
    }

    @Test
    void aLateRefusalWithinTheGraceCompletesAWindowEndingAfterIt() {
        ProbingWindow w = ProbingWindow.empty();
        w = add(w, "a", 10_000, 3).window();
        w = add(w, "c", 30_000, 3).window();
        ProbingWindow.Step late = add(w, "b", 20_000, 3);
        assertThat(late.firing()).isNotNull();
        assertThat(late.firing().eventIds()).containsExactly("a", "b", "c");
        assertThat(late.window().times()).containsExactly(10_000L, 20_000L, 30_000L);
    }

    @Test
    void aRefusalLaterThanTheGraceChangesNothing() {
        ProbingWindow w = add(ProbingWindow.empty(), "a", 200_000, 2).window();
        ProbingWindow.Step stale = add(w, "old", 200_000 - WINDOW - GRACE, 2);
        assertThat(stale.firing()).isNull();
        assertThat(stale.window()).isSameAs(w);
    }

    @Test
    void heldEntriesAreBoundedByTheThresholdAndTheWindow() {
        ProbingWindow w = ProbingWindow.empty();
        for (int i = 0; i < 50; i++) {
            w = add(w, "e" + i, i * 1_000L, 10).window();
        }
        assertThat(w.times()).hasSize(10);
        assertThat(w.eventIds()).first().isEqualTo("e40");
        w = add(w, "far", 1_000_000, 10).window();
        assertThat(w.times()).containsExactly(1_000_000L);
        assertThat(w.expired(1_000_000 + WINDOW + GRACE - 1, WINDOW, GRACE)).isFalse();
        assertThat(w.expired(1_000_000 + WINDOW + GRACE, WINDOW, GRACE)).as("suppression of the burst ended too").isTrue();
    }

    @Test
    void theStateIsAnAvroRecordAndRoundTrips() {
        ProbingWindow w = add(add(ProbingWindow.empty(), "a", 1_000, 2).window(), "b", 2_000, 2).window();
        var serde = ProbingWindow.serde();
        byte[] bytes = serde.serializer().serialize("t", w);
        assertThat(bytes[0]).as("Avro single-object marker").isEqualTo((byte) 0xC3);
        ProbingWindow read = serde.deserializer().deserialize("t", bytes);
        assertThat(read.times()).containsExactly(1_000L, 2_000L);
        assertThat(read.eventIds()).containsExactly("a", "b");
        assertThat(read.suppressedUntil()).isEqualTo(2_000 + WINDOW);
    }
}
