package dev.bulwark.sigma;

/**
 * A rule (or a field mapping, or a rule test file) that cannot be used, with the file, line, column and reason.
 *
 * <p>Why: rule authors fix rules from this message alone, so it names the place and the problem in their words, and
 * never wraps a parser stack trace. {@link #getMessage()} reads {@code file:line:column: reason}.
 */
public final class SigmaRuleException extends Exception {

    private static final long serialVersionUID = 1L;

    private final transient SourceLocation location;
    private final String reason;

    /**
     * @param location where the problem is (as precisely as known)
     * @param reason what is wrong, in the rule author's terms
     */
    public SigmaRuleException(SourceLocation location, String reason) {
        super(location + ": " + reason, null, false, false);
        this.location = location;
        this.reason = reason;
    }

    /** Where the problem is. */
    public SourceLocation location() {
        return location;
    }

    /** The source (file name or record key). */
    public String file() {
        return location.file();
    }

    /** The 1-based line, 0 when unknown. */
    public int line() {
        return location.line();
    }

    /** The 1-based column, 0 when unknown. */
    public int column() {
        return location.column();
    }

    /** What is wrong, without the location. */
    public String reason() {
        return reason;
    }
}
