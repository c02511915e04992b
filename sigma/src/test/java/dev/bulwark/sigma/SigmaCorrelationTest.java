package dev.bulwark.sigma;

import static dev.bulwark.sigma.SigmaTestSupport.exec;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.bulwark.schemas.SecurityEvent;

/** Correlation rules: parsing, validation against loaded rules, standalone flags and group-by keys. */
class SigmaCorrelationTest {

    private static final String BASE_RULE = """
            title: Recon command
            name: recon_cmd
            id: 0f06a3a5-6a09-413f-8743-e6cf35561297
            logsource: {product: linux, category: process_creation}
            detection:
                selection:
                    Image|endswith: ['/whoami', '/id', '/uname']
                condition: selection
            """;

    private static String correlation(String type, String rules, String extra) {
        return "title: Many recon commands\nid: c-1\nlevel: high\ncorrelation:\n    type: " + type + "\n    rules:\n"
                + Arrays.stream(rules.split(",")).map(r -> "        - " + r + "\n").reduce("", String::concat)
                + "    group-by:\n        - User\n    timespan: 10m\n" + extra;
    }

    @Test
    void shouldParseCorrelationFields() {
        ParsedRules parsed = new SigmaRuleLoader().parse("c.yml", correlation("value_count", "recon_cmd", """
                    condition:
                        field: CommandLine
                        gte: 3
                        lt: 10
                    aliases:
                        actor:
                            recon_cmd: User
                generate: true
                """.indent(0)).replace("generate: true", "    generate: true"));
        assertThat(parsed.failures()).isEmpty();
        SigmaCorrelation correlation = parsed.correlations().get(0);
        assertThat(correlation.type()).isEqualTo(SigmaCorrelation.Type.VALUE_COUNT);
        assertThat(correlation.rules()).containsExactly("recon_cmd");
        assertThat(correlation.groupBy()).containsExactly("User");
        assertThat(correlation.timespan()).isEqualTo(Duration.ofMinutes(10));
        assertThat(correlation.condition()).hasValueSatisfying(t -> {
            assertThat(t.field()).isEqualTo("CommandLine");
            assertThat(t.test(3)).isTrue();
            assertThat(t.test(10)).isFalse();
            assertThat(t.test(2)).isFalse();
        });
        assertThat(correlation.aliases()).containsEntry("actor", Map.of("recon_cmd", "User"));
        assertThat(correlation.generate()).isTrue();
    }

    @Test
    void shouldRefuseBrokenCorrelationsWithTheirLine() {
        SigmaRuleLoader loader = new SigmaRuleLoader();
        assertThat(loader.parse("c.yml", correlation("event_sum", "recon_cmd", "    condition: {gte: 1}\n"))
                .failures()).singleElement().satisfies(p -> {
                    assertThat(p.reason()).startsWith("unknown correlation type 'event_sum'");
                    assertThat(p.location().line()).isEqualTo(5);
                });
        assertThat(loader.parse("c.yml", correlation("event_count", "recon_cmd", "    condition: {gte: 1}\n")
                .replace("10m", "ten minutes")).failures().get(0).reason()).startsWith("'timespan' must be a number");
        assertThat(loader.parse("c.yml", correlation("event_count", "recon_cmd", "")).failures().get(0).reason())
                .isEqualTo("a event_count correlation needs a 'condition'");
        assertThat(loader.parse("c.yml", correlation("value_count", "recon_cmd", "    condition: {gte: 1}\n"))
                .failures().get(0).reason()).contains("needs 'field'");
        assertThat(loader.parse("c.yml", correlation("temporal", "recon_cmd", "")).failures().get(0).reason())
                .isEqualTo("a temporal correlation needs at least two rules");
    }

    @Test
    void shouldSkipCorrelationsThatReferenceUnknownRules() {
        LoadReport report = SigmaEngine.create().loadSources(Map.of(
                "base.yml", BASE_RULE,
                "c.yml", correlation("event_count", "recon_cmd,missing_rule", "    condition: {gte: 5}\n")));
        assertThat(report.loaded()).hasSize(1);
        assertThat(report.correlations()).isEmpty();
        assertThat(report.skipped()).singleElement().satisfies(p -> assertThat(p.reason())
                .isEqualTo("correlation 'Many recon commands' references unknown rule 'missing_rule' (no loaded rule "
                        + "has this id or name)"));
    }

