package dev.bulwark.sigma;

import java.util.List;

/**
 * Every rule test case run by {@link RuleTestRunner}, and the rule files without tests.
 *
 * <p>Why: the data a CLI prints and turns into an exit code.
 *
 * @param results one per test case, in file order
 * @param untested rule files that have no test file beside them
 */
public record RuleTestReport(List<RuleTestResult> results, List<String> untested) {

    public RuleTestReport {
        results = List.copyOf(results);
        untested = List.copyOf(untested);
    }

    /** How many cases passed. */
    public long passed() {
        return results.stream().filter(RuleTestResult::passed).count();
    }

    /** How many cases failed. */
    public long failed() {
        return results.size() - passed();
    }

    /** True when there was at least one case and none failed. */
    public boolean ok() {
        return !results.isEmpty() && failed() == 0;
    }
}
