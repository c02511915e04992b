package dev.bulwark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import dev.bulwark.deploy.LocalStack;
import dev.bulwark.deploy.Probes;

/**
 * A real {@code bulwark run --components ...} process from the packaged launcher jar, with its own configuration file,
 * home (state folder and instance id), metrics port and log, for the drills that stop and kill components.
 */
final class RunProcess implements AutoCloseable {

    private final Path config;
    private final Path log;
    private final String components;
    private final int port;
    private Process process;

    /**
     * @param work the folder for the configuration and the log
     * @param name this process's name (file names, home folder)
     * @param yaml the configuration without {@code home}; the process gets a home of its own under {@code work}
     */
    RunProcess(Path work, String name, String components, String yaml) throws IOException {
        this.components = components;
        this.config = work.resolve(name + ".yaml");
        this.log = work.resolve(name + ".log");
        this.port = Probes.freePort();
        Files.writeString(config, yaml + "home: \"" + work.resolve(name + "-home") + "\"\n");
    }

    /**
     * The configuration shared by a drill's processes: the stack, topics and indices under {@code prefix}, the
     * detection application id, and {@code more} YAML appended (sections other than kafka and elasticsearch).
     */
    static String yaml(LocalStack stack, String prefix, Duration sessionTimeout, String more) {
        return """
                kafka:
                  bootstrap: "%s"
                  topicPrefix: "%s"
                  sessionTimeout: %dms
                elasticsearch:
                  url: "%s"
                  indexPrefix: "%s"
                """.formatted(stack.kafkaBootstrap(), prefix, sessionTimeout.toMillis(), stack.elasticsearchUrl(),
                indexPrefix(prefix)) + more;
    }

    /** The index prefix {@link #yaml} sets for {@code prefix}. */
    static String indexPrefix(String prefix) {
        return prefix.replace(".", "") + "-findings";
    }

    /** Starts the process (again, after {@link #kill} or {@link #stop}); its output is appended to its log. */
    RunProcess start() throws IOException {
        Path jar = Path.of("target", "bulwark.jar").toAbsolutePath();
        assertThat(jar).as("the packaged launcher (mvn package builds it)").exists();
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx384m", "-jar", jar.toString(), "run", "--components", components, "--config", config.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Map<String, String> environment = builder.environment();
        environment.keySet().removeIf(key -> key.startsWith("BULWARK_"));
        environment.put("BULWARK_METRICS_PORT", Integer.toString(port));
        process = builder.start();
        return this;
    }

    /** Waits until {@code /readyz} answers 200; returns the milliseconds waited. */
    long awaitReady(Duration wait) throws IOException, InterruptedException {
        return Probes.awaitReady(port, process, wait, () -> "see " + log);
    }

    /** {@code kill -9}: no goodbye to the group, no flush, no commit. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    /** SIGTERM, a graceful stop; returns the exit code. */
    int stop() throws InterruptedException {
        process.destroy();
        return process.waitFor();
    }

    int metricsPort() {
        return port;
    }

    Path log() {
        return log;
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            kill();
        }
    }
}