    @Test
    void shouldHideBaseRulesUnlessTheCorrelationGeneratesThem() {
        String both = BASE_RULE + "---\n" + correlation("event_count", "recon_cmd", "    condition: {gte: 5}\n");
        LoadReport report = SigmaEngine.create().loadSources(Map.of("recon.yml", both));
        assertThat(report.skipped()).isEmpty();
        CompiledRuleSet rules = report.ruleSet();
        SecurityEvent event = exec("/usr/bin/whoami", "whoami");
        RuleMatch match = rules.match(event).get(0);
        assertThat(match.standalone()).isFalse();
        assertThat(rules.correlationsOf(match.rule())).extracting(SigmaCorrelation::key).containsExactly("c-1");
        assertThat(rules.groupKey(report.correlations().get(0), match, event)).containsExactly("root");

        String generated = both + "    generate: true\n";
        RuleMatch standalone = SigmaEngine.create().loadSources(Map.of("recon.yml", generated)).ruleSet().match(event)
                .get(0);
        assertThat(standalone.standalone()).isTrue();
    }

    @Test
    void shouldResolveAliasesInGroupKeys() {
        String yaml = BASE_RULE + "---\n" + correlation("event_count", "recon_cmd", """
                    condition: {gte: 2}
                    aliases:
                        User:
                            recon_cmd: CurrentDirectory
                """.indent(0));
        LoadReport report = SigmaEngine.create().loadSources(Map.of("a.yml", yaml));
        assertThat(report.skipped()).isEmpty();
        SecurityEvent event = exec("/usr/bin/id", "id");
        RuleMatch match = report.ruleSet().match(event).get(0);
        assertThat(report.ruleSet().groupKey(report.correlations().get(0), match, event)).isEqualTo(List.of("/"));
    }

    @Test
    void shouldParseAListOfFieldsForValueCountAndAPercentileForValuePercentile() {
        SigmaRuleLoader loader = new SigmaRuleLoader();
        ParsedRules pairs = loader.parse("c.yml", correlation("value_count", "recon_cmd",
                "    condition:\n        field: [ComputerName, WorkstationName]\n        gte: 2\n"));
        assertThat(pairs.failures()).isEmpty();
        assertThat(pairs.correlations().get(0).condition()).hasValueSatisfying(t ->
                assertThat(t.fields()).containsExactly("ComputerName", "WorkstationName"));

        ParsedRules median = loader.parse("c.yml", correlation("value_percentile", "recon_cmd",
                "    condition:\n        field: duration\n        percentile: 50\n        gt: 10\n"));
        assertThat(median.failures()).isEmpty();
        assertThat(median.correlations().get(0).condition()).hasValueSatisfying(t -> {
            assertThat(t.field()).isEqualTo("duration");
            assertThat(t.percentile()).isEqualTo(50);
        });
    }

    @Test
    void shouldRefuseAggregationsTheSpecificationLeavesWithoutMeaning() {
        SigmaRuleLoader loader = new SigmaRuleLoader();
        assertThat(loader.parse("c.yml", correlation("value_sum", "recon_cmd",
                "    condition:\n        field: [a, b]\n        gt: 1\n")).failures().get(0).reason())
                .isEqualTo("a value_sum correlation aggregates one numeric 'field', not a list");
        String withoutPercentile = correlation("value_percentile", "recon_cmd",
                "    condition:\n        field: duration\n        lte: 1\n");
        assertThat(loader.parse("c.yml", withoutPercentile).failures()).as("it parses, as the specification's example")
                .isEmpty();
        assertThat(SigmaEngine.create().loadSources(Map.of("base.yml", BASE_RULE, "c.yml", withoutPercentile))
                .skipped()).singleElement().satisfies(p -> assertThat(p.reason())
                .startsWith("a value_percentile correlation needs 'percentile' (0 to 100) in its condition to be "
                        + "evaluated"));
        assertThat(loader.parse("c.yml", correlation("value_percentile", "recon_cmd",
                "    condition:\n        field: duration\n        percentile: 101\n        lte: 1\n"))
                .failures().get(0).reason()).startsWith("'percentile' must be a whole number from 0 to 100");
        assertThat(loader.parse("c.yml", correlation("value_avg", "recon_cmd",
                "    condition:\n        field: duration\n        percentile: 50\n        lte: 1\n"))
                .failures().get(0).reason()).isEqualTo("'percentile' only applies to value_percentile correlations");
        assertThat(loader.parse("c.yml", correlation("value_count", "recon_cmd",
                "    condition:\n        field: []\n        gte: 1\n")).failures().get(0).reason())
                .contains("needs 'field'");
    }

