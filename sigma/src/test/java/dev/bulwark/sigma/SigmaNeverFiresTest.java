package dev.bulwark.sigma;

import static dev.bulwark.sigma.SigmaTestSupport.exec;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * A rule that can never fire must not load as valid: it would publish, count as loaded and stay silent. Refused with
 * the reason; an unmapped field the condition does not need stays a warning.
 */
class SigmaNeverFiresTest {

    private final SigmaEngine engine = SigmaEngine.create();

    private LoadReport load(String detection) {
        return engine.loadSources(Map.of("rule.yml", SigmaTestSupport.processRule(detection)));
    }

    private RuleProblem refused(String detection) {
        LoadReport report = load(detection);
        assertThat(report.loaded()).as("loaded rules").isEmpty();
        assertThat(report.skipped()).as("refused rules").hasSize(1);
        return report.skipped().get(0);
    }

    // ---------------------------------------------------------------- fieldref

    @Test
    void aFieldrefNamingAWildcardFieldIsRefused() {
        RuleProblem problem = refused("""
                selection:
                    Image|fieldref: 'Parent*'
                condition: selection
                """);
        assertThat(problem.reason()).contains("'Image|fieldref'").contains("'Parent*'").contains("wildcard");
        assertThat(problem.location().line()).isEqualTo(10);
    }

    @Test
    void aFieldrefNamingAWildcardFieldIsRefusedEvenWhereTheConditionDoesNotNeedIt() {
        RuleProblem problem = refused("""
                selection:
                    Image|endswith: '/sh'
                filter:
                    CommandLine|fieldref|contains: 'Parent?mage'
                condition: selection and not filter
                """);
        assertThat(problem.reason()).contains("'Parent?mage'").contains("wildcard");
    }

    @Test
    void aRuleThatNeedsAFieldrefToAnUnmappedFieldCanNeverFire() {
        RuleProblem problem = refused("""
                selection:
                    Image|endswith: '/sh'
                    CommandLine|fieldref|contains: ParentImageName
                condition: selection
                """);
        assertThat(problem.reason()).startsWith("the rule can never fire:")
                .contains("field 'ParentImageName'").contains("not mapped");
    }

    // ---------------------------------------------------------------- quantifiers

    @Test
    void aQuantifierNeedingMoreIdentifiersThanItCoversIsRefused() {
        RuleProblem problem = refused("""
                selection_a:
                    Image|endswith: '/nc'
                selection_b:
                    CommandLine|contains: ' -e '
                condition: 3 of selection_*
                """);
        assertThat(problem.reason()).contains("'3 of selection_*'").contains("never true")
                .contains("covers 2 (selection_a, selection_b)");
        assertThat(refused("""
                selection:
                    Image|endswith: '/nc'
                _helper:
                    CommandLine|contains: ' -e '
                condition: 2 of them
                """).reason()).as("'them' skips identifiers starting with _").contains("covers 1 (selection)");
        assertThat(load("""
                selection_a:
                    Image|endswith: '/nc'
                selection_b:
                    CommandLine|contains: ' -e '
                condition: 2 of selection_*
                """).skipped()).isEmpty();
    }

    // ---------------------------------------------------------------- fields the mapping does not have

    @Test
    void aRuleWhoseConditionNeedsAnUnmappedFieldCanNeverFire() {
        RuleProblem problem = refused("""
                selection:
                    Image|endswith: '/nc'
                    IntegrityLevel: 'High'
                condition: selection
                """);
        assertThat(problem.reason()).isEqualTo("the rule can never fire: field 'IntegrityLevel' is not mapped for "
                + "logsource 'linux_process_creation' (product=linux category=process_creation), so it is always "
                + "absent, and then the condition is never true (map it under 'logsources' in the field mapping)");
        assertThat(problem.location().line()).isEqualTo(11);
        assertThat(problem.rule()).isEqualTo("test-rule");
    }

    @Test
    void theConditionIsDecidedAsAWhole() {
        assertThat(refused("""
                selection_a:
                    IntegrityLevel: 'High'
                selection_b:
                    Signed: 'false'
                condition: 1 of selection_*
                """).reason()).contains("'IntegrityLevel'").contains("'Signed'");
        assertThat(refused("""
                selection:
                    Image|endswith: '/nc'
                filter:
                    IntegrityLevel: null
                condition: selection and not filter
                """).reason()).as("null on an absent field is always true, so 'not filter' never is")
                .contains("'IntegrityLevel'");
        assertThat(refused("""
                selection:
                    Image|endswith: '/nc'
                    IntegrityLevel|exists: true
                condition: selection
                """).reason()).contains("'IntegrityLevel'");
        assertThat(refused("""
                selection:
                    - IntegrityLevel: 'High'
                    - Signed: 'false'
                condition: selection
                """).reason()).contains("'IntegrityLevel'").contains("'Signed'");
        assertThat(refused("""
                selection:
                    IntegrityLevel: 'High'
                tool:
                    Image|endswith: '/nc'
                condition: all of them
                """).reason()).contains("'IntegrityLevel'");
    }

    @Test
    void unmappedFieldsThatTheConditionDoesNotNeedLoadWithAWarning() {
        for (String detection : new String[] {
                "selection:\n    Image|endswith: '/nc'\nfilter:\n    IntegrityLevel: 'High'\n"
                        + "condition: selection and not filter\n",
                "selection_a:\n    Image|endswith: '/nc'\nselection_b:\n    IntegrityLevel: 'High'\n"
                        + "condition: 1 of selection_*\n",
                "selection:\n    - Image|endswith: '/nc'\n    - IntegrityLevel: 'High'\ncondition: selection\n",
                "selection:\n    Image|endswith: '/nc'\n    IntegrityLevel: null\ncondition: selection\n",
                "selection:\n    Image|endswith: '/nc'\n    IntegrityLevel|neq: 'High'\ncondition: selection\n",
                "selection:\n    Image|endswith: '/nc'\n    IntegrityLevel|exists: false\ncondition: selection\n",
        }) {
            LoadReport report = load(detection);
            assertThat(report.skipped()).as(detection).isEmpty();
            assertThat(report.warnings()).as(detection).singleElement()
                    .satisfies(w -> assertThat(w.reason()).contains("field 'IntegrityLevel' is not mapped"));
            assertThat(report.ruleSet().match(exec("/bin/nc", "nc -l"))).as(detection).hasSize(1);
        }
    }
}
