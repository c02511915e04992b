package dev.bulwark.ingest;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * Reads a byte stream, frames it into records with the parser's {@link Framing} and publishes each through an
 * {@link EventPublisher}.
 *
 * <p>Why: file ingest, stdin ingest, the HTTP receiver and tests share one loop with the same record-size limit and
 * accounting.
 *
 * <p>With a parallelism above one, records are normalized and serialized in batches on worker threads (the costly
 * part) while this thread reads, frames and sends, in the original order, so one container's events keep their order
 * on their partition. At most {@code 2 × parallelism} batches are in flight, which bounds memory; when Kafka is slower,
 * {@code send} blocks and reading slows down with it.
 */
public final class StreamIngestor implements AutoCloseable {

    /** Largest record accepted; Kafka's default message limit is 1 MiB. */
    public static final int DEFAULT_MAX_RECORD_BYTES = 1024 * 1024;

    /** Records per batch handed to a worker. */
    private static final int BATCH = 256;

    private final EventPublisher publisher;
    private final int maxRecordBytes;
    private final int parallelism;
    private final ExecutorService workers;

    /** A single-threaded ingestor. */
    public StreamIngestor(EventPublisher publisher, int maxRecordBytes) {
        this(publisher, maxRecordBytes, 1);
    }

    /**
     * @param parallelism threads that normalize records; 1 does everything on the calling thread
     */
    public StreamIngestor(EventPublisher publisher, int maxRecordBytes, int parallelism) {
        this.publisher = publisher;
        this.maxRecordBytes = maxRecordBytes;
        this.parallelism = Math.max(1, parallelism);
        this.workers = this.parallelism == 1 ? null : Executors.newFixedThreadPool(this.parallelism, r -> {
            Thread thread = new Thread(r, "bulwark-normalize");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** A sensible parallelism for this machine: one worker per core beyond the first, at most four. */
    public static int defaultParallelism() {
        return Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors() - 1));
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
            Consumer<CompletableFuture<EventPublisher.Outcome>> outcomes) throws IOException {
        Sink sink = workers == null ? new DirectSink(parser, originName, outcomes) : new ParallelSink(parser, originName, outcomes);
        RecordReader reader = new RecordReader(in, maxRecordBytes);
        RecordFramer framer = parser.framing().newFramer(maxRecordBytes);
        long[] count = {0};
        Consumer<RecordFramer.Framed> publish = framed -> {
            sink.accept(framed);
            if (++count[0] % 10_000 == 0) {
                progress.accept(count[0]);
            }
        };
        try {
            for (RecordReader.Record line = reader.next(); line != null; line = reader.next()) {
                framer.accept(new RecordFramer.Line(line.bytes(), line.line(), line.size()), publish);
            }
            framer.finish(publish);
        } finally {
            sink.drain();
        }
        return count[0];
    }

    @Override
    public void close() {
        if (workers != null) {
            workers.shutdownNow();
        }
    }

    /** Where framed records go. */
    private interface Sink {
        void accept(RecordFramer.Framed framed);

        void drain();
    }

    /** Everything on the calling thread. */
    private final class DirectSink implements Sink {
        private final SourceParser parser;
        private final String originName;
        private final Consumer<CompletableFuture<EventPublisher.Outcome>> outcomes;

        DirectSink(SourceParser parser, String originName, Consumer<CompletableFuture<EventPublisher.Outcome>> outcomes) {
            this.parser = parser;
            this.originName = originName;
            this.outcomes = outcomes;
        }

        @Override
        public void accept(RecordFramer.Framed framed) {
            outcomes.accept(publisher.publish(parser, framed.bytes(), framed.size(), framed.origin(originName)));
        }

        @Override
        public void drain() {
        }
    }

    /** Batches prepared on workers, sent in order on the calling thread. */
    private final class ParallelSink implements Sink {
        private final SourceParser parser;
        private final String originName;
        private final Consumer<CompletableFuture<EventPublisher.Outcome>> outcomes;
        private final Deque<CompletableFuture<List<EventPublisher.Prepared>>> inFlight = new ArrayDeque<>();
        private List<RecordFramer.Framed> batch = new ArrayList<>(BATCH);

        ParallelSink(SourceParser parser, String originName, Consumer<CompletableFuture<EventPublisher.Outcome>> outcomes) {
            this.parser = parser;
            this.originName = originName;
            this.outcomes = outcomes;
        }

        @Override
        public void accept(RecordFramer.Framed framed) {
            batch.add(framed);
            if (batch.size() == BATCH) {
                submit();
            }
        }

        private void submit() {
            List<RecordFramer.Framed> records = batch;
            batch = new ArrayList<>(BATCH);
            inFlight.addLast(CompletableFuture.supplyAsync(() -> {
                List<EventPublisher.Prepared> prepared = new ArrayList<>(records.size());
                for (RecordFramer.Framed framed : records) {
                    prepared.add(publisher.prepare(parser, framed.bytes(), framed.size(), framed.origin(originName)));
                }
                return prepared;
            }, workers));
            while (inFlight.size() > 2 * parallelism) {
                sendOldest();
            }
        }

        private void sendOldest() {
            List<EventPublisher.Prepared> prepared;
            try {
                prepared = inFlight.removeFirst().get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while normalizing records", e);
            } catch (ExecutionException e) {
                // prepare() turns every parser failure into a dead letter; reaching here is a bug in serialization.
                throw new IllegalStateException("normalizing failed: " + e.getCause(), e.getCause());
            }
            for (EventPublisher.Prepared record : prepared) {
                outcomes.accept(publisher.send(record));
            }
        }

        @Override
        public void drain() {
            if (!batch.isEmpty()) {
                submit();
            }
            while (!inFlight.isEmpty()) {
                sendOldest();
            }
        }
    }
}
