package dev.bulwark.api;

import static dev.bulwark.api.ApiFixture.ACME_TOKEN;
import static dev.bulwark.api.ApiFixture.GLOBEX_CANARY;
import static dev.bulwark.api.ApiFixture.GLOBEX_TOKEN;
import static dev.bulwark.api.ApiFixture.INITECH_TOKEN;
import static dev.bulwark.api.ApiFixture.SHADOW_CANARY;
import static dev.bulwark.api.ApiFixture.SHADOW_RULE;
import static dev.bulwark.api.ApiFixture.SOC_TOKEN;
import static dev.bulwark.api.ApiFixture.enc;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Tenant isolation through the real HTTP API on the real stack: whatever a tenant sends, it never receives another
 * tenant's data; missing and bad credentials get 401, a missing role 403.
 */
class ApiIsolationIT {

    private static ApiFixture fixture;

    @BeforeAll
    static void start() throws Exception {
        fixture = new ApiFixture();
    }

    @AfterAll
    static void stop() throws Exception {
        if (fixture != null) {
            fixture.close();
        }
    }

    /** Asserts a response holds nothing of another tenant than acme. */
    private static void assertOnlyAcme(HttpResponse<String> response) throws Exception {
        assertThat(response.body()).doesNotContain(GLOBEX_CANARY).doesNotContain("g-secret").doesNotContain("g-xss")
                .doesNotContain("\"name\":\"globex\"");
        if (response.statusCode() == 200 && response.body().startsWith("{\"findings\"")) {
            for (JsonNode finding : fixture.body(response).get("findings")) {
                assertThat(finding.at("/tenant/name").asText()).isEqualTo("acme");
            }
        }
    }

    private static List<String> ids(HttpResponse<String> response) throws Exception {
        List<String> ids = new ArrayList<>();
        for (JsonNode finding : fixture.body(response).get("findings")) {
            ids.add(finding.at("/finding/id").asText());
        }
        return ids;
    }

    @Test
    void shouldShowATenantOnlyItsOwnFindingsAndTheSocEverything() throws Exception {
        var acme = fixture.get(ACME_TOKEN, "/api/findings");
        assertThat(acme.statusCode()).isEqualTo(200);
        assertThat(ids(acme)).containsExactly("a-shell", "a-iso", "a-low");
        assertOnlyAcme(acme);
        assertThat(ids(fixture.get(GLOBEX_TOKEN, "/api/findings"))).containsExactly("g-xss", "g-secret");
        assertThat(ids(fixture.get(SOC_TOKEN, "/api/findings")))
                .containsExactly("g-xss", "a-shell", "g-secret", "a-iso", "a-low");
        assertThat(ids(fixture.get(SOC_TOKEN, "/api/findings?tenant=globex"))).containsExactly("g-xss", "g-secret");
        // A tenant with no findings yet (no alias yet) gets an empty page, not an error.
        var initech = fixture.get(INITECH_TOKEN, "/api/findings");
        assertThat(initech.statusCode()).isEqualTo(200);
        assertThat(ids(initech)).isEmpty();
    }

    @Test
    void aTenantsComplianceReportHoldsOnlyItsNamespacesWhateverItAsks() throws Exception {
        var acme = fixture.get(ACME_TOKEN, "/api/compliance?framework=pss-baseline");
        assertThat(acme.statusCode()).isEqualTo(200);
        assertThat(acme.body()).doesNotContain(GLOBEX_CANARY).doesNotContain("globex-data").contains("acme-web");
        assertThat(fixture.body(acme).get("tenant").asText()).isEqualTo("acme");
        assertThat(fixture.get(ACME_TOKEN, "/api/compliance?framework=pss-baseline&tenant=globex").statusCode())
                .isEqualTo(403);
        for (String hostile : List.of("globex-data", "globex-data%20OR%20*", "*", "%2A")) {
            var response = fixture.get(ACME_TOKEN, "/api/compliance?framework=pss-baseline&namespace=" + hostile);
            assertThat(response.statusCode()).as(hostile).isIn(400, 404);
            assertThat(response.body()).doesNotContain(GLOBEX_CANARY);
        }
        for (String bad : List.of("", "framework=", "framework=PSS-BASELINE", "framework=pss-baseline&framework=cis",
                "framework=pss-baseline&days=30", "framework=pss-baseline&q=*")) {
            assertThat(fixture.get(ACME_TOKEN, "/api/compliance?" + bad).statusCode()).as(bad).isEqualTo(400);
        }
        var soc = fixture.get(SOC_TOKEN, "/api/compliance?framework=pss-baseline");
        assertThat(soc.body()).contains(GLOBEX_CANARY).contains("acme-web");
        assertThat(fixture.get(GLOBEX_TOKEN, "/api/compliance?framework=pss-baseline").body())
                .doesNotContain("acme-web").doesNotContain("node/");
        assertThat(fixture.get(INITECH_TOKEN, "/api/compliance?framework=pss-baseline").statusCode())
                .as("a tenant without namespaces has no posture yet").isEqualTo(404);
    }

