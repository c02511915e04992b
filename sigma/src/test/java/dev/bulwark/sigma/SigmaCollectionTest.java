package dev.bulwark.sigma;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Multi-document rule files: Sigma 1 collections with action global, repeat and reset. */
class SigmaCollectionTest {

    private final SigmaRuleLoader loader = new SigmaRuleLoader();

    @Test
    void shouldMergeGlobalIntoEachFollowingDocumentAndRepeatThePrevious() {
        ParsedRules parsed = loader.parse("collection.yml", """
                action: global
                author: Example Author
                level: high
                logsource:
                    product: linux
                    category: process_creation
                detection:
                    condition: selection
                ---
                title: Netcat
                id: c-nc
                detection:
                    selection:
                        Image|endswith: '/nc'
                ---
                action: repeat
                title: Ncat
                id: c-ncat
                detection:
                    selection:
                        Image|endswith: '/ncat'
                ---
                action: reset
                ---
                title: Without global
                id: c-plain
                logsource: {product: linux, category: file_event}
                detection:
                    selection: {TargetFilename|startswith: '/etc/cron.d/'}
                    condition: selection
                """);
        assertThat(parsed.failures()).isEmpty();
        assertThat(parsed.rules()).extracting(SigmaRule::id).containsExactly("c-nc", "c-ncat", "c-plain");
        SigmaRule ncat = parsed.rules().get(1);
        assertThat(ncat.author()).isEqualTo("Example Author");
        assertThat(ncat.level()).isEqualTo("high");
        assertThat(ncat.logsource().category()).isEqualTo("process_creation");
        assertThat(ncat.detection().searches().get("selection").alternatives().get(0).get(0).values().get(0).value())
                .isEqualTo("/ncat");
        assertThat(parsed.rules().get(2).author()).isNull();
        assertThat(parsed.rules().get(2).location().line()).isEqualTo(25);
    }

    @Test
    void shouldRejectUnknownActionsAndInvalidFilterDocumentsWithReasons() {
        ParsedRules parsed = loader.parse("odd.yml", """
                action: merge
                title: x
                ---
                title: Global filter
                logsource: {product: linux, category: process_creation}
                filter:
                    rules: c-nc
                    selection: {User: adm_x}
                    condition: not selection
                """);
        assertThat(parsed.failures()).extracting(RuleProblem::reason).containsExactly(
                "unknown action 'merge' (known: global, reset, repeat)",
                "'rules' must be a list of rule ids or names, not a string");
        assertThat(parsed.failures().get(1).location().line()).isEqualTo(7);
    }

    @Test
    void shouldLoadCorrelationAndBaseRulesFromOneFile() {
        LoadReport report = SigmaEngine.create().loadSources(java.util.Map.of("chain.yml", """
                title: Recon A
                name: recon_a
                logsource: {product: linux, category: process_creation}
                detection: {selection: {Image|endswith: '/whoami'}, condition: selection}
                ---
                title: Recon B
                name: recon_b
                logsource: {product: linux, category: process_creation}
                detection: {selection: {Image|endswith: '/id'}, condition: selection}
                ---
                title: Recon sequence
                name: recon_seq
                correlation:
                    type: temporal_ordered
                    rules: [recon_a, recon_b]
                    group-by: [User]
                    timespan: 5m
                ---
                title: Many recon sequences
                correlation:
                    type: event_count
                    rules: [recon_seq]
                    group-by: [User]
                    timespan: 1h
                    condition: {gte: 3}
                """));
        assertThat(report.skipped()).isEmpty();
        assertThat(report.loaded()).extracting(SigmaRule::key).containsExactly("recon_a", "recon_b");
        assertThat(report.correlations()).extracting(SigmaCorrelation::key).containsExactly("recon_seq",
                "chain.yml:19:1");
    }
}
