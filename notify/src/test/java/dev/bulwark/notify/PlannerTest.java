package dev.bulwark.notify;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.Incident;
import dev.bulwark.schemas.IncidentFinding;

class PlannerTest {

    private final Fixtures.TestClock clock = new Fixtures.TestClock();
    private long offset;

    private Planner planner(Route route) {
        return new Planner(route, clock, Duration.ofMinutes(1), 5_000);
    }

    private List<Planner.Item> items(Object... values) {
        List<Planner.Item> items = new ArrayList<>();
        for (Object v : values) {
            items.add(new Planner.Item(Fixtures.ref("t", 0, offset++), v));
        }
        return items;
    }

    private static List<Notice> notices(Planner.Plan plan) {
        return plan.outgoing().stream().map(Planner.Outgoing::notice).toList();
    }

    @Test
    void shouldNotifyFirstOccurrencesAndEscalationsAndSummariseRepeats() {
        Route route = Fixtures.route("soc", Route.Kind.FINDINGS, null, null, Route.Format.WEBHOOK, 30);
        Planner planner = planner(route);

        Planner.Plan first = planner.plan(items(Fixtures.finding("f1", "acme", "medium"),
                Fixtures.finding("f1", "acme", "medium", 2), Fixtures.finding("f1", "acme", "medium", 3),
                Fixtures.finding("f1", "acme", "high", 4)));

        assertThat(notices(first)).hasSize(2);
        var n0 = (Notice.FindingNotice) notices(first).get(0);
        var n1 = (Notice.FindingNotice) notices(first).get(1);
        assertThat(n0.event()).isEqualTo("new");
        assertThat(n1.event()).isEqualTo("escalated");
        assertThat(n1.deliveryId()).isNotEqualTo(n0.deliveryId());
        assertThat(planner.heldRecords()).as("the two repeats wait for the summary").isEqualTo(2);
        assertThat(planner.minHeldOffsets()).containsEntry(new TopicPartition("t", 0), 1L);

        assertThat(planner.due()).as("not before the minute is over").isEmpty();
        clock.advance(Duration.ofSeconds(61));
        List<Planner.Outgoing> due = planner.due();
        assertThat(due).hasSize(1);
        var summary = (Notice.SummaryNotice) due.get(0).notice();
        assertThat(summary.count()).isEqualTo(2);
        assertThat(summary.repeats()).isEqualTo(2);
        assertThat(summary.text()).isEqualTo("2 more findings for tenant acme: Interactive shell in a container ×2"
                + " (2 are repeats of findings already notified)");
        assertThat(due.get(0).records()).extracting(RecordRef::offset).containsExactly(1L, 2L);
        assertThat(planner.minHeldOffsets()).isEmpty();
    }

    @Test
    void shouldSummariseBeyondTheRateInsteadOfDroppingAndSendTheSummaryWhenTheMinuteRollsOver() {
        Route route = Fixtures.route("soc", Route.Kind.FINDINGS, null, null, Route.Format.WEBHOOK, 3);
        Planner planner = planner(route);
        List<Object> findings = new ArrayList<>();
        for (int i = 0; i < 15; i++) {
            Finding f = Fixtures.finding("f" + i, i < 12 ? "acme" : "globex", "high");
            if (i % 2 == 1) {
                f = Finding.newBuilder(f).setRule(Fixtures.finding("x", "acme", "high").getRule()).build();
                f.getRule().setName("Rule B");
            }
            findings.add(f);
        }
        Planner.Plan plan = planner.plan(items(findings.toArray()));

        assertThat(plan.outgoing()).hasSize(3);
        assertThat(planner.heldRecords()).isEqualTo(12);
        clock.advance(Duration.ofSeconds(30));
        assertThat(planner.plan(items(Fixtures.finding("late", "acme", "high"))).outgoing())
                .as("still over the limit in the same minute").isEmpty();
        clock.advance(Duration.ofSeconds(31));

        Planner.Plan next = planner.plan(items(Fixtures.finding("fresh", "acme", "high")));
        List<Notice> sent = notices(next);
        assertThat(sent).hasSize(3);
        var acme = (Notice.SummaryNotice) sent.get(0);
        var globex = (Notice.SummaryNotice) sent.get(1);
        assertThat(acme.text()).isEqualTo("10 more findings for tenant acme: Interactive shell in a container ×5, Rule B ×5");
        assertThat(globex.text()).startsWith("3 more findings for tenant globex");
        assertThat(((Notice.FindingNotice) sent.get(2)).finding().getId()).as("a new minute, a new token").isEqualTo("fresh");
        int covered = next.outgoing().stream().mapToInt(o -> o.records().size()).sum();
        assertThat(3 + covered).as("every record is delivered or summarised").isEqualTo(17);
    }