    @Test
    void shadowFindingsReachOnlyTheSocsShadowRuleListNeverAFindingsView() throws Exception {
        for (String token : List.of(ACME_TOKEN, SOC_TOKEN)) {
            var findings = fixture.get(token, "/api/findings?size=100");
            assertThat(findings.statusCode()).isEqualTo(200);
            assertThat(findings.body()).doesNotContain(SHADOW_CANARY).doesNotContain(SHADOW_RULE);
            assertThat(fixture.get(token, "/api/findings?q=" + SHADOW_CANARY).body()).doesNotContain(SHADOW_CANARY);
            assertThat(fixture.get(token, "/api/findings/a-shadow").statusCode()).isEqualTo(404);
        }
        assertThat(fixture.get(ACME_TOKEN, "/api/rules/shadow").statusCode()).as("tenants").isEqualTo(403);
        var soc = fixture.get(SOC_TOKEN, "/api/rules/shadow");
        assertThat(soc.statusCode()).isEqualTo(200);
        JsonNode rules = fixture.json.readTree(soc.body()).get("rules");
        assertThat(rules).singleElement().satisfies(rule -> {
            assertThat(rule.get("rule_id").asText()).isEqualTo(SHADOW_RULE);
            assertThat(rule.get("findings").asLong()).isEqualTo(1);
            assertThat(rule.get("matches").asLong()).isEqualTo(3);
        });
        assertThat(fixture.get(SOC_TOKEN, "/api/rules/shadow?tenant=acme").statusCode()).as("no parameters")
                .isEqualTo(400);
    }

    @Test
    void perRuleTelemetryIsForTheSocAddsUpTheInstancesAndSortsByCostOrNoise() throws Exception {
        for (String token : List.of(ACME_TOKEN, GLOBEX_TOKEN)) {
            assertThat(fixture.get(token, "/api/rules").statusCode()).as("a tenant").isEqualTo(403);
        }
        JsonNode cost = fixture.body(fixture.get(SOC_TOKEN, "/api/rules"));
        assertThat(cost.get("sort").asText()).isEqualTo("cost");
        assertThat(cost.get("total").asInt()).isEqualTo(3);
        assertThat(cost.at("/rules/0/rule").asText()).as("the costliest first").isEqualTo("whoami_run");
        JsonNode noise = fixture.body(fixture.get(SOC_TOKEN, "/api/rules?sort=noise&size=1"));
        assertThat(noise.get("rules")).singleElement().satisfies(row -> {
            assertThat(row.get("rule").asText()).isEqualTo("bulwark.container.interactive_shell");
            assertThat(row.get("findings").asLong()).isEqualTo(50);
        });
        JsonNode both = fixture.body(fixture.get(SOC_TOKEN, "/api/rules?sort=matches")).at("/rules/0");
        assertThat(both.get("rule").asText()).isEqualTo("7f734ed0-4f47-46c0-837f-6ee62505abd9");
        assertThat(both.get("instances").asInt()).as("two instances added up").isEqualTo(2);
        assertThat(both.get("matches").asLong()).isEqualTo(50);
        assertThat(both.get("evaluation_seconds").asDouble()).isEqualTo(0.004);
        assertThat(both.get("latency_mean_ms").asDouble()).isEqualTo(40.0);
        for (String bad : List.of("?sort=price", "?size=0", "?tenant=acme")) {
            assertThat(fixture.get(SOC_TOKEN, "/api/rules" + bad).statusCode()).as(bad).isEqualTo(400);
        }
    }

