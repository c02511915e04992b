package dev.bulwark.cli;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import dev.bulwark.api.ApiServer;
import dev.bulwark.deploy.LocalStack;
import dev.bulwark.ingest.http.IngestReceiver;
import dev.bulwark.sink.ElasticsearchClients;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/**
 * {@code bulwark run}: the pipeline's components in this JVM until interrupted: all of them by default, or a chosen
 * few, so each can run (and be sized and scaled) in its own process.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run the pipeline (HTTP ingest receiver, detectors, Elasticsearch sink, query API and console) in this "
                + "process until Ctrl-C.")
final class RunCommand implements Callable<Integer> {

    /** What {@code --components} can name. */
    enum Component { ingest, detectors, sink, api }

    @picocli.CommandLine.Option(names = "--components", split = ",", paramLabel = "NAME",
            description = "Only these components, comma-separated: ${COMPLETION-CANDIDATES} (default: all). "
                    + "Each talks to the others through Kafka only, so they can run in separate processes.")
    java.util.EnumSet<Component> components = java.util.EnumSet.allOf(Component.class);

    /** The query API with its own Elasticsearch client, closed together. */
    private static final class ApiClient implements AutoCloseable {
        private final ElasticsearchClient client;
        private final ApiServer server;

        ApiClient(BulwarkConfig config) throws java.io.IOException {
            client = ElasticsearchClients.create(config.elasticsearch.url, config.elasticsearch.username,
                    config.elasticsearch.password, config.elasticsearch.apiKey);
            try {
                server = ServeCommand.start(config, client);
            } catch (java.io.IOException | RuntimeException e) {
                client._transport().close();
                throw e;
            }
        }

        @Override
        public void close() throws java.io.IOException {
            server.close();
            client._transport().close();
        }
    }

    @ParentCommand
    BulwarkCommand parent;

    @Override
    public Integer call() throws Exception {
        BulwarkConfig config = parent.config();
        LocalStack stack = parent.localStack(config);
        LocalCommand.createTopics(config);
        try (MetricsServer metrics = new MetricsServer(config.metrics.port);
                KafkaProducer<String, byte[]> producer = config.ingest.port == 0 || !components.contains(Component.ingest)
                        ? null : new KafkaProducer<>(IngestCommand.producerConfig(config), new StringSerializer(),
                        new ByteArraySerializer());
                IngestReceiver receiver = producer == null ? null
                        : IngestServeCommand.start(config, producer, metrics.registry());
                ApiClient api = config.api.port == 0 || !components.contains(Component.api) ? null : new ApiClient(config)) {
            java.util.EnumSet<Pipeline.Component> processing = java.util.EnumSet.noneOf(Pipeline.Component.class);
            if (components.contains(Component.detectors)) {
                processing.add(Pipeline.Component.DETECTORS);
            }
            if (components.contains(Component.sink)) {
                processing.add(Pipeline.Component.SINK);
            }
            Pipeline pipeline = processing.isEmpty() ? null
                    : Pipeline.start(config, config.homeDir(stack.repoRoot()), metrics.registry(), processing);
            CountDownLatch stop = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                if (pipeline != null) {
                    pipeline.close();
                }
                stop.countDown();
            }, "bulwark-shutdown"));
            if (processing.contains(Pipeline.Component.DETECTORS)) {
                BulwarkCommand.say("running detectors " + pipeline.detectorNames() + " on " + config.kafka.bootstrap);
            }
            if (processing.contains(Pipeline.Component.SINK)) {
                BulwarkCommand.say("indexing findings into " + config.elasticsearch.url + "/" + config.elasticsearch.indexPrefix);
            }
            if (metrics.url() != null) {
                BulwarkCommand.say("metrics: " + metrics.url());
            }
            BulwarkCommand.say("press Ctrl-C to stop");
            stop.await();
        }
        return 0;
    }
}