    @Test
    void shouldSkipWhatTheRouteDoesNotSelect() {
        Route acme = Fixtures.route("acme", Route.Kind.FINDINGS, "acme", "high", Route.Format.SLACK, 30);
        Planner planner = planner(acme);
        Finding shadow = Finding.newBuilder(Fixtures.finding("s", "acme", "critical")).setShadow(true).build();
        Planner.Plan plan = planner.plan(items(Fixtures.finding("g", "globex", "critical"),
                Fixtures.finding("low", "acme", "low"), shadow, Fixtures.finding("ok", "acme", "critical"),
                Fixtures.finding("weird", "acme", "<script>")));

        assertThat(notices(plan)).extracting(n -> ((Notice.FindingNotice) n).finding().getId()).containsExactly("ok");
        assertThat(plan.skipped()).isEqualTo(Map.of("tenant", 1, "severity", 2, "shadow", 1));
    }

    @Test
    void shouldCoalesceAnIncidentsUpdatesInOneBatchAndSendNothingForAnUpdateThatAddsNothing() {
        Route soc = Fixtures.route("soc", Route.Kind.INCIDENTS, null, null, Route.Format.WEBHOOK, 30);
        Planner planner = planner(soc);
        IncidentFinding a = Fixtures.entry("fa", "acme", "high", List.of(), Fixtures.T0);
        IncidentFinding b = Fixtures.entry("fb", "acme", "high", List.of(), Fixtures.T0 + 10);
        IncidentFinding c = Fixtures.entry("fc", "acme", "critical", List.of(), Fixtures.T0 + 20);
        Incident v1 = Fixtures.incident("inc-1", List.of(a));
        Incident v2 = Fixtures.incident("inc-1", List.of(a, b));
        Incident v3 = Fixtures.incident("inc-1", List.of(a, b, c));
        Incident other = Fixtures.incident("inc-2", List.of(a));

        Planner.Plan plan = planner.plan(items(v1, other, v2, v3));
        assertThat(plan.outgoing()).hasSize(2);
        var notice = (Notice.IncidentNotice) plan.outgoing().get(0).notice();
        assertThat(notice.incident().getFindingsTotal()).as("last state wins").isEqualTo(3);
        assertThat(notice.updates()).isEqualTo(3);
        assertThat(plan.outgoing().get(0).records()).extracting(RecordRef::offset).containsExactly(0L, 2L, 3L);

        Incident sameAgain = Incident.newBuilder(v3).setRisk(99).build();
        Planner.Plan unchanged = planner.plan(items(sameAgain));
        assertThat(unchanged.outgoing()).isEmpty();
        assertThat(unchanged.skipped()).containsEntry("unchanged", 1);

        IncidentFinding d = Fixtures.entry("fd", "acme", "high", List.of(), Fixtures.T0 + 30);
        Planner.Plan grown = planner.plan(items(Fixtures.incident("inc-1", List.of(a, b, c, d))));
        assertThat(grown.outgoing()).hasSize(1);
        assertThat(grown.outgoing().get(0).notice().deliveryId()).isNotEqualTo(notice.deliveryId());
    }

    @Test
    void shouldGiveATenantRouteOnlyItsViewAndNothingOfIncidentsThatDoNotConcernIt() {
        Route acme = Fixtures.route("acme", Route.Kind.INCIDENTS, "acme", null, Route.Format.SLACK, 30);
        Planner planner = planner(acme);
        IncidentFinding own = Fixtures.entry("fa", "acme", "high", List.of(), Fixtures.T0);
        IncidentFinding theirs = Fixtures.entry("fg", "globex", "critical", List.of(), Fixtures.T0 + 5);
        Incident shared = Fixtures.incident("inc-1", List.of(own, theirs));
        Incident globexOnly = Fixtures.incident("inc-2", List.of(theirs));

        Planner.Plan plan = planner.plan(items(shared, globexOnly));
        assertThat(plan.outgoing()).hasSize(1);
        var notice = (Notice.IncidentNotice) plan.outgoing().get(0).notice();
        assertThat(notice.incident().getTenants()).containsExactly("acme");
        assertThat(notice.hiddenFindings()).isEqualTo(1);
        assertThat(notice.otherTenantsInvolved()).isTrue();
        assertThat(plan.skipped()).containsEntry("tenant", 1);

        IncidentFinding theirsAgain = Fixtures.entry("fg2", "globex", "critical", List.of(), Fixtures.T0 + 50);
        Planner.Plan onlyTheirsGrew = planner.plan(items(Fixtures.incident("inc-1", List.of(own, theirs, theirsAgain))));
        assertThat(onlyTheirsGrew.outgoing()).as("acme's side did not change").isEmpty();
        assertThat(onlyTheirsGrew.skipped()).containsEntry("unchanged", 1);
    }

