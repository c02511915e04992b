package dev.bulwark.sigma;

import static dev.bulwark.sigma.SigmaTestSupport.exec;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;

/** Structural properties of compiled rule sets: prefiltering, routing, updates and thread safety. */
class SigmaRuleSetTest {

    private final SigmaEngine engine = SigmaEngine.create();

    /** 200 rules: a third exact on Image, a third contains on CommandLine, a third endswith + contains|all. */
    private static Map<String, String> syntheticRules() {
        Map<String, String> sources = new LinkedHashMap<>();
        for (int i = 0; i < 200; i++) {
            String detection = switch (i % 3) {
                case 0 -> "selection:\n    Image: '/opt/tool" + i + "/bin/run'\ncondition: selection\n";
                case 1 -> "selection:\n    CommandLine|contains: '--secret-flag-" + i + "'\ncondition: selection\n";
                default -> "selection:\n    Image|endswith: '/agent" + i + "'\n    CommandLine|contains|all: ['--mode', "
                        + "'beta" + i + "']\nfilter:\n    User: 'svc'\ncondition: selection and not filter\n";
            };
            sources.put("rule" + i + ".yml", SigmaTestSupport.processRule(detection).replace("id: test-rule", "id: r" + i));
        }
        return sources;
    }

    @Test
    void shouldEvaluateNoRuleForAnEventThatMatchesNone() {
        LoadReport report = engine.loadSources(syntheticRules());
        assertThat(report.skipped()).isEmpty();
        CompiledRuleSet rules = report.ruleSet();
        assertThat(rules.unfilteredRules()).containsEntry("linux_process_creation", 0);

        for (int i = 0; i < 50; i++) {
            assertThat(rules.match(exec("/usr/bin/ls", "ls -la /tmp/run" + i))).isEmpty();
        }
        assertThat(rules.stats().events()).isEqualTo(50);
        assertThat(rules.stats().evaluations()).isZero();
    }

    @Test
    void shouldEvaluateOnlyTheRulesWhoseLiteralsAreInTheEvent() {
        CompiledRuleSet rules = engine.loadSources(syntheticRules()).ruleSet();
        assertThat(rules.match(exec("/opt/tool3/bin/run", "run"))).extracting(m -> m.rule().id()).containsExactly("r3");
        assertThat(rules.match(exec("/usr/bin/x", "x --secret-flag-7 on"))).extracting(m -> m.rule().id())
                .containsExactly("r7");
        assertThat(rules.match(exec("/srv/agent5", "agent --mode=fast beta5"))).extracting(m -> m.rule().id())
                .containsExactly("r5");
        // "--secret-flag-7" also contains no other rule's literal: three matches, three evaluations.
        assertThat(rules.stats().evaluations()).isEqualTo(3);
    }

    @Test
    void shouldAlwaysEvaluateRulesThatCannotBePrefiltered() {
        Map<String, String> sources = new LinkedHashMap<>(syntheticRules());
        sources.put("negation.yml", SigmaTestSupport.processRule("""
                filter:
                    User: 'root'
                condition: not filter
                """).replace("id: test-rule", "id: only-negation"));
        sources.put("regex.yml", SigmaTestSupport.processRule("""
                selection:
                    CommandLine|re: '^x{3}$'
                condition: selection
                """).replace("id: test-rule", "id: only-regex"));
        CompiledRuleSet rules = engine.loadSources(sources).ruleSet();
        assertThat(rules.unfilteredRules()).containsEntry("linux_process_creation", 2);
        assertThat(rules.match(exec("/usr/bin/ls", "ls"))).isEmpty();
        assertThat(rules.stats().evaluations()).isEqualTo(2);
    }

    @Test
    void shouldOnlyEvaluateRulesOfTheEventsLogsources() {
        Map<String, String> sources = new LinkedHashMap<>();
        sources.put("net.yml", SigmaTestSupport.rule(SigmaTestSupport.NETWORK_CONNECTION, """
                selection:
                    DestinationPort|gt: 0
                condition: selection
                """));
        CompiledRuleSet rules = engine.loadSources(sources).ruleSet();
        assertThat(rules.unfilteredRules()).containsEntry("linux_network_connection", 1);
        assertThat(rules.match(exec("/usr/bin/ls", "ls"))).isEmpty();
        assertThat(rules.stats().evaluations()).isZero();
        assertThat(rules.match(SigmaTestSupport.connect("/bin/x", "192.0.2.1", 80))).hasSize(1);
    }

    @Test
    void shouldAddReplaceAndDeleteRulesById() throws SigmaRuleException {
        CompiledRuleSet empty = engine.emptyRuleSet();
        SigmaRuleLoader loader = engine.loader();
        CompiledRule v1 = engine.compile(loader.parseRule("topic/r", SigmaTestSupport.processRule("""
                selection: {Image|endswith: '/nc'}
                condition: selection
                """)));
        CompiledRule v2 = engine.compile(loader.parseRule("topic/r", SigmaTestSupport.processRule("""
                selection: {Image|endswith: '/ncat'}
                condition: selection
                """)));
        CompiledRuleSet one = empty.with(v1);
        CompiledRuleSet replaced = one.with(v2);
        CompiledRuleSet deleted = replaced.without("test-rule");

        assertThat(one.match(exec("/bin/nc", "nc"))).hasSize(1);
        assertThat(replaced.rules()).hasSize(1);
        assertThat(replaced.match(exec("/bin/nc", "nc"))).isEmpty();
        assertThat(replaced.match(exec("/bin/ncat", "ncat"))).hasSize(1);
        assertThat(deleted.rules()).isEmpty();
        assertThat(deleted.match(exec("/bin/ncat", "ncat"))).isEmpty();
        assertThat(one.match(exec("/bin/nc", "nc"))).as("old sets are unchanged").hasSize(1);
        assertThat(deleted.without("absent")).isSameAs(deleted);
    }

    @Test
    void shouldMatchFromManyThreads() throws Exception {
        CompiledRuleSet rules = engine.loadSources(syntheticRules()).ruleSet();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                results.add(pool.submit(() -> {
                    int found = 0;
                    for (int i = 0; i < 300; i++) {
                        found += rules.match(exec("/opt/tool" + (i % 200) + "/bin/run", "run")).size();
                    }
                    return found;
                }));
            }
            for (Future<Integer> result : results) {
                assertThat(result.get()).isEqualTo(101);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(rules.stats().matches()).isEqualTo(4 * 101);
    }
}