    @Test
    void onlyTheSocChangesOverridesAndEachTenantReadsOnlyItsOwn() throws Exception {
        String path = "/api/rules/bulwark.container.interactive_shell/overrides/acme";
        for (String token : List.of(ACME_TOKEN, GLOBEX_TOKEN)) {
            assertThat(fixture.send(token, "PUT", path, "{\"disabled\": true}").statusCode()).as("PUT by a tenant")
                    .isEqualTo(403);
            assertThat(fixture.send(token, "DELETE", path, null).statusCode()).as("DELETE by a tenant").isEqualTo(403);
        }
        assertThat(fixture.overrides.held).as("nothing written by a tenant").isEmpty();

        var put = fixture.send(SOC_TOKEN, "PUT", path, "{\"disabled\": true, \"note\": \"CI shells\"}");
        assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
        assertThat(fixture.body(put).at("/override/updated_by").asText()).isEqualTo("alice");
        assertThat(fixture.send(SOC_TOKEN, "PUT", "/api/rules/sigma/overrides/globex", "{\"severity\": \"low\"}")
                .statusCode()).isEqualTo(200);

        JsonNode acme = fixture.body(fixture.get(ACME_TOKEN, "/api/rules/overrides")).get("overrides");
        assertThat(acme).singleElement().satisfies(o -> {
            assertThat(o.get("tenant").asText()).isEqualTo("acme");
            assertThat(o.get("disabled").asBoolean()).isTrue();
            assertThat(o.get("note").asText()).isEqualTo("CI shells");
        });
        assertThat(fixture.get(ACME_TOKEN, "/api/rules/overrides?tenant=globex").statusCode()).isEqualTo(403);
        assertThat(fixture.body(fixture.get(GLOBEX_TOKEN, "/api/rules/overrides")).get("overrides"))
                .singleElement().satisfies(o -> assertThat(o.get("severity").asText()).isEqualTo("low"));
        assertThat(fixture.body(fixture.get(SOC_TOKEN, "/api/rules/overrides")).get("overrides")).hasSize(2);

        // Hostile and malformed requests: readable 400s, nothing written.
        for (String bad : List.of("{\"disabled\": true, \"severity\": \"low\"}", "{}", "{\"severity\": \"urgent\"}",
                "{\"disabled\": \"yes\"}", "{\"tenant\": \"globex\", \"disabled\": true}", "[]", "not json",
                "{\"severity\": \"low\", \"severity\": \"critical\"}", "{\"disabled\": true, \"threshold\": 3}",
                "{\"threshold\": 0}", "{\"threshold\": 1.5}", "{\"threshold\": 99999999999}", "{\"exception\": 5}",
                "{\"exception\": \" \"}", "{\"exception\": \"" + "x".repeat(20_000) + "\"}")) {
            assertThat(fixture.send(SOC_TOKEN, "PUT", path, bad).statusCode()).as(bad).isEqualTo(400);
        }
        var refused = fixture.send(SOC_TOKEN, "PUT", path, "{\"exception\": \"title: x\\nrefuse me\"}");
        assertThat(refused.statusCode()).as("the store refuses what the detectors cannot apply").isEqualTo(400);
        assertThat(refused.body()).contains("not a Sigma filter document").doesNotContain("\u001b");
        assertThat(fixture.overrides.held).hasSize(2);

        var tuned = fixture.send(SOC_TOKEN, "PUT", "/api/rules/corr-1/overrides/acme",
                "{\"severity\": \"low\", \"exception\": \"title: probes\\nfilter: {}\", \"threshold\": 20}");
        assertThat(tuned.statusCode()).as(tuned.body()).isEqualTo(200);
        assertThat(fixture.body(tuned).at("/override/threshold").asLong()).isEqualTo(20);
        assertThat(fixture.body(tuned).at("/override/exception").asText()).startsWith("title: probes");
        assertThat(fixture.overrides.held.get("acme/corr-1").getThreshold()).isEqualTo(20L);
        assertThat(fixture.send(SOC_TOKEN, "DELETE", "/api/rules/corr-1/overrides/acme", null).statusCode())
                .isEqualTo(200);
        assertThat(fixture.send(SOC_TOKEN, "PUT", "/api/rules/x/overrides/Acme%20Corp", "{\"disabled\": true}")
                .statusCode()).isEqualTo(400);
        assertThat(fixture.send(SOC_TOKEN, "PUT", "/api/rules/a%2Fb/overrides/acme", "{\"disabled\": true}")
                .statusCode()).isEqualTo(400);
        assertThat(fixture.overrides.held).hasSize(2);

        assertThat(fixture.send(SOC_TOKEN, "DELETE", path, null).statusCode()).isEqualTo(200);
        assertThat(fixture.body(fixture.get(ACME_TOKEN, "/api/rules/overrides")).get("overrides")).isEmpty();
        fixture.send(SOC_TOKEN, "DELETE", "/api/rules/sigma/overrides/globex", null);

        // Kafka unreachable: a 503 that says so, not one about Elasticsearch.
        fixture.server.withRuleOverrides(new RuleOverrideStore() {
            @Override
            public List<dev.bulwark.schemas.RuleOverride> all() throws java.io.IOException {
                throw new java.io.IOException("still reading bulwark.rule-overrides");
            }

            @Override
            public void put(dev.bulwark.schemas.RuleOverride override) throws java.io.IOException {
                throw new java.io.IOException("Kafka did not take the override");
            }

            @Override
            public void delete(String tenant, String target) throws java.io.IOException {
                throw new java.io.IOException("Kafka did not take the override");
            }
        });
        try {
            var unavailable = fixture.get(SOC_TOKEN, "/api/rules/overrides");
            assertThat(unavailable.statusCode()).isEqualTo(503);
            assertThat(unavailable.body()).contains("rule overrides are unavailable (Kafka)").doesNotContain("Elasticsearch");
            assertThat(fixture.send(SOC_TOKEN, "PUT", path, "{\"disabled\": true}").statusCode()).isEqualTo(503);
        } finally {
            fixture.server.withRuleOverrides(fixture.overrides);
        }
    }

