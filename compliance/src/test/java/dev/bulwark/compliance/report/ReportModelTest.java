package dev.bulwark.compliance.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.bulwark.compliance.Control;
import dev.bulwark.compliance.ControlCatalogue;
import dev.bulwark.compliance.ControlResult;
import dev.bulwark.compliance.report.ComplianceReport.ControlRow;
import dev.bulwark.compliance.report.ComplianceReport.Day;
import dev.bulwark.compliance.report.ComplianceReport.FailingResource;

class ReportModelTest {

    static final ControlCatalogue CATALOGUE = ControlCatalogue.shipped();
    static final Instant NOW = Instant.parse("2026-12-07T10:00:00Z");
    static final Instant GENERATED = Instant.parse("2026-12-07T12:00:00Z");

    static ControlResult result(String framework, String control, String tenant, String namespace, String status,
                                String... failing) {
        return new ControlResult(framework, control, "title of " + control, tenant, namespace, status,
                Math.max(1, failing.length), List.of(failing), failing.length, List.of("bulwark"));
    }

    static ControlResult pass(String control, String tenant, String namespace) {
        return result("cis", control, tenant, namespace, "pass");
    }

    static ControlResult fail(String control, String tenant, String namespace, String... failing) {
        return result("cis", control, tenant, namespace, "fail", failing);
    }

    /** Two tenants, three namespaces, a cluster-wide result, a result of another framework. */
    static List<ControlResult> mixed() {
        return List.of(
                pass("5.2.2", "acme", "acme-web"),
                fail("5.2.2", "acme", "acme-db", "pod/acme-db/postgres-0"),
                fail("5.2.2", "globex", "globex-prod", "pod/globex-prod/miner"),
                result("cis", "5.2.3", "acme", "acme-web", "none"),
                fail("5.1.3", null, null, "clusterrole/cluster-admin-ish"),
                pass("5.1.3", "acme", "acme-web"),
                fail("5.1.3", "globex", "globex-prod", "role/globex-prod/star"),
                result("nsa", "1.2", "acme", "acme-web", "fail", "pod/acme-web/nsa-only"));
    }

    static ControlRow row(ComplianceReport report, String id) {
        return report.controls().stream().filter(r -> r.id().equals(id)).findFirst().orElseThrow();
    }

    @Test
    void theSocViewCountsEveryNamespaceAndTheClusterWideResult() {
        ComplianceReport report = ComplianceReport.of(CATALOGUE, "cis", null, new Snapshot(NOW, mixed()), List.of(),
                GENERATED);

        assertThat(report.framework()).isEqualTo("cis");
        assertThat(report.frameworkTitle()).contains("CIS Kubernetes Benchmark");
        assertThat(report.tenant()).isNull();
        assertThat(report.generatedAt()).isEqualTo(GENERATED);
        assertThat(report.snapshotAt()).isEqualTo(NOW);
        // Every control of the framework, in catalogue order, also those without results.
        assertThat(report.controls()).extracting(ControlRow::id)
                .containsExactlyElementsOf(CATALOGUE.framework("cis").stream().map(Control::id).toList());

        ControlRow privileged = row(report, "5.2.2");
        assertThat(privileged.title()).isEqualTo(CATALOGUE.control("cis", "5.2.2").title());
        assertThat(privileged.source()).isEqualTo(CATALOGUE.control("cis", "5.2.2").source());
        assertThat(new int[] {privileged.passing(), privileged.failing(), privileged.none()}).containsExactly(1, 2, 0);
        assertThat(privileged.status()).isEqualTo("fail");
        assertThat(privileged.clusterStatus()).isNull();
        assertThat(privileged.failingResources()).containsExactly(
                new FailingResource("acme", "acme-db", "pod/acme-db/postgres-0"),
                new FailingResource("globex", "globex-prod", "pod/globex-prod/miner"));
        assertThat(privileged.failingTotal()).isEqualTo(2);
        assertThat(privileged.sources()).containsExactly("bulwark");

        ControlRow rbac = row(report, "5.1.3");
        assertThat(new int[] {rbac.passing(), rbac.failing(), rbac.none()}).containsExactly(1, 2, 0);
        assertThat(rbac.clusterStatus()).isEqualTo("fail");
        assertThat(rbac.failingResources()).first()
                .isEqualTo(new FailingResource(null, null, "clusterrole/cluster-admin-ish"));

        ControlRow nothing = row(report, "5.2.3");
        assertThat(new int[] {nothing.passing(), nothing.failing(), nothing.none()}).containsExactly(0, 0, 1);
        assertThat(nothing.status()).isEqualTo("none");
        ControlRow unjudged = row(report, "5.7.4");
        assertThat(new int[] {unjudged.passing(), unjudged.failing(), unjudged.none()}).containsExactly(0, 0, 0);
        // The NSA result stays out of the CIS report.
        assertThat(report.controls()).flatExtracting(ControlRow::failingResources).extracting(FailingResource::resource)
                .doesNotContain("pod/acme-web/nsa-only");
    }

