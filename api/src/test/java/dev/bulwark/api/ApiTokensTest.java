package dev.bulwark.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

class ApiTokensTest {

    private static final String SOC = "soc-token-0123456789abcdef";
    private static final String ACME = "acme-token-0123456789abcdef";

    @Test
    void shouldMapTokensFromTheEnvironmentToPrincipals() {
        ApiTokens tokens = ApiTokens.of(ApiTokens.parseEnvironment(SOC + "=soc@alice, " + ACME + "=tenant:acme"));
        assertThat(tokens.authenticate("Bearer " + SOC)).hasValueSatisfying(p -> {
            assertThat(p.isSoc()).isTrue();
            assertThat(p.name()).isEqualTo("alice");
        });
        assertThat(tokens.authenticate("bearer " + ACME)).hasValueSatisfying(p -> {
            assertThat(p.tenant()).isEqualTo("acme");
            assertThat(p.name()).startsWith("acme#");
            assertThat(p.name()).doesNotContain(ACME.substring(0, 6));
            assertThat(p.mayTriage()).isFalse();
        });
    }

    @Test
    void shouldRefuseMissingMalformedAndUnknownCredentials() {
        ApiTokens tokens = ApiTokens.of(List.of(new ApiTokens.Entry(SOC, "soc", null)));
        assertThat(tokens.authenticate(null)).isEmpty();
        assertThat(tokens.authenticate("")).isEmpty();
        assertThat(tokens.authenticate(SOC)).isEmpty();
        assertThat(tokens.authenticate("Basic " + SOC)).isEmpty();
        assertThat(tokens.authenticate("Bearer " + SOC + "x")).isEmpty();
        assertThat(tokens.authenticate("Bearer " + SOC.substring(1))).isEmpty();
        assertThat(tokens.authenticate("Bearer " + "x".repeat(5000))).isEmpty();
    }

    @Test
    void shouldRejectWeakOrAmbiguousConfiguration() {
        assertThatThrownBy(() -> ApiTokens.of(ApiTokens.parseEnvironment("short=soc"))).hasMessageContaining("at least 16");
        assertThatThrownBy(() -> ApiTokens.of(ApiTokens.parseEnvironment(SOC + "=admin"))).hasMessageContaining("roles are soc");
        assertThatThrownBy(() -> ApiTokens.of(ApiTokens.parseEnvironment(SOC + "=tenant:*"))).hasMessageContaining("tenant names");
        assertThatThrownBy(() -> ApiTokens.of(ApiTokens.parseEnvironment(SOC + "=soc," + SOC + "=tenant:acme")))
                .hasMessageContaining("configured twice");
        assertThatThrownBy(() -> ApiTokens.parseEnvironment("nothing")).hasMessageContaining("token=soc");
        // Messages never contain the token itself.
        assertThatThrownBy(() -> ApiTokens.of(ApiTokens.parseEnvironment(SOC + "=root"))).message().doesNotContain(SOC);
    }
}
