package dev.bulwark.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One declared setting: its name, type, default, environment variable, documentation and validators, in the manner of
 * Kafka's {@code ConfigDef} and Debezium's {@code Field}. Immutable; the {@code with*} methods return a copy.
 *
 * <pre>{@code
 * static final Field<Duration> WINDOW = Field.of("window", Type.DURATION)
 *         .withDefault(Duration.ofMinutes(10))
 *         .withValidator(Validators.positive())
 *         .withDoc("Denied attempts are counted over this window.");
 * }</pre>
 *
 * <p>Why: declared once, a key's parsing, checking, environment override and documentation cannot drift apart.
 *
 * @param <T> the value's Java type
 */
public final class Field<T> {

    private final String name;
    private final Type<T> type;
    private final T defaultValue;
    private final String env;
    private final String doc;
    private final List<Validator<? super T>> validators;
    private final String example;

    private Field(String name, Type<T> type, T defaultValue, String env, String doc, List<Validator<? super T>> validators,
                  String example) {
        if (name == null || !name.matches("[A-Za-z][A-Za-z0-9_-]*(\\.[A-Za-z][A-Za-z0-9_-]*)*")) {
            throw new IllegalArgumentException("not a setting name: " + name);
        }
        this.name = name;
        this.type = Objects.requireNonNull(type, "type");
        this.defaultValue = defaultValue;
        this.env = env;
        this.doc = doc == null ? "" : doc;
        this.validators = List.copyOf(validators);
        this.example = example;
    }

    /** A setting named {@code name} (dotted within its group, e.g. {@code kafka.bootstrap}) of type {@code type}. */
    public static <T> Field<T> of(String name, Type<T> type) {
        return new Field<>(name, type, null, null, "", List.of(), null);
    }

    /** The value when none is configured; without one the setting is simply absent ({@code Settings#get} gives null). */
    public Field<T> withDefault(T value) {
        return new Field<>(name, type, value, env, doc, validators, example);
    }

    /** The environment variable that overrides the file. */
    public Field<T> withEnv(String variable) {
        if (variable == null || !variable.matches("[A-Z][A-Z0-9_]*")) {
            throw new IllegalArgumentException("not an environment variable name: " + variable);
        }
        return new Field<>(name, type, defaultValue, variable, doc, validators, example);
    }

    /** One or two sentences for operators: what it does, and its unit or format where the type does not say. */
    public Field<T> withDoc(String text) {
        return new Field<>(name, type, defaultValue, env, text, validators, example);
    }

    /** Adds a check of the parsed value. */
    public Field<T> withValidator(Validator<? super T> validator) {
        List<Validator<? super T>> all = new ArrayList<>(validators);
        all.add(validator);
        return new Field<>(name, type, defaultValue, env, doc, all, example);
    }

    /** An example value in YAML, shown commented out in the example file when there is no default. */
    public Field<T> withExample(String yaml) {
        return new Field<>(name, type, defaultValue, env, doc, validators, yaml);
    }

    public String name() {
        return name;
    }

    public Type<T> type() {
        return type;
    }

    public T defaultValue() {
        return defaultValue;
    }

    /** The overriding environment variable, or null. */
    public String env() {
        return env;
    }

    public String doc() {
        return doc;
    }

    /** The YAML example, or null. */
    public String example() {
        return example;
    }

    /** Parses {@code raw} and runs the validators; the exception names the problem, not the key. */
    T read(Object raw) {
        T value = type.parse(raw);
        check(value);
        return value;
    }

    void check(T value) {
        for (Validator<? super T> validator : validators) {
            String problem = validator.problem(value);
            if (problem != null) {
                // A secret's value never goes into a message: it would end up in logs.
                throw new IllegalArgumentException(type.secret() ? "must be " + validator.describe() : problem);
            }
        }
    }

    /** What the documentation says of the validators, e.g. {@code 1-65535}. */
    public String constraints() {
        return String.join("; ", validators.stream().map(Validator::describe).filter(d -> d != null && !d.isEmpty()).toList());
    }

    @Override
    public String toString() {
        return name + " (" + type + ")";
    }
}