    @Test
    void aTenantsReportHoldsOnlyItsOwnNamespacesAndNoClusterWideResult() {
        List<ControlResult> hostile = new ArrayList<>(mixed());
        // Inconsistent or forged data: a result of the tenant without a namespace, one naming another tenant's
        // namespace among its failing resources, a cluster-scoped resource, a tenant name differing only in case,
        // a blank namespace, a Trivy-only control of another tenant.
        hostile.add(fail("5.2.4", "acme", null, "pod/globex-prod/leak-1"));
        hostile.add(fail("5.2.5", "acme", "acme-db", "pod/globex-prod/leak-2", "namespace/globex-prod",
                "clusterrole/leak-3", "pod/acme-db/own", "pod/acme-db", "weird-name"));
        hostile.add(fail("5.2.6", "ACME", "globex-prod", "pod/globex-prod/leak-4"));
        hostile.add(fail("5.2.7", "acme", " ", "pod/ /leak-5"));
        hostile.add(fail("1.2.1", "globex", "globex-prod", "namespace/globex-prod"));
        hostile.add(fail("1.2.2", null, null, "apiserver"));

        ComplianceReport report = ComplianceReport.of(CATALOGUE, "cis", "acme", new Snapshot(NOW, hostile),
                List.of(new Snapshot(NOW.minusSeconds(86_400), hostile)), GENERATED);

        assertThat(report.tenant()).isEqualTo("acme");
        List<FailingResource> listed = report.controls().stream().flatMap(r -> r.failingResources().stream()).toList();
        assertThat(listed).extracting(FailingResource::tenant).containsOnly("acme");
        assertThat(listed).extracting(FailingResource::namespace).containsOnly("acme-db");
        assertThat(listed).extracting(FailingResource::resource)
                .containsExactlyInAnyOrder("pod/acme-db/postgres-0", "pod/acme-db/own");
        assertThat(report.controls()).extracting(ControlRow::clusterStatus).containsOnlyNulls();
        // Controls only another tenant's or a cluster-wide report judged are not even named.
        assertThat(report.controls()).extracting(ControlRow::id).doesNotContain("1.2.1", "1.2.2");

        ControlRow rbac = row(report, "5.1.3");
        assertThat(new int[] {rbac.passing(), rbac.failing(), rbac.none()}).containsExactly(1, 0, 0);
        ControlRow forged = row(report, "5.2.5");
        assertThat(forged.failing()).isEqualTo(1);
        assertThat(forged.failingTotal()).as("the withheld names are not counted either").isEqualTo(1);
        assertThat(row(report, "5.2.4").failing()).isZero();
        assertThat(row(report, "5.2.6").failing()).isZero();
        assertThat(row(report, "5.2.7").failing()).isZero();
        // The trend counts what the table counts.
        Day lastDay = row(report, "5.1.3").trend().get(ComplianceReport.TREND_DAYS - 1);
        assertThat(new int[] {lastDay.pass(), lastDay.fail()}).containsExactly(1, 0);
        Day yesterday = report.trend().get(ComplianceReport.TREND_DAYS - 2);
        Day today = report.trend().get(ComplianceReport.TREND_DAYS - 1);
        assertThat(yesterday.fail()).isEqualTo(today.fail()).isEqualTo(2);

        // Nothing of globex in any field at all.
        assertThat(report.toString()).doesNotContain("globex", "leak", "cluster-admin-ish", "apiserver");
    }

