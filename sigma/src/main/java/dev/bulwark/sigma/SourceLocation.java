package dev.bulwark.sigma;

/**
 * Where something is in a rule source: a file (or any source name, such as a Kafka record key), a 1-based line and
 * a 1-based column; 0 means unknown.
 *
 * <p>Why: every problem in a rule is reported where the author can fix it, never as a stack trace.
 */
public record SourceLocation(String file, int line, int column) {

    /** A location that only knows the source name. */
    public static SourceLocation of(String file) {
        return new SourceLocation(file, 0, 0);
    }

    /** The same location moved {@code offset} columns to the right (for positions inside a scalar). */
    SourceLocation shifted(int offset) {
        return column == 0 ? this : new SourceLocation(file, line, column + offset);
    }

    /** {@code file:line:column}, leaving out what is unknown. */
    @Override
    public String toString() {
        StringBuilder text = new StringBuilder(file == null ? "<unknown>" : file);
        if (line > 0) {
            text.append(':').append(line);
            if (column > 0) {
                text.append(':').append(column);
            }
        }
        return text.toString();
    }
}
