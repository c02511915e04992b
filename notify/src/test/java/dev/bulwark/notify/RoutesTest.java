package dev.bulwark.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class RoutesTest {

    private static Map<String, Object> webhook(String name) {
        Map<String, Object> m = new HashMap<>();
        m.put("name", name);
        m.put("kind", "incidents");
        m.put("format", "webhook");
        m.put("url", "https://hooks.example.com/in?token=querysecret");
        m.put("secret", Fixtures.SECRET);
        return m;
    }

    @Test
    void shouldParseEveryFieldOfADeclaredRoute() {
        Map<String, Object> slack = new HashMap<>(Map.of("name", "acme-slack", "kind", "findings", "format", "slack",
                "url", "https://hooks.slack.com/services/T1/B2/abcdef", "tenant", "acme", "minSeverity", "High",
                "ratePerMinute", 5, "deadLetterAfter", "90s"));
        List<Route> routes = Routes.parse("notify.routes", List.of(webhook("soc"), slack), false);

        assertThat(routes).hasSize(2);
        Route soc = routes.get(0);
        assertThat(soc.kind()).isEqualTo(Route.Kind.INCIDENTS);
        assertThat(soc.tenant()).isNull();
        assertThat(soc.ratePerMinute()).isEqualTo(Route.DEFAULT_RATE_PER_MINUTE);
        assertThat(soc.deadLetterAfter()).isEqualTo(Duration.ofMinutes(10));
        Route acme = routes.get(1);
        assertThat(acme.tenant()).isEqualTo("acme");
        assertThat(acme.minSeverity()).isEqualTo("high");
        assertThat(acme.ratePerMinute()).isEqualTo(5);
        assertThat(acme.deadLetterAfter()).isEqualTo(Duration.ofSeconds(90));
    }

    @Test
    void shouldNameTheRouteAndTheFieldOfAnError() {
        Map<String, Object> typo = webhook("soc");
        typo.put("tennant", "acme");
        assertThatThrownBy(() -> Routes.parse("notify.routes", List.of(webhook("ok"), typo), false))
                .hasMessageContaining("notify.routes[1] (route 'soc')").hasMessageContaining("unknown field 'tennant'");

        Map<String, Object> noSecret = webhook("soc");
        noSecret.remove("secret");
        assertThatThrownBy(() -> Routes.parse("notify.routes", List.of(noSecret), false))
                .hasMessageContaining("route 'soc'").hasMessageContaining("secret:").hasMessageContaining("openssl rand");

        Map<String, Object> shortSecret = webhook("soc");
        shortSecret.put("secret", "tooshort");
        assertThatThrownBy(() -> Routes.parse("notify.routes", List.of(shortSecret), false))
                .hasMessageContaining("at least 16").hasMessageNotContaining("tooshort");

        Map<String, Object> severityOnIncidents = webhook("soc");
        severityOnIncidents.put("minSeverity", "high");
        assertThatThrownBy(() -> Routes.parse("notify.routes", List.of(severityOnIncidents), false))
                .hasMessageContaining("minSeverity: only findings routes");

        assertThatThrownBy(() -> Routes.parse("notify.routes", List.of(webhook("Bad_Name")), false))
                .hasMessageContaining("name:");
        assertThatThrownBy(() -> Routes.parse("notify.routes", List.of(webhook("dup"), webhook("dup")), false))
                .hasMessageContaining("unique");
        assertThatThrownBy(() -> Routes.parse("notify.routes", "not a list", false)).hasMessageContaining("a list");
    }

    @Test
    void shouldAllowPlainHttpOnlyToLoopbackUnlessExplicitlyAllowed() {
        Map<String, Object> remote = webhook("soc");
        remote.put("url", "http://hooks.example.com/in");
        assertThatThrownBy(() -> Routes.parse("notify.routes", List.of(remote), false))
                .hasMessageContaining("plain http").hasMessageContaining("allowPlainHttp");
        assertThat(Routes.parse("notify.routes", List.of(remote), true)).hasSize(1);

        for (String loopback : List.of("http://127.0.0.1:8080/in", "http://localhost/in", "http://[::1]:9/in")) {
            Map<String, Object> local = webhook("soc");
            local.put("url", loopback);
            assertThat(Routes.parse("notify.routes", List.of(local), false)).as(loopback).hasSize(1);
        }
        Map<String, Object> userInfo = webhook("soc");
        userInfo.put("url", "https://user:pass@hooks.example.com/in");
        assertThatThrownBy(() -> Routes.parse("notify.routes", List.of(userInfo), false))
                .hasMessageContaining("no user:password").hasMessageNotContaining("pass@");
        Map<String, Object> ftp = webhook("soc");
        ftp.put("url", "ftp://hooks.example.com/in");
        assertThatThrownBy(() -> Routes.parse("notify.routes", List.of(ftp), false)).hasMessageContaining("https");
    }

    @Test
    void shouldNeverPrintSecretsOrSlackPaths() {
        Route webhook = Routes.parse("r", List.of(webhook("soc")), false).get(0);
        assertThat(webhook.toString()).doesNotContain(Fixtures.SECRET).doesNotContain("querysecret")
                .contains("(redacted)").contains("hooks.example.com");

        Route slack = Fixtures.route("acme", Route.Kind.FINDINGS, "acme", null, Route.Format.SLACK, 30);
        assertThat(slack.toString()).doesNotContain("XXXXsecretpath").doesNotContain("T000").contains("hooks.slack.com");

        Route am = new Route("am", Route.Kind.FINDINGS, null, null, Route.Format.ALERTMANAGER,
                java.net.URI.create("https://am.example.com"), "bearer-token-value", 30, null, null);
        assertThat(am.toString()).doesNotContain("bearer-token-value");
    }

    @Test
    void shouldReadDurations() {
        assertThat(Routes.duration("10m")).isEqualTo(Duration.ofMinutes(10));
        assertThat(Routes.duration("1h")).isEqualTo(Duration.ofHours(1));
        assertThatThrownBy(() -> Routes.duration("soon")).hasMessageContaining("90s, 10m or 1h");
    }
}