    @Test
    void theSocViewListsControlsOnlyAReportJudgedAfterTheCatalogue() {
        List<ControlResult> results = List.of(new ControlResult("cis", "1.2.1", "Ensure anonymous auth is off", null,
                null, "fail", 1, List.of("apiserver"), 1, List.of("trivy")));
        ComplianceReport report = ComplianceReport.of(CATALOGUE, "cis", null, new Snapshot(NOW, results), List.of(),
                GENERATED);
        ControlRow last = report.controls().get(report.controls().size() - 1);
        assertThat(last.id()).isEqualTo("1.2.1");
        assertThat(last.title()).isEqualTo("Ensure anonymous auth is off");
        assertThat(last.source()).isNull();
        assertThat(last.sources()).containsExactly("trivy");
        assertThat(last.clusterStatus()).isEqualTo("fail");
    }

    @Test
    void failingResourcesAreCappedWithTheTotalKept() {
        String[] many = new String[80];
        for (int i = 0; i < many.length; i++) {
            many[i] = "pod/acme-db/p-%03d".formatted(i);
        }
        List<ControlResult> results = List.of(
                new ControlResult("cis", "5.2.2", "t", "acme", "acme-db", "fail", 300, List.of(many), 250,
                        List.of("bulwark")),
                fail("5.2.2", "acme", "acme-web", "pod/acme-web/a", "pod/acme-web/b"));
        ControlRow row = row(ComplianceReport.of(CATALOGUE, "cis", "acme", new Snapshot(NOW, results), List.of(),
                GENERATED), "5.2.2");
        assertThat(row.failingResources()).hasSize(ComplianceReport.MAX_LISTED);
        assertThat(row.failingResources().get(0).resource()).isEqualTo("pod/acme-db/p-000");
        assertThat(row.failingTotal()).isEqualTo(252);
    }