    @Test
    void shouldNeverWidenATenantsScopeWithCraftedQueryText() throws Exception {
        List<String> hostile = List.of(
                "tenant:globex", "tenant.name:globex", "*", "globex", "a OR b", "tenant.name:globex OR *",
                "tenant.name:globex | *", "\"}}", "\"}},{\"match_all\":{}}]}}", "{\"query\":{\"match_all\":{}}}",
                "*:*", "_id:g-secret", "_index:*", GLOBEX_CANARY, "(tenant.name:globex) | (*)", "-acme", "+* | -nothing",
                "tenant.name:/glob.*/", "tenant.name:glob*", "glob*", "db~2", "\"shell pod\"~10", "\\*", "a\\\"b",
                "ｇｌｏｂｅｘ", "globex\u200b", "GLOBEX", "ɡlobex", "globex\u0301", "tenant\uFF0Ename:globex",
                "OR", "AND", "NOT", "||", "&&", "(", ")", "\"", "\u202Eglobex", "%", "%25", "\\u0000");
        for (String q : hostile) {
            var response = fixture.get(ACME_TOKEN, "/api/findings?size=500&q=" + enc(q));
            assertThat(response.statusCode()).as("q=%s", q).isIn(200, 400);
            assertOnlyAcme(response);
            var stats = fixture.get(ACME_TOKEN, "/api/stats?from=30d&q=" + enc(q));
            assertThat(stats.statusCode()).as("stats q=%s", q).isIn(200, 400);
            assertThat(stats.body()).doesNotContain("globex");
        }
        // The free text really searches: a word from an acme summary finds it.
        assertThat(ids(fixture.get(ACME_TOKEN, "/api/findings?q=" + enc("bash")))).containsExactly("a-shell");
        assertThat(ids(fixture.get(ACME_TOKEN, "/api/findings?q=" + enc("ledger")))).containsExactly("a-iso");
    }

    @Test
    void shouldOnlyNarrowWithTheTenantFilterAndStructuredFilters() throws Exception {
        var other = fixture.get(ACME_TOKEN, "/api/findings?tenant=globex");
        assertThat(other.statusCode()).isEqualTo(200);
        assertThat(ids(other)).isEmpty();
        assertThat(ids(fixture.get(ACME_TOKEN, "/api/findings?tenant=acme"))).hasSize(3);
        for (String query : List.of("namespace=globex-data", "pod=db", "image=" + enc("globex/db:9"),
                "rule=bulwark.container.interactive_shell", "severity=high,medium,low,critical", "status=open",
                "isolation=false", "from=3650d", "sort=risk", "sort=count", "sort=oldest")) {
            var response = fixture.get(ACME_TOKEN, "/api/findings?" + query);
            assertThat(response.statusCode()).as(query).isEqualTo(200);
            assertOnlyAcme(response);
        }
        assertThat(ids(fixture.get(ACME_TOKEN, "/api/findings?isolation=true"))).containsExactly("a-iso");
        var stats = fixture.body(fixture.get(ACME_TOKEN, "/api/stats?from=30d"));
        assertThat(stats.get("tenant").toString()).isEqualTo("{\"acme\":3}");
        assertThat(stats.get("total").asLong()).isEqualTo(3);
        assertThat(fixture.body(fixture.get(ACME_TOKEN, "/api/stats?tenant=globex")).get("total").asLong()).isZero();
        var socStats = fixture.body(fixture.get(SOC_TOKEN, "/api/stats?from=30d"));
        assertThat(socStats.at("/tenant/globex").asLong()).isEqualTo(2);
        assertThat(socStats.at("/severity/critical").asLong()).isEqualTo(1);
    }

    @Test
    void shouldRejectParameterTricksWithReadableErrors() throws Exception {
        for (String query : List.of("tenant=globex&tenant=acme", "tenant=acme&tenant=globex", "tenant=%2A",
                "tenant=" + enc("ｇｌｏｂｅｘ"), "tenant=acme,globex", "tenant.name=globex", "size=100000", "size=-1",
                "size=2147483648", "size=0", "size=1e9", "from=-1", "to=" + enc("2026-13-45T00:00:00Z"),
                "sort=" + enc("tenant.name"), "after=" + enc("WzEsImctc2VjcmV0IiwzXQ"), "after=" + enc("!!"), "q=%C0%AF",
                "severity=" + enc("high\" OR \"1\"=\"1"), "status=" + enc("open}}"))) {
            var response = fixture.get(ACME_TOKEN, "/api/findings?" + query);
            assertThat(response.statusCode()).as(query).isEqualTo(400);
            assertThat(fixture.body(response).at("/error/message").asText()).as(query).isNotBlank();
            assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
            assertOnlyAcme(response);
        }
    }

