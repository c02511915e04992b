package dev.bulwark.notify;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.Incident;
import dev.bulwark.schemas.IncidentViews;

class FormatsTest {

    private static final Instant NOW = Instant.ofEpochMilli(Fixtures.T0 + 5_000);

    private static JsonNode json(Payload payload) throws Exception {
        return Views.JSON.readTree(payload.body());
    }

    @Test
    void shouldSignWebhookBodiesSoReceiversCanVerifyThemAndRejectTampering() throws Exception {
        Route route = Fixtures.route("soc", Route.Kind.FINDINGS, null, null, Route.Format.WEBHOOK, 30);
        Notice notice = new Notice.FindingNotice(route, Fixtures.finding("f1", "acme", "high"), "new", "d-123");
        Payload payload = Encoder.of(route).encode(notice, NOW);

        JsonNode body = json(payload);
        assertThat(body.path("kind").asText()).isEqualTo("finding");
        assertThat(body.path("finding").path("id").asText()).isEqualTo("f1");
        assertThat(body.path("delivery").asText()).isEqualTo("d-123");
        Map<String, String> h = payload.headers();
        assertThat(h).containsEntry("X-Bulwark-Timestamp", Long.toString(NOW.getEpochSecond()))
                .containsEntry("X-Bulwark-Delivery", "d-123");
        assertThat(h.get("X-Bulwark-Signature")).matches("sha256=[0-9a-f]{64}");
        String ts = h.get("X-Bulwark-Timestamp");
        String sig = h.get("X-Bulwark-Signature");
        Duration tolerance = WebhookSignature.DEFAULT_TOLERANCE;

        assertThat(WebhookSignature.verify(Fixtures.SECRET, ts, payload.body(), sig, NOW, tolerance)).isTrue();
        byte[] tampered = new String(payload.body(), StandardCharsets.UTF_8).replace("\"high\"", "\"low\"")
                .getBytes(StandardCharsets.UTF_8);
        assertThat(tampered).isNotEqualTo(payload.body());
        assertThat(WebhookSignature.verify(Fixtures.SECRET, ts, tampered, sig, NOW, tolerance)).isFalse();
        assertThat(WebhookSignature.verify("another-secret-0123456789", ts, payload.body(), sig, NOW, tolerance)).isFalse();
        assertThat(WebhookSignature.verify(Fixtures.SECRET, Long.toString(NOW.getEpochSecond() - 1), payload.body(), sig,
                NOW, tolerance)).as("the timestamp is signed too").isFalse();
        assertThat(WebhookSignature.verify(Fixtures.SECRET, ts, payload.body(), sig, NOW.plus(Duration.ofMinutes(6)),
                tolerance)).as("too old").isFalse();
        assertThat(WebhookSignature.verify(Fixtures.SECRET, ts, payload.body(), "sha256=zz", NOW, tolerance)).isFalse();
        assertThat(WebhookSignature.verify(Fixtures.SECRET, "-1", payload.body(), sig, NOW, tolerance)).isFalse();
    }

    @Test
    void shouldShowATenantRouteNoOtherTenantNamesNorCrossTenantEvidence() throws Exception {
        Route acme = Fixtures.route("acme", Route.Kind.FINDINGS, "acme", null, Route.Format.WEBHOOK, 30);
        Finding cross = Finding.newBuilder(Fixtures.finding("f1", "acme", "critical")).setOtherTenants(List.of("globex"))
                .build();
        String body = new String(Encoder.of(acme).encode(new Notice.FindingNotice(acme, cross, "new", "d"), NOW).body(),
                StandardCharsets.UTF_8);
        assertThat(body).doesNotContain("globex").contains("\"other_tenants_involved\":true").doesNotContain("evidence");

        Route soc = Fixtures.route("soc", Route.Kind.FINDINGS, null, null, Route.Format.WEBHOOK, 30);
        String socBody = new String(Encoder.of(soc).encode(new Notice.FindingNotice(soc, cross, "new", "d"), NOW).body(),
                StandardCharsets.UTF_8);
        assertThat(socBody).contains("\"other_tenants\":[\"globex\"]").contains("evidence");
    }

    @Test
    void shouldEscapeSlackControlCharactersFromHostileInput() throws Exception {
        Route route = Fixtures.route("acme", Route.Kind.FINDINGS, "acme", null, Route.Format.SLACK, 30);
        Finding hostile = Finding.newBuilder(Fixtures.finding("f1", "acme", "high"))
                .setSummary("<!channel> run <http://evil.example|this> & win").setOtherTenants(List.of("globex")).build();
        Payload payload = Encoder.of(route).encode(new Notice.FindingNotice(route, hostile, "new", "d"), NOW);
        JsonNode body = json(payload);

        assertThat(payload.target()).isEqualTo(route.url());
        String section = body.path("blocks").get(0).path("text").path("text").asText();
        assertThat(body.path("text").asText()).contains("[HIGH]").contains("Interactive shell in a container");
        assertThat(section).contains("&lt;!channel&gt; run &lt;http://evil.example|this&gt; &amp; win")
                .doesNotContain("<!channel>").doesNotContain("globex").contains("Another tenant was involved");
        assertThat(body.path("blocks").get(0).path("type").asText()).isEqualTo("section");
        assertThat(body.path("blocks").get(1).path("type").asText()).isEqualTo("context");
        assertThat(SlackFormat.escape("a<b>&c")).isEqualTo("a&lt;b&gt;&amp;c");
    }

