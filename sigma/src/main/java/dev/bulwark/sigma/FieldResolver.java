package dev.bulwark.sigma;

/**
 * Resolves the field names of one detection to event reads.
 *
 * <p>Why: rules resolve through the field mapping of their logsource (and warn on unmapped names); the logsource
 * selectors of the mapping itself use event paths directly. The compiler does not care which.
 */
interface FieldResolver {

    /** The read for a field name; never null (an unmapped field reads as absent and is reported by the resolver). */
    CompiledField field(String name, SourceLocation at) throws SigmaRuleException;

    /** The read for keyword (full-text) items: every keyword field of the logsource. */
    CompiledField keywords(SourceLocation at) throws SigmaRuleException;
}