    @Test
    void shouldAnswerOtherTenantsIdsExactlyLikeMissingOnes() throws Exception {
        var foreign = fixture.get(ACME_TOKEN, "/api/findings/g-secret");
        var missing = fixture.get(ACME_TOKEN, "/api/findings/does-not-exist");
        assertThat(foreign.statusCode()).isEqualTo(404);
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(foreign.body()).isEqualTo(missing.body());
        assertOnlyAcme(foreign);
        for (String path : List.of("g-secret%20OR%20a-shell", "*", "g-secret,a-shell", "..%2Fg-secret", "g-secret%00",
                "%67-secret" /* percent-encoded g */, "G-SECRET", "g-secret%E2%80%8B", "_all", "g-xss/")) {
            var response = fixture.get(ACME_TOKEN, "/api/findings/" + path);
            assertThat(response.statusCode()).as(path).isIn(400, 404);
            assertOnlyAcme(response);
        }
        var own = fixture.get(ACME_TOKEN, "/api/findings/a-shell");
        assertThat(own.statusCode()).isEqualTo(200);
        assertThat(fixture.body(own).at("/finding/evidence/fields/process.name").asText()).isEqualTo("bash");
        var soc = fixture.get(SOC_TOKEN, "/api/findings/g-secret");
        assertThat(soc.statusCode()).isEqualTo(200);
        assertThat(soc.body()).contains(GLOBEX_CANARY);
    }

