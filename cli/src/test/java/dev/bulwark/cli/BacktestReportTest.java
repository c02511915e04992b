package dev.bulwark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.bulwark.schemas.Evidence;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.FindingRule;

class BacktestReportTest {

    private static final Backtest.Replay REPLAY = new Backtest.Replay(Instant.parse("2026-12-01T00:00:00Z"),
            Instant.parse("2026-12-01T01:00:00Z"), 1000, 2, 10, 3, 0, Duration.ofSeconds(1), Duration.ofSeconds(2),
            Duration.ofSeconds(4));

    @Test
    void aFindingEmittedAgainWithAGrowingCountCountsOnceWithItsLastCount() {
        List<Finding> emitted = List.of(
                finding("f1", "r1", "acme", "web-1", "root", 1, 100),
                finding("f1", "r1", "acme", "web-1", "root", 4, 100),
                finding("f1", "r1", "acme", "web-1", "root", 3, 100), // an older emission read later
                finding("f2", "r1", "globex", "db-0", "deploy", 2, 50),
                finding("f3", "r2", "acme", "web-2", null, 1, 70));
        BacktestReport report = BacktestReport.of(REPLAY, null, List.of("r1", "r2", "r3"), emitted);

        assertThat(report.rules()).extracting(BacktestReport.RuleStats::ruleId).containsExactly("r1", "r2", "r3");
        BacktestReport.RuleStats r1 = report.rules().get(0);
        assertThat(r1.findings()).isEqualTo(2);
        assertThat(r1.matches()).isEqualTo(6);
        assertThat(r1.folded()).isEqualTo(4);
        assertThat(r1.tenants()).containsExactly("acme", "globex");
        assertThat(r1.pods()).containsExactly("ns/db-0", "ns/web-1");
        assertThat(r1.users()).containsExactly("deploy", "root");
        assertThat(r1.examples()).extracting(BacktestReport.Example::id).as("the earliest first").containsExactly("f2", "f1");
        assertThat(r1.examples().get(1).count()).isEqualTo(4);
        BacktestReport.RuleStats r3 = report.rules().get(2);
        assertThat(r3.findings()).as("a candidate that never fired is shown").isZero();
        assertThat(r3.ruleName()).isNull();
    }

    @Test
    void aTenantSeesItsOwnFindingsAndThoseThatNameIt() {
        Finding crossing = Finding.newBuilder(finding("f4", "r1", "globex", "db-0", null, 1, 10))
                .setOtherTenants(List.of("acme")).build();
        List<Finding> emitted = List.of(finding("f1", "r1", "acme", "web-1", null, 1, 1),
                finding("f2", "r1", "globex", "db-0", null, 1, 2), crossing);
        BacktestReport report = BacktestReport.of(REPLAY, "acme", List.of("r1"), emitted);
        assertThat(report.rules()).singleElement().satisfies(row -> {
            assertThat(row.findings()).isEqualTo(2);
            assertThat(row.tenants()).containsExactly("acme", "globex");
        });
        assertThat(BacktestReport.of(REPLAY, "initech", List.of("r1"), emitted).rules()).singleElement()
                .satisfies(row -> assertThat(row.findings()).isZero());
    }

    @Test
    void theTableEscapesWhatEventsWroteAndTheJsonCarriesTheReplaysFigures() {
        Finding hostile = Finding.newBuilder(finding("f1", "r1", "acme", "web-1", null, 1, 1))
                .setSummary("shell \u001b[2J in web-1").build();
        BacktestReport report = BacktestReport.of(REPLAY, null, List.of("r1"), List.of(hostile));
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        report.print(new PrintStream(buffer, true, StandardCharsets.UTF_8));
        String table = buffer.toString(StandardCharsets.UTF_8);
        assertThat(table).doesNotContain("\u001b").contains("replayed 1000 event(s)", "250 events/s", "2 dead-lettered");
        Map<String, Object> json = report.json();
        assertThat(json).containsKeys("replay", "tenant", "rules");
        @SuppressWarnings("unchecked")
        Map<String, Object> figures = (Map<String, Object>) json.get("replay");
        assertThat(figures).containsEntry("events", 1000L).containsEntry("events_per_second", 250L)
                .containsEntry("from", "2026-12-01T00:00:00Z").containsEntry("context_records", 10L)
                .containsEntry("context_changes", 3L);
    }

    @Test
    void theMeterPrintsRateAndEta() {
        List<String> lines = new ArrayList<>();
        Backtest.Meter meter = new Backtest.Meter("copying events", 100, lines::add);
        meter.set(50);
        String line = meter.line(System.nanoTime());
        assertThat(line).startsWith("copying events: 50/100 (50%), ").contains("events/s, ETA ");
        meter.done();
        assertThat(lines).last().asString().startsWith("copying events: 50/100 in ");
    }

    private static Finding finding(String id, String rule, String tenant, String pod, String user, long count,
                                   long firstSeen) {
        return Finding.newBuilder().setId(id).setDetector("sigma")
                .setRule(FindingRule.newBuilder().setId(rule).setName("Rule " + rule).setVersion("1").build())
                .setSeverity("high").setTenant(tenant).setSummary("shell in " + pod).setFirstSeen(firstSeen)
                .setLastSeen(firstSeen + 10).setCount(count).setNamespace("ns").setPod(pod)
                .setEvidence(Evidence.newBuilder().setEventIds(List.of("e")).setFields(user == null ? Map.of()
                        : Map.of(dev.bulwark.sigma.SigmaFindings.USER_FIELD, user)).build())
                .build();
    }
}
