package dev.bulwark.http;

import java.io.IOException;
import java.net.BindException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one HTTP server setup behind the ingest receiver, the query API and the metrics endpoint: Jetty core (no
 * servlets) with limits that a slow or hostile client cannot get around.
 *
 * <ul>
 *   <li><b>Slow headers.</b> The request line and headers must be complete within {@link HttpLimits#headerTimeout()}
 *       of the connection opening (or of the previous response); a sweeper closes connections that miss it, so a
 *       client that trickles one header byte every few seconds is cut off as surely as a silent one (Jetty's idle
 *       timeout alone only catches silence).</li>
 *   <li><b>Slow bodies.</b> The body is read without holding a thread (Jetty's demand API) and must be complete within
 *       {@link HttpLimits#bodyTimeout()} of the headers, whatever the rate; {@link HttpLimits#idleTimeout()} closes a
 *       connection on which nothing moves.</li>
 *   <li><b>Slow readers.</b> Once the handler answers, the client must take the whole response within
 *       {@link HttpLimits#responseTimeout()}, however it reads; the sweeper closes the connection otherwise. A client
 *       that reads one byte now and then never trips the idle timeout, so without this it could hold a connection and
 *       the response's buffers for good.</li>
 *   <li><b>Size.</b> A declared Content-Length over the limit is answered at once without reading the body; a chunked
 *       body is counted while it is read and reading stops one byte past the limit (the handler sees
 *       {@link Exchange#bodyTooLarge()} and answers 413; the rest is not read and the connection is closed). This is
 *       what Jetty's {@code SizeLimitHandler} does, done here so the ingest receiver can still dead-letter the start
 *       of an oversized body. Bodies being read count against a shared budget of buffered bytes; past it new bodies
 *       get 503. Headers are limited to {@link HttpLimits#maxHeaderBytes()} (431).</li>
 *   <li><b>Connections.</b> At most {@link HttpLimits#maxConnections()} at once ({@link NetworkConnectionLimit}: more
 *       wait in the accept backlog), and each is closed after {@link HttpLimits#maxRequestsPerConnection()} requests
 *       (Jetty 12 has no such setting; the server answers the last one with {@code Connection: close}).</li>
 *   <li><b>Threads, and health while busy.</b> Jetty's own small pool ({@link QueuedThreadPool}, bounded) only accepts,
 *       parses and buffers, which never blocks. Handlers run on a separate bounded worker pool with a bounded queue;
 *       when both are full a request gets 503 at once instead of piling up. The health paths given to
 *       {@link #start} run directly on Jetty's pool and never wait for the worker pool, so {@code /healthz} and
 *       {@code /livez} answer while every worker waits for Kafka or Elasticsearch.</li>
 *   <li><b>TLS.</b> With {@link Spec#tls()} set the one listener speaks HTTPS only (TLS 1.2 and 1.3), and the limits
 *       above apply to the HTTP connection inside each TLS connection, so a client that never completes its handshake
 *       is closed at the header deadline like one that never sends its headers.</li>
 * </ul>
 */
public final class BulwarkHttpServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(BulwarkHttpServer.class);
    /** Jetty's own threads: one acceptor, one selector, and room for parsing, buffering and health answers. */
    private static final int IO_THREADS = 12;

    /** What a server does with a request once its body has been read. Runs on a worker thread; may block. */
    @FunctionalInterface
    public interface Routes {
        void handle(Exchange exchange) throws Exception;

        /**
         * Whether {@link #handle} also gets requests whose body is over the limit (it must then answer 413 itself, as
         * the ingest receiver does after recording the start); otherwise the server answers them 413.
         */
        default boolean handlesOversizedBodies() {
            return false;
        }

        /** Answers a request the server refuses itself (503 busy, 413, 500); by default {@code {"error":"..."}}. */
        default void refuse(Exchange exchange, int status, String message) {
            exchange.sendError(status, message);
        }
    }

    /**
     * What one server serves.
     *
     * @param tls the certificate and key to serve HTTPS with, or null for plain HTTP; with TLS there is no plaintext
     *     listener at all (a plain request to the port fails its handshake), so nothing can be sent in the clear by
     *     mistake
     */
    public record Spec(String name, String host, int port, HttpLimits limits, int workers, int queue,
            int maxBodyBytes, Set<String> healthPaths, Routes routes, Tls tls) {

        /** A plain HTTP server. */
        public Spec(String name, String host, int port, HttpLimits limits, int workers, int queue,
                int maxBodyBytes, Set<String> healthPaths, Routes routes) {
            this(name, host, port, limits, workers, queue, maxBodyBytes, healthPaths, routes, null);
        }
    }

    private final Spec spec;
    private final Server server;
    private final ServerConnector connector;
    private final ThreadPoolExecutor workers;
    private final ScheduledExecutorService sweeper;
    private final Map<Connection, Guard> guards = new ConcurrentHashMap<>();
    private final AtomicLong buffered = new AtomicLong();
    private final long bufferBudget;

    /** Per-connection deadline: until when the current headers, body or response may take. */
    private static final class Guard {
        volatile long deadline;
        final AtomicInteger requests = new AtomicInteger();

        Guard(long deadline) {
            this.deadline = deadline;
        }

        /** Starts the deadline for the client to take the response. */
        void responding(Duration timeout) {
            deadline = System.nanoTime() + timeout.toNanos();
        }
    }

    /** What a response does before it is written: start the guard's response deadline, when there is a guard. */
    private Runnable sending(Guard guard) {
        return guard == null ? () -> { } : () -> guard.responding(spec.limits().responseTimeout());
    }

    private BulwarkHttpServer(Spec spec) throws IOException {
        this.spec = spec;
        HttpLimits limits = spec.limits();
        this.bufferBudget = Math.max(64L << 20, 4L * spec.maxBodyBytes());
        QueuedThreadPool io = new QueuedThreadPool(IO_THREADS, 4, (int) limits.idleTimeout().toMillis());
        io.setName("bulwark-" + spec.name() + "-io");
        io.setDaemon(true);
        io.setReservedThreads(0);
        server = new Server(io);
        HttpConfiguration http = new HttpConfiguration();
        http.setRequestHeaderSize(limits.maxHeaderBytes());
        http.setIdleTimeout(limits.idleTimeout().toMillis());
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        if (spec.tls() == null) {
            connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
        } else {
            // HTTPS only: the TLS connection decrypts, the HTTP connection inside it is the one the limits guard.
            http.addCustomizer(new SecureRequestCustomizer(false));
            connector = new ServerConnector(server, 1, 1,
                    new SslConnectionFactory(sslContext(spec.tls()), HttpVersion.HTTP_1_1.asString()),
                    new HttpConnectionFactory(http));
        }
        connector.setHost(spec.host());
        connector.setPort(spec.port());
        connector.setIdleTimeout(limits.idleTimeout().toMillis());
        connector.setAcceptQueueSize(128);
        connector.addEventListener(new Connection.Listener() {
            @Override
            public void onOpened(Connection connection) {
                if (connection instanceof SslConnection) {
                    // Its HTTP connection, opened with it, carries the deadlines (a stalled handshake is a request
                    // whose headers never arrive); a guard here would never see a request and would cut long ones.
                    return;
                }
                guards.put(connection, new Guard(System.nanoTime() + limits.headerTimeout().toNanos()));
            }

            @Override
            public void onClosed(Connection connection) {
                guards.remove(connection);
            }
        });
        server.addConnector(connector);
        server.addBean(new NetworkConnectionLimit(limits.maxConnections(), connector));
        server.setHandler(new Front());
        // Errors Jetty answers itself (a bad or ambiguous URI, headers too large) in the routes' JSON shape and headers.
        server.setErrorHandler((Request.Handler) (request, response, callback) -> {
            int status = request.getAttribute(ErrorHandler.ERROR_STATUS) instanceof Integer code ? code
                    : response.getStatus() >= 400 ? response.getStatus() : 500;
            String message = request.getAttribute(ErrorHandler.ERROR_MESSAGE) instanceof String text
                    ? text.replaceAll("[^\\x20-\\x7e]", "?") : HttpStatus.getMessage(status);
            if (message.length() > 100) {
                message = message.substring(0, 100) + "...";
            }
            spec.routes().refuse(new Exchange(request, response, callback, new byte[0], false,
                    sending(guard(request))), status, message);
            return true;
        });
        workers = new ThreadPoolExecutor(spec.workers(), spec.workers(), 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(spec.queue()), daemon("bulwark-" + spec.name() + "-http"));
        sweeper = Executors.newSingleThreadScheduledExecutor(daemon("bulwark-" + spec.name() + "-timeouts"));
        long period = Math.max(50, Math.min(500, limits.headerTimeout().toMillis() / 8));
        sweeper.scheduleWithFixedDelay(this::sweep, period, period, TimeUnit.MILLISECONDS);
    }

    /** The TLS engine's settings: the configured key and chain, TLS 1.2 and 1.3 only, Jetty's cipher exclusions. */
    private static SslContextFactory.Server sslContext(Tls tls) throws IOException {
        Tls.Loaded loaded = tls.load();
        SslContextFactory.Server ssl = new SslContextFactory.Server();
        ssl.setKeyStore(loaded.keyStore());
        ssl.setKeyStorePassword(new String(loaded.password()));
        ssl.setKeyManagerPassword(new String(loaded.password()));
        ssl.setIncludeProtocols("TLSv1.3", "TLSv1.2");
        // Clients reach the servers by IP address, by a load balancer's name or through a port-forward: SNI names
        // need not match the certificate here; the client checks the certificate against the name it dialled.
        ssl.setSniRequired(false);
        return ssl;
    }

    /**
     * Starts a server.
     *
     * @throws BindException when the address is in use (the caller names its configuration key)
     */
    public static BulwarkHttpServer start(Spec spec) throws IOException {
        BulwarkHttpServer http = new BulwarkHttpServer(spec);
        try {
            http.server.start();
        } catch (Exception e) {
            http.close();
            for (Throwable cause = e; cause != null; cause = cause.getCause()) {
                if (cause instanceof BindException bind) {
                    throw bind;
                }
            }
            throw e instanceof IOException io ? io : new IOException("cannot start the " + spec.name() + " server: " + e, e);
        }
        return http;
    }

    /** {@code https} when the server speaks TLS, else {@code http}. */
    public String scheme() {
        return spec.tls() == null ? "http" : "https";
    }

    /** The port listened on. */
    public int port() {
        return connector.getLocalPort();
    }

    /** Connections open now (for tests and diagnostics). */
    public int connections() {
        return guards.size();
    }

    private void sweep() {
        long now = System.nanoTime();
        for (Map.Entry<Connection, Guard> entry : guards.entrySet()) {
            if (now - entry.getValue().deadline > 0) {
                abort(entry.getKey().getEndPoint());
            }
        }
    }

    /**
     * Closes a connection that missed its deadline with a reset: a plain close would let the kernel go on sending the
     * response already in its buffers (megabytes on loopback) to a client that reads slowly on purpose.
     */
    private static void abort(org.eclipse.jetty.io.EndPoint endPoint) {
        if (endPoint.getTransport() instanceof java.nio.channels.NetworkChannel channel) {
            try {
                channel.setOption(java.net.StandardSocketOptions.SO_LINGER, 0);
            } catch (IOException | UnsupportedOperationException e) {
                LOG.debug("cannot reset the connection, closing it: {}", e.toString());
            }
        }
        endPoint.close();
    }

    private Guard guard(Request request) {
        return guards.get(request.getConnectionMetaData().getConnection());
    }

    /** Reads the body without blocking, then runs the routes. */
    private final class Front extends Handler.Abstract {
        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            HttpLimits limits = spec.limits();
            Guard guard = guard(request);
            Callback done = callback;
            if (guard != null) {
                guard.deadline = System.nanoTime() + limits.bodyTimeout().toNanos();
                if (guard.requests.incrementAndGet() >= limits.maxRequestsPerConnection()) {
                    response.getHeaders().put(HttpHeader.CONNECTION, "close");
                }
                done = Callback.from(() -> {
                    guard.deadline = System.nanoTime() + limits.headerTimeout().toNanos();
                    callback.succeeded();
                }, failure -> {
                    guard.deadline = System.nanoTime() + limits.headerTimeout().toNanos();
                    callback.failed(failure);
                });
            }
            long declared = request.getLength();
            if (declared > spec.maxBodyBytes()) {
                // Never read: the sender learns at once; the unread body makes Jetty close the connection.
                dispatch(request, new Exchange(request, response, done, new byte[0], true, sending(guard)), guard);
                return true;
            }
            new BodyReader(request, response, done, guard).read();
            return true;
        }
    }

    private final class BodyReader {
        private final Request request;
        private final Response response;
        private final Callback callback;
        private final Guard guard;
        private byte[] bytes = new byte[0];
        private int size;

        BodyReader(Request request, Response response, Callback callback, Guard guard) {
            this.request = request;
            this.response = response;
            this.callback = callback;
            this.guard = guard;
        }

        void read() {
            int limit = spec.maxBodyBytes();
            while (true) {
                Content.Chunk chunk = request.read();
                if (chunk == null) {
                    request.demand(this::read);
                    return;
                }
                if (Content.Chunk.isFailure(chunk)) {
                    release();
                    callback.failed(chunk.getFailure());
                    return;
                }
                boolean last = chunk.isLast();
                ByteBuffer buffer = chunk.getByteBuffer();
                int take = Math.min(buffer.remaining(), limit + 1 - size);
                if (take > 0) {
                    if (buffered.addAndGet(take) > bufferBudget) {
                        buffered.addAndGet(-take);
                        chunk.release();
                        release();
                        LOG.warn("{} server: request bodies being read exceed {} bytes; answering 503", spec.name(),
                                bufferBudget);
                        Exchange exchange = new Exchange(request, response, callback, new byte[0], false,
                                sending(guard));
                        spec.routes().refuse(exchange, 503, "the server is busy; retry later");
                        return;
                    }
                    if (size + take > bytes.length) {
                        bytes = Arrays.copyOf(bytes, Math.min(limit + 1, Math.max(size + take, bytes.length * 2 + 1024)));
                    }
                    buffer.get(bytes, size, take);
                    size += take;
                }
                chunk.release();
                if (size > limit) {
                    finish(Arrays.copyOf(bytes, limit), true);
                    return;
                }
                if (last) {
                    finish(size == bytes.length ? bytes : Arrays.copyOf(bytes, size), false);
                    return;
                }
            }
        }

        private void release() {
            buffered.addAndGet(-size);
            size = 0;
        }

        private void finish(byte[] body, boolean tooLarge) {
            release();
            dispatch(request, new Exchange(request, response, callback, body, tooLarge, sending(guard)), guard);
        }
    }

    private void dispatch(Request request, Exchange exchange, Guard guard) {
        if (guard != null) {
            guard.deadline = Long.MAX_VALUE; // the handler's time is bounded by the handler (e.g. the Kafka wait)
        }
        String path = request.getHttpURI().getPath();
        if (spec.healthPaths().contains(path)
                || exchange.bodyTooLarge() && !spec.routes().handlesOversizedBodies()) {
            // Health checks, and refusals that need no handler, answer at once on Jetty's thread: a flood of
            // oversized requests must not fill the workers' queue and push real requests out with 503.
            run(exchange);
            return;
        }
        try {
            workers.execute(() -> run(exchange));
        } catch (RejectedExecutionException e) {
            spec.routes().refuse(exchange, 503, "the server is busy; retry later");
        }
    }

    private void run(Exchange exchange) {
        try {
            if (exchange.bodyTooLarge() && !spec.routes().handlesOversizedBodies()) {
                spec.routes().refuse(exchange, 413, "the request body is larger than " + spec.maxBodyBytes() + " bytes");
                return;
            }
            spec.routes().handle(exchange);
        } catch (Exception | Error e) {
            LOG.error("{} request failed", spec.name(), e);
        } finally {
            if (!exchange.sent()) {
                spec.routes().refuse(exchange, 500, "internal error");
            }
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, name + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception e) {
            LOG.debug("stopping the {} server: {}", spec.name(), e.toString());
        }
        workers.shutdownNow();
        sweeper.shutdownNow();
    }
}
