package dev.bulwark.ingest;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.bulwark.schemas.SecurityEvent;

/**
 * What ingest does with an event whose time cannot be right: further in the future than {@code maxFuture} (a skewed
 * clock, or a sender choosing its own time) or older than {@code maxAge}. It either clamps the time to now and keeps
 * the original in the attributes {@value #ORIGINAL} and {@value #CLAMPED}, or dead-letters the record.
 *
 * <p>Why: event time names the daily Elasticsearch index and orders findings; unbounded, 30 alerts dated 1972 to 2210
 * created 30 indices (a few hundred exhaust the cluster's shard limit) and future-dated findings sorted on top of
 * "newest" forever.
 *
 * @param maxFuture how far ahead of now an event may be
 * @param maxAge how far behind now an event may be
 * @param deadLetter true to dead-letter such events, false to clamp them
 * @param clock now
 */
public record EventTimePolicy(Duration maxFuture, Duration maxAge, boolean deadLetter, Clock clock) {

    /** Attribute holding the source's own time of a clamped event (RFC 3339). */
    public static final String ORIGINAL = "bulwark.original_time";
    /** Attribute saying why an event's time was clamped: {@code future} or {@code past}. */
    public static final String CLAMPED = "bulwark.time_clamped";

    /** Accepts every time: for replaying archives and for tests of the parsers. */
    public static final EventTimePolicy ANY = new EventTimePolicy(Duration.ofDays(365L * 250), Duration.ofDays(365L * 250),
            false, Clock.systemUTC());

    /** Why {@code event}'s time is out of range ({@code future} or {@code past}), or null when it is fine. */
    public String problem(SecurityEvent event, Instant now) {
        long nanos = event.getTimestamp();
        long nowNanos = now.getEpochSecond() * 1_000_000_000L + now.getNano();
        if (nanos - nowNanos > maxFuture.toNanos()) {
            return "future";
        }
        if (nowNanos - nanos > maxAge.toNanos()) {
            return "past";
        }
        return null;
    }

    /** The reason for a dead letter. */
    public String reason(SecurityEvent event, String problem) {
        return "event time " + Instant.ofEpochSecond(0, event.getTimestamp()) + " is more than "
                + (problem.equals("future") ? dev.bulwark.config.Durations.format(maxFuture) + " in the future"
                : dev.bulwark.config.Durations.format(maxAge) + " in the past")
                + " (eventTime.maxFuture / eventTime.maxAge)";
    }

    /**
     * {@code event} with its time set to now and the original kept. Changes the event in place and returns it: it is a
     * parser's fresh event, and a copy through the builder (a deep copy of the whole event, its original record
     * included) cost a sixth of the receiver's CPU when replaying archives, where every event is clamped.
     */
    public SecurityEvent clamp(SecurityEvent event, String problem, Instant now) {
        Map<String, String> attributes = new LinkedHashMap<>(event.getAttributes());
        attributes.put(ORIGINAL, Instant.ofEpochSecond(0, event.getTimestamp()).toString());
        attributes.put(CLAMPED, problem);
        event.setTimestamp(now.getEpochSecond() * 1_000_000_000L + now.getNano());
        event.setAttributes(attributes);
        return event;
    }
}
