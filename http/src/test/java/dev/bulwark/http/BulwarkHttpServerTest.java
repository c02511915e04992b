package dev.bulwark.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The shared server against slow and hostile clients on loopback, with 2 s timeouts. */
@Timeout(60)
class BulwarkHttpServerTest {

    static final HttpLimits SHORT = HttpLimits.defaults().withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(2),
            Duration.ofSeconds(2), Duration.ofSeconds(2));

    /** A response far larger than what the kernel buffers on both ends of a loopback connection. */
    private static final int BIG = 32 << 20;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final AtomicInteger handled = new AtomicInteger();
    private final CountDownLatch release = new CountDownLatch(1);
    private BulwarkHttpServer server;

    private BulwarkHttpServer start(HttpLimits limits, int workers, int queue) throws Exception {
        server = BulwarkHttpServer.start(new BulwarkHttpServer.Spec("test", "127.0.0.1", 0, limits, workers, queue,
                1000, Set.of("/healthz"), exchange -> {
                    handled.incrementAndGet();
                    if ("/block".equals(exchange.path())) {
                        release.await(20, TimeUnit.SECONDS);
                    }
                    if ("/big".equals(exchange.path())) {
                        exchange.send(200, "application/octet-stream", new byte[BIG]);
                        return;
                    }
                    exchange.send(200, "text/plain", ("got " + exchange.body().length).getBytes(StandardCharsets.UTF_8));
                }));
        return server;
    }

    @AfterEach
    void stop() {
        release.countDown();
        if (server != null) {
            server.close();
        }
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void heldConnectionsDoNotStopARealRequestAndAreClosedWithinTheTimeouts() throws Exception {
        start(SHORT, 2, 16);
        try (HostileClients hostile = new HostileClients(server.port())) {
            hostile.partialHeaders(200, "POST", "/v1/falco").slowBodies(20, "POST", "/v1/falco", "");
            long began = System.nanoTime();
            HttpResponse<String> response = get("/hello");
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(Duration.ofNanos(System.nanoTime() - began)).isLessThan(Duration.ofSeconds(1));
            hostile.assertAllClosedWithin(Duration.ofSeconds(2 + 3));
        }
        assertThat(handled.get()).as("no held request reached a worker").isEqualTo(1);
        assertThat(get("/hello").statusCode()).isEqualTo(200);
    }

    @Test
    void headersTrickledByteByByteAreCutOffAtTheHeaderDeadlineThoughTheConnectionIsNeverIdle() throws Exception {
        start(SHORT, 2, 16);
        try (Socket socket = HostileClients.raw(server.port(), "GET /hello HTTP/1.1\r\nHost: x\r\n")) {
            long began = System.nanoTime();
            boolean closed = false;
            for (int i = 0; i < 20 && !closed; i++) { // one byte every 400 ms: never 2 s of silence
                try {
                    socket.getOutputStream().write('X');
                    socket.getOutputStream().flush();
                } catch (java.io.IOException e) {
                    closed = true;
                }
                closed |= HostileClients.closedBy(socket, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(400));
            }
            assertThat(closed).isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - began)).isLessThan(Duration.ofSeconds(4));
        }
        assertThat(handled.get()).isZero();
    }

    @Test
    void aClientThatTakesTheResponseSlowlyButSteadilyIsCutOffAtTheResponseDeadline() throws Exception {
        // An idle timeout far beyond the test: only the response deadline can end the connection.
        start(SHORT.withTimeouts(Duration.ofSeconds(60), Duration.ofSeconds(2), Duration.ofSeconds(2),
                Duration.ofSeconds(2)), 2, 16);
        try (Socket socket = new Socket()) {
            socket.setReceiveBufferSize(4096);
            socket.connect(new java.net.InetSocketAddress("127.0.0.1", server.port()), 2000);
            socket.getOutputStream().write("GET /big HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            socket.setSoTimeout(1000);
            long began = System.nanoTime();
            long read = 0;
            boolean closed = false;
            byte[] buffer = new byte[1024];
            // 1 KiB every 100 ms, with the response still coming out of the server's buffers.
            while (!closed && System.nanoTime() - began < TimeUnit.SECONDS.toNanos(15)) {
                try {
                    int n = socket.getInputStream().read(buffer);
                    closed = n < 0;
                    read += Math.max(n, 0);
                } catch (java.io.IOException e) {
                    closed = true; // reset by the server
                }
                Thread.sleep(100);
            }
            assertThat(closed).as("the server closed the connection; read " + read + " bytes, open " + server.connections()).isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - began)).isLessThan(Duration.ofSeconds(2 + 3));
            assertThat(read).as("bytes taken before the cut").isLessThan(BIG);
        }
        assertThat(get("/hello").statusCode()).isEqualTo(200);
    }

    @Test
    void aDeclaredHugeBodyIs413AtOnceAndAChunkedBodyOverTheLimitIs413() throws Exception {
        start(SHORT, 2, 16);
        long began = System.nanoTime();
        try (Socket socket = HostileClients.raw(server.port(),
                "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n")) {
            assertThat(HostileClients.status(socket, Duration.ofSeconds(1))).isEqualTo(413);
        }
        assertThat(Duration.ofNanos(System.nanoTime() - began)).isLessThan(Duration.ofSeconds(1));
        try (Socket socket = HostileClients.raw(server.port(), "POST /x HTTP/1.1\r\nHost: x\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n800\r\n" + "a".repeat(0x800) + "\r\n")) {
            assertThat(HostileClients.status(socket, Duration.ofSeconds(1))).isEqualTo(413);
            assertThat(HostileClients.closedBy(socket, System.nanoTime() + TimeUnit.SECONDS.toNanos(3))).isTrue();
        }
        assertThat(handled.get()).as("the routes never saw an oversized body").isZero();
    }

    @Test
    void aChunkedBodyWithoutItsLastChunkHoldsNoWorkerAndIsClosedAtTheBodyDeadline() throws Exception {
        start(SHORT, 1, 1);
        try (Socket socket = HostileClients.raw(server.port(), "POST /x HTTP/1.1\r\nHost: x\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")) {
            assertThat(get("/hello").body()).isEqualTo("got 0");
            assertThat(HostileClients.closedBy(socket, System.nanoTime() + TimeUnit.SECONDS.toNanos(2 + 3))).isTrue();
        }
        assertThat(handled.get()).isEqualTo(1);
    }

    @Test
    void healthAnswersWhileEveryWorkerIsBusyAndExcessRequestsGet503() throws Exception {
        start(SHORT.withTimeouts(Duration.ofSeconds(30), Duration.ofSeconds(30), Duration.ofSeconds(30),
                Duration.ofSeconds(30)), 1, 1);
        var first = http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/block"))
                .build(), HttpResponse.BodyHandlers.ofString());
        var queued = http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/block"))
                .build(), HttpResponse.BodyHandlers.ofString());
        for (int i = 0; i < 100 && handled.get() == 0; i++) {
            Thread.sleep(20);
        }
        Thread.sleep(200);
        assertThat(get("/hello").statusCode()).isEqualTo(503);
        long began = System.nanoTime();
        assertThat(get("/healthz").statusCode()).isEqualTo(200);
        assertThat(Duration.ofNanos(System.nanoTime() - began)).isLessThan(Duration.ofSeconds(1));
        release.countDown();
        assertThat(first.get(5, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        assertThat(queued.get(5, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    }

    @Test
    void aConnectionIsClosedAfterItsMaximumOfRequests() throws Exception {
        start(new HttpLimits(Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(5), 10, 2,
                4096), 2, 4);
        String request = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";
        try (Socket socket = HostileClients.raw(server.port(), request + request + request)) {
            socket.setSoTimeout(3000);
            String answers = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertThat(answers.split("HTTP/1.1 200", -1)).hasSize(3);
            assertThat(answers).containsIgnoringCase("Connection: close");
        }
        assertThat(handled.get()).isEqualTo(2);
    }

    @Test
    void errorsJettyAnswersItselfUseTheRoutesJsonShape() throws Exception {
        start(SHORT, 1, 1);
        try (Socket socket = HostileClients.raw(server.port(),
                "GET /a/..%2Fb HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")) {
            assertThat(HostileClients.status(socket, Duration.ofSeconds(2))).isEqualTo(400);
            socket.setSoTimeout(2000);
            // The server closes after this answer (Connection: close), so the whole answer can be read.
            String rest = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(rest).contains("application/json").contains("{\"error\":\"").doesNotContain("<html");
        }
        assertThat(handled.get()).isZero();
    }

    @Test
    void headersOverTheLimitGet431() throws Exception {
        start(SHORT, 1, 1);
        try (Socket socket = HostileClients.raw(server.port(), "GET /hello HTTP/1.1\r\nHost: x\r\nX-big: "
                + "b".repeat(20_000) + "\r\n\r\n")) {
            assertThat(HostileClients.status(socket, Duration.ofSeconds(2))).isEqualTo(431);
        }
        assertThat(handled.get()).isZero();
    }
}
