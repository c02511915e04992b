package dev.bulwark.detectors.isolation;

import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.common.serialization.Serde;

import dev.bulwark.detectors.state.ProbingAttempts;
import dev.bulwark.schemas.AvroSerde;

/**
 * The refused cross-tenant requests of one identity against one tenant that a sliding window can still count, oldest
 * first, and the event time before which no further probing finding is raised.
 *
 * <p>Why sliding: a fixed (tumbling) window cuts a burst in two when it straddles a window boundary, and a burst of
 * {@code threshold} refusals within {@code window} must always fire, wherever it falls on the clock. Stored as a
 * {@link ProbingAttempts} record.
 *
 * @param times event times, epoch milliseconds, ascending (ties in arrival order)
 * @param eventIds the event id of each entry of {@code times}
 * @param suppressedUntil no finding for an entry earlier than this (the last firing plus the window)
 */
record ProbingWindow(List<Long> times, List<String> eventIds, long suppressedUntil) {

    /** Evidence lists at most this many event ids. */
    static final int MAX_IDS = 20;

    private static final AvroSerde<ProbingAttempts> STATE = AvroSerde.of(ProbingAttempts.class);

    ProbingWindow {
        times = List.copyOf(times);
        eventIds = List.copyOf(eventIds);
    }

    static ProbingWindow empty() {
        return new ProbingWindow(List.of(), List.of(), Long.MIN_VALUE);
    }

    /** A firing: the refusals within one window that reached the threshold. */
    record Firing(long firstSeen, int count, List<String> eventIds) {
    }

    /** The outcome of one refusal: the new state, and the firing it completed (or null). */
    record Step(ProbingWindow window, Firing firing) {
    }

    /**
     * Adds a refusal at {@code time} and reports the first window it completes: a window {@code (end - window, end]}
     * ending at this entry or a later one, holding at least {@code threshold} entries, with {@code end} not before
     * {@link #suppressedUntil}. Entries at or before the newest minus {@code window} and {@code grace} are dropped, and
     * at most {@code threshold} older ones are kept (the oldest dropped first). A refusal later than the grace counts
     * for nothing: the entries of its window are gone.
     */
    Step add(String eventId, long time, int threshold, long window, long grace) {
        if (!times.isEmpty() && time <= newestOf(times) - window - grace) {
            return new Step(this, null); // later than the grace: the window it belonged to is no longer held
        }
        List<Long> t = new ArrayList<>(times);
        List<String> ids = new ArrayList<>(eventIds);
        int at = t.size();
        while (at > 0 && t.get(at - 1) > time) {
            at--;
        }
        t.add(at, time);
        ids.add(at, eventId);
        long newest = t.get(t.size() - 1);
        int drop = 0;
        while (drop < at && (t.get(drop) <= newest - window - grace || t.size() - drop > threshold)) {
            drop++;
        }
        t = new ArrayList<>(t.subList(drop, t.size()));
        ids = new ArrayList<>(ids.subList(drop, ids.size()));
        at -= drop;
        long suppressed = suppressedUntil;
        Firing firing = null;
        int first = 0;
        for (int end = 0; end < t.size() && firing == null; end++) {
            while (t.get(first) <= t.get(end) - window) {
                first++;
            }
            int count = end - first + 1;
            if (end >= at && count >= threshold && t.get(end) >= suppressed) {
                firing = new Firing(t.get(first), count,
                        List.copyOf(ids.subList(first, Math.min(end + 1, first + MAX_IDS))));
                suppressed = t.get(end) + window;
            }
        }
        return new Step(new ProbingWindow(t, ids, suppressed), firing);
    }

    private static long newestOf(List<Long> times) {
        return times.isEmpty() ? Long.MIN_VALUE : times.get(times.size() - 1);
    }

    /** True when nothing held can count any more and no suppression is running at stream time {@code now}. */
    boolean expired(long now, long window, long grace) {
        return newestOf(times) <= now - window - grace && suppressedUntil <= now;
    }

    /** The store's serde. */
    static Serde<ProbingWindow> serde() {
        return org.apache.kafka.common.serialization.Serdes.serdeFrom(
                (topic, value) -> value == null ? null : STATE.encode(value.toRecord()),
                (topic, bytes) -> bytes == null ? null : fromRecord(STATE.decode(bytes)));
    }

    private ProbingAttempts toRecord() {
        return ProbingAttempts.newBuilder().setTimes(times).setEventIds(eventIds).setSuppressedUntil(suppressedUntil)
                .build();
    }

    private static ProbingWindow fromRecord(ProbingAttempts record) {
        return new ProbingWindow(record.getTimes(), List.copyOf(record.getEventIds()).stream().map(String::valueOf).toList(),
                record.getSuppressedUntil());
    }
}
