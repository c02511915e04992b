package dev.bulwark.sigma;

import dev.bulwark.schemas.SecurityEvent;

/**
 * Reads one field from an event: a String, Number, Boolean, List (of scalars), record, or null when absent.
 *
 * <p>Why: field paths are compiled once into a chain of positional Avro reads ({@link EventPaths}), so matching never
 * uses reflection or string lookups of field names per event.
 */
@FunctionalInterface
public interface FieldAccessor {

    /** The field's value in {@code event}, or null when absent. */
    Object get(SecurityEvent event);
}
