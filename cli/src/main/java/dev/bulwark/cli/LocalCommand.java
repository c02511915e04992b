package dev.bulwark.cli;

import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import org.apache.kafka.clients.admin.AdminClientConfig;

import dev.bulwark.deploy.LocalStack;
import dev.bulwark.schemas.TopicAdmin;
import dev.bulwark.schemas.Topics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code bulwark local up|down|status|logs}: the single-machine stack (KRaft broker + Elasticsearch). */
@Command(name = "local", mixinStandardHelpOptions = true,
        description = {"Manage the local stack: a KRaft Kafka broker and an Elasticsearch node on 127.0.0.1.",
                "up [--secure]: fetch (through Maven, cached), start, wait for health, create the topics. Idempotent.",
                "  --secure: Kafka with TLS only, a SCRAM user per component and their ACLs (docs/security.md).",
                "  --brokers 3 --es-nodes 2: a three-broker KRaft cluster and a two-node Elasticsearch cluster "
                        + "(docs/operating.md).",
                "down: stop both (data kept; 'down --purge' deletes it; 'down --kill kafka-2' kills one broker). "
                        + "status: every process with its pid and health. logs: log locations."})
final class LocalCommand implements Callable<Integer> {

    @ParentCommand
    BulwarkCommand parent;

    @Parameters(index = "0", paramLabel = "ACTION", description = "up, down, status, logs or env")
    String action;

    @Parameters(index = "1..*", paramLabel = "ARGS", description = "extra arguments, e.g. --purge for down")
    List<String> args = List.of();

    /**
     * When the local stack was started with {@code --secure}: points {@code config} at its TLS listeners, CA and
     * credentials files (Kafka and, when secured, Elasticsearch), then creates the topics and every component's ACLs as
     * the stack's admin. False, and nothing changed, for a plaintext stack.
     */
    static boolean useSecuredStack(BulwarkConfig config, LocalStack stack) throws InterruptedException {
        java.nio.file.Path secure = stack.home().resolve("secure");
        if (!java.nio.file.Files.exists(secure.resolve("kafka-secure"))) {
            return false;
        }
        config.kafka.bootstrap = stack.kafkaBootstrap();
        config.kafka.security.protocol = "SASL_SSL";
        config.kafka.security.caFile = secure.resolve("ca.pem");
        config.kafka.security.credentialsFile = secure.resolve("kafka-credentials.properties");
        if (java.nio.file.Files.exists(secure.resolve("es-secure"))) {
            config.elasticsearch.url = "https://127.0.0.1:" + stack.elasticsearchPort();
            config.elasticsearch.caFile = secure.resolve("ca.pem");
            config.elasticsearch.credentialsFile = secure.resolve("es-credentials.properties");
        }
        BulwarkRuntime.ensureTopics(config);
        KafkaAcls.grantAll(config);
        return true;
    }

    @Override
    public Integer call() throws Exception {
        BulwarkConfig config = parent.config();
        LocalStack stack = parent.localStack(config, "local");
        switch (action) {
            case "up" -> {
                int exit = stack.run("up", args.toArray(String[]::new));
                if (exit != 0) {
                    return exit;
                }
                if (useSecuredStack(config, stack)) {
                    BulwarkCommand.say("Kafka is secured; every component has its own user and ACLs. Clients need the "
                            + "settings of './bulwark local env': set -a; eval \"$(./bulwark local env)\"; set +a");
                } else {
                    if (stack.brokers() >= 3 && config.kafka.replicationFactor == 1) {
                        // A multi-broker stack: Bulwark's topics survive a broker, as its internal ones do.
                        config.kafka.replicationFactor = 3;
                    }
                    BulwarkRuntime.ensureTopics(config);
                }
                BulwarkCommand.say("ready: Kafka " + stack.kafkaBootstrap() + ", Elasticsearch " + stack.elasticsearchUrl()
                        + "; stop with ./bulwark local down");
                return 0;
            }
            case "down", "status", "logs", "env" -> {
                return stack.run(action, args.toArray(String[]::new));
            }
            default -> throw new IllegalArgumentException("unknown action '" + action + "'; use up, down, status or logs");
        }
    }
}
