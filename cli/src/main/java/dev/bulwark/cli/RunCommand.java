package dev.bulwark.cli;

import java.util.concurrent.Callable;

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

/** {@code bulwark run}: every pipeline component in one JVM until interrupted. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run the pipeline (HTTP ingest receiver, detectors, Elasticsearch sink, query API and console) in this "
                + "process until Ctrl-C.")
final class RunCommand implements Callable<Integer> {

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
                KafkaProducer<String, byte[]> producer = new KafkaProducer<>(IngestCommand.producerConfig(config),
                        new StringSerializer(), new ByteArraySerializer());
                IngestReceiver receiver = config.ingest.port == 0 ? null
                        : IngestServeCommand.start(config, producer, metrics.registry());
                ApiClient api = config.api.port == 0 ? null : new ApiClient(config)) {
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
