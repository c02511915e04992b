package dev.bulwark.sigma;

/**
 * A rule that was skipped, or a warning about a rule that was loaded: where, which rule, and why.
 *
 * <p>Why: loading never stops at the first bad rule; the report lists each problem so an operator (or
 * {@code bulwark rules test}) can print them all.
 *
 * @param location where the problem is
 * @param rule the rule's id or title when known, else null
 * @param reason what is wrong
 */
public record RuleProblem(SourceLocation location, String rule, String reason) {

    static RuleProblem of(SigmaRuleException e, String rule) {
        return new RuleProblem(e.location(), rule, e.reason());
    }

    /** {@code file:line:column: [rule] reason}. */
    @Override
    public String toString() {
        return location + ": " + (rule == null ? "" : "[" + rule + "] ") + reason;
    }
}
