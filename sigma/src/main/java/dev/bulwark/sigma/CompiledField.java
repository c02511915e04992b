package dev.bulwark.sigma;

/**
 * A Sigma field resolved through the field mapping: how to read it, and under which key identical reads are shared.
 *
 * @param key identifies the read (the event path, or a description of a combined read); rule sets give fields with
 *     the same key one prefilter index
 * @param path the event path(s) read, for evidence and documentation
 * @param accessor the compiled read
 */
record CompiledField(String key, String path, FieldAccessor accessor) {

    /** The read of every unmapped field: always absent. */
    static final FieldAccessor ABSENT = event -> null;

    /** The field for an unmapped name: always absent. */
    static CompiledField absent(String name) {
        return new CompiledField("unmapped:" + name, "(unmapped)", ABSENT);
    }

    /** True for an unmapped field: no event has it. */
    boolean alwaysAbsent() {
        return accessor == ABSENT;
    }
}
