package dev.bulwark.notify;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.Incident;

/**
 * Alertmanager's v2 API: {@code POST <url>/api/v2/alerts} with a JSON array of one postable alert.
 *
 * <p>Labels identify the alert (Alertmanager dedupes alerts with equal label sets): {@code alertname} (the rule id, or
 * {@code BulwarkIncident} / {@code BulwarkSummary}), {@code severity}, {@code tenant}, {@code rule}, {@code finding} or
 * {@code incident}, {@code namespace} and {@code pod} when present. So a repeat of the same finding or incident
 * updates one alert, and existing Alertmanager routes on {@code severity} and {@code tenant} work. Annotations carry
 * the {@code summary} and {@code description}.
 */
final class AlertmanagerFormat implements Encoder {

    private final Route route;
    private final URI target;

    AlertmanagerFormat(Route route) {
        this.route = route;
        String base = route.url().toString();
        this.target = URI.create((base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + "/api/v2/alerts");
    }

    @Override
    public Payload encode(Notice notice, Instant now) {
        Map<String, String> labels = new LinkedHashMap<>();
        String summary;
        String description;
        long startsAt;
        String id;
        if (notice instanceof Notice.FindingNotice n) {
            Finding f = n.finding();
            labels.put("alertname", f.getRule().getId());
            labels.put("severity", Severity.normalise(f.getSeverity()));
            labels.put("tenant", f.getTenant());
            labels.put("rule", f.getRule().getId());
            labels.put("finding", f.getId());
            putIfPresent(labels, "namespace", f.getNamespace());
            putIfPresent(labels, "pod", f.getPod());
            summary = f.getRule().getName();
            description = f.getSummary() + (route.allTenants() || !Views.otherTenantsInvolved(f) ? ""
                    : " Another tenant was involved.");
            startsAt = f.getFirstSeen();
            id = f.getId();
        } else if (notice instanceof Notice.IncidentNotice n) {
            Incident i = n.incident();
            labels.put("alertname", "BulwarkIncident");
            labels.put("severity", Views.severity(i));
            labels.put("tenant", route.allTenants() ? String.join(",", i.getTenants()) : route.tenant());
            labels.put("incident", i.getId());
            summary = "Incident " + i.getId() + ": " + i.getFindingsTotal() + " findings, risk " + Math.round(i.getRisk());
            description = "Opened by " + i.getOpenedBy() + " (" + i.getReason() + "); tactics "
                    + String.join(", ", i.getTactics())
                    + (!route.allTenants() && n.otherTenantsInvolved() ? ". Another tenant was involved." : ".");
            startsAt = i.getOpenedAt();
            id = i.getId();
        } else {
            Notice.SummaryNotice s = (Notice.SummaryNotice) notice;
            labels.put("alertname", "BulwarkSummary");
            labels.put("severity", s.severity());
            if (s.tenant() != null) {
                labels.put("tenant", s.tenant());
            }
            labels.put(s.scopeType(), s.scopeId());
            summary = s.text();
            description = s.text() + " (over the route's limit of " + route.ratePerMinute() + " a minute)";
            startsAt = s.windowStart();
            id = s.scopeId();
        }
        ArrayNode body = Views.JSON.createArrayNode();
        ObjectNode alert = body.addObject();
        ObjectNode labelNode = alert.putObject("labels");
        labels.forEach((k, v) -> labelNode.put(k, v == null ? "" : v));
        ObjectNode annotations = alert.putObject("annotations");
        annotations.put("summary", summary);
        annotations.put("description", description);
        annotations.put("delivery", notice.deliveryId());
        alert.put("startsAt", Views.iso(startsAt));
        if (route.generatorUrl() != null) {
            alert.put("generatorURL", route.generatorUrl().replace("{id}", URLEncoder.encode(id, StandardCharsets.UTF_8)));
        }
        Map<String, String> headers = new LinkedHashMap<>(Views.jsonHeaders());
        if (route.secret() != null) {
            headers.put("Authorization", "Bearer " + route.secret());
        }
        return new Payload(target, Views.bytes(body), headers);
    }

    private static void putIfPresent(Map<String, String> labels, String name, String value) {
        if (value != null && !value.isEmpty()) {
            labels.put(name, value);
        }
    }
}