    @Test
    void shouldRequireValidTokensAndTheRightRole() throws Exception {
        for (String path : List.of("/api/findings", "/api/findings/a-shell", "/api/stats", "/api/whoami")) {
            var none = fixture.get(null, path);
            assertThat(none.statusCode()).as(path).isEqualTo(401);
            assertThat(none.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
            assertThat(fixture.get("wrong-token-0123456789abcdef", path).statusCode()).isEqualTo(401);
            assertThat(fixture.get(ACME_TOKEN + " ", path).statusCode()).isIn(200, 401);
            assertThat(fixture.get(ACME_TOKEN.substring(1), path).statusCode()).isEqualTo(401);
        }
        var basic = fixture.http.send(HttpRequest.newBuilder(URI.create(fixture.server.url() + "/api/findings"))
                .header("Authorization", "Basic " + ACME_TOKEN).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(basic.statusCode()).isEqualTo(401);
        var twoHeaders = fixture.http.send(HttpRequest.newBuilder(URI.create(fixture.server.url() + "/api/findings"))
                .header("Authorization", "Bearer " + ACME_TOKEN).header("Authorization", "Bearer " + SOC_TOKEN).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(twoHeaders.statusCode()).isEqualTo(401);

        // A tenant may not triage, not even its own findings, and cannot learn whether a foreign id exists.
        var tenantPatch = fixture.patch(ACME_TOKEN, "/api/findings/a-shell", "{\"status\":\"resolved\"}");
        assertThat(tenantPatch.statusCode()).isEqualTo(403);
        assertThat(fixture.patch(ACME_TOKEN, "/api/findings/g-secret", "{\"status\":\"resolved\"}").body())
                .isEqualTo(tenantPatch.body());
        assertThat(fixture.patch(null, "/api/findings/a-shell", "{\"status\":\"resolved\"}").statusCode()).isEqualTo(401);
        assertThat(fixture.get(SOC_TOKEN, "/api/findings/g-secret").body()).contains("\"status\":\"open\"");
    }

    @Test
    void shouldRecordWhoTriagedWhatAndWhen() throws Exception {
        var response = fixture.patch(SOC_TOKEN, "/api/findings/a-low", "{\"status\":\"false_positive\",\"note\":\"apk in CI image\"}");
        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode triage = fixture.body(response).at("/finding/triage");
        assertThat(triage.get("status").asText()).isEqualTo("false_positive");
        assertThat(triage.get("updated_by").asText()).isEqualTo("alice");
        assertThat(triage.get("updated_at").asText()).startsWith("20");
        assertThat(triage.get("note").asText()).isEqualTo("apk in CI image");
        // The tenant sees the decision on its finding, and can filter on it.
        assertThat(ids(fixture.get(ACME_TOKEN, "/api/findings?status=false_positive"))).containsExactly("a-low");
        assertThat(fixture.patch(SOC_TOKEN, "/api/findings/a-low", "{\"status\":\"closed\"}").statusCode()).isEqualTo(400);
        assertThat(fixture.patch(SOC_TOKEN, "/api/findings/nope", "{\"status\":\"open\"}").statusCode()).isEqualTo(404);
        var wrongType = fixture.http.send(HttpRequest.newBuilder(URI.create(fixture.server.url() + "/api/findings/a-low"))
                .header("Authorization", "Bearer " + SOC_TOKEN).header("Content-Type", "text/plain")
                .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"status\":\"open\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(wrongType.statusCode()).isEqualTo(415);
        var huge = fixture.patch(SOC_TOKEN, "/api/findings/a-low", "{\"status\":\"open\",\"note\":\"" + "x".repeat(50_000) + "\"}");
        assertThat(huge.statusCode()).isEqualTo(413);
        var delete = fixture.http.send(HttpRequest.newBuilder(URI.create(fixture.server.url() + "/api/findings/a-low"))
                .header("Authorization", "Bearer " + SOC_TOKEN).DELETE().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(delete.statusCode()).isEqualTo(405);
    }

    @Test
    void shouldPageThroughEverythingWithCursorsWithoutRepeats() throws Exception {
        Set<String> seen = new HashSet<>();
        String next = null;
        int pages = 0;
        do {
            var response = fixture.get(SOC_TOKEN, "/api/findings?size=2&sort=risk" + (next == null ? "" : "&after=" + next));
            assertThat(response.statusCode()).isEqualTo(200);
            JsonNode body = fixture.body(response);
            for (String id : ids(response)) {
                assertThat(seen.add(id)).as("repeated %s", id).isTrue();
            }
            next = body.get("next").isNull() ? null : body.get("next").asText();
            pages++;
        } while (next != null && pages < 10);
        assertThat(seen).containsExactlyInAnyOrder("a-shell", "a-iso", "a-low", "g-secret", "g-xss");
        // A cursor from the SOC's pages does not open anything up for a tenant.
        var socPage = fixture.body(fixture.get(SOC_TOKEN, "/api/findings?size=1&sort=risk"));
        var tenantWithSocCursor = fixture.get(ACME_TOKEN, "/api/findings?sort=risk&after=" + socPage.get("next").asText());
        assertThat(tenantWithSocCursor.statusCode()).isEqualTo(200);
        assertOnlyAcme(tenantWithSocCursor);
    }

    @Test
    void entitiesAreTenantScopedAndSortedByTheirRiskNow() throws Exception {
        JsonNode soc = fixture.body(fixture.get(SOC_TOKEN, "/api/entities"));
        assertThat(soc.get("entities")).as(soc.toString()).extracting(e -> e.get("id").asText())
                .as("by the risk now: the hour-old 100 has halved below the fresh 60")
                .containsExactly("globex-data/" + ApiFixture.GLOBEX_CANARY, "alice", "acme-web/web-1");
        assertThat(soc.at("/entities/2/risk").asDouble()).isCloseTo(50.0, org.assertj.core.data.Offset.offset(1.0));

        var acme = fixture.get(ACME_TOKEN, "/api/entities?sort=risk");
        assertThat(acme.statusCode()).isEqualTo(200);
        assertThat(acme.body()).doesNotContain(ApiFixture.GLOBEX_CANARY).doesNotContain("globex");
        assertThat(fixture.body(acme).get("entities")).extracting(e -> e.get("id").asText())
                .containsExactly("alice", "acme-web/web-1");
        assertThat(fixture.body(fixture.get(ACME_TOKEN, "/api/entities?type=pod")).get("entities"))
                .extracting(e -> e.get("id").asText()).containsExactly("acme-web/web-1");
        assertThat(fixture.get(ACME_TOKEN, "/api/entities?tenant=globex").statusCode()).as("another tenant's")
                .isEqualTo(403);
        assertThat(fixture.get(ACME_TOKEN, "/api/entities?tenant=acme").statusCode()).isEqualTo(200);
        for (String hostile : List.of("/api/entities?tenant=*", "/api/entities?tenant=acme%20OR%20globex",
                "/api/entities?sort=_script", "/api/entities?type=pod&type=image", "/api/entities?size=100000",
                "/api/entities?tenant.name=globex", "/api/entities?type=" + "x".repeat(300))) {
            var response = fixture.get(ACME_TOKEN, hostile);
            assertThat(response.statusCode()).as(hostile).isEqualTo(400);
            assertThat(response.body()).as(hostile).doesNotContain(ApiFixture.GLOBEX_CANARY);
        }
        assertThat(fixture.get(null, "/api/entities").statusCode()).isEqualTo(401);
        assertThat(fixture.body(fixture.get(SOC_TOKEN, "/api/entities?tenant=globex")).get("entities"))
                .extracting(e -> e.get("tenant").asText()).containsOnly("globex");
    }

    private static List<String> incidentIds(HttpResponse<String> response) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        List<String> ids = new ArrayList<>();
        for (JsonNode incident : fixture.body(response).get("incidents")) {
            ids.add(incident.get("id").asText());
        }
        return ids;
    }

    private static List<String> timeline(JsonNode incident) {
        List<String> ids = new ArrayList<>();
        incident.get("timeline").forEach(f -> ids.add(f.get("finding_id").asText()));
        return ids;
    }

    @Test
    void incidentsShowEachTenantOnlyItsOwnSideOfACrossTenantAttack() throws Exception {
        assertThat(incidentIds(fixture.get(SOC_TOKEN, "/api/incidents")))
                .containsExactlyInAnyOrder("inc-cross", "inc-globex", "inc-initech");
        JsonNode whole = fixture.body(fixture.get(SOC_TOKEN, "/api/incidents/inc-cross")).get("incident");
        // (the triage test below may have added a fifth finding, i-later, already)
        assertThat(timeline(whole)).startsWith("i-shell", "i-download", "i-connect", "i-globex-own");
        assertThat(whole.get("tenants").toString()).contains("acme", "globex");

        // The acting tenant: its own findings with who exec'd, the connection without globex's pod, name or users.
        var acmeList = fixture.get(ACME_TOKEN, "/api/incidents");
        assertThat(incidentIds(acmeList)).containsExactly("inc-cross");
        var acmeOne = fixture.get(ACME_TOKEN, "/api/incidents/inc-cross");
        for (var response : List.of(acmeList, acmeOne)) {
            assertThat(response.body()).doesNotContain(GLOBEX_CANARY).doesNotContain("globex")
                    .doesNotContain(ApiFixture.GLOBEX_ADMIN).doesNotContain("initech").doesNotContain("i-globex-own");
        }
        JsonNode acme = fixture.body(acmeOne).get("incident");
        assertThat(timeline(acme)).startsWith("i-shell", "i-download", "i-connect").doesNotContain("i-globex-own");
        assertThat(acme.at("/timeline/0/user").asText()).isEqualTo(ApiFixture.EXEC_USER);
        assertThat(acme.at("/timeline/2/pod").asText()).as("its own side of it").isEqualTo("api");
        assertThat(acme.at("/timeline/2/entities").toString()).isEqualTo("[\"pod:acme-web/api\"]");
        assertThat(acme.get("other_tenants_involved").asBoolean()).isTrue();
        assertThat(acme.get("hidden_findings").asInt()).isEqualTo(1);
        assertThat(acme.get("tenants").toString()).isEqualTo("[\"acme\"]");

        // The victim: the incoming violation on its pod, never who came from acme or from which pod.
        var globexOne = fixture.get(GLOBEX_TOKEN, "/api/incidents/inc-cross");
        assertThat(globexOne.body()).doesNotContain("acme").doesNotContain(ApiFixture.EXEC_USER)
                .doesNotContain("s-1").doesNotContain("i-shell");
        JsonNode globex = fixture.body(globexOne).get("incident");
        assertThat(timeline(globex)).containsExactly("i-connect", "i-globex-own");
        assertThat(globex.at("/timeline/0/pod").asText()).isEqualTo(GLOBEX_CANARY);
        assertThat(globex.at("/timeline/0/user").isNull()).isTrue();
        assertThat(incidentIds(fixture.get(GLOBEX_TOKEN, "/api/incidents"))).containsExactlyInAnyOrder("inc-cross",
                "inc-globex");

        // Another tenant's incident is exactly as missing as a missing one; probing by finding id finds nothing.
        var foreign = fixture.get(ACME_TOKEN, "/api/incidents/inc-globex");
        var missing = fixture.get(ACME_TOKEN, "/api/incidents/inc-nope");
        assertThat(foreign.statusCode()).isEqualTo(404);
        assertThat(foreign.body()).isEqualTo(missing.body());
        assertThat(incidentIds(fixture.get(ACME_TOKEN, "/api/incidents?finding=i-g"))).isEmpty();
        assertThat(incidentIds(fixture.get(ACME_TOKEN, "/api/incidents?finding=i-globex-own")))
                .as("globex's own finding in an incident acme is part of: not confirmed").isEmpty();
        assertThat(incidentIds(fixture.get(ACME_TOKEN, "/api/incidents?finding=i-shell"))).containsExactly("inc-cross");
        assertThat(incidentIds(fixture.get(SOC_TOKEN, "/api/incidents?finding=i-connect")))
                .containsExactly("inc-cross");
        assertThat(incidentIds(fixture.get(INITECH_TOKEN, "/api/incidents"))).containsExactly("inc-initech");
        assertThat(fixture.get(ACME_TOKEN, "/api/incidents?tenant=globex").statusCode()).isEqualTo(403);
        for (String hostile : List.of("/api/incidents?tenant=*", "/api/incidents?sort=_script",
                "/api/incidents?status=closed", "/api/incidents?finding=a%20OR%20b", "/api/incidents?size=100000",
                "/api/incidents?tenant.name=globex", "/api/incidents?finding=x&finding=y",
                "/api/incidents/inc-cross?tenant=globex")) {
            var response = fixture.get(ACME_TOKEN, hostile);
            assertThat(response.statusCode()).as(hostile).isEqualTo(400);
            assertThat(response.body()).as(hostile).doesNotContain(GLOBEX_CANARY);
        }
        assertThat(fixture.get(null, "/api/incidents").statusCode()).isEqualTo(401);
    }

    @Test
    void incidentTriageIsSocOnlyAndSurvivesTheIncidentGrowing() throws Exception {
        assertThat(fixture.patch(ACME_TOKEN, "/api/incidents/inc-cross", "{\"status\":\"resolved\"}").statusCode())
                .isEqualTo(403);
        var triaged = fixture.patch(SOC_TOKEN, "/api/incidents/inc-cross",
                "{\"status\":\"acknowledged\",\"note\":\"on it\"}");
        assertThat(triaged.statusCode()).as(triaged.body()).isEqualTo(200);
        assertThat(fixture.body(triaged).at("/incident/triage/updated_by").asText()).isEqualTo("alice");
        assertThat(fixture.patch(SOC_TOKEN, "/api/incidents/inc-nope", "{\"status\":\"open\"}").statusCode())
                .isEqualTo(404);
        assertThat(fixture.patch(SOC_TOKEN, "/api/incidents/inc-cross", "{\"status\":\"closed\"}").statusCode())
                .isEqualTo(400);

        // A new finding joins: the sink merges the update, and the analyst's decision stays.
        fixture.sendIncident(ApiFixture.crossTenantIncident(fixture.now, 5));
        fixture.awaitIncident("inc-cross", 5);
        JsonNode grown = fixture.body(fixture.get(SOC_TOKEN, "/api/incidents/inc-cross")).get("incident");
        assertThat(timeline(grown)).endsWith("i-later").hasSize(5);
        assertThat(grown.at("/triage/status").asText()).isEqualTo("acknowledged");
        assertThat(grown.at("/triage/note").asText()).isEqualTo("on it");
        // Replaying the same update changes nothing and duplicates nothing.
        fixture.sendIncident(ApiFixture.crossTenantIncident(fixture.now, 5));
        fixture.awaitIncident("inc-cross", 5);
        assertThat(incidentIds(fixture.get(SOC_TOKEN, "/api/incidents?status=acknowledged")))
                .containsExactly("inc-cross");
        // The tenant sees the status, not who set it or the note.
        JsonNode acme = fixture.body(fixture.get(ACME_TOKEN, "/api/incidents/inc-cross")).get("incident");
        assertThat(acme.at("/triage/status").asText()).isEqualTo("acknowledged");
        assertThat(acme.at("/triage/updated_by").isMissingNode()).isTrue();
    }

    @Test
    void shouldServeTheConsoleAndOpenApiWithStrictHeaders() throws Exception {
        var console = fixture.get(null, "/");
        assertThat(console.statusCode()).isEqualTo(200);
        assertThat(console.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(csp -> assertThat(csp)
                .contains("default-src 'none'").contains("script-src 'self'").doesNotContain("unsafe"));
        assertThat(console.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        assertThat(console.headers().firstValue("X-Frame-Options")).hasValue("DENY");
        assertThat(console.body()).contains("<script src=\"console.js\"").doesNotContain("http://").doesNotContain("https://");
        assertThat(fixture.get(null, "/console.js").body()).doesNotContain("innerHTML").doesNotContain("eval(");
        var openapi = fixture.get(null, "/openapi.json");
        assertThat(openapi.statusCode()).isEqualTo(200);
        assertThat(fixture.body(openapi).get("openapi").asText()).startsWith("3.");
        assertThat(fixture.get(null, "/etc/passwd").statusCode()).isEqualTo(404);
        assertThat(fixture.get(null, "/console/../openapi.json").statusCode()).isIn(200, 404);
        var huge = fixture.http.send(HttpRequest.newBuilder(URI.create(fixture.server.url() + "/api/findings?q="
                + "a".repeat(5000))).header("Authorization", "Bearer " + ACME_TOKEN).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(huge.statusCode()).isEqualTo(400);
    }
}
