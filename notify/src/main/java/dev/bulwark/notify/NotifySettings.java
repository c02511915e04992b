package dev.bulwark.notify;

import java.time.Duration;

/**
 * How the notifier runs, apart from the routes.
 *
 * @param applicationId prefix of the consumer groups: {@code <applicationId>-notify-<route>}
 * @param window the rate limit's window (a minute; shorter only in tests)
 * @param initialBackoff the first wait after a failed delivery; doubled after each failure
 * @param maxBackoff the longest wait between two attempts
 * @param maxRetryAfter the longest {@code Retry-After} honoured
 * @param requestTimeout how long one HTTP request may take
 * @param maxHeldRecords records held for summaries before they are summarised early (bounds memory)
 */
public record NotifySettings(String applicationId, Duration window, Duration initialBackoff, Duration maxBackoff,
                             Duration maxRetryAfter, Duration requestTimeout, int maxHeldRecords) {

    /** The defaults for {@code applicationId}. */
    public static NotifySettings defaults(String applicationId) {
        return new NotifySettings(applicationId, Duration.ofMinutes(1), Duration.ofMillis(500), Duration.ofSeconds(30),
                Duration.ofSeconds(60), Duration.ofSeconds(10), 5_000);
    }

    /** The consumer group of {@code route}. */
    public String groupId(Route route) {
        return applicationId + "-notify-" + route.name();
    }

    public NotifySettings withWindow(Duration value) {
        return new NotifySettings(applicationId, value, initialBackoff, maxBackoff, maxRetryAfter, requestTimeout, maxHeldRecords);
    }

    public NotifySettings withMaxBackoff(Duration value) {
        return new NotifySettings(applicationId, window, initialBackoff, value, maxRetryAfter, requestTimeout, maxHeldRecords);
    }
}
