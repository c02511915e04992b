package dev.bulwark.cli;

import java.util.concurrent.Callable;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import dev.bulwark.deploy.LocalStack;
import dev.bulwark.ingest.http.IngestReceiver;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code bulwark run}: every pipeline component in one JVM until interrupted. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run the pipeline (HTTP ingest receiver, detectors, Elasticsearch sink) in this process until Ctrl-C.")
final class RunCommand implements Callable<Integer> {

    @ParentCommand
    BulwarkCommand parent;

    @Override
    public Integer call() throws Exception {
        BulwarkConfig config = parent.config();
        LocalStack stack = parent.localStack(config);
        LocalCommand.createTopics(config);
        try (MetricsServer metrics = new MetricsServer(config.metrics.port);
                KafkaProducer<String, byte[]> producer = new KafkaProducer<>(IngestCommand.producerConfig(config),
                        new StringSerializer(), new ByteArraySerializer());
                IngestReceiver receiver = config.ingest.port == 0 ? null
                        : IngestServeCommand.start(config, producer, metrics.registry())) {
            Pipeline pipeline = Pipeline.start(config, config.homeDir(stack.repoRoot()), metrics.registry());
            Runtime.getRuntime().addShutdownHook(new Thread(pipeline::close, "bulwark-shutdown"));
            BulwarkCommand.say("running detectors " + pipeline.detectorNames() + " on " + config.kafka.bootstrap
                    + ", findings to " + config.elasticsearch.url + "/" + config.elasticsearch.indexPrefix);
            if (metrics.url() != null) {
                BulwarkCommand.say("metrics: " + metrics.url());
            }
            BulwarkCommand.say("press Ctrl-C to stop");
            pipeline.awaitShutdown();
        }
        return 0;
    }
}
