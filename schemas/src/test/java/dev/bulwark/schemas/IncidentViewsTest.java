package dev.bulwark.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** A shell in acme's pod connects into globex's database: each tenant sees its own side only. */
class IncidentViewsTest {

    private static IncidentFinding finding(String id, long time, String tenant, List<String> others, String namespace,
                                           String pod, String user, String session, List<String> tactics,
                                           List<String> entities) {
        return IncidentFinding.newBuilder().setFindingId(id).setTime(time).setLastSeen(time).setRuleId("rule-" + id)
                .setRuleName("Rule " + id).setDetector("det-" + id).setSeverity("high").setRiskScore(73)
                .setTenant(tenant).setOtherTenants(others).setNamespace(namespace).setPod(pod).setUser(user)
                .setSessionId(session).setTactics(tactics).setEntities(entities).build();
    }

    private static Incident incident() {
        List<IncidentFinding> timeline = List.of(
                finding("a", 1_000, "acme", List.of(), "shop", "web", "alice", "s1", List.of("execution"),
                        List.of("pod:shop/web", "identity:alice", "session:s1")),
                finding("b", 2_000, "acme", List.of(), "shop", "web", "alice", "s1", List.of("command-and-control"),
                        List.of("pod:shop/web", "identity:alice", "session:s1")),
                IncidentFinding.newBuilder(finding("c", 3_000, "globex", List.of("acme"), "payments", "db", "alice",
                        "s1", List.of("lateral-movement"),
                        List.of("pod:payments/db", "pod:shop/web", "identity:alice", "session:s1")))
                        .setPodTenants(Map.of("pod:payments/db", "globex", "pod:shop/web", "acme")).build(),
                finding("d", 4_000, "initech", List.of(), "billing", "api", "mallory", null, List.of("discovery"),
                        List.of("pod:billing/api", "identity:mallory")));
        return Incident.newBuilder().setId("inc-1").setReason("detectors").setOpenedBy("pod:shop/web")
                .setOpenedAt(2_000).setFirstSeen(1_000).setLastSeen(4_000).setRisk(400)
                .setTactics(List.of("execution", "command-and-control", "lateral-movement", "discovery"))
                .setTenants(List.of("acme", "globex", "initech"))
                .setEntities(List.of("pod:shop/web", "identity:alice", "session:s1", "pod:payments/db",
                        "pod:billing/api", "identity:mallory"))
                .setDetectors(List.of("det-a", "det-b", "det-c", "det-d")).setFindingsTotal(4)
                .setTimeline(timeline).build();
    }

    @Test
    void actingTenantSeesItsOwnFindingsAndOnlyItsOwnSideOfTheCrossTenantOne() {
        IncidentViews.TenantView view = IncidentViews.forTenant(incident(), "acme");
        Incident acme = view.incident();
        assertThat(acme.getTimeline()).extracting(IncidentFinding::getFindingId).containsExactly("a", "b", "c");
        assertThat(acme.getTimeline().get(0).getUser()).isEqualTo("alice");
        IncidentFinding cross = acme.getTimeline().get(2);
        assertThat(cross.getTenant()).isEqualTo(IncidentViews.ANOTHER_TENANT);
        assertThat(cross.getNamespace()).isEqualTo("shop");
        assertThat(cross.getPod()).as("its own side of it").isEqualTo("web");
        assertThat(cross.getUser()).isNull();
        assertThat(cross.getEntities()).containsExactly("pod:shop/web");
        assertThat(cross.getPodTenants()).containsExactly(Map.entry("pod:shop/web", "acme"));
        assertThat(acme.getTenants()).containsExactly("acme");
        assertThat(acme.getEntities()).containsExactly("pod:shop/web", "identity:alice", "session:s1");
        assertThat(acme.getTactics()).containsExactly("execution", "command-and-control", "lateral-movement");
        assertThat(acme.getDetectors()).containsExactly("det-a", "det-b", "det-c");
        assertThat(acme.getOpenedBy()).isEqualTo("pod:shop/web");
        assertThat(acme.getLastSeen()).isEqualTo(3_000);
        assertThat(view.hiddenFindings()).isEqualTo(1);
        assertThat(view.otherTenantsInvolved()).isTrue();
        assertThat(acme.toString()).doesNotContain("payments", "globex", "initech", "mallory", "billing");
    }

