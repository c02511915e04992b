package dev.bulwark.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import dev.bulwark.deploy.LocalStack;
import dev.bulwark.deploy.Probes;
import dev.bulwark.deploy.RealStack;
import dev.bulwark.sink.ElasticsearchClients;
import dev.bulwark.sink.FindingIndex;

/**
 * The archive {@code mvn package} builds, unpacked into a folder outside the checkout and run there with nothing but a
 * JDK: its layout, {@code bin/bulwark --help}, the checkout-only commands failing with a message that says so, and
 * {@code run --components detectors,sink}, {@code ingest} and {@code findings} from the archive against the real test
 * stack (a Falco terminal-shell alert ingested by the archive's {@code ingest} becomes a finding that the archive's
 * {@code findings} lists, which also proves the detectors' ServiceLoader registration works from separate jars).
 */
class DistributionIT {

    @TempDir
    Path temp;

    @Test
    void theUnpackedArchiveRunsThePipelineFromAnyFolderWithOnlyAJdk() throws Exception {
        Path home = unpack();
        Path bulwark = home.resolve("bin/bulwark");
        Path work = Files.createDirectories(temp.resolve("work"));

        assertThat(bulwark).as("the launcher").isRegularFile().isExecutable();
        assertThat(home.resolve("config/bulwark.example.yaml")).isRegularFile();
        assertThat(home.resolve("INSTALL.md")).isRegularFile();
        List<String> jars;
        try (Stream<Path> lib = Files.list(home.resolve("lib"))) {
            jars = lib.map(p -> p.getFileName().toString()).sorted().toList();
        }
        assertThat(jars).contains("bulwark-cli-" + version() + ".jar", "bulwark-detectors-api-" + version() + ".jar",
                        "bulwark-detection-" + version() + ".jar", "bulwark-detectors-" + version() + ".jar",
                        "bulwark-sigma-" + version() + ".jar")
                .anyMatch(name -> name.startsWith("slf4j-simple-"))
                .allMatch(name -> name.endsWith(".jar"))
                .noneMatch(name -> name.equals("bulwark.jar") || name.startsWith("bulwark-samples")
                        || name.startsWith("bulwark-bench") || name.startsWith("bulwark-detectors-testkit")
                        || name.startsWith("bulwark-detector-example") || name.startsWith("junit") || name.startsWith("assertj"));

        Result help = runToEnd(bulwark, work, "--help");
        assertThat(help.exit()).as(help.output()).isZero();
        for (String command : List.of("run", "ingest", "serve", "rules", "findings")) {
            assertThat(help.output()).containsPattern("(?m)^ +" + command + " +\\S");
        }

        Result local = runToEnd(bulwark, work, "local", "status");
        assertThat(local.exit()).as(local.output()).isEqualTo(1);
        assertThat(local.output()).contains("'bulwark local' needs a Bulwark source checkout", "BULWARK_REPO",
                "run, ingest, serve, rules and findings work");
        Result bench = runToEnd(bulwark, work, "bench", "--quick");
        assertThat(bench.exit()).as(bench.output()).isEqualTo(1);
        assertThat(bench.output()).contains("'bulwark bench' needs a Bulwark source checkout");

        LocalStack stack = RealStack.get();
        String prefix = RealStack.uniquePrefix("dist");
        String indexPrefix = prefix.replace(".", "") + "-findings";
        Path config = work.resolve("bulwark.yaml");
        Files.writeString(config, """
                kafka:
                  bootstrap: "%s"
                  topicPrefix: "%s"
                elasticsearch:
                  url: "%s"
                  indexPrefix: "%s"
                detection:
                  applicationId: "%sdetectors"
                  plugins: ["%s"]
                tenants:
                  acme: [payments]
                home: "%s"
                """.formatted(stack.kafkaBootstrap(), prefix, stack.elasticsearchUrl(), indexPrefix, prefix,
                plugins(work), work.resolve("home")));
        ElasticsearchClient client = ElasticsearchClients.create(stack.elasticsearchUrl());
        FindingIndex index = new FindingIndex(indexPrefix);
        int port = Probes.freePort();
        Path runLog = work.resolve("run.log");
        ProcessBuilder builder = launcher(bulwark, work, "run", "--components", "detectors,sink", "--config", config.toString())
                .redirectErrorStream(true).redirectOutput(runLog.toFile());
        builder.environment().put("BULWARK_METRICS_PORT", Integer.toString(port));
        Process run = builder.start();
        try {
            long readyMs = Probes.awaitReady(port, run, Duration.ofSeconds(120), () -> {
                try {
                    return tail(runLog);
                } catch (IOException e) {
                    return e.toString();
                }
            });
            System.out.println("[distribution] bin/bulwark run: /readyz 200 after " + readyMs + " ms");

            String containerId = "d" + prefix.substring(prefix.length() - 9, prefix.length() - 1);
            Path alert = work.resolve("alert.ndjson");
            Files.writeString(alert, falcoTerminalShell(containerId) + "\n");
            Result ingest = runToEnd(bulwark, work, "ingest", "-f", "falco", "--config", config.toString(), alert.toString());
            assertThat(ingest.exit()).as(ingest.output()).isZero();

            assertThat(Probes.awaitSearchable(stack.elasticsearchUrl(), index.alias(), "container.id", containerId, Duration.ofSeconds(60)))
                    .as("a finding for the ingested alert in Elasticsearch; run log:\n" + tail(runLog)).isTrue();
            Result findings = runToEnd(bulwark, work, "findings", "--config", config.toString(), "--tenant", "acme",
                    "--since", "1h", "--json");
            assertThat(findings.exit()).as(findings.output()).isZero();
            assertThat(findings.output()).contains("\"" + containerId + "\"", "bulwark.container.interactive_shell");

            // The example plugins, loaded from detection.plugins: a miner, and a port scan (20 ports by default).
            assertThat(tail(runLog)).contains("crypto-miner", "port-scan");
            sendPluginEvents(stack, prefix, containerId);
            for (String rule : List.of("example.crypto_miner", "example.port_scan")) {
                assertThat(Probes.awaitSearchable(stack.elasticsearchUrl(), index.alias(), "rule.id", rule,
                        Duration.ofSeconds(60))).as("a finding of the plugin rule " + rule + "; run log:\n" + tail(runLog))
                        .isTrue();
            }

            run.destroy(); // SIGTERM: bin/bulwark execs java, so the signal reaches the JVM's shutdown hook
            assertThat(run.waitFor(60, TimeUnit.SECONDS)).as("bulwark run exits after SIGTERM").isTrue();
            assertThat(run.exitValue()).as("exit code after SIGTERM; log:\n" + tail(runLog)).isIn(0, 143);
        } finally {
            if (run.isAlive()) {
                run.destroyForcibly();
                run.waitFor();
            }
            try {
                index.deleteAll(client);
            } finally {
                client._transport().close();
            }
        }
    }

