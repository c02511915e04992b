package dev.bulwark.cli;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import dev.bulwark.schemas.RuleOverride;
import dev.bulwark.sigma.SigmaEngine;

class OverrideChecksTest {

    private static final String FILTER = """
            title: probes
            logsource: {product: linux, category: process_creation}
            filter:
                rules: [whoami_run]
                probe:
                    CommandLine|contains: '--healthcheck'
                condition: not probe
            """;

    private final SigmaEngine engine = SigmaEngine.create();

    private static RuleOverride override(String target, String exception, Long threshold) {
        return RuleOverride.newBuilder().setTenant("acme").setTarget(target).setException(exception)
                .setThreshold(threshold).build();
    }

    @Test
    void acceptsAFilterDocumentOnASigmaRuleOrTheDetectorAndAThresholdOnACorrelation() {
        assertThatCode(() -> OverrideChecks.check(engine, override("whoami_run", FILTER, null))).doesNotThrowAnyException();
        assertThatCode(() -> OverrideChecks.check(engine, override("sigma", FILTER, null))).doesNotThrowAnyException();
        assertThatCode(() -> OverrideChecks.check(engine, override("corr-1", null, 20L))).doesNotThrowAnyException();
    }

    @Test
    void refusesWhatTheDetectorsCouldNotApplySayingWhy() {
        assertThatThrownBy(() -> OverrideChecks.check(engine, override("whoami_run", "filter: [broken", null)))
                .hasMessageContaining("not a Sigma filter document the detectors can apply");
        assertThatThrownBy(() -> OverrideChecks.check(engine, override("whoami_run", """
                title: a rule, not a filter
                logsource: {product: linux, category: process_creation}
                detection: {sel: {Image: /x}, condition: sel}
                """, null))).hasMessageContaining("one Sigma filter document");
        assertThatThrownBy(() -> OverrideChecks.check(engine, override("bulwark.container.interactive_shell", FILTER,
                null))).hasMessageContaining("built-in detector or rule");
        assertThatThrownBy(() -> OverrideChecks.check(engine, override("cross-tenant-access", FILTER, null)))
                .hasMessageContaining("built-in detector or rule");
        assertThatThrownBy(() -> OverrideChecks.check(engine, override("whoami_run", "#".repeat(20_000), null)))
                .hasMessageContaining("at most");
        assertThatThrownBy(() -> OverrideChecks.check(engine, override("corr-1", null, 0L)))
                .hasMessageContaining("from 1 to");
        assertThatThrownBy(() -> OverrideChecks.check(engine, override("sigma", null, 5L)))
                .hasMessageContaining("correlation");
    }
}
