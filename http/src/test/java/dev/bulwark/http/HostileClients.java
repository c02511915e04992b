package dev.bulwark.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Slow and hostile clients on loopback: connections that never finish their headers or their body. Closing it closes
 * every socket and stops the trickling.
 */
public final class HostileClients implements AutoCloseable {

    private final int port;
    private final List<Socket> partialHeaders = new ArrayList<>();
    private final List<Socket> slowBodies = new ArrayList<>();
    private final Thread trickler;
    private volatile boolean stopped;

    public HostileClients(int port) {
        this.port = port;
        trickler = new Thread(this::trickle, "hostile-trickler");
        trickler.setDaemon(true);
    }

    /** Opens {@code count} connections that send {@code METHOD path HTTP/1.1\r\nHost: x\r\nX-a: } and no more. */
    public HostileClients partialHeaders(int count, String method, String path) throws IOException {
        for (int i = 0; i < count; i++) {
            partialHeaders.add(open(method + " " + path + " HTTP/1.1\r\nHost: x\r\nX-a: "));
        }
        return this;
    }

    /**
     * Opens {@code count} connections whose headers are complete ({@code Content-Length: 1000000}) and whose body then
     * comes one byte a second, from every other connection, and not at all from the rest.
     */
    public HostileClients slowBodies(int count, String method, String path, String extraHeaders) throws IOException {
        for (int i = 0; i < count; i++) {
            slowBodies.add(open(method + " " + path + " HTTP/1.1\r\nHost: x\r\n" + extraHeaders
                    + "Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{"));
        }
        if (!trickler.isAlive()) {
            trickler.start();
        }
        return this;
    }

    private Socket open(String start) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        OutputStream out = socket.getOutputStream();
        out.write(start.getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return socket;
    }

    private void trickle() {
        for (int round = 0; round < 120 && !stopped; round++) {
            for (int i = 0; i < slowBodies.size(); i += 2) {
                try {
                    slowBodies.get(i).getOutputStream().write(' ');
                } catch (IOException e) {
                    // closed by the server: what the test waits for
                }
            }
            try {
                TimeUnit.SECONDS.sleep(1);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Every held connection: partial headers first. */
    public List<Socket> sockets() {
        List<Socket> all = new ArrayList<>(partialHeaders);
        all.addAll(slowBodies);
        return all;
    }

    /** Asserts that the server closed every held connection (EOF or reset) within {@code within} from now. */
    public void assertAllClosedWithin(Duration within) throws IOException {
        long deadline = System.nanoTime() + within.toNanos();
        int index = 0;
        for (Socket socket : sockets()) {
            assertThat(closedBy(socket, deadline)).as("connection %d of %d closed by the server within %s", index,
                    sockets().size(), within).isTrue();
            index++;
        }
    }

    /** Reads (and drops any response) until EOF or reset; false if the deadline passes first. */
    public static boolean closedBy(Socket socket, long deadlineNanos) throws IOException {
        InputStream in = socket.getInputStream();
        byte[] buffer = new byte[4096];
        while (true) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
            if (left <= 0) {
                return false;
            }
            socket.setSoTimeout((int) Math.max(1, left));
            try {
                if (in.read(buffer) < 0) {
                    return true;
                }
            } catch (SocketTimeoutException e) {
                return false;
            } catch (IOException e) {
                return true; // reset
            }
        }
    }

    /** Sends raw bytes on a new connection and returns the socket. */
    public static Socket raw(int port, String request) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        return socket;
    }

    /** Reads the status line of a response within {@code within}, or fails. */
    public static int status(Socket socket, Duration within) throws IOException {
        socket.setSoTimeout((int) within.toMillis());
        InputStream in = socket.getInputStream();
        StringBuilder line = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0 && c != '\n' && line.length() < 200) {
            line.append((char) c);
        }
        assertThat(line.toString()).as("status line").startsWith("HTTP/1.1 ");
        return Integer.parseInt(line.substring(9, 12));
    }

    @Override
    public void close() {
        stopped = true;
        trickler.interrupt();
        for (Socket socket : sockets()) {
            try {
                socket.close();
            } catch (IOException e) {
                // already closed
            }
        }
    }
}
