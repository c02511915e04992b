package dev.bulwark.config;

import java.util.List;

/** Everything wrong with a configuration at once: unknown keys (with the valid ones) and bad values (with the rule). */
public final class ConfigException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final List<String> problems;

    public ConfigException(List<String> problems) {
        super(problems.size() == 1 ? problems.get(0)
                : "the configuration has " + problems.size() + " problems:\n  - " + String.join("\n  - ", problems));
        this.problems = List.copyOf(problems);
    }

    /** One line per problem, each naming its key. */
    public List<String> problems() {
        return problems;
    }
}
