package dev.bulwark.detectors.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.bulwark.schemas.ContainerInfo;
import dev.bulwark.schemas.EventInfo;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.KubernetesInfo;
import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.schemas.TenantInfo;

class FindingBuilderTest {

    private static SecurityEvent event(String id, TenantInfo tenant) {
        return SecurityEvent.newBuilder().setId(id).setTimestamp(1_700_000_000_123_456_789L).setSourceFormat("falco")
                .setEvent(EventInfo.newBuilder().setKind("alert").build())
                .setKubernetes(KubernetesInfo.newBuilder().setNamespace("shop").setPod("web-1").build())
                .setContainer(ContainerInfo.newBuilder().setId("c1").setImageName("nginx").build())
                .setTenant(tenant).build();
    }

    private static FindingBuilder builder(SecurityEvent event) {
        return new FindingBuilder("miner", "3", Map.of("shop", "acme")::get, event)
                .rule("example.miner", "Miner").severity(Severity.CRITICAL).summary("a miner ran");
    }

    @Test
    void theEventGivesWorkloadTimeAndTenantsAndTheDetectorGivesRuleSeverityAndEvidence() {
        TenantInfo tenant = TenantInfo.newBuilder().setOwner("acme").setActor("globex").setPeer(Tenants.UNATTRIBUTED).build();
        Finding finding = builder(event("e1", tenant)).mitre(Mitre.of(List.of("impact"), List.of("T1496")))
                .evidence("process.name", "xmrig").evidence("process.parent.name", null).identity("c1").build();
        assertThat(finding.getDetector()).isEqualTo("miner");
        assertThat(finding.getRule().getId()).isEqualTo("example.miner");
        assertThat(finding.getRule().getVersion()).isEqualTo("3");
        assertThat(finding.getSeverity()).isEqualTo("critical");
        assertThat(finding.getRiskScore()).isEqualTo(99);
        assertThat(finding.getTenant()).isEqualTo("acme");
        assertThat(finding.getOtherTenants()).containsExactly("globex");
        assertThat(finding.getFirstSeen()).isEqualTo(1_700_000_000_123L);
        assertThat(finding.getNamespace()).isEqualTo("shop");
        assertThat(finding.getPod()).isEqualTo("web-1");
        assertThat(finding.getImage()).isEqualTo("nginx");
        assertThat(finding.getEvidence().getEventIds()).containsExactly("e1");
        assertThat(finding.getEvidence().getFields()).containsExactly(Map.entry("process.name", "xmrig"));
        assertThat(finding.getMitre().getTechniques()).containsExactly("T1496");
    }

    @Test
    void theIdentityDecidesWhichEventsAreOneFinding() {
        Finding first = builder(event("e1", null)).identity("c1").build();
        Finding second = builder(event("e2", null)).identity("c1").build();
        Finding perEvent = builder(event("e1", null)).build();
        Finding otherEvent = builder(event("e2", null)).build();
        assertThat(first.getId()).isEqualTo(second.getId());
        assertThat(perEvent.getId()).isNotEqualTo(otherEvent.getId()).isNotEqualTo(first.getId());
        assertThat(perEvent.getId()).as("a replay gives the same id").isEqualTo(builder(event("e1", null)).build().getId());
    }

    @Test
    void withoutAnEnrichedOwnerTheStaticMappingDecidesAndElseTheFindingIsUnattributed() {
        assertThat(builder(event("e1", null)).build().getTenant()).isEqualTo("acme");
        SecurityEvent elsewhere = event("e2", null);
        elsewhere.getKubernetes().setNamespace("unknown");
        assertThat(builder(elsewhere).build().getTenant()).isEqualTo(Tenants.UNATTRIBUTED);
    }

    @Test
    void aFindingWithoutRuleSeverityOrSummaryIsRefused() {
        assertThatThrownBy(() -> new FindingBuilder("miner", "1", n -> null, event("e1", null)).rule("r", "R")
                .summary("s").build()).isInstanceOf(IllegalStateException.class).hasMessageContaining("severity");
        assertThatThrownBy(() -> Severity.of("hihg")).hasMessageContaining("low, medium, high or critical");
        assertThat(Severity.of(" High ")).isEqualTo(Severity.HIGH);
    }
}
