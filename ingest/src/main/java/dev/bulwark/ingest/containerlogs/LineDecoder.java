package dev.bulwark.ingest.containerlogs;

import dev.bulwark.ingest.ParseException;

/**
 * Decodes one physical line of a container log format.
 *
 * <p>Why: the framer must know a line's stream, whether it is partial and how its message starts before it can group
 * lines, and the parser needs the same decoding afterwards; both use one decoder per format.
 */
@FunctionalInterface
interface LineDecoder {

    /**
     * Decodes one line, given without its newline.
     *
     * @throws ParseException when the line is not a valid line of the format, saying why
     */
    DecodedLine decode(byte[] line) throws ParseException;
}
