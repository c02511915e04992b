package dev.bulwark.notify;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

import com.sun.net.httpserver.HttpServer;

/**
 * A real local HTTP receiver (the JDK's server on a loopback port) that keeps every request it got, answers with a
 * chosen status, and can be stopped and started again on the same port.
 */
final class Receiver implements AutoCloseable {

    /** One request as received. */
    record Request(String method, String path, Map<String, String> headers, byte[] body) {

        String header(String name) {
            return headers.get(name.toLowerCase(java.util.Locale.ROOT));
        }

        String text() {
            return new String(body, java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    private final List<Request> requests = new ArrayList<>();
    private volatile int status;
    private HttpServer server;
    private int port;

    Receiver(int status) throws IOException {
        this.status = status;
        start(0);
    }

    private void start(int onPort) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), onPort), 50);
        server.createContext("/", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            Map<String, String> headers = new TreeMap<>();
            exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT), v.get(0)));
            int answer = status;
            if (answer >= 200 && answer < 300) {
                synchronized (requests) {
                    requests.add(new Request(exchange.getRequestMethod(), exchange.getRequestURI().getPath(), headers, body));
                }
            }
            exchange.sendResponseHeaders(answer, -1);
            exchange.close();
        });
        server.start();
        port = server.getAddress().getPort();
    }

    URI url(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    /** Closes the port: connections are refused until {@link #restart()}. */
    void stop() {
        server.stop(0);
    }

    /** Listens on the same port again. */
    void restart() throws IOException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            try {
                start(port);
                return;
            } catch (java.net.BindException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                try {
                    Thread.sleep(200);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    void answer(int status) {
        this.status = status;
    }

    /** The requests accepted so far. */
    List<Request> requests() {
        synchronized (requests) {
            return List.copyOf(requests);
        }
    }

    /** Waits until the accepted requests satisfy {@code done}, or the time is up; returns them either way. */
    List<Request> await(Predicate<List<Request>> done, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (done.test(requests())) {
                break;
            }
            Thread.sleep(100);
        }
        return requests();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
