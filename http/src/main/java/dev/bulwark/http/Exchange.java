package dev.bulwark.http;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * One request whose body has been read completely (or up to the size limit), and its response. Handlers run on the
 * server's worker pool and may block; they answer once with {@link #send}.
 */
public final class Exchange {

    private final Request request;
    private final Response response;
    private final Callback callback;
    private final byte[] body;
    private final boolean bodyTooLarge;
    private final AtomicBoolean sent = new AtomicBoolean();
    private final Runnable sending;

    /**
     * @param sending runs just before the response is written (the server starts the response deadline there)
     */
    Exchange(Request request, Response response, Callback callback, byte[] body, boolean bodyTooLarge, Runnable sending) {
        this.request = request;
        this.response = response;
        this.callback = callback;
        this.body = body;
        this.bodyTooLarge = bodyTooLarge;
        this.sending = sending;
    }

    public String method() {
        return request.getMethod();
    }

    /** The percent-decoded path. */
    public String path() {
        String path = request.getHttpURI().getDecodedPath();
        return path == null ? "/" : path;
    }

    /** The path as sent. */
    public String rawPath() {
        String path = request.getHttpURI().getPath();
        return path == null ? "/" : path;
    }

    /** The query string as sent, or null. */
    public String rawQuery() {
        return request.getHttpURI().getQuery();
    }

    /** The first value of a request header, or null. */
    public String header(String name) {
        return request.getHeaders().get(name);
    }

    /** Every value of a request header (one per header line), empty when absent. */
    public List<String> headers(String name) {
        return request.getHeaders().stream().filter(field -> field.is(name)).map(HttpField::getValue).toList();
    }

    /**
     * The values of every cookie of this name the request carries (RFC 6265 parsing, Jetty's), in order; empty when
     * there is none. A browser may send two of one name (set for different paths or by a sibling domain): the caller
     * decides what that means.
     */
    public List<String> cookies(String name) {
        return Request.getCookies(request).stream().filter(cookie -> cookie.getName().equals(name))
                .map(org.eclipse.jetty.http.HttpCookie::getValue).toList();
    }

    /** The client's IP address. */
    public String remoteAddress() {
        return Request.getRemoteAddr(request);
    }

    /**
     * The request body; when {@link #bodyTooLarge()}, its first bytes only (at most the limit), or none when the
     * declared length was already over the limit.
     */
    public byte[] body() {
        return body;
    }

    /** Whether the body was longer than the server's limit (declared or counted while reading). */
    public boolean bodyTooLarge() {
        return bodyTooLarge;
    }

    /** The declared Content-Length, or -1. */
    public long declaredLength() {
        return request.getLength();
    }

    /** Sets a response header (before {@link #send}). */
    public void setHeader(String name, String value) {
        response.getHeaders().put(name, value);
    }

    /** Adds a response header beside those of the same name (before {@link #send}), e.g. a second Set-Cookie. */
    public void addHeader(String name, String value) {
        response.getHeaders().add(name, value);
    }

    /** Whether {@link #send} was called. */
    public boolean sent() {
        return sent.get();
    }

    /** Sends the response; a HEAD request gets the headers only. A second call is ignored. */
    public void send(int status, String contentType, byte[] content) {
        if (!sent.compareAndSet(false, true)) {
            return;
        }
        response.setStatus(status);
        if (contentType != null) {
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        }
        boolean head = "HEAD".equals(request.getMethod());
        sending.run();
        response.write(true, head || content.length == 0 ? null : ByteBuffer.wrap(content), callback);
    }

    /** Sends {@code {"error":"message"}}. */
    public void sendError(int status, String message) {
        send(status, "application/json", ("{\"error\":\"" + jsonEscape(message) + "\"}").getBytes(StandardCharsets.UTF_8));
    }

    static String jsonEscape(String text) {
        StringBuilder out = new StringBuilder(text.length() + 8);
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }
}
