package dev.bulwark.notify;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The generic webhook: one JSON object per notification, {@code {"kind": "finding" | "incident" | "summary", ...}},
 * signed as {@link WebhookSignature} describes, with the delivery id in {@code X-Bulwark-Delivery}.
 */
final class WebhookFormat implements Encoder {

    private final Route route;

    WebhookFormat(Route route) {
        this.route = route;
    }

    @Override
    public Payload encode(Notice notice, Instant now) {
        ObjectNode body = Views.JSON.createObjectNode();
        if (notice instanceof Notice.FindingNotice f) {
            body.put("kind", "finding");
            body.put("event", f.event());
            body.set("finding", Views.finding(f.finding(), route));
        } else if (notice instanceof Notice.IncidentNotice i) {
            body.put("kind", "incident");
            body.put("updates", i.updates());
            body.set("incident", Views.incident(i));
        } else if (notice instanceof Notice.SummaryNotice s) {
            body.put("kind", "summary");
            body.set("summary", Views.summary(s));
        }
        body.put("route", route.name());
        body.put("delivery", notice.deliveryId());
        byte[] bytes = Views.bytes(body);
        long timestamp = now.getEpochSecond();
        Map<String, String> headers = new LinkedHashMap<>(Views.jsonHeaders());
        headers.put(WebhookSignature.TIMESTAMP_HEADER, Long.toString(timestamp));
        headers.put(WebhookSignature.SIGNATURE_HEADER, WebhookSignature.sign(route.secret(), timestamp, bytes));
        headers.put(WebhookSignature.DELIVERY_HEADER, notice.deliveryId());
        return new Payload(route.url(), bytes, headers);
    }
}
