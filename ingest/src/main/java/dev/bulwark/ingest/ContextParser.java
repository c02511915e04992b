package dev.bulwark.ingest;

import java.util.List;

/**
 * A {@link SourceParser} whose records become tenant context: Kubernetes objects that say who owns what.
 *
 * <p>Why: context goes to the compacted context topic keyed by object, where a newer version replaces the older and a
 * deletion is a tombstone, so its output is a list of {@link ContextUpdate}s rather than events.
 */
public interface ContextParser extends SourceParser {

    /**
     * Parses one record.
     *
     * @return one or more updates; never empty
     * @throws ParseException when the record cannot be normalized
     */
    List<ContextUpdate> parse(byte[] record, String origin) throws ParseException;

    @Override
    default Normalized normalize(byte[] record, String origin) throws ParseException {
        return Normalized.context(parse(record, origin));
    }
}
