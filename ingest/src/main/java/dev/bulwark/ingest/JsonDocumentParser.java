package dev.bulwark.ingest;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A {@link SourceParser} whose records are single JSON documents, which can also normalize a document already read.
 *
 * <p>Why: {@code --format auto} must read a record's JSON to recognize its format; handing the document over means each
 * record is read once, not once to recognize and again to normalize.
 */
public interface JsonDocumentParser extends SourceParser {

    /**
     * Normalizes one record whose JSON document has been read already.
     *
     * @param document the record's JSON object, as {@link SafeJson#readObject(byte[])} reads it
     * @param record the raw bytes exactly as framed (kept as the event's original)
     * @param origin where it was read, for messages
     * @throws ParseException when the record cannot be normalized
     */
    Normalized normalize(JsonNode document, byte[] record, String origin) throws ParseException;
}