    @Test
    void victimSeesTheIncomingViolationOnItsPodButNeverTheActorsPodOrUser() {
        IncidentViews.TenantView view = IncidentViews.forTenant(incident(), "globex");
        Incident globex = view.incident();
        assertThat(globex.getTimeline()).extracting(IncidentFinding::getFindingId).containsExactly("c");
        IncidentFinding incoming = globex.getTimeline().get(0);
        assertThat(incoming.getPod()).isEqualTo("db");
        assertThat(incoming.getOtherTenants()).containsExactly(IncidentViews.ANOTHER_TENANT);
        assertThat(incoming.getEntities()).containsExactly("pod:payments/db");
        assertThat(globex.getOpenedBy()).isEqualTo(IncidentViews.ANOTHER_TENANT);
        assertThat(globex.getFindingsTotal()).isEqualTo(1);
        assertThat(view.hiddenFindings()).isEqualTo(3);
        assertThat(globex.toString()).doesNotContain("alice", "shop", "web", "s1", "acme", "initech", "mallory");
    }

    @Test
    void aConnectionsSourcePodIsTheActorsEvenThoughTheVictimOwnsTheFinding() {
        // The cross-tenant network detector gives the finding to the destination's tenant, with the source's pod.
        IncidentFinding connection = IncidentFinding.newBuilder(finding("n", 5_000, "globex", List.of("acme"), "shop",
                        "web", "alice", "s1", List.of("lateral-movement"),
                        List.of("pod:shop/web", "pod:payments/db", "identity:alice", "session:s1")))
                .setPodTenants(Map.of("pod:shop/web", "acme", "pod:payments/db", "globex")).build();
        Incident incident = Incident.newBuilder(incident()).setTimeline(List.of(connection)).setFindingsTotal(1)
                .setTenants(List.of("acme", "globex")).build();

        IncidentFinding victim = IncidentViews.forTenant(incident, "globex").incident().getTimeline().get(0);
        assertThat(victim.getPod()).as("its own pod, the destination; the source pod is acme's").isEqualTo("db");
        assertThat(victim.getNamespace()).isEqualTo("payments");
        assertThat(victim.getEntities()).containsExactly("pod:payments/db");
        assertThat(victim.toString()).doesNotContain("shop", "web", "alice", "acme");

        IncidentFinding actor = IncidentViews.forTenant(incident, "acme").incident().getTimeline().get(0);
        assertThat(actor.getPod()).isEqualTo("web");
        assertThat(actor.getTenant()).isEqualTo(IncidentViews.ANOTHER_TENANT);
        assertThat(actor.getEntities()).containsExactly("pod:shop/web");
        assertThat(actor.toString()).doesNotContain("payments", "globex");
    }

    @Test
    void aCrossTenantFindingWithoutRecordedPodOwnersShowsItsPodsToNoTenant() {
        IncidentFinding unknown = finding("u", 5_000, "globex", List.of("acme"), "shop", "web", "alice", null,
                List.of("lateral-movement"), List.of("pod:shop/web", "pod:payments/db"));
        Incident incident = Incident.newBuilder(incident()).setTimeline(List.of(unknown)).setFindingsTotal(1).build();
        for (String tenant : List.of("acme", "globex")) {
            IncidentFinding seen = IncidentViews.forTenant(incident, tenant).incident().getTimeline().get(0);
            assertThat(seen.getPod()).as(tenant).isNull();
            assertThat(seen.getEntities()).as(tenant).isEmpty();
        }
    }

    @Test
    void aTenantTheIncidentDoesNotConcernGetsNoView() {
        assertThat(IncidentViews.concerns(incident(), "umbrella")).isFalse();
        assertThatThrownBy(() -> IncidentViews.forTenant(incident(), "umbrella"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aSingleTenantIncidentIsShownWhole() {
        Incident only = Incident.newBuilder(incident()).setTenants(List.of("acme"))
                .setTimeline(incident().getTimeline().subList(0, 2)).setFindingsTotal(2).build();
        IncidentViews.TenantView view = IncidentViews.forTenant(only, "acme");
        assertThat(view.otherTenantsInvolved()).isFalse();
        assertThat(view.hiddenFindings()).isZero();
        assertThat(view.incident().getTimeline()).isEqualTo(only.getTimeline());
    }
}
