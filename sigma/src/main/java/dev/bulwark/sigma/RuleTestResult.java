package dev.bulwark.sigma;

/**
 * The outcome of one rule test case.
 *
 * <p>Why: {@code bulwark rules test DIR} prints one line per case, like a test runner: rule, case, pass or fail and
 * the reason.
 *
 * @param location where the case is (test file and line)
 * @param rule the rule's key (id, name or location), or null when the rule file did not load
 * @param name the case's name ({@code name:}, else {@code match[0]}, {@code no_match[2]}, ...)
 * @param expectMatch true for a {@code match:} case, false for a {@code no_match:} case
 * @param passed whether the rule behaved as expected
 * @param reason why it failed (or, when it passed, what matched); never null
 */
public record RuleTestResult(SourceLocation location, String rule, String name, boolean expectMatch, boolean passed,
                             String reason) {

    /** {@code PASS|FAIL rule case: reason}. */
    @Override
    public String toString() {
        return (passed ? "PASS " : "FAIL ") + (rule == null ? "?" : rule) + " " + name + " (" + location + "): " + reason;
    }
}
