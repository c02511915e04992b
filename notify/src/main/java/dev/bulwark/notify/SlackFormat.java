package dev.bulwark.notify;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.Incident;

/**
 * A Slack-compatible incoming webhook: {@code {"text": ..., "blocks": [...]}} with a section and a context block.
 *
 * <p>Every piece of text that comes from a finding or incident is escaped as Slack asks ({@code &}, {@code <},
 * {@code >}), so hostile input cannot make links or {@code <!channel>} mentions, and is cut to keep within Slack's
 * block limits.
 */
final class SlackFormat implements Encoder {

    /** Slack refuses section text over 3000 characters. */
    private static final int MAX_SECTION = 2900;

    private final Route route;

    SlackFormat(Route route) {
        this.route = route;
    }

    /** Escapes {@code &}, {@code <} and {@code >} as Slack's message formatting requires. */
    static String escape(String text) {
        if (text == null) {
            return "";
        }
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    @Override
    public Payload encode(Notice notice, Instant now) {
        String headline;
        List<String> lines = new ArrayList<>();
        List<String> context = new ArrayList<>();
        if (notice instanceof Notice.FindingNotice n) {
            Finding f = n.finding();
            String severity = Severity.normalise(f.getSeverity()).toUpperCase(Locale.ROOT);
            headline = (n.event().equals("escalated") ? "Escalated " : "") + "[" + severity + "] "
                    + clip(f.getRule().getName(), 200) + " (tenant " + clip(f.getTenant(), 63) + ")";
            lines.add(clip(f.getSummary(), 1000));
            if (f.getNamespace() != null || f.getPod() != null) {
                lines.add("Workload: " + clip(f.getNamespace(), 253) + "/" + clip(f.getPod(), 253));
            }
            if (Views.otherTenantsInvolved(f)) {
                lines.add(route.allTenants() ? "Other tenants: " + clip(String.join(", ", f.getOtherTenants()), 300)
                        : "Another tenant was involved.");
            }
            context.add("rule " + clip(f.getRule().getId(), 200));
            context.add("finding " + clip(f.getId(), 100));
            context.add("first seen " + Views.iso(f.getFirstSeen()));
        } else if (notice instanceof Notice.IncidentNotice n) {
            Incident i = n.incident();
            headline = "[" + Views.severity(i).toUpperCase(Locale.ROOT) + "] Incident " + clip(i.getId(), 100) + ": "
                    + i.getFindingsTotal() + (i.getFindingsTotal() == 1 ? " finding" : " findings")
                    + ", risk " + Math.round(i.getRisk());
            lines.add("Opened by " + clip(i.getOpenedBy(), 300) + " (" + clip(i.getReason(), 40) + ")");
            if (!i.getTactics().isEmpty()) {
                lines.add("Tactics: " + clip(String.join(", ", i.getTactics()), 300));
            }
            int shown = 0;
            for (var f : i.getTimeline()) {
                if (shown++ == 5) {
                    lines.add("… and " + (i.getTimeline().size() - 5) + " more in the timeline");
                    break;
                }
                lines.add("• " + Severity.normalise(f.getSeverity()) + ": " + clip(f.getRuleName(), 120)
                        + (f.getPod() == null ? "" : " in " + clip(f.getNamespace(), 100) + "/" + clip(f.getPod(), 100)));
            }
            if (route.allTenants()) {
                context.add("tenants " + clip(String.join(", ", i.getTenants()), 300));
            } else if (n.otherTenantsInvolved()) {
                lines.add("Another tenant was involved" + (n.hiddenFindings() > 0
                        ? "; " + n.hiddenFindings() + " of its findings are not shown." : "."));
            }
            context.add("incident " + clip(i.getId(), 100));
            context.add("last seen " + Views.iso(i.getLastSeen()));
        } else {
            Notice.SummaryNotice s = (Notice.SummaryNotice) notice;
            headline = "[" + s.severity().toUpperCase(Locale.ROOT) + "] " + clip(s.text(), 1000);
            context.add("rate limit of route " + route.name() + ": " + route.ratePerMinute() + " a minute");
        }
        String section = "*" + escape(headline) + "*\n" + escape(String.join("\n", lines));
        if (section.length() > MAX_SECTION) {
            section = section.substring(0, MAX_SECTION) + "…";
        }
        ObjectNode body = Views.JSON.createObjectNode();
        body.put("text", escape(clip(headline, 1000)));
        ArrayNode blocks = body.putArray("blocks");
        ObjectNode sectionBlock = blocks.addObject();
        sectionBlock.put("type", "section");
        ObjectNode text = sectionBlock.putObject("text");
        text.put("type", "mrkdwn");
        text.put("text", section);
        ObjectNode contextBlock = blocks.addObject();
        contextBlock.put("type", "context");
        ArrayNode elements = contextBlock.putArray("elements");
        for (String c : context) {
            ObjectNode element = elements.addObject();
            element.put("type", "mrkdwn");
            element.put("text", escape(c));
        }
        return new Payload(route.url(), Views.bytes(body), Views.jsonHeaders());
    }

    private static String clip(String value, int max) {
        if (value == null) {
            return "";
        }
        return value.length() > max ? value.substring(0, max) + "…" : value;
    }
}
