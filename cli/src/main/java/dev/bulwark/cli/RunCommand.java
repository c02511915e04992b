package dev.bulwark.cli;

import java.util.concurrent.Callable;

import dev.bulwark.deploy.LocalStack;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code bulwark run}: every pipeline component in one JVM until interrupted. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run the pipeline (detectors and the Elasticsearch sink) in this process until Ctrl-C.")
final class RunCommand implements Callable<Integer> {

    @ParentCommand
    BulwarkCommand parent;

    @Override
    public Integer call() throws Exception {
        BulwarkConfig config = parent.config();
        LocalStack stack = parent.localStack(config);
        try (MetricsServer metrics = new MetricsServer(config.metrics.port)) {
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
