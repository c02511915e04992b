package dev.bulwark.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * The type of a setting: how its value is read from a configuration file node (a scalar, list or map as YAML gives it)
 * or an environment variable (always text), and how it is written back in documentation.
 *
 * <p>Why: every setting is read the same way, so {@code 10m} means the same duration everywhere, {@code "yes"} is
 * never a boolean, and a secret is never printed.
 *
 * @param <T> the Java type of the value
 */
public final class Type<T> {

    /** Any text. */
    public static final Type<String> STRING = new Type<>("string", Type::text, v -> v, false);
    /** A secret: read like a string, never written out ({@code Settings#toString()}, docs). */
    public static final Type<String> PASSWORD = new Type<>("password", Type::text, v -> "********", true);
    /** A whole number within int range. */
    public static final Type<Integer> INT = new Type<>("integer", raw -> {
        long value = whole(raw);
        if (value < Integer.MIN_VALUE || value > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(value + " is out of range");
        }
        return (int) value;
    }, String::valueOf, false);
    /** A whole number within long range. */
    public static final Type<Long> LONG = new Type<>("integer", Type::whole, String::valueOf, false);
    /** {@code true} or {@code false}, nothing else. */
    public static final Type<Boolean> BOOLEAN = new Type<>("boolean", raw -> {
        if (raw instanceof Boolean b) {
            return b;
        }
        String value = text(raw).strip().toLowerCase(Locale.ROOT);
        if (value.equals("true") || value.equals("false")) {
            return Boolean.parseBoolean(value);
        }
        throw new IllegalArgumentException("'" + raw + "' is not a boolean: write true or false");
    }, String::valueOf, false);
    /** A duration in {@link Durations}' format ({@code 500ms}, {@code 30s}, {@code 10m}, {@code 1h30m}, {@code 7d}). */
    public static final Type<Duration> DURATION = new Type<>("duration", raw -> Durations.parse(text(raw)),
            Durations::format, false);
    /** A list of strings: a YAML list, or comma-separated text (environment variables, one-line values). */
    public static final Type<List<String>> LIST = new Type<>("list", Type::list, v -> String.join(",", v), false);
    /** A list of secrets (tokens): read like {@link #LIST}, never written out. */
    public static final Type<List<String>> PASSWORDS = new Type<>("list of secrets", Type::list,
            v -> v.isEmpty() ? "" : "******** x" + v.size(), true);
    /** A file-system path. */
    public static final Type<Path> PATH = new Type<>("path", raw -> Path.of(text(raw).strip()), Path::toString, false);
    /** A map of string to string (a YAML mapping of scalars). */
    public static final Type<Map<String, String>> STRING_MAP = new Type<>("map", Type::stringMap,
            v -> v.isEmpty() ? "{}" : v.toString(), false);

    private final String name;
    private final Function<Object, T> parser;
    private final Function<T, String> renderer;
    private final boolean secret;

    private Type(String name, Function<Object, T> parser, Function<T, String> renderer, boolean secret) {
        this.name = name;
        this.parser = parser;
        this.renderer = renderer;
        this.secret = secret;
    }

    /**
     * A type of one's own, e.g. a list of structured entries.
     *
     * @param name what the documentation calls it
     * @param parser reads a file node or environment text; throws {@link IllegalArgumentException} with the problem
     * @param renderer writes a value for documentation
     */
    public static <T> Type<T> of(String name, Function<Object, T> parser, Function<T, String> renderer) {
        return new Type<>(name, parser, renderer, false);
    }

    /** A type of one's own whose values hold secrets: {@code renderer} must mask them. */
    public static <T> Type<T> secret(String name, Function<Object, T> parser, Function<T, String> renderer) {
        return new Type<>(name, parser, renderer, true);
    }

    /** Reads a single scalar as text (for custom types). */
    public static String scalar(Object raw) {
        return text(raw);
    }

    /** The type's name in documentation. */
    public String name() {
        return name;
    }

    /** True for secrets. */
    public boolean secret() {
        return secret;
    }

    /** Reads a value; {@link IllegalArgumentException} says what is wrong with it. */
    public T parse(Object raw) {
        if (raw == null) {
            throw new IllegalArgumentException("no value given");
        }
        return parser.apply(raw);
    }

    /** Writes a value for documentation and diagnostics; secrets are masked. */
    public String render(T value) {
        return value == null ? "" : renderer.apply(value);
    }

    private static String text(Object raw) {
        if (raw instanceof Map<?, ?> || raw instanceof Collection<?>) {
            throw new IllegalArgumentException("expected a single value, got " + (raw instanceof Map<?, ?> ? "a mapping" : "a list"));
        }
        return raw.toString();
    }

    private static long whole(Object raw) {
        if (raw instanceof Integer || raw instanceof Long || raw instanceof Short) {
            return ((Number) raw).longValue();
        }
        String value = text(raw).strip().replace("_", "");
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + raw + "' is not a whole number");
        }
    }

    private static List<String> list(Object raw) {
        List<String> values = new ArrayList<>();
        if (raw instanceof Collection<?> items) {
            for (Object item : items) {
                values.add(text(item == null ? "" : item).strip());
            }
        } else {
            for (String part : text(raw).split(",")) {
                if (!part.isBlank()) {
                    values.add(part.strip());
                }
            }
        }
        return List.copyOf(values);
    }

    private static Map<String, String> stringMap(Object raw) {
        if (!(raw instanceof Map<?, ?> map)) {
            throw new IllegalArgumentException("expected a mapping of names to values");
        }
        Map<String, String> values = new LinkedHashMap<>();
        map.forEach((key, value) -> values.put(String.valueOf(key), value == null ? "" : text(value)));
        return java.util.Collections.unmodifiableMap(values);
    }

    @Override
    public String toString() {
        return name;
    }
}
