package dev.bulwark.sink;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.bulwark.schemas.Evidence;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.FindingRule;

/** The link of an escalating finding to the one it escalates is indexed as finding.escalates, and mapped. */
class FindingDocumentEscalatesTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static Finding finding(String escalates) {
        return Finding.newBuilder().setId("f2").setDetector("sigma")
                .setRule(FindingRule.newBuilder().setId("r").setName("R").build()).setSeverity("high").setTenant("acme")
                .setSummary("s").setFirstSeen(1_000L).setLastSeen(2_000L).setEscalates(escalates)
                .setEvidence(Evidence.newBuilder().setEventIds(List.of("e")).setFields(Map.of()).build()).build();
    }

    @Test
    void theLinkIsWrittenOnCreationAndWithEveryOccurrenceUpdate() {
        FindingDocument document = FindingDocument.of(finding("f1"));

        JsonNode created = JSON.valueToTree(document);
        JsonNode update = JSON.valueToTree(document.occurrenceUpdate());

        assertThat(created.at("/finding/escalates").asText()).isEqualTo("f1");
        assertThat(update.at("/finding/escalates").asText()).isEqualTo("f1");
    }

    @Test
    void aFindingThatEscalatesNothingHasNoLink() {
        JsonNode created = JSON.valueToTree(FindingDocument.of(finding(null)));

        assertThat(created.at("/finding").has("escalates")).isFalse();
    }

    @Test
    void theStrictMappingHasTheLinkAsAKeyword() {
        var finding = FindingIndex.mappings().properties().get("finding").object().properties();

        assertThat(finding.get("escalates").isKeyword()).isTrue();
    }
}
