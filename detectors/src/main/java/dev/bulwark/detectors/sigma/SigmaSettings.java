package dev.bulwark.detectors.sigma;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The settings of the {@code sigma} detector, read from {@code detection.detectors.sigma} in the configuration file.
 *
 * <p>Why: one typed, validated place for every key, its default and its meaning, so a typo or a bad value fails at
 * start-up with the key's name instead of silently falling back. Keys:
 *
 * <table>
 * <caption>keys</caption>
 * <tr><th>key</th><th>default</th><th>meaning</th></tr>
 * <tr><td>{@code rules}</td><td>none</td><td>comma-separated rule files or directories loaded at start</td></tr>
 * <tr><td>{@code bundled}</td><td>true</td><td>also load the rules shipped in the jar ({@code sigma/rules/})</td></tr>
 * <tr><td>{@code mapping}</td><td>none</td><td>field-mapping file merged over the shipped mapping</td></tr>
 * <tr><td>{@code fold-window}</td><td>10m</td><td>repeats of a rule on one entity closer than this fold into one
 * finding</td></tr>
 * <tr><td>{@code emit-interval}</td><td>30s</td><td>a folded finding is emitted again at most this often</td></tr>
 * <tr><td>{@code grace}</td><td>30s</td><td>how late (in event time) an event may arrive and still count in a
 * correlation window</td></tr>
 * <tr><td>{@code max-group-events}</td><td>1000</td><td>events kept per correlation group (oldest dropped)</td></tr>
 * <tr><td>{@code max-evidence-events}</td><td>50</td><td>event ids kept in one finding's evidence</td></tr>
 * </table>
 *
 * @param rulePaths rule files or directories loaded at start
 * @param bundled whether the shipped rules are loaded too
 * @param mapping a field-mapping override file, or null
 * @param foldWindow the gap in event time within which repeats fold into the same finding
 * @param emitInterval the minimum wall-clock time between two emissions of the same finding
 * @param grace the event-time lateness a correlation still accepts
 * @param maxGroupEvents the bound on events kept per correlation group
 * @param maxEvidenceEvents the bound on event ids kept in a finding's evidence
 */
public record SigmaSettings(List<Path> rulePaths, boolean bundled, Path mapping, Duration foldWindow,
                            Duration emitInterval, Duration grace, int maxGroupEvents, int maxEvidenceEvents) {

    private static final Set<String> KEYS = Set.of("rules", "bundled", "mapping", "fold-window", "emit-interval",
            "grace", "max-group-events", "max-evidence-events");
    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m|h|d)");

    public SigmaSettings {
        rulePaths = List.copyOf(rulePaths);
        if (foldWindow.isNegative() || foldWindow.isZero()) {
            throw new IllegalArgumentException("sigma fold-window must be positive, got " + foldWindow);
        }
        if (emitInterval.isNegative()) {
            throw new IllegalArgumentException("sigma emit-interval must not be negative, got " + emitInterval);
        }
        if (grace.isNegative()) {
            throw new IllegalArgumentException("sigma grace must not be negative, got " + grace);
        }
        if (maxGroupEvents < 2 || maxEvidenceEvents < 1) {
            throw new IllegalArgumentException("sigma max-group-events must be at least 2 and max-evidence-events at "
                    + "least 1");
        }
    }

    /** The defaults: shipped rules only, 10 min folding, 30 s emission interval, 30 s grace. */
    public static SigmaSettings defaults() {
        return from(Map.of());
    }

    /**
     * Reads the settings from the detector's configuration map.
     *
     * @throws IllegalArgumentException naming the key when a key is unknown or a value is invalid
     */
    public static SigmaSettings from(Map<String, String> config) {
        for (String key : config.keySet()) {
            if (!KEYS.contains(key)) {
                throw new IllegalArgumentException("unknown setting detection.detectors.sigma." + key + " (known: "
                        + String.join(", ", KEYS.stream().sorted().toList()) + ")");
            }
        }
        String rules = config.get("rules");
        List<Path> paths = rules == null ? List.of() : Arrays.stream(rules.split(","))
                .map(String::strip).filter(p -> !p.isEmpty()).map(Path::of).toList();
        String bundled = config.getOrDefault("bundled", "true").strip().toLowerCase(Locale.ROOT);
        if (!bundled.equals("true") && !bundled.equals("false")) {
            throw new IllegalArgumentException("detection.detectors.sigma.bundled must be true or false, got " + bundled);
        }
        String mapping = config.get("mapping");
        return new SigmaSettings(paths, Boolean.parseBoolean(bundled),
                mapping == null || mapping.isBlank() ? null : Path.of(mapping.strip()),
                duration(config, "fold-window", "10m"),
                duration(config, "emit-interval", "30s"),
                duration(config, "grace", "30s"),
                integer(config, "max-group-events", 1000),
                integer(config, "max-evidence-events", 50));
    }

    /** Parses {@code 500ms}, {@code 30s}, {@code 10m}, {@code 1h}, {@code 1d} or an ISO-8601 duration. */
    public static Duration parseDuration(String text) {
        String value = text.strip();
        Matcher matcher = DURATION.matcher(value);
        if (matcher.matches()) {
            long amount = Long.parseLong(matcher.group(1));
            return switch (matcher.group(2)) {
                case "ms" -> Duration.ofMillis(amount);
                case "s" -> Duration.ofSeconds(amount);
                case "m" -> Duration.ofMinutes(amount);
                case "h" -> Duration.ofHours(amount);
                default -> Duration.ofDays(amount);
            };
        }
        return Duration.parse(value.toUpperCase(Locale.ROOT));
    }

    private static Duration duration(Map<String, String> config, String key, String fallback) {
        String value = config.getOrDefault(key, fallback);
        try {
            return parseDuration(value);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("detection.detectors.sigma." + key + " must be a duration such as 30s, "
                    + "10m or 1h, got " + value);
        }
    }

    private static int integer(Map<String, String> config, String key, int fallback) {
        String value = config.get(key);
        if (value == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("detection.detectors.sigma." + key + " must be a whole number, got "
                    + value);
        }
    }
}