    static String named(String name, String type, String rules, String groupBy, String condition) {
        return "title: " + name + "\nname: " + name + "\ncorrelation:\n    type: " + type + "\n    rules: [" + rules
                + "]\n    group-by: [" + groupBy + "]\n    timespan: 10m\n" + condition;
    }

    @Test
    void shouldRejectCorrelationsThatReferenceThemselvesThroughAChain() {
        LoadReport report = SigmaEngine.create().loadSources(Map.of("base.yml", BASE_RULE, "c.yml",
                named("outer", "temporal", "inner, recon_cmd", "User", "") + "\n---\n"
                        + named("inner", "event_count", "outer", "User", "    condition: {gte: 2}\n") + "\n---\n"
                        + named("self", "event_count", "self", "User", "    condition: {gte: 2}\n")));
        assertThat(report.correlations()).isEmpty();
        assertThat(report.skipped()).extracting(RuleProblem::reason).containsExactlyInAnyOrder(
                "correlation 'outer' is part of a cycle of correlations: outer -> inner -> outer",
                "correlation 'inner' is part of a cycle of correlations: inner -> outer -> inner",
                "correlation 'self' is part of a cycle of correlations: self -> self");
    }

    @Test
    void shouldAcceptAChainWhoseGroupByTheReferencedCorrelationCarries() {
        LoadReport report = SigmaEngine.create().loadSources(Map.of("base.yml", BASE_RULE, "c.yml",
                named("outer", "event_count", "inner", "User", "    condition: {gte: 2}\n") + "\n---\n"
                        + named("inner", "event_count", "recon_cmd", "User, CurrentDirectory",
                                "    condition: {gte: 2}\n")));
        assertThat(report.skipped()).isEmpty();
        assertThat(report.correlations()).extracting(SigmaCorrelation::key).containsExactlyInAnyOrder("outer",
                "inner");
    }

    @Test
    void shouldRejectAChainWhoseGroupByTheReferencedCorrelationDoesNotCarry() {
        LoadReport report = SigmaEngine.create().loadSources(Map.of("base.yml", BASE_RULE, "c.yml",
                named("outer", "event_count", "inner", "User, CurrentDirectory", "    condition: {gte: 2}\n")
                        + "\n---\n" + named("inner", "event_count", "recon_cmd", "User", "    condition: {gte: 2}\n")));
        assertThat(report.correlations()).extracting(SigmaCorrelation::key).containsExactly("inner");
        assertThat(report.skipped()).singleElement().satisfies(p -> assertThat(p.reason()).isEqualTo(
                "correlation 'outer' groups by 'CurrentDirectory', which the referenced correlation 'inner' does not "
                        + "group by (a firing of a correlation carries only its own group-by values; add it there "
                        + "or alias it)"));
    }

    @Test
    void shouldRejectAChainOverACorrelationThatIsItselfRejected() {
        LoadReport report = SigmaEngine.create().loadSources(Map.of("base.yml", BASE_RULE, "c.yml",
                named("outer", "event_count", "inner", "User", "    condition: {gte: 2}\n") + "\n---\n"
                        + named("inner", "event_count", "recon_cmd, missing", "User", "    condition: {gte: 2}\n")));
        assertThat(report.correlations()).isEmpty();
        assertThat(report.skipped()).extracting(RuleProblem::reason).containsExactlyInAnyOrder(
                "correlation 'inner' references unknown rule 'missing' (no loaded rule has this id or name)",
                "correlation 'outer' references correlation 'inner', which is not loaded");
    }
}
