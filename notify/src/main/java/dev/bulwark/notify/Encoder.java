package dev.bulwark.notify;

import java.time.Instant;

/** Encodes a notice as one HTTP request of a route's format. */
interface Encoder {

    /** The request for {@code notice}, signed (where the format signs) at {@code now}. */
    Payload encode(Notice notice, Instant now);

    /** The encoder of {@code route}'s format. */
    static Encoder of(Route route) {
        return switch (route.format()) {
            case WEBHOOK -> new WebhookFormat(route);
            case SLACK -> new SlackFormat(route);
            case ALERTMANAGER -> new AlertmanagerFormat(route);
        };
    }
}
