package dev.bulwark.ingest;

import java.io.IOException;
import java.io.InputStream;
import java.util.function.LongConsumer;

/**
 * Reads a byte stream, frames it into records with the parser's {@link Framing} and publishes each through an
 * {@link EventPublisher}.
 *
 * <p>Why: file ingest, stdin ingest, the HTTP receiver and tests share one loop with the same record-size limit and
 * accounting.
 */
public final class StreamIngestor {

    /** Largest record accepted; Kafka's default message limit is 1 MiB. */
    public static final int DEFAULT_MAX_RECORD_BYTES = 1024 * 1024;

    private final EventPublisher publisher;
    private final int maxRecordBytes;

    public StreamIngestor(EventPublisher publisher, int maxRecordBytes) {
        this.publisher = publisher;
        this.maxRecordBytes = maxRecordBytes;
    }

    /**
     * Publishes every record of {@code in}.
     *
     * @param originName a name for messages, e.g. the file path or {@code stdin}
     * @param progress called with the running record count every 10,000 records
     * @return the number of records read from this stream
     */
    public long ingest(InputStream in, String originName, SourceParser parser, LongConsumer progress) throws IOException {
        return ingest(in, originName, parser, progress, outcome -> { });
    }

    /**
     * Like {@link #ingest(InputStream, String, SourceParser, LongConsumer)}, handing each record's acknowledgement to
     * {@code outcomes} (the HTTP receiver answers only after Kafka acknowledged every record of a request).
     */
    public long ingest(InputStream in, String originName, SourceParser parser, LongConsumer progress,
            java.util.function.Consumer<java.util.concurrent.CompletableFuture<EventPublisher.Outcome>> outcomes)
            throws IOException {
        RecordReader reader = new RecordReader(in, maxRecordBytes);
        RecordFramer framer = parser.framing().newFramer(maxRecordBytes);
        long[] count = {0};
        java.util.function.Consumer<RecordFramer.Framed> publish = framed -> {
            outcomes.accept(publisher.publish(parser, framed.bytes(), framed.size(), framed.origin(originName)));
            if (++count[0] % 10_000 == 0) {
                progress.accept(count[0]);
            }
        };
        for (RecordReader.Record line = reader.next(); line != null; line = reader.next()) {
            framer.accept(new RecordFramer.Line(line.bytes(), line.line(), line.size()), publish);
        }
        framer.finish(publish);
        return count[0];
    }
}
