package dev.bulwark.ingest;

/**
 * Turns one framed source record into what Bulwark keeps of it: security events for the events topic and/or tenant
 * context updates for the compacted context topic.
 *
 * <p>Why: the ingest path (files, {@code --follow}, HTTP) treats every format alike; only the framing (how bytes are
 * cut into records) and the normalization differ. A parser never crashes on hostile input: it either returns
 * {@link Normalized} output or throws {@link ParseException} whose message says precisely what is wrong, and the record
 * then goes to the dead-letter topic with its original bytes.
 */
public interface SourceParser {

    /** The format name used on the command line, in URLs and in dead letters, e.g. {@code falco}. */
    String format();

    /** How a byte stream of this format is cut into records. */
    default Framing framing() {
        return Framing.JSON;
    }

    /**
     * Normalizes one record.
     *
     * @param record the raw bytes exactly as framed
     * @param origin where it was read (file:line, request), for messages
     * @return the events and context updates; never empty (a record with nothing to say is an error)
     * @throws ParseException when the record cannot be normalized
     */
    Normalized normalize(byte[] record, String origin) throws ParseException;
}
