package dev.bulwark.ingest;

import java.util.List;

import dev.bulwark.schemas.SecurityEvent;

/**
 * Turns one source record (one line or one JSON document) into normalized {@link SecurityEvent}s.
 *
 * <p>Why: every input format has one parser, and the ingest path treats them alike. A parser never crashes on hostile
 * input: it either returns events or throws {@link ParseException} whose message says precisely what is wrong, and the
 * record then goes to the dead-letter topic.
 */
public interface EventParser {

    /** The format name used on the command line and in dead letters, e.g. {@code falco}. */
    String format();

    /**
     * Parses one record.
     *
     * @param record the raw bytes exactly as read
     * @param origin where it was read (file:line, request), for messages
     * @return one or more events; never empty (a record with nothing to say is an error)
     * @throws ParseException when the record cannot be normalized
     */
    List<SecurityEvent> parse(byte[] record, String origin) throws ParseException;
}
