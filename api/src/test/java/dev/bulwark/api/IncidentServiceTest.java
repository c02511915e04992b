package dev.bulwark.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.bulwark.sink.IncidentIndex;

/** What a tenant's {@code finding=} filter may confirm: only findings of its own cut of the incident. */
class IncidentServiceTest {

    @Test
    @SuppressWarnings("unchecked")
    void aTenantCannotConfirmAnotherTenantsFindingIsInAnIncidentItsPartOf() throws Exception {
        ObjectMapper json = new ObjectMapper();
        Map<String, Object> doc = json.readValue(json.writeValueAsString(IncidentIndex.document(
                ApiFixture.crossTenantIncident(1_000_000L, 4))), Map.class);
        Principal acme = Principal.tenant("acme-viewer", "acme");
        assertThat(IncidentService.shows(acme, doc, "i-shell")).as("its own finding").isTrue();
        assertThat(IncidentService.shows(acme, doc, "i-connect")).as("the connection it took part in").isTrue();
        assertThat(IncidentService.shows(acme, doc, "i-globex-own")).as("globex's own finding").isFalse();
        assertThat(IncidentService.shows(Principal.tenant("x", "initech"), doc, "i-shell")).as("not its incident")
                .isFalse();
        assertThat(IncidentService.shows(Principal.soc("alice"), doc, "i-globex-own")).isTrue();
    }
}