    @Test
    void shouldPostAlertmanagerAlertsWithStringLabelsKeyedByTheFindingOrIncident() throws Exception {
        Route route = new Route("am", Route.Kind.FINDINGS, null, "high", Route.Format.ALERTMANAGER,
                java.net.URI.create("https://am.example.com/"), "token-abc", 30, null, "https://ui.example.com/f/{id}");
        Payload payload = Encoder.of(route).encode(new Notice.FindingNotice(route,
                Fixtures.finding("f/1", "acme", "critical"), "new", "d"), NOW);

        assertThat(payload.target().toString()).isEqualTo("https://am.example.com/api/v2/alerts");
        assertThat(payload.headers()).containsEntry("Authorization", "Bearer token-abc");
        JsonNode alerts = json(payload);
        assertThat(alerts.isArray()).isTrue();
        assertThat(alerts).hasSize(1);
        JsonNode labels = alerts.get(0).path("labels");
        assertThat(labels.path("alertname").asText()).isEqualTo("bulwark.container.interactive_shell");
        assertThat(labels.path("severity").asText()).isEqualTo("critical");
        assertThat(labels.path("tenant").asText()).isEqualTo("acme");
        assertThat(labels.path("finding").asText()).isEqualTo("f/1");
        assertThat(labels.path("namespace").asText()).isEqualTo("acme-web");
        labels.properties().forEach(e -> assertThat(e.getValue().isTextual()).as(e.getKey()).isTrue());
        labels.fieldNames().forEachRemaining(n -> assertThat(n).matches("[a-zA-Z_][a-zA-Z0-9_]*"));
        assertThat(alerts.get(0).path("annotations").path("summary").asText()).isEqualTo("Interactive shell in a container");
        assertThat(alerts.get(0).path("startsAt").asText()).isEqualTo("2026-03-01T10:00:00Z");
        assertThat(alerts.get(0).path("generatorURL").asText()).isEqualTo("https://ui.example.com/f/f%2F1");

        Route incidents = new Route("am-inc", Route.Kind.INCIDENTS, "acme", null, Route.Format.ALERTMANAGER,
                java.net.URI.create("https://am.example.com"), null, 30, null, null);
        Incident incident = Fixtures.incident("inc-1", List.of(
                Fixtures.entry("fa", "acme", "medium", List.of(), Fixtures.T0),
                Fixtures.entry("fg", "globex", "critical", List.of(), Fixtures.T0 + 1)));
        IncidentViews.TenantView view = IncidentViews.forTenant(incident, "acme");
        Payload incidentPayload = Encoder.of(incidents).encode(new Notice.IncidentNotice(incidents, view.incident(),
                view.hiddenFindings(), view.otherTenantsInvolved(), 1, "d2"), NOW);
        JsonNode alert = json(incidentPayload).get(0);
        assertThat(alert.path("labels").path("alertname").asText()).isEqualTo("BulwarkIncident");
        assertThat(alert.path("labels").path("incident").asText()).isEqualTo("inc-1");
        assertThat(alert.path("labels").path("tenant").asText()).isEqualTo("acme");
        assertThat(alert.path("labels").path("severity").asText()).as("globex's critical finding is hidden").isEqualTo("medium");
        assertThat(incidentPayload.headers()).doesNotContainKey("Authorization");
        assertThat(new String(incidentPayload.body(), StandardCharsets.UTF_8)).doesNotContain("globex")
                .contains("Another tenant was involved");
    }

    @Test
    void shouldClassifyReceiverAnswers() {
        Instant now = Instant.parse("2026-03-01T10:00:00Z");
        assertThat(Transport.classify(204, null, now).kind()).isEqualTo(Transport.Outcome.Kind.DELIVERED);
        assertThat(Transport.classify(503, "7", now).retryAfter()).isEqualTo(Duration.ofSeconds(7));
        assertThat(Transport.classify(429, "Sun, 01 Mar 2026 10:00:30 GMT", now).retryAfter())
                .isEqualTo(Duration.ofSeconds(30));
        assertThat(Transport.classify(408, null, now).kind()).isEqualTo(Transport.Outcome.Kind.RETRY);
        assertThat(Transport.classify(400, null, now).kind()).isEqualTo(Transport.Outcome.Kind.PERMANENT);
        assertThat(Transport.classify(400, null, now).reason()).contains("HTTP 400").contains("check the route");
        assertThat(Transport.classify(302, null, now).kind()).isEqualTo(Transport.Outcome.Kind.PERMANENT);
        assertThat(Transport.classify(503, "garbage", now).retryAfter()).isNull();
    }
}
