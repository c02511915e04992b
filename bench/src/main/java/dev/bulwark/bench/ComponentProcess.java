package dev.bulwark.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One Bulwark component ({@code bulwark run --components detectors}, {@code sink}, {@code ingest serve}…) started in
 * its own JVM from the CLI jar, with its Prometheus endpoint on a free port, so its heap and RSS can be measured apart
 * from the others and from the benchmark's own JVM.
 *
 * <p>Why: "how much memory does each component need" has no answer while they share a JVM; this is also how an
 * operator runs them when scaling them separately.
 */
final class ComponentProcess implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final String name;
    private final Process process;
    private final int metricsPort;
    private final Path log;
    private long peakHeapBytes;
    private long heapSamplesSum;
    private long heapSamples;

    private ComponentProcess(String name, Process process, int metricsPort, Path log) {
        this.name = name;
        this.process = process;
        this.metricsPort = metricsPort;
        this.log = log;
    }

    /**
     * Starts {@code java -jar cli.jar ARGS} with the given environment on top of this process's, and a metrics port.
     *
     * @param jvmOptions options for the component's JVM (for example {@code -Xmx512m}); may be empty
     */
    static ComponentProcess start(String name, Path cliJar, List<String> jvmOptions, Map<String, String> environment,
                                  Path logDir, String... args) throws IOException {
        if (!Files.isRegularFile(cliJar)) {
            throw new IOException("no CLI jar at " + cliJar + "; build it with ./bulwark build");
        }
        int metricsPort = freePort();
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(jvmOptions);
        command.add("-jar");
        command.add(cliJar.toString());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(environment);
        builder.environment().put("BULWARK_METRICS_PORT", Integer.toString(metricsPort));
        Path log = logDir.resolve(name + ".log");
        builder.redirectErrorStream(true).redirectOutput(log.toFile());
        return new ComponentProcess(name, builder.start(), metricsPort, log);
    }

    /** A port nothing listens on right now. */
    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    String name() {
        return name;
    }

    /** Waits until the component's log contains {@code marker}; fails with the log's tail if it exits first. */
    void awaitLog(String marker, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(log) && Files.readString(log).contains(marker)) {
                return;
            }
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + ":\n" + tail());
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException(name + " did not print \"" + marker + "\" within " + timeout.toSeconds() + " s:\n" + tail());
    }

    /** The last lines of the component's output, for error messages. */
    String tail() throws IOException {
        if (!Files.exists(log)) {
            return "(no output)";
        }
        List<String> lines = Files.readAllLines(log);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    }

    /** Samples the heap in use (from the component's Prometheus endpoint); call it regularly while it works. */
    void sample() {
        if (!process.isAlive()) {
            return;
        }
        long heap = (long) sum(scrape(), line -> line.startsWith("jvm_memory_used_bytes{") && line.contains("area=\"heap\""));
        if (heap > 0) {
            peakHeapBytes = Math.max(peakHeapBytes, heap);
            heapSamplesSum += heap;
            heapSamples++;
        }
    }

    /** A value of the component's Prometheus endpoint (sum over label sets), or NaN. */
    double metric(String name) {
        return sum(scrape(), line -> line.startsWith(name + "{") || line.startsWith(name + " "));
    }

    /** The first value of the component's Prometheus endpoint whose line starts with {@code prefix}, or NaN. */
    double metricLine(String prefix) {
        String body = scrape();
        return body == null ? Double.NaN : body.lines().filter(line -> line.startsWith(prefix)).findFirst()
                .map(ComponentProcess::value).orElse(Double.NaN);
    }

    /** The component's Prometheus exposition, or null while it is not serving (starting or shutting down). */
    private String scrape() {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metricsPort + "/metrics"))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException | RuntimeException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** The sum of the values of the matching lines, or NaN when none matches (or there is no exposition). */
    private static double sum(String body, java.util.function.Predicate<String> matching) {
        if (body == null) {
            return Double.NaN;
        }
        double[] values = body.lines().filter(matching).mapToDouble(ComponentProcess::value).toArray();
        return values.length == 0 ? Double.NaN : java.util.Arrays.stream(values).sum();
    }

    private static double value(String line) {
        try {
            return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    /** Memory of the component: peak and mean heap in use over the samples, current and peak RSS. */
    record Memory(String component, long peakHeapBytes, long meanHeapBytes, long rssBytes, long peakRssBytes) {
    }

    Memory memory() {
        long rss = 0;
        long hwm = 0;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    rss = Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                } else if (line.startsWith("VmHWM:")) {
                    hwm = Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux, or gone
        }
        return new Memory(name, peakHeapBytes, heapSamples == 0 ? 0 : heapSamplesSum / heapSamples, rss, hwm);
    }

    /** Stops the component the way Ctrl-C does, and kills it if it does not stop in time. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
