package dev.bulwark.cli;

import java.io.InputStream;
import java.util.List;

import dev.bulwark.ingest.EventPublisher;
import dev.bulwark.ingest.IngestStats;
import dev.bulwark.ingest.SourceParser;
import dev.bulwark.ingest.StreamIngestor;
import dev.bulwark.schemas.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * One-shot ingest of streams (files, standard input, a bundled scenario) onto Kafka, for {@code bulwark ingest} and
 * the demo: the topics are ensured, the lossless producer comes from {@link KafkaClients}, and the ledger is returned
 * only after Kafka acknowledged every record.
 */
final class Ingestion {

    private Ingestion() {
    }

    /** One input stream to ingest and the name it is reported under. */
    record Source(String name, IoSupplier<InputStream> open) {
    }

    /** Opens an input; may throw I/O errors. */
    @FunctionalInterface
    interface IoSupplier<T> {
        T get() throws java.io.IOException;
    }

    /** A publisher onto the configured topics with the lossless producer settings and the pass-through block. */
    static EventPublisher publisher(BulwarkConfig config, IngestStats stats) throws InterruptedException {
        KafkaClients ingest = new KafkaClients(config).as(KafkaSecurity.Component.INGEST);
        ingest.checkAccess();
        return new EventPublisher(ingest.producer("bulwark-ingest"),
                Topics.withPrefix(config.kafka.topicPrefix), stats).withEventTime(config.eventTimePolicy());
    }

    /** Publishes every record of every source; returns the ledger after Kafka acknowledged everything. */
    static IngestStats ingest(BulwarkConfig config, SourceParser parser, List<Source> sources, int maxRecordBytes,
            boolean showProgress) throws Exception {
        // As the ingest user alone (one process, its own ACLs) the topics are the admin's to create; publisher() then
        // checks the user can write them.
        BulwarkRuntime.createTopicsWhereAllowed(() -> BulwarkRuntime.ensureTopics(config), new KafkaClients(config).principal());
        IngestStats stats = new IngestStats(new SimpleMeterRegistry(), parser.format());
        try (EventPublisher publisher = publisher(config, stats)) {
            try (StreamIngestor ingestor = new StreamIngestor(publisher, maxRecordBytes, StreamIngestor.defaultParallelism())) {
                for (Source source : sources) {
                    try (InputStream in = source.open().get()) {
                        ingestor.ingest(in, source.name(), parser, n -> {
                            if (showProgress) {
                                BulwarkCommand.say(source.name() + ": " + n + " records read");
                            }
                        });
                    }
                }
            }
            publisher.flush();
        }
        return stats;
    }
}
