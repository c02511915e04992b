package dev.bulwark.sink;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.bulwark.schemas.Evidence;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.FindingRule;
import dev.bulwark.schemas.MitreAttack;

class ShadowRoutingTest {

    private static Finding finding(boolean shadow) {
        return Finding.newBuilder().setId("f1").setDetector("sigma")
                .setRule(FindingRule.newBuilder().setId("r1").setName("Rule").build()).setSeverity("high")
                .setMitre(MitreAttack.newBuilder().build()).setTenant("acme").setSummary("s")
                .setFirstSeen(1_700_000_000_000L).setLastSeen(1_700_000_000_000L)
                .setEvidence(Evidence.newBuilder().setEventIds(List.of()).setFields(Map.of()).build())
                .setShadow(shadow).build();
    }

    @Test
    void theShadowPrefixIsCoveredByNoPatternOfTheFindingsIndex() {
        assertThat(FindingIndex.shadowPrefixFor("bulwark-findings")).isEqualTo("bulwark-shadow-findings");
        assertThat(FindingIndex.shadowPrefixFor("soc")).isEqualTo("shadow-soc");
        for (String prefix : List.of("bulwark-findings", "soc", "acme-sec")) {
            String shadow = FindingIndex.shadowPrefixFor(prefix);
            assertThat(shadow).as("not under %s*", prefix).doesNotStartWith(prefix);
            assertThat(new FindingIndex(prefix).shadow().prefix()).isEqualTo(shadow);
        }
    }

    @Test
    void aShadowFindingIsWrittenToTheShadowIndexAndSaysSo() throws Exception {
        FindingIndex index = new FindingIndex("bulwark-findings");
        assertThat(FindingSink.operation(index, finding(true)).update().index())
                .isEqualTo("bulwark-shadow-findings-2023.11.14");
        assertThat(FindingSink.operation(index, finding(false)).update().index()).isEqualTo("bulwark-findings-2023.11.14");
        ObjectMapper json = new ObjectMapper();
        assertThat(json.readTree(json.writeValueAsString(FindingDocument.of(finding(true)))).at("/finding/shadow")
                .asBoolean()).isTrue();
        assertThat(json.readTree(json.writeValueAsString(FindingDocument.of(finding(false)))).at("/finding/shadow")
                .isMissingNode()).as("live documents stay as they were").isTrue();
    }
}
