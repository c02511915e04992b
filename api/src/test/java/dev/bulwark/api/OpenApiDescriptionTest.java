package dev.bulwark.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The served OpenAPI description matches what the server accepts. */
class OpenApiDescriptionTest {

    @Test
    void describesEveryEndpointAndEverySearchParameter() throws Exception {
        JsonNode spec;
        try (var in = ApiServer.class.getResourceAsStream("openapi.json")) {
            spec = new ObjectMapper().readTree(in);
        }
        assertThat(spec.get("openapi").asText()).startsWith("3.");
        assertThat(spec.at("/paths/~1api~1findings/get").isObject()).isTrue();
        assertThat(spec.at("/paths/~1api~1findings~1{id}/get").isObject()).isTrue();
        assertThat(spec.at("/paths/~1api~1findings~1{id}/patch").isObject()).isTrue();
        assertThat(spec.at("/paths/~1api~1stats/get").isObject()).isTrue();
        assertThat(spec.at("/paths/~1api~1incidents/get").isObject()).isTrue();
        assertThat(spec.at("/paths/~1api~1incidents~1{id}/patch").isObject()).isTrue();
        assertThat(spec.at("/components/schemas/Incident/properties/hidden_findings").isObject()).isTrue();
        assertThat(spec.at("/paths/~1api~1entities/get/parameters/0/name").asText()).isEqualTo("sort");
        assertThat(spec.at("/paths/~1api~1compliance/get/parameters/0/name").asText()).isEqualTo("framework");
        for (String operation : new String[] {"~1auth~1config/get", "~1auth~1login/get", "~1auth~1callback/get",
                "~1auth~1logout/post"}) {
            assertThat(spec.at("/paths/" + operation).isObject()).as(operation).isTrue();
        }
        assertThat(spec.at("/paths/~1api~1whoami/get/responses/200/content/application~1json/schema/properties/session")
                .isObject()).isTrue();
        assertThat(names(spec, spec.at("/paths/~1api~1findings/get/parameters")))
                .containsExactlyInAnyOrderElementsOf(FindingsService.SEARCH_PARAMS);
        assertThat(names(spec, spec.at("/paths/~1api~1stats/get/parameters")))
                .containsExactlyInAnyOrderElementsOf(FindingsService.STATS_PARAMS);
        assertThat(spec.at("/components/schemas/TriageChange/properties/status/enum").toString())
                .contains("open", "acknowledged", "resolved", "false_positive");
    }

    private static List<String> names(JsonNode spec, JsonNode parameters) {
        List<String> names = new ArrayList<>();
        for (JsonNode p : parameters) {
            JsonNode resolved = p.has("$ref") ? spec.at(p.get("$ref").asText().substring(1)) : p;
            names.add(resolved.get("name").asText());
        }
        return names;
    }
}
