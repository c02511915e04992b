package dev.bulwark.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** The parsed, validated values of a {@link Fields} group, read by {@link #get(Field)}. */
public final class Settings {

    /** Where a value came from. */
    public enum Source { DEFAULT, FILE, ENVIRONMENT }

    private final Fields fields;
    private final Map<Field<?>, Object> values;
    private final Map<Field<?>, Source> sources;

    Settings(Fields fields, Map<Field<?>, Object> values, Map<Field<?>, Source> sources) {
        this.fields = fields;
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
        this.sources = Collections.unmodifiableMap(new LinkedHashMap<>(sources));
    }

    /**
     * The value of {@code field}: from the environment, the file or the default; null when none of them gives one.
     *
     * @throws IllegalArgumentException when {@code field} is not declared in this group
     */
    @SuppressWarnings("unchecked")
    public <T> T get(Field<T> field) {
        if (!fields.fields().contains(field)) {
            throw new IllegalArgumentException(field.name() + " is not one of the settings of "
                    + (fields.prefix().isEmpty() ? "the configuration" : fields.prefix()));
        }
        return (T) values.get(field);
    }

    /** Where the value of {@code field} came from, or null when it has none. */
    public Source source(Field<?> field) {
        return sources.get(field);
    }

    /** The declarations these values were read with. */
    public Fields fields() {
        return fields;
    }

    /** Every key with its value, secrets masked: safe to log. */
    @Override
    public String toString() {
        StringBuilder text = new StringBuilder("{");
        values.forEach((field, value) -> {
            if (text.length() > 1) {
                text.append(", ");
            }
            text.append(fields.key(field)).append('=').append(render(field, value));
        });
        return text.append('}').toString();
    }

    @SuppressWarnings("unchecked")
    private static <T> String render(Field<T> field, Object value) {
        return field.type().render((T) value);
    }
}