    @Test
    void theTrendTakesEachDaysLastSnapshotCarriesItForwardAndIsEmptyBeforeTheFirst() {
        // Day -5 (two snapshots: the later one counts), nothing on days -4 and -3, day -2, today.
        Instant minus5early = Instant.parse("2026-12-02T01:00:00Z");
        Instant minus5late = Instant.parse("2026-12-02T23:59:59Z");
        Instant minus2 = Instant.parse("2026-12-05T08:00:00Z");
        List<Snapshot> history = List.of(
                new Snapshot(minus2, List.of(pass("5.2.2", "acme", "a"), pass("5.2.2", "acme", "b"),
                        pass("5.2.2", "acme", "c"))),
                new Snapshot(minus5late, List.of(fail("5.2.2", "acme", "a", "pod/a/x"), pass("5.2.2", "acme", "b"))),
                new Snapshot(minus5early, List.of(fail("5.2.2", "acme", "a", "pod/a/x"),
                        fail("5.2.2", "acme", "b", "pod/b/x"), fail("5.2.2", "acme", "c", "pod/c/x"))),
                // After the reported snapshot: ignored.
                new Snapshot(NOW.plusSeconds(60), List.of(fail("5.2.2", "acme", "a", "pod/a/later"))));
        Snapshot latest = new Snapshot(NOW, List.of(pass("5.2.2", "acme", "a"), fail("5.2.2", "acme", "b", "pod/b/y"),
                pass("5.1.3", "acme", "a")));

        ComplianceReport report = ComplianceReport.of(CATALOGUE, "cis", null, latest, history, GENERATED);

        assertThat(report.trendTo()).isEqualTo(LocalDate.parse("2026-12-07"));
        assertThat(report.trendFrom()).isEqualTo(LocalDate.parse("2026-11-08"));
        List<Day> trend = row(report, "5.2.2").trend();
        assertThat(trend).hasSize(30);
        assertThat(trend.get(0).day()).isEqualTo(report.trendFrom());
        for (int i = 0; i < 24; i++) {
            assertThat(trend.get(i).known()).as("day %d", i).isFalse();
            assertThat(trend.get(i).pass() + trend.get(i).fail()).isZero();
        }
        Day d5 = trend.get(24);
        assertThat(d5.day()).isEqualTo(LocalDate.parse("2026-12-02"));
        assertThat(d5.snapshotAt()).isEqualTo(minus5late);
        assertThat(d5.carried()).isFalse();
        assertThat(new int[] {d5.pass(), d5.fail()}).containsExactly(1, 1);
        for (int i : new int[] {25, 26}) {
            assertThat(trend.get(i).snapshotAt()).isEqualTo(minus5late);
            assertThat(trend.get(i).carried()).isTrue();
            assertThat(new int[] {trend.get(i).pass(), trend.get(i).fail()}).containsExactly(1, 1);
        }
        assertThat(new int[] {trend.get(27).pass(), trend.get(27).fail()}).containsExactly(3, 0);
        assertThat(trend.get(28).carried()).isTrue();
        assertThat(new int[] {trend.get(28).pass(), trend.get(28).fail()}).containsExactly(3, 0);
        Day today = trend.get(29);
        assertThat(today.snapshotAt()).isEqualTo(NOW);
        assertThat(new int[] {today.pass(), today.fail()}).containsExactly(1, 1);
        assertThat(row(report, "5.2.2").failingResources()).extracting(FailingResource::resource)
                .containsExactly("pod/b/y");

        // Overall: the sum over the controls.
        Day overallToday = report.trend().get(29);
        assertThat(new int[] {overallToday.pass(), overallToday.fail()}).containsExactly(2, 1);
        assertThat(report.trend().get(27).pass()).isEqualTo(3);
        assertThat(report.trend().get(0).known()).isFalse();
    }

    @Test
    void aSnapshotBeforeTheWindowCarriesIntoItsFirstDay() {
        Snapshot old = new Snapshot(Instant.parse("2026-09-01T00:00:00Z"), List.of(fail("5.2.2", "acme", "a", "x")));
        ComplianceReport report = ComplianceReport.of(CATALOGUE, "cis", null,
                new Snapshot(NOW, List.of(pass("5.2.2", "acme", "a"))), List.of(old), GENERATED);
        Day first = row(report, "5.2.2").trend().get(0);
        assertThat(first.snapshotAt()).isEqualTo(old.at());
        assertThat(first.carried()).isTrue();
        assertThat(first.fail()).isEqualTo(1);
    }

    @Test
    void anUnknownFrameworkOrBlankTenantIsRefused() {
        Snapshot snapshot = new Snapshot(NOW, List.of());
        assertThatThrownBy(() -> ComplianceReport.of(CATALOGUE, "pci", null, snapshot, List.of(), GENERATED))
                .hasMessageContaining("unknown framework 'pci'");
        assertThatThrownBy(() -> ComplianceReport.of(CATALOGUE, "cis", " ", snapshot, List.of(), GENERATED))
                .hasMessageContaining("tenant");
    }

    @Test
    void resourcesInANamespace() {
        assertThat(ComplianceReport.inNamespace("pod/a/b", "a")).isTrue();
        assertThat(ComplianceReport.inNamespace("namespace/a", "a")).isTrue();
        assertThat(ComplianceReport.inNamespace("role/a/b", "a")).isTrue();
        assertThat(ComplianceReport.inNamespace("pod/b/a", "a")).isFalse();
        assertThat(ComplianceReport.inNamespace("pod/a/b/c", "a")).isFalse();
        assertThat(ComplianceReport.inNamespace("pod/a/", "a")).isFalse();
        assertThat(ComplianceReport.inNamespace("clusterrole/a", "a")).isFalse();
        assertThat(ComplianceReport.inNamespace("namespace/ab", "a")).isFalse();
    }
}
