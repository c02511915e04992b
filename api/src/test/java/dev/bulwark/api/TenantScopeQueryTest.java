package dev.bulwark.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.StringWriter;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import co.elastic.clients.elasticsearch._types.query_dsl.Query;
import co.elastic.clients.json.jackson.JacksonJsonpMapper;
import dev.bulwark.sink.FindingFilter;

/** The queries the API builds: the principal's scope is a structured term filter, user text never touches it. */
class TenantScopeQueryTest {

    private static JsonNode json(Query query) throws Exception {
        JacksonJsonpMapper mapper = new JacksonJsonpMapper();
        StringWriter out = new StringWriter();
        try (var generator = mapper.jsonProvider().createGenerator(out)) {
            query.serialize(generator, mapper);
        }
        return new ObjectMapper().readTree(out.toString());
    }

    @Test
    void aTenantPrincipalsScopeIsATermFilterOnTheTenantName() throws Exception {
        JsonNode scope = json(Principal.tenant("bob", "acme").scope());
        assertThat(scope.at("/term/tenant.name/value").asText()).isEqualTo("acme");
        assertThat(Principal.soc("alice").scope()).isNull();
    }

    @Test
    void userTextGoesIntoSimpleQueryStringOnFixedFieldsBesideTheFilters() throws Exception {
        String hostile = "tenant.name:globex OR * \"}}],\"should\":[{\"match_all\":{}}]";
        JsonNode query = json(new FindingFilter("acme", List.of(), null, null, null, null, null, null, hostile,
                List.of(), false).query());
        assertThat(query.at("/bool/filter/0/term/tenant.name/value").asText()).isEqualTo("acme");
        JsonNode text = query.at("/bool/must/0/simple_query_string");
        assertThat(text.get("query").asText()).isEqualTo(hostile);
        assertThat(text.get("default_operator").asText()).isEqualToIgnoringCase("and");
        List<String> fields = new ObjectMapper().convertValue(text.get("fields"),
                new com.fasterxml.jackson.core.type.TypeReference<List<String>>() { });
        assertThat(fields).isNotEmpty().noneMatch(f -> f.startsWith("tenant"));
        assertThat(text.get("flags").asText()).doesNotContain("ALL");
        assertThat(query.at("/bool/should").isMissingNode()).isTrue();
    }

    @Test
    void invalidTenantNamesCannotBecomePrincipalsOrAliasNames() {
        for (String bad : List.of("*", "acme,globex", "Acme", "-acme", "acme/x", "", "a".repeat(64), "acme..x")) {
            assertThatThrownBy(() -> Principal.tenant("x", bad)).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
