package dev.bulwark.deploy;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What integration tests that run Bulwark as a process need: a free port, its {@code /readyz}, and whether a finding
 * has become searchable.
 */
public final class Probes {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final Pattern COUNT = Pattern.compile("\"count\"\\s*:\\s*(\\d+)");

    private Probes() {
    }

    /** A TCP port nothing listens on right now. */
    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** {@code GET http://127.0.0.1:<port>/readyz}. */
    public static HttpResponse<String> readiness(int port) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/readyz"))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * Waits until {@code /readyz} answers 200; returns how long that took in ms.
     *
     * @param diagnostics what to show when the process died or the wait ran out (its log, say)
     * @throws AssertionError when the process ends or {@code wait} passes first
     */
    public static long awaitReady(int port, Process process, Duration wait, Supplier<String> diagnostics)
            throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + wait.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("the process ended (exit " + process.exitValue() + ") before /readyz answered 200:\n"
                        + diagnostics.get());
            }
            try {
                if (readiness(port).statusCode() == 200) {
                    return (System.nanoTime() - start) / 1_000_000;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new AssertionError("/readyz did not answer 200 within " + wait + ":\n" + diagnostics.get());
    }

    /**
     * Waits until Elasticsearch counts a document with {@code field} = {@code value} under {@code index} (an alias or
     * pattern); false when {@code wait} passes first. A just-created daily index answers 503 for a moment: retried.
     */
    public static boolean awaitSearchable(String elasticsearchUrl, String index, String field, String value, Duration wait)
            throws InterruptedException {
        URI uri = URI.create(elasticsearchUrl + "/" + index + "/_count?q="
                + URLEncoder.encode(field + ":\"" + value + "\"", StandardCharsets.UTF_8));
        long deadline = System.nanoTime() + wait.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.ofString());
                Matcher count = COUNT.matcher(response.body());
                if (response.statusCode() == 200 && count.find() && Long.parseLong(count.group(1)) > 0) {
                    return true;
                }
            } catch (IOException e) {
                // not reachable for a moment
            }
            Thread.sleep(100);
        }
        return false;
    }
}
