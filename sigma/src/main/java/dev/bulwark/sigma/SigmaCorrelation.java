package dev.bulwark.sigma;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A parsed and validated Sigma correlation rule: a meta-rule over the matches of other rules, grouped by fields and
 * counted in a time window.
 *
 * <p>Why: windowed evaluation belongs to the streaming layer; this model gives it everything it needs, checked at load
 * time: the referenced rules (ids or names, resolved against the loaded set), group-by fields, aliases, the window
 * and the threshold. {@link CompiledRuleSet#groupKey} reads the group-by values of a match.
 *
 * @param location where the correlation document starts
 * @param id the correlation's id, or null
 * @param name the correlation's name (other correlations may reference it), or null
 * @param title its title
 * @param level its level, or null
 * @param status its status, or null
 * @param description free text, or null
 * @param tags its tags
 * @param type the kind of correlation
 * @param rules the referenced rules, by id or name, as written
 * @param groupBy the group-by fields (Sigma field names or alias names)
 * @param timespan the window length
 * @param condition the threshold; empty for temporal types without a condition
 * @param aliases alias name to (rule id or name to field name)
 * @param generate whether the referenced rules also report their matches on their own
 * @param shadow {@code shadow: true}: its firings are shadow findings ({@link SigmaRule#shadow})
 */
public record SigmaCorrelation(SourceLocation location, String id, String name, String title, String level,
                               String status, String description, List<String> tags, Type type, List<String> rules,
                               List<String> groupBy, Duration timespan, Optional<Threshold> condition,
                               Map<String, Map<String, String>> aliases, boolean generate, boolean shadow) {

    public SigmaCorrelation {
        tags = List.copyOf(tags);
        rules = List.copyOf(rules);
        groupBy = List.copyOf(groupBy);
        Map<String, Map<String, String>> copy = new LinkedHashMap<>();
        aliases.forEach((alias, perRule) -> copy.put(alias, Collections.unmodifiableMap(new LinkedHashMap<>(perRule))));
        aliases = Collections.unmodifiableMap(copy);
    }

    /** This correlation in shadow mode. */
    public SigmaCorrelation asShadow() {
        return new SigmaCorrelation(location, id, name, title, level, status, description, tags, type, rules, groupBy,
                timespan, condition, aliases, generate, true);
    }

    /**
     * This correlation with {@code threshold} as the lower bound of its condition (replacing a {@code gt} or
     * {@code gte} bound, keeping upper bounds): a tenant's own threshold. A correlation without a condition (temporal
     * without one) is returned as it is.
     */
    public SigmaCorrelation withThreshold(long threshold) {
        if (condition.isEmpty()) {
            return this;
        }
        Threshold own = condition.get();
        Map<String, Double> bounds = new LinkedHashMap<>(own.bounds());
        bounds.remove("gt");
        bounds.remove("gte");
        bounds.put("gte", (double) threshold);
        return new SigmaCorrelation(location, id, name, title, level, status, description, tags, type, rules, groupBy,
                timespan, Optional.of(new Threshold(bounds, own.fields(), own.percentile())), aliases, generate, shadow);
    }

    /** The key that identifies the correlation: id, else name, else source and line. */
    public String key() {
        if (id != null) {
            return id;
        }
        return name != null ? name : location.toString();
    }

    /** The correlation types of the specification. */
    public enum Type {
        /** Count of matching events per group. */
        EVENT_COUNT,
        /** Count of distinct values of {@code condition.field} per group. */
        VALUE_COUNT,
        /** All referenced rules matched in the window, any order. */
        TEMPORAL,
        /** All referenced rules matched in the window, in the listed order. */
        TEMPORAL_ORDERED,
        /** Sum of the numeric {@code condition.field}. */
        VALUE_SUM,
        /** Average of the numeric {@code condition.field}. */
        VALUE_AVG,
        /** The {@code condition.percentile} percentile of the numeric {@code condition.field}. */
        VALUE_PERCENTILE;

        /** The type as written in rules ({@code event_count}). */
        public String sigmaName() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** True for the types whose condition needs a {@code field}. */
        public boolean needsField() {
            return this == VALUE_COUNT || this == VALUE_SUM || this == VALUE_AVG || this == VALUE_PERCENTILE;
        }

        /** True for the types that aggregate a numeric field. */
        public boolean isNumeric() {
            return this == VALUE_SUM || this == VALUE_AVG || this == VALUE_PERCENTILE;
        }

        /** True for the temporal types, whose condition is optional. */
        public boolean isTemporal() {
            return this == TEMPORAL || this == TEMPORAL_ORDERED;
        }
    }

    /**
     * The threshold of a correlation: every given bound must hold (they are AND-ed into a range).
     *
     * @param bounds operator ({@code gt}, {@code gte}, {@code lt}, {@code lte}, {@code eq}, {@code neq}) to number
     * @param fields the aggregated field(s) for value_* types (several only for value_count: their combinations are
     *               counted), or empty
     * @param percentile the percentile (0 to 100) of a value_percentile correlation, or null
     */
    public record Threshold(Map<String, Double> bounds, List<String> fields, Integer percentile) {

        public Threshold {
            bounds = Collections.unmodifiableMap(new LinkedHashMap<>(bounds));
            fields = List.copyOf(fields);
        }

        /** A threshold without field or percentile. */
        public Threshold(Map<String, Double> bounds) {
            this(bounds, List.of(), null);
        }

        /** The first aggregated field, or null. */
        public String field() {
            return fields.isEmpty() ? null : fields.get(0);
        }

        /** True when {@code value} satisfies every bound. */
        public boolean test(double value) {
            for (Map.Entry<String, Double> bound : bounds.entrySet()) {
                double limit = bound.getValue();
                boolean ok = switch (bound.getKey()) {
                    case "gt" -> value > limit;
                    case "gte" -> value >= limit;
                    case "lt" -> value < limit;
                    case "lte" -> value <= limit;
                    case "eq" -> value == limit;
                    case "neq" -> value != limit;
                    default -> throw new IllegalStateException("unknown operator " + bound.getKey());
                };
                if (!ok) {
                    return false;
                }
            }
            return true;
        }
    }
}
