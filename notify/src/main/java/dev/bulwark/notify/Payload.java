package dev.bulwark.notify;

import java.net.URI;
import java.util.Map;

/**
 * One HTTP request, encoded: where it goes, its JSON body and its headers. {@link #toString()} names neither the URL
 * (a Slack URL is a secret) nor the headers (a signature, a bearer token).
 */
record Payload(URI target, byte[] body, Map<String, String> headers) {

    @Override
    public String toString() {
        return "Payload[" + body.length + " bytes]";
    }
}
