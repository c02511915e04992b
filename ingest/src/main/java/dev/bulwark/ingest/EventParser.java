package dev.bulwark.ingest;

import java.util.List;

import dev.bulwark.schemas.SecurityEvent;

/**
 * A {@link SourceParser} whose records become {@link SecurityEvent}s (Falco, Tetragon, audit logs, container logs,
 * image scans).
 *
 * <p>Why: most formats only produce events; they implement {@link #parse} and get {@link #normalize} for free.
 */
public interface EventParser extends SourceParser {

    /**
     * Parses one record.
     *
     * @param record the raw bytes exactly as framed
     * @param origin where it was read (file:line, request), for messages
     * @return one or more events; never empty (a record with nothing to say is an error)
     * @throws ParseException when the record cannot be normalized
     */
    List<SecurityEvent> parse(byte[] record, String origin) throws ParseException;

    @Override
    default Normalized normalize(byte[] record, String origin) throws ParseException {
        return Normalized.events(parse(record, origin));
    }
}
