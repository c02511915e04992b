package dev.bulwark.sink;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

import co.elastic.clients.elasticsearch.core.bulk.BulkOperation;
import dev.bulwark.schemas.Incident;
import dev.bulwark.schemas.IncidentFinding;

/** An incident survives the trip into its document and back; updates never carry triage. */
class IncidentIndexTest {

    private static Incident incident() {
        IncidentFinding shell = IncidentFinding.newBuilder().setFindingId("f1").setTime(1_000).setLastSeen(1_500)
                .setRuleId("r1").setRuleName("Shell").setDetector("sigma").setSeverity("high").setRiskScore(73)
                .setTenant("acme").setOtherTenants(List.of("globex")).setNamespace("shop").setPod("web")
                .setUser("alice").setSessionId(null).setTactics(List.of("execution"))
                .setEntities(List.of("pod:shop/web", "identity:alice"))
                .setPodTenants(Map.of("pod:shop/web", "acme")).build();
        IncidentFinding bare = IncidentFinding.newBuilder(shell).setFindingId("f2").setNamespace(null).setPod(null)
                .setUser(null).setOtherTenants(List.of()).setTactics(List.of()).setEntities(List.of()).setPodTenants(Map.of()).build();
        return Incident.newBuilder().setId("inc-1").setReason("risk").setOpenedBy("pod:shop/web").setOpenedAt(1_500)
                .setFirstSeen(1_000).setLastSeen(2_000).setRisk(321.5).setTactics(List.of("execution"))
                .setTenants(List.of("acme", "globex")).setEntities(List.of("pod:shop/web"))
                .setDetectors(List.of("sigma")).setFindingsTotal(2).setTruncated(true)
                .setTimeline(List.of(shell, bare)).build();
    }

    @Test
    @SuppressWarnings("unchecked")
    void anIncidentComesBackFromItsDocumentAsElasticsearchReturnsIt() throws Exception {
        ObjectMapper json = new ObjectMapper();
        Map<String, Object> stored = json.readValue(json.writeValueAsString(IncidentIndex.document(incident())),
                Map.class);
        assertThat(IncidentIndex.incident(stored)).isEqualTo(incident());
    }

    @Test
    @SuppressWarnings("unchecked")
    void theUpdateKeepsTriageAndOnlyTheFirstWriteSetsItOpen() {
        BulkOperation operation = new IncidentIndex("bulwark-incidents").operation(incident());
        assertThat(operation.update().id()).isEqualTo("inc-1");
        assertThat(operation.update().index()).isEqualTo("bulwark-incidents");
        var action = operation.update().action();
        assertThat((Map<String, Object>) action.doc()).doesNotContainKey("triage").containsKey("timeline");
        assertThat((Map<String, Object>) action.upsert()).containsEntry("triage", Map.of("status", "open"))
                .containsKey("timeline");
    }

    @Test
    void itsIndexIsTheFindingsPrefixSibling() {
        assertThat(IncidentIndex.prefixFor("bulwark-findings")).isEqualTo("bulwark-incidents");
        assertThat(IncidentIndex.forFindings(new FindingIndex("prod-findings")).prefix()).isEqualTo("prod-incidents");
    }
}
