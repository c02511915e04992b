package dev.bulwark.sigma;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.bulwark.detectors.api.TenantTuning;
import dev.bulwark.schemas.SecurityEvent;

/**
 * Per-tenant exceptions to Sigma rules: a Sigma filter document a SOC analyst set for one tenant and one rule,
 * correlation or the whole detector ({@code bulwark rules override TARGET --tenant T --exception FILE}), applied to that
 * tenant's matches only.
 *
 * <p>Semantics are a filter's ({@code docs/sigma-engine.md#filters}): the filter is AND-ed to each rule it names, so a
 * match is kept only when the event satisfies the filter's condition ({@code condition: not healthcheck} drops the
 * health checks). An exception of a rule, or of the detector, drops the match: no finding, no correlation hit. An
 * exception of a correlation drops only the hits its base rules would add to it. Every dropped match is counted.
 *
 * <p>Why a filter document: it is Sigma's own syntax for exactly this, rule authors know it, and its field names
 * resolve per rule logsource as the rule's own do. Compiled once per text and logsource (a bounded cache), so the cost
 * is a store lookup per match, and a filter evaluation only where an exception exists.
 */
final class TenantExceptions {

    private static final Logger LOG = LoggerFactory.getLogger(TenantExceptions.class);
    /** Exception texts kept compiled per processor. */
    static final int CACHE = 256;

    private final SigmaEngine engine;
    private final TenantTuning tuning;
    private final Map<String, Optional<CompiledFilter>> compiled = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Optional<CompiledFilter>> eldest) {
            return size() > CACHE;
        }
    };

    TenantExceptions(SigmaEngine engine, TenantTuning tuning) {
        this.engine = engine;
        this.tuning = tuning;
    }

    /**
     * The filter of {@code tenant}'s exception of {@code target} that drops this match of {@code rule} on
     * {@code event}, or null when none does (no exception, the exception names other rules, or the event satisfies it).
     */
    SigmaFilter dropping(String tenant, String target, CompiledRule rule, SecurityEvent event) {
        TenantTuning.Tuning tuned = tuning.of(tenant, target);
        if (tuned == null || tuned.exception() == null) {
            return null;
        }
        CompiledFilter filter = compiled.computeIfAbsent(tuned.exception(), text -> parse(tenant, target, text))
                .orElse(null);
        if (filter == null || !filter.appliesTo(rule.rule())) {
            return null;
        }
        CompiledFilter.Compiled here = filter.compiledFor(rule);
        if (here.detection() == null) {
            return null; // refused for this logsource (logged once when it was compiled for the check)
        }
        return here.detection().matches(event) ? null : filter.filter();
    }

    private Optional<CompiledFilter> parse(String tenant, String target, String text) {
        try {
            return Optional.of(compile(engine, text));
        } catch (IllegalArgumentException e) {
            LOG.error("the exception of {} for tenant {} is not applied: {}; set it again with 'bulwark rules override'",
                    printable(target), printable(tenant), e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * The filter of an exception's text: exactly one Sigma filter document, with nothing else in the text.
     *
     * @throws IllegalArgumentException naming each problem as {@code line:column: reason}
     */
    static CompiledFilter compile(SigmaEngine engine, String text) {
        ParsedRules parsed = engine.loader().parse("exception", text);
        if (!parsed.failures().isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", parsed.failures().stream()
                    .map(Object::toString).toList()));
        }
        if (parsed.filters().size() != 1 || !parsed.rules().isEmpty() || !parsed.correlations().isEmpty()) {
            throw new IllegalArgumentException("an exception is one Sigma filter document (title, logsource, and "
                    + "filter: rules, selections, condition), found " + parsed.filters().size() + " filter(s), "
                    + parsed.rules().size() + " rule(s) and " + parsed.correlations().size() + " correlation(s)");
        }
        List<CompiledFilter> filters = engine.compileFilters(parsed.filters());
        return filters.get(0);
    }

    private static String printable(String value) {
        if (value == null) {
            return "-";
        }
        String clipped = value.length() > 200 ? value.substring(0, 200) + "..." : value;
        return clipped.replaceAll("\\p{Cntrl}", "?");
    }
}