    /**
     * A plugin folder with the two example detector jars, as a user would make one: each example is a project of its
     * own, built against the detector API (the reactor builds them before this module).
     */
    private static Path plugins(Path work) throws IOException {
        Path plugins = Files.createDirectories(work.resolve("plugins"));
        for (String example : List.of("detector-example", "threshold-example")) {
            Path jar = Path.of("..", "examples", example, "target", "bulwark-" + example + "-" + version() + ".jar");
            assertThat(jar).as("the example plugin (mvn package builds it)").isRegularFile();
            Files.copy(jar, plugins.resolve(jar.getFileName()));
        }
        return plugins;
    }

    /** A miner starting in one container, and another container reaching 20 ports of one IP, on the events topic. */
    private static void sendPluginEvents(LocalStack stack, String prefix, String suffix) throws Exception {
        dev.bulwark.schemas.Topics topics = dev.bulwark.schemas.Topics.withPrefix(prefix);
        var serializer = topics.events().valueSerde().serializer();
        long now = System.currentTimeMillis();
        List<dev.bulwark.schemas.SecurityEvent> events = new ArrayList<>();
        events.add(event("miner-" + suffix, "m" + suffix, now).setProcess(dev.bulwark.schemas.ProcessInfo.newBuilder()
                .setName("xmrig").setCommandLine("xmrig -o pool.example:3333").build()).build());
        for (int port = 1; port <= 20; port++) {
            events.add(event("scan-" + suffix + "-" + port, "s" + suffix, now + port)
                    .setDestination(dev.bulwark.schemas.Endpoint.newBuilder().setIp("10.9.9.9").setPort(port).build())
                    .build());
        }
        try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<String, byte[]>(java.util.Map.of(
                "bootstrap.servers", stack.kafkaBootstrap()), new org.apache.kafka.common.serialization.StringSerializer(),
                new org.apache.kafka.common.serialization.ByteArraySerializer())) {
            for (var event : events) {
                producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(topics.events().name(),
                        "container/" + event.getContainer().getId(), serializer.serialize(topics.events().name(), event))).get();
            }
        }
    }

    private static dev.bulwark.schemas.SecurityEvent.Builder event(String id, String container, long millis) {
        return dev.bulwark.schemas.SecurityEvent.newBuilder().setId(id).setTimestamp(millis * 1_000_000L)
                .setSourceFormat("tetragon").setEvent(dev.bulwark.schemas.EventInfo.newBuilder().build())
                .setKubernetes(dev.bulwark.schemas.KubernetesInfo.newBuilder().setNamespace("payments").setPod("api-2").build())
                .setContainer(dev.bulwark.schemas.ContainerInfo.newBuilder().setId(container).build());
    }

    /** Unpacks the archive with tar, as a user would, and returns its top folder. */
    private Path unpack() throws IOException, InterruptedException {
        Path archive = Path.of(System.getProperty("bulwark.dist.archive",
                "target/bulwark-" + version() + ".tar.gz")).toAbsolutePath();
        assertThat(archive).as("the archive (mvn package builds it)").isRegularFile();
        Path install = Files.createDirectories(temp.resolve("opt"));
        Process tar = new ProcessBuilder("tar", "-xzf", archive.toString(), "-C", install.toString())
                .redirectErrorStream(true).start();
        String output = new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(tar.waitFor()).as(output).isZero();
        try (Stream<Path> top = Files.list(install)) {
            assertThat(top.map(p -> p.getFileName().toString()).toList()).containsExactly("bulwark-" + version());
        }
        return install.resolve("bulwark-" + version());
    }

    private static String version() {
        return System.getProperty("bulwark.dist.version", "0.1.0-SNAPSHOT");
    }

    /**
     * {@code bin/bulwark ARGS} in {@code work}, with the JDK running this test as {@code JAVA_HOME} and no
     * {@code BULWARK_*} variables (so neither {@code BULWARK_REPO} nor a checkout's settings leak in).
     */
    private static ProcessBuilder launcher(Path bulwark, Path work, String... args) {
        List<String> command = new ArrayList<>();
        command.add(bulwark.toString());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(work.toFile());
        builder.environment().keySet().removeIf(key -> key.startsWith("BULWARK_"));
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        builder.environment().put("BULWARK_JAVA_OPTS", "-Xmx512m");
        return builder;
    }

    private record Result(int exit, String output) {
    }

    private static Result runToEnd(Path bulwark, Path work, String... args) throws IOException, InterruptedException {
        Process process = launcher(bulwark, work, args).redirectErrorStream(true).start();
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("bin/bulwark " + String.join(" ", args) + " ends").isTrue();
        return new Result(process.exitValue(), output);
    }

    /** A Falco "Terminal shell in container" alert in namespace payments (tenant acme), timed now. */
    private static String falcoTerminalShell(String containerId) {
        Instant now = Instant.now();
        long nanos = now.getEpochSecond() * 1_000_000_000L + now.getNano();
        return ("{\"hostname\":\"node-a\",\"output\":\"Critical A shell was spawned in a container with an attached terminal\","
                + "\"output_fields\":{\"container.id\":\"%s\",\"container.image.repository\":\"docker.io/library/alpine\","
                + "\"evt.time\":%d,\"k8s.ns.name\":\"payments\",\"k8s.pod.name\":\"api-1\",\"proc.cmdline\":\"bash -i\","
                + "\"proc.name\":\"bash\",\"proc.pname\":\"runc\",\"proc.tty\":34816,\"user.name\":\"root\"},"
                + "\"priority\":\"Critical\",\"rule\":\"Terminal shell in container\",\"source\":\"syscall\","
                + "\"tags\":[\"container\",\"shell\"],\"time\":\"%s\"}").formatted(containerId, nanos, now);
    }

    private static String tail(Path log) throws IOException {
        String text = Files.exists(log) ? Files.readString(log) : "";
        return text.length() > 4000 ? text.substring(text.length() - 4000) : text;
    }
}
