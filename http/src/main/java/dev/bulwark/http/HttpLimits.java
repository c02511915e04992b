package dev.bulwark.http;

import java.time.Duration;

/**
 * How long and how much a client may take from one of Bulwark's HTTP servers. The defaults suit the ingest receiver,
 * the query API and the metrics endpoint alike; tests use short timeouts.
 *
 * @param idleTimeout a connection on which nothing moves for this long is closed (also bounds a blocked response write)
 * @param headerTimeout the request line and headers must arrive completely within this time after the connection
 *     opened or the previous response was sent; a keep-alive connection without a next request is closed then too
 * @param bodyTimeout the whole request body must arrive within this time after the headers, however it trickles
 * @param responseTimeout the whole response must be taken by the client within this time after the handler answered,
 *     however slowly it reads (the idle timeout alone lets a client that reads a byte now and then hold on for good)
 * @param maxConnections connections open at once; further ones wait in the accept backlog
 * @param maxRequestsPerConnection after this many requests a connection is closed ({@code Connection: close})
 * @param maxHeaderBytes the request line and headers together; larger ones get 431
 */
public record HttpLimits(Duration idleTimeout, Duration headerTimeout, Duration bodyTimeout, Duration responseTimeout,
        int maxConnections, int maxRequestsPerConnection, int maxHeaderBytes) {

    public HttpLimits {
        positive("idleTimeout", idleTimeout);
        positive("headerTimeout", headerTimeout);
        positive("bodyTimeout", bodyTimeout);
        positive("responseTimeout", responseTimeout);
        if (maxConnections < 1 || maxRequestsPerConnection < 1 || maxHeaderBytes < 1024) {
            throw new IllegalArgumentException("maxConnections and maxRequestsPerConnection must be at least 1 and "
                    + "maxHeaderBytes at least 1024");
        }
    }

    /**
     * 10 s idle, 10 s for headers, 60 s for a body, 60 s to take a response, 1000 connections, 1000 requests each,
     * 16 KiB of headers.
     */
    public static HttpLimits defaults() {
        return new HttpLimits(Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofSeconds(60),
                Duration.ofSeconds(60), 1000, 1000, 16 * 1024);
    }

    /** The same limits with other timeouts. */
    public HttpLimits withTimeouts(Duration idle, Duration header, Duration body, Duration response) {
        return new HttpLimits(idle, header, body, response, maxConnections, maxRequestsPerConnection, maxHeaderBytes);
    }

    private static void positive(String name, Duration value) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, got " + value);
        }
    }
}
