package dev.bulwark.sigma;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ShadowModeTest {

    private final SigmaRuleLoader loader = new SigmaRuleLoader();

    private static final String CORRELATION_WITH_RULE = """
            # Licence note stays
            title: Many whoami
            id: corr-x
            correlation:
                type: event_count
                rules: [whoami_run]
                group-by: [User]
                timespan: 1m
                condition: {gte: 3}
            ---
            title: Whoami run
            name: whoami_run
            logsource: {product: linux, category: process_creation}
            detection:
                selection:
                    Image|endswith: /whoami
                condition: selection
            """;

    @Test
    void markingPutsEveryDocumentInShadowModeAndUnmarkingGivesBackTheAuthorsText() {
        String marked = ShadowMode.mark(CORRELATION_WITH_RULE);
        ParsedRules parsed = loader.parse("x.yml", marked);
        assertThat(parsed.failures()).isEmpty();
        assertThat(parsed.rules()).singleElement().satisfies(r -> assertThat(r.shadow()).isTrue());
        assertThat(parsed.correlations()).singleElement().satisfies(c -> assertThat(c.shadow()).isTrue());
        assertThat(ShadowMode.allShadow(parsed)).isTrue();
        assertThat(marked).startsWith("# Licence note stays\nshadow: true\ntitle: Many whoami");
        assertThat(ShadowMode.mark(marked)).as("idempotent").isEqualTo(marked);

        String promoted = ShadowMode.unmark(marked);
        assertThat(promoted).isEqualTo(CORRELATION_WITH_RULE);
        assertThat(ShadowMode.anyShadow(loader.parse("x.yml", promoted))).isFalse();
    }

    @Test
    void theAttributeIsABooleanAndDefaultsToLive() {
        assertThat(loader.parse("x.yml", SigmaDetectorTest.WHOAMI).rules().get(0).shadow()).isFalse();
        assertThat(loader.parse("x.yml", "shadow: false\n" + SigmaDetectorTest.WHOAMI).rules().get(0).shadow()).isFalse();
        ParsedRules bad = loader.parse("x.yml", "shadow: maybe\n" + SigmaDetectorTest.WHOAMI);
        assertThat(bad.rules()).isEmpty();
        assertThat(bad.failures()).singleElement().satisfies(p ->
                assertThat(p.toString()).contains("x.yml:1", "'shadow' must be true or false, not 'maybe'"));
    }

    @Test
    void aShadowRuleMarksTheCorrelationsThatCountItDownAChain() {
        String chain = """
                title: outer
                id: outer
                correlation: {type: event_count, rules: [inner], timespan: 1h, condition: {gte: 2}}
                """;
        String inner = """
                title: inner
                id: inner
                correlation: {type: event_count, rules: [whoami_run], group-by: [User], timespan: 1m, condition: {gte: 3}}
                """;
        SigmaEngine engine = SigmaEngine.create();
        CompiledRuleSet live = engine.loadSources(java.util.Map.of("w.yml", SigmaDetectorTest.WHOAMI, "i.yml", inner,
                "o.yml", chain)).ruleSet();
        assertThat(live.correlations()).noneMatch(SigmaCorrelation::shadow);
        CompiledRuleSet shadowed = engine.loadSources(java.util.Map.of("w.yml", ShadowMode.mark(SigmaDetectorTest.WHOAMI),
                "i.yml", inner, "o.yml", chain)).ruleSet();
        assertThat(shadowed.correlations()).hasSize(2).allMatch(SigmaCorrelation::shadow);
    }

    @Test
    void aFlowStyleDocumentDoesNotParseBackAsShadowSoCallersRefuseIt() {
        String flow = "{title: t, logsource: {product: linux}, detection: {s: {Image: x}, condition: s}}\n";
        ParsedRules parsed = loader.parse("f.yml", ShadowMode.mark(flow));
        assertThat(!parsed.failures().isEmpty() || !ShadowMode.allShadow(parsed)).isTrue();
    }
}
