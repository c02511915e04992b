package dev.bulwark.cli;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import dev.bulwark.ingest.http.IngestReceiver;
import dev.bulwark.schemas.Topics;
import io.micrometer.core.instrument.MeterRegistry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code bulwark ingest serve}: the HTTP receiver on its own, until Ctrl-C. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Receive events over HTTP: POST /v1/falco (Falco http_output, Falcosidekick webhook),",
                "POST /v1/k8s-audit (Kubernetes audit webhook backend), POST /v1/ingest/{format} (NDJSON).",
                "Answers 200 only after Kafka acknowledged every record."})
final class IngestServeCommand implements Callable<Integer> {

    @ParentCommand
    IngestCommand ingest;

    @Option(names = "--port", description = "Port (default: ingest.port, 8088).")
    Integer port;

    @Option(names = "--host", description = "Address to bind (default: ingest.host, 127.0.0.1).")
    String host;

    @Override
    public Integer call() throws Exception {
        BulwarkConfig config = ingest.parent.config();
        if (port != null) {
            config.ingest.port = port;
        }
        if (host != null) {
            config.ingest.host = host;
        }
        if (config.ingest.port == 0) {
            throw new IllegalArgumentException("ingest.port is 0 (receiver off); give --port or set BULWARK_INGEST_PORT");
        }
        try (MetricsServer metrics = new MetricsServer(config.metrics.port);
                BulwarkRuntime runtime = BulwarkRuntime.start(config, java.util.EnumSet.of(BulwarkRuntime.Component.ingest),
                        metrics)) {
            CountDownLatch stop = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown, "bulwark-ingest-serve-stop"));
            BulwarkCommand.say("press Ctrl-C to stop");
            stop.await();
        }
        return 0;
    }

    /** Starts the receiver described by the configuration and says where it listens. */
    static IngestReceiver start(BulwarkConfig config, KafkaProducer<String, byte[]> producer, MeterRegistry registry)
            throws java.io.IOException {
        IngestReceiver.Settings settings = new IngestReceiver.Settings(config.ingest.host, config.ingest.port,
                config.ingest.maxBodyBytes, config.ingest.maxRecordBytes, config.ingest.tokens, 8,
                java.time.Duration.ofSeconds(60));
        IngestReceiver receiver = new IngestReceiver(settings, producer, Topics.withPrefix(config.kafka.topicPrefix), registry,
                config.ingest.tenantKeys);
        BulwarkCommand.say("ingest receiver on " + receiver.url() + " (POST /v1/falco, /v1/k8s-audit, /v1/ingest/{format})"
                + (config.ingest.tokens.isEmpty() ? "; no token required" : "; bearer token required"));
        if (config.ingest.tokens.isEmpty() && !"127.0.0.1".equals(config.ingest.host) && !"localhost".equals(config.ingest.host)) {
            BulwarkCommand.say("WARNING: listening beyond loopback without tokens; set BULWARK_INGEST_TOKENS");
        }
        return receiver;
    }
}
