package dev.bulwark.ingest;

import java.util.function.Consumer;

/** {@link Framing#LINES}: every line is a record. */
final class LineFramer implements RecordFramer {

    LineFramer(int maxRecordBytes) {
        // Lines arrive already cut to the limit by the reader.
    }

    @Override
    public void accept(Line line, Consumer<Framed> out) {
        out.accept(new Framed(line.bytes(), line.size(), line.number(), line.number()));
    }

    @Override
    public void finish(Consumer<Framed> out) {
    }
}