    @Test
    void shouldSummariseIncidentUpdatesBeyondTheRateAsFindingsAddedAndRenotifyAfterARebalanceDropsTheHold() {
        Route soc = Fixtures.route("soc", Route.Kind.INCIDENTS, null, null, Route.Format.WEBHOOK, 1);
        Planner planner = planner(soc);
        List<IncidentFinding> timeline = new ArrayList<>();
        timeline.add(Fixtures.entry("f0", "acme", "high", List.of(), Fixtures.T0));
        assertThat(planner.plan(items(Fixtures.incident("inc-1", List.copyOf(timeline)))).outgoing()).hasSize(1);
        for (int i = 1; i <= 12; i++) {
            timeline.add(Fixtures.entry("f" + i, "acme", "high", List.of(), Fixtures.T0 + i));
        }
        Planner.Plan limited = planner.plan(items(Fixtures.incident("inc-1", List.copyOf(timeline))));
        assertThat(limited.outgoing()).isEmpty();
        assertThat(planner.minHeldOffsets()).containsEntry(new TopicPartition("t", 0), 1L);

        planner.dropHolds();
        assertThat(planner.minHeldOffsets()).isEmpty();
        clock.advance(Duration.ofSeconds(61));
        // Consumed again after the rebalance: not "unchanged", it was never sent.
        Planner.Plan again = planner.plan(items(Fixtures.incident("inc-1", List.copyOf(timeline))));
        assertThat(again.outgoing()).hasSize(1);

        timeline.add(Fixtures.entry("f13", "acme", "high", List.of(), Fixtures.T0 + 13));
        planner.plan(items(Fixtures.incident("inc-1", List.copyOf(timeline))));
        clock.advance(Duration.ofSeconds(61));
        var summary = (Notice.SummaryNotice) planner.due().get(0).notice();
        assertThat(summary.text()).isEqualTo("1 more finding in incident inc-1");
    }

    @Test
    void shouldSummariseEarlyWhenTooManyRecordsAreHeldAndMergeManyScopes() {
        Route soc = Fixtures.route("soc", Route.Kind.FINDINGS, null, null, Route.Format.WEBHOOK, 1);
        Planner planner = new Planner(soc, clock, Duration.ofMinutes(1), 30);
        List<Object> findings = new ArrayList<>();
        for (int i = 0; i < 31; i++) {
            findings.add(Fixtures.finding("f" + i, "tenant" + i, "high"));
        }
        Planner.Plan plan = planner.plan(items(findings.toArray()));
        assertThat(plan.outgoing()).hasSize(1 + Planner.MAX_SUMMARIES);
        var merged = (Notice.SummaryNotice) plan.outgoing().get(Planner.MAX_SUMMARIES).notice();
        assertThat(merged.text()).startsWith("11 more findings in 11 other tenants");
        int covered = plan.outgoing().stream().mapToInt(o -> o.records().size()).sum();
        assertThat(covered).isEqualTo(31);
        assertThat(planner.heldRecords()).isZero();
    }

    @Test
    void shouldGiveTheSameDeliveryIdToTheSameNotificationOnAnotherRun() {
        Route soc = Fixtures.route("soc", Route.Kind.FINDINGS, null, null, Route.Format.WEBHOOK, 30);
        String first = planner(soc).plan(items(Fixtures.finding("f1", "acme", "high"))).outgoing().get(0).notice().deliveryId();
        String second = planner(soc).plan(items(Fixtures.finding("f1", "acme", "high"))).outgoing().get(0).notice().deliveryId();
        Route other = Fixtures.route("other", Route.Kind.FINDINGS, null, null, Route.Format.WEBHOOK, 30);
        String otherRoute = planner(other).plan(items(Fixtures.finding("f1", "acme", "high"))).outgoing().get(0).notice().deliveryId();
        assertThat(first).isEqualTo(second).isNotEqualTo(otherRoute).matches("[0-9a-f]{32}");
    }
}
