package dev.bulwark.ingest;

import java.io.IOException;
import java.io.InputStream;
import java.util.function.LongConsumer;

/**
 * Reads newline-delimited records from a stream and publishes each through an {@link EventPublisher}.
 *
 * <p>Why: file ingest, stdin ingest and tests share one loop with the same record-size limit and accounting.
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
    public long ingest(InputStream in, String originName, EventParser parser, LongConsumer progress) throws IOException {
        RecordReader reader = new RecordReader(in, maxRecordBytes);
        long count = 0;
        for (RecordReader.Record record = reader.next(); record != null; record = reader.next()) {
            publisher.publish(parser, record.bytes(), record.size(), originName + ":" + record.line());
            count++;
            if (count % 10_000 == 0) {
                progress.accept(count);
            }
        }
        return count;
    }
}
