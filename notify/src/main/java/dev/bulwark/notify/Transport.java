package dev.bulwark.notify;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/**
 * Sends one {@link Payload} and says what became of it: delivered, to retry (after how long, if the receiver said),
 * or refused for good.
 *
 * <p>Reasons name the HTTP status or the kind of network failure, never the URL or a header (a Slack URL and a bearer
 * token are secrets), so they can go into logs and dead letters.
 */
class Transport {

    /** What one attempt gave. */
    record Outcome(Kind kind, int status, Duration retryAfter, String reason) {

        enum Kind { DELIVERED, RETRY, PERMANENT }

        static Outcome delivered(int status) {
            return new Outcome(Kind.DELIVERED, status, null, "HTTP " + status);
        }
    }

    private final HttpClient client;
    private final Duration timeout;

    Transport(Duration connectTimeout, Duration timeout) {
        this.client = HttpClient.newBuilder()
                .connectTimeout(connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        this.timeout = timeout;
    }

    Outcome send(Payload payload) throws InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(payload.target())
                .timeout(timeout)
                .POST(HttpRequest.BodyPublishers.ofByteArray(payload.body()));
        payload.headers().forEach(request::header);
        HttpResponse<Void> response;
        try {
            response = client.send(request.build(), HttpResponse.BodyHandlers.discarding());
        } catch (IOException e) {
            return new Outcome(Outcome.Kind.RETRY, 0, null, "cannot reach the receiver (" + e.getClass().getSimpleName() + ")");
        }
        return classify(response.statusCode(), response.headers().firstValue("Retry-After").orElse(null), Instant.now());
    }

    /** What a status means: 2xx delivered; 408, 429 and 5xx retried; any other refused for good. */
    static Outcome classify(int status, String retryAfter, Instant now) {
        if (status >= 200 && status < 300) {
            return Outcome.delivered(status);
        }
        if (status == 408 || status == 429 || status >= 500) {
            return new Outcome(Outcome.Kind.RETRY, status, retryAfter(retryAfter, now),
                    "the receiver answered HTTP " + status);
        }
        if (status >= 300 && status < 400) {
            return new Outcome(Outcome.Kind.PERMANENT, status, null, "the receiver answered HTTP " + status
                    + " (a redirect, which is not followed); set the route's url to the final address");
        }
        return new Outcome(Outcome.Kind.PERMANENT, status, null, "the receiver refused the notification with HTTP "
                + status + "; check the route's url, format and secret against what the receiver expects");
    }

    /** Retry-After as seconds or an HTTP date; null when absent or unreadable. */
    static Duration retryAfter(String value, Instant now) {
        if (value == null || value.isBlank()) {
            return null;
        }
        String v = value.strip();
        if (v.matches("[0-9]{1,9}")) {
            return Duration.ofSeconds(Long.parseLong(v));
        }
        try {
            Duration d = Duration.between(now, ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
            return d.isNegative() ? Duration.ZERO : d;
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
