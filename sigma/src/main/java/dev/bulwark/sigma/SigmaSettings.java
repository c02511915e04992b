package dev.bulwark.sigma;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.bulwark.config.Field;
import dev.bulwark.config.Fields;
import dev.bulwark.config.Settings;
import dev.bulwark.config.Type;
import dev.bulwark.config.Validator;

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

    /** {@code rules}: rule files or directories loaded at start. */
    public static final Field<List<String>> RULES = Field.of("rules", Type.LIST).withDefault(List.of())
            .withDoc("Rule files or folders of rules loaded at start (comma-separated or a list); the rules topic adds to "
                    + "them at run time.");
    /** {@code bundled}: whether the shipped rules load too. */
    public static final Field<Boolean> BUNDLED = Field.of("bundled", Type.BOOLEAN).withDefault(true)
            .withDoc("Also load the SigmaHQ Linux and Kubernetes audit rules shipped with Bulwark.");
    /** {@code mapping}: a field-mapping file merged over the shipped one. */
    public static final Field<Path> MAPPING = Field.of("mapping", Type.PATH).withExample("/etc/bulwark/sigma-mapping.yaml")
            .withDoc("Field-mapping file merged over the shipped mapping.");
    /** {@code fold-window}. */
    public static final Field<Duration> FOLD_WINDOW = Field.of("fold-window", Type.DURATION)
            .withDefault(Duration.ofMinutes(10)).withValidator(Validator.positive())
            .withDoc("Repeats of a rule on one container, pod or user this close in event time fold into one finding.");
    /** {@code emit-interval}. */
    public static final Field<Duration> EMIT_INTERVAL = Field.of("emit-interval", Type.DURATION)
            .withDefault(Duration.ofSeconds(30)).withValidator(Validator.between(Duration.ZERO, Duration.ofDays(1)))
            .withDoc("A folded finding is emitted again, with its new count, at most this often.");
    /** {@code grace}. */
    public static final Field<Duration> GRACE = Field.of("grace", Type.DURATION).withDefault(Duration.ofSeconds(30))
            .withValidator(Validator.between(Duration.ZERO, Duration.ofDays(1)))
            .withDoc("How late in event time an event may arrive and still count in a correlation window.");
    /** {@code max-group-events}. */
    public static final Field<Integer> MAX_GROUP_EVENTS = Field.of("max-group-events", Type.INT).withDefault(1000)
            .withValidator(Validator.range(2, 1_000_000)).withDoc("Events kept per correlation group (oldest dropped).");
    /** {@code max-evidence-events}. */
    public static final Field<Integer> MAX_EVIDENCE_EVENTS = Field.of("max-evidence-events", Type.INT).withDefault(50)
            .withValidator(Validator.range(1, 10_000)).withDoc("Event ids kept in one finding's evidence.");

    /** Every setting of the {@code sigma} detector. */
    public static final List<Field<?>> FIELDS = List.of(RULES, BUNDLED, MAPPING, FOLD_WINDOW, EMIT_INTERVAL, GRACE,
            MAX_GROUP_EVENTS, MAX_EVIDENCE_EVENTS);

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
     * Reads the settings from the detector's block of the configuration ({@code detection.detectors.sigma}).
     *
     * @throws dev.bulwark.config.ConfigException naming every unknown key and bad value
     */
    public static SigmaSettings from(Map<String, ?> config) {
        return of(Fields.of("detection.detectors.sigma", FIELDS).parse(config, Map.of()));
    }

    /** The settings from parsed values of {@link #FIELDS}. */
    public static SigmaSettings of(Settings settings) {
        return new SigmaSettings(settings.get(RULES).stream().filter(p -> !p.isBlank()).map(Path::of).toList(),
                settings.get(BUNDLED), settings.get(MAPPING), settings.get(FOLD_WINDOW), settings.get(EMIT_INTERVAL),
                settings.get(GRACE), settings.get(MAX_GROUP_EVENTS), settings.get(MAX_EVIDENCE_EVENTS));
    }
}
