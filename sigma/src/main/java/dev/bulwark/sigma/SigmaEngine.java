package dev.bulwark.sigma;

import java.nio.file.Path;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Compiles Sigma rules against a {@link FieldMapping} and builds {@link CompiledRuleSet}s: the entry point of the
 * Sigma engine.
 *
 * <p>Why: loading (files or a rules-topic snapshot), compiling one changed rule, and validating correlation rules
 * all need the same mapping and the same rules for skipping; this class holds them. When loading, a rule is skipped
 * as invalid (with its reason) when it does not parse, when a value is invalid, when its status is
 * {@code unsupported}, or when its key duplicates an earlier rule's; a valid rule that no logsource mapping serves is
 * <em>not applicable</em> ({@link LoadReport#notApplicable()}), not invalid. Thread-safe and immutable.
 *
 * <pre>{@code
 * SigmaEngine engine = SigmaEngine.create(FieldMapping.defaults().withOverrides(userMapping));
 * LoadReport report = engine.load(List.of(rulesDirectory));
 * CompiledRuleSet rules = report.ruleSet();
 * List<RuleMatch> matches = rules.match(event);
 * rules = rules.with(engine.compile(engine.loader().parseRule(key, yaml)));   // on a rules-topic update
 * }</pre>
 */
public final class SigmaEngine {

    private final FieldMapping mapping;
    private final SigmaRuleLoader loader = new SigmaRuleLoader();
    private final dev.bulwark.detectors.api.RuleTelemetry telemetry;

    private SigmaEngine(FieldMapping mapping, dev.bulwark.detectors.api.RuleTelemetry telemetry) {
        this.mapping = mapping;
        this.telemetry = telemetry;
    }

    private SigmaEngine(FieldMapping mapping) {
        this(mapping, dev.bulwark.detectors.api.RuleTelemetry.NONE);
    }

    /** This engine, with its rule sets counting each rule's evaluations, time and matches in {@code telemetry}. */
    public SigmaEngine withTelemetry(dev.bulwark.detectors.api.RuleTelemetry telemetry) {
        return new SigmaEngine(mapping, telemetry);
    }

    /** Where its rule sets count per-rule evaluations and matches. */
    dev.bulwark.detectors.api.RuleTelemetry telemetry() {
        return telemetry;
    }

    /** An engine with the shipped field mapping. */
    public static SigmaEngine create() {
        return new SigmaEngine(FieldMapping.defaults());
    }

    /** An engine with this field mapping. */
    public static SigmaEngine create(FieldMapping mapping) {
        return new SigmaEngine(mapping);
    }

    /** The field mapping rules are compiled with. */
    public FieldMapping fieldMapping() {
        return mapping;
    }

    /** The rule parser. */
    public SigmaRuleLoader loader() {
        return loader;
    }

    /** True when some logsource entry of the field mapping serves rules of this logsource. */
    public boolean serves(SigmaLogsource logsource) {
        return mapping.logsourceFor(logsource).isPresent();
    }

    /**
     * Checks a rule no logsource mapping serves as far as that is possible without one: its values, modifiers and
     * condition, with every field read as absent and every {@code %placeholder%} resolved (placeholders are the
     * field mapping's business, and it has nothing for this logsource).
     *
     * @throws SigmaRuleException when the rule is invalid Sigma whatever the mapping
     */
    void checkUnmapped(SigmaRule rule) throws SigmaRuleException {
        FieldResolver absent = new FieldResolver() {
            @Override
            public CompiledField field(String name, SourceLocation at) {
                return CompiledField.absent(name);
            }

            @Override
            public CompiledField keywords(SourceLocation at) {
                return CompiledField.absent("keywords");
            }
        };
        Map<String, List<String>> anyPlaceholder = new AbstractMap<>() {
            @Override
            public List<String> get(Object name) {
                return mapping.placeholders().getOrDefault(name, List.of("%" + name + "%"));
            }

            @Override
            public Set<Entry<String, List<String>>> entrySet() {
                return mapping.placeholders().entrySet();
            }
        };
        CompiledDetection.compile(rule.detection(), absent, anyPlaceholder, warning -> { });
    }

    /**
     * Compiles one rule.
     *
     * @throws SigmaRuleException when no logsource mapping serves the rule, a value is invalid (regex, CIDR, number,
     *     placeholder), a modifier combination is invalid, the rule's status is {@code unsupported}, or unmapped
     *     fields leave its condition no way to be true (the rule could never fire)
     */
    public CompiledRule compile(SigmaRule rule) throws SigmaRuleException {
        if ("unsupported".equals(rule.status())) {
            throw new SigmaRuleException(rule.location(), "status 'unsupported': the rule cannot be used by a backend");
        }
        LogsourceMapping logsource = mapping.logsourceFor(rule.logsource()).orElseThrow(() -> new SigmaRuleException(
                rule.location(), "no field mapping serves logsource " + rule.logsource()
                        + " (add an entry under 'logsources' in the field mapping)"));
        List<RuleProblem> warnings = new ArrayList<>();
        String ruleName = rule.id() != null ? rule.id() : rule.title();
        if ("deprecated".equals(rule.status())) {
            warnings.add(new RuleProblem(rule.location(), ruleName, "status 'deprecated'"));
        }
        FieldResolver resolver = resolver(logsource, rule.logsource(), ruleName, warnings);
        CompiledDetection detection = CompiledDetection.compile(rule.detection(), resolver, mapping.placeholders(),
                warning -> warnings.add(new RuleProblem(warning.location(), ruleName, warning.reason())));
        List<CompiledPredicate> fixed = detection.neverTrueBecauseOf();
        if (!fixed.isEmpty()) {
            Set<String> unmapped = new LinkedHashSet<>();
            fixed.forEach(item -> unmapped.addAll(item.unmappedFields()));
            boolean one = unmapped.size() == 1;
            throw new SigmaRuleException(fixed.get(0).location(), "the rule can never fire: field"
                    + (one ? " " : "s ") + "'" + String.join("', '", unmapped) + "' " + (one ? "is" : "are")
                    + " not mapped for logsource '" + logsource.name() + "' (" + rule.logsource() + "), so "
                    + (one ? "it is" : "they are") + " always absent, and then the condition is never true (map "
                    + (one ? "it" : "them") + " under 'logsources' in the field mapping)");
        }
        return new CompiledRule(rule, logsource, mapping, detection, warnings);
    }

    /** Resolves the fields of a detection for one logsource, warning once per unmapped field. */
    private FieldResolver resolver(LogsourceMapping logsource, SigmaLogsource written, String owner,
                                   List<RuleProblem> warnings) {
        Set<String> reported = new HashSet<>();
        return new FieldResolver() {
            @Override
            public CompiledField field(String name, SourceLocation at) {
                return mapping.target(logsource, name).map(mapping::compiled).orElseGet(() -> {
                    if (reported.add(name)) {
                        warnings.add(new RuleProblem(at, owner, "field '" + name + "' is not mapped for logsource '"
                                + logsource.name() + "' (" + written + "); it is always absent"));
                    }
                    return CompiledField.absent(name);
                });
            }

            @Override
            public CompiledField keywords(SourceLocation at) {
                List<String> paths = mapping.keywordPaths(logsource);
                CompiledField any = mapping.compiled(new FieldTarget(paths, null, Map.of()));
                return new CompiledField("keywords: " + any.key(), any.path(), any.accessor());
            }
        };
    }

    /**
     * Compiles a filter's detection for the rules of one logsource group.
     *
     * @throws SigmaRuleException when a value is invalid, or unmapped fields leave the filter's condition no way to be
     *     true there (it would suppress every match of the rules it names)
     */
    CompiledDetection compileFilter(SigmaFilter filter, LogsourceMapping logsource, List<RuleProblem> warnings)
            throws SigmaRuleException {
        CompiledDetection detection = CompiledDetection.compile(filter.detection(),
                resolver(logsource, logsource.logsource(), filter.key(), warnings), mapping.placeholders(),
                warning -> warnings.add(new RuleProblem(warning.location(), filter.key(), warning.reason())));
        List<CompiledPredicate> fixed = detection.neverTrueBecauseOf();
        if (!fixed.isEmpty()) {
            Set<String> unmapped = new LinkedHashSet<>();
            fixed.forEach(item -> unmapped.addAll(item.unmappedFields()));
            throw new SigmaRuleException(fixed.get(0).location(), "the filter's condition can never be true for "
                    + "logsource '" + logsource.name() + "': field(s) '" + String.join("', '", unmapped)
                    + "' are not mapped there, so it would suppress every match of the rules it names");
        }
        return detection;
    }

    /**
     * The filter of a per-tenant exception's text, as the detector will apply it: exactly one Sigma filter document.
     *
     * @throws IllegalArgumentException naming each problem
     */
    public CompiledFilter exceptionFilter(String text) {
        return TenantExceptions.compile(this, text);
    }

    /** The filters ready for matching (check them first with {@link #checkFilters}). */
    public List<CompiledFilter> compileFilters(List<SigmaFilter> filters) {
        return filters.stream().map(filter -> new CompiledFilter(filter, this)).toList();
    }

    /**
     * What checking a filter against the loaded rules found.
     *
     * @param filter the filter
     * @param problem why it is refused, or null when it is accepted
     * @param warnings what does not prevent it from loading: a rule it names that is not loaded (it applies once the
     *     rule arrives), a named rule whose logsource is outside the filter's (not filtered), unmapped fields, and a
     *     condition without {@code not}
     */
    public record FilterCheck(CompiledFilter filter, RuleProblem problem, List<RuleProblem> warnings) {

        public FilterCheck {
            warnings = List.copyOf(warnings);
        }
    }

    /**
     * Checks filters against the loaded rules: each is compiled for the logsource of every loaded rule it applies to
     * (refused when it does not compile there), and warned about for every name it lists that no loaded rule has,
     * every named rule whose logsource is outside its own, and a condition without {@code not} (matches are kept only
     * when the condition is true, so such a filter keeps only the events its selections select).
     */
    public List<FilterCheck> checkFilters(List<CompiledFilter> filters, Collection<CompiledRule> rules) {
        List<FilterCheck> checks = new ArrayList<>();
        for (CompiledFilter compiled : filters) {
            SigmaFilter filter = compiled.filter();
            List<RuleProblem> warnings = new ArrayList<>();
            RuleProblem problem = null;
            if (!containsNot(filter.detection().condition())) {
                warnings.add(new RuleProblem(filter.detection().location(), filter.key(), "the filter's condition '"
                        + String.join("', '", filter.detection().conditionText()) + "' has no 'not': a match is kept "
                        + "only when the condition is true, so this keeps the events it selects and suppresses the "
                        + "others (write 'not selection' to suppress the selected events)"));
            }
            for (String reference : filter.rules()) {
                List<CompiledRule> named = rules.stream().filter(r -> reference.equals(r.rule().id())
                        || reference.equals(r.rule().name())).toList();
                if (named.isEmpty()) {
                    warnings.add(new RuleProblem(filter.location(), filter.key(), "the filter names rule '" + reference
                            + "', which is not loaded; it applies once a rule with this id or name is loaded"));
                }
                for (CompiledRule rule : named) {
                    if (!filter.covers(rule.rule().logsource())) {
                        warnings.add(new RuleProblem(filter.location(), filter.key(), "rule '" + reference
                                + "' has logsource " + rule.rule().logsource().describe() + ", outside the filter's "
                                + filter.logsource().describe() + ": the filter does not apply to it"));
                        continue;
                    }
                    CompiledFilter.Compiled result = compiled.compiledFor(rule);
                    if (result.problem() != null && problem == null) {
                        problem = RuleProblem.of(result.problem(), filter.key());
                    }
                    result.warnings().stream().filter(w -> !warnings.contains(w)).forEach(warnings::add);
                }
            }
            checks.add(new FilterCheck(compiled, problem, problem == null ? warnings : List.of()));
        }
        return checks;
    }

    private static boolean containsNot(ConditionNode node) {
        if (node instanceof ConditionNode.Not) {
            return true;
        }
        if (node instanceof ConditionNode.And and) {
            return and.children().stream().anyMatch(SigmaEngine::containsNot);
        }
        if (node instanceof ConditionNode.Or or) {
            return or.children().stream().anyMatch(SigmaEngine::containsNot);
        }
        return false;
    }

    /** A set of already compiled rules (and validated correlations). */
    public CompiledRuleSet ruleSet(Collection<CompiledRule> rules, List<SigmaCorrelation> correlations) {
        return ruleSet(rules, correlations, List.of());
    }

    /** A set of already compiled rules, validated correlations and checked filters. */
    public CompiledRuleSet ruleSet(Collection<CompiledRule> rules, List<SigmaCorrelation> correlations,
                                   List<CompiledFilter> filters) {
        return new CompiledRuleSet(mapping, rules, correlations, filters, telemetry);
    }

    /** An empty set. */
    public CompiledRuleSet emptyRuleSet() {
        return ruleSet(List.of(), List.of());
    }

    /** Reads, compiles and validates every rule under these files or directories (test files left out). */
    public LoadReport load(List<Path> paths) {
        ParsedRules parsed = ParsedRules.empty();
        for (Path path : paths) {
            parsed = parsed.plus(loader.parsePath(path));
        }
        return load(parsed);
    }

    /** Reads, compiles and validates rules given as source name to YAML text (e.g. a rules-topic snapshot). */
    public LoadReport loadSources(Map<String, String> sources) {
        ParsedRules parsed = ParsedRules.empty();
        for (Map.Entry<String, String> source : sources.entrySet()) {
            parsed = parsed.plus(loader.parse(source.getKey(), source.getValue()));
        }
        return load(parsed);
    }

    /**
     * Compiles parsed rules and validates the correlations against them. A rule whose logsource no mapping serves is
     * checked without a mapping ({@link #checkUnmapped}) and is then not applicable, or invalid; so is a correlation
     * that references such a rule.
     */
    public LoadReport load(ParsedRules parsed) {
        List<RuleProblem> skipped = new ArrayList<>(parsed.failures());
        List<RuleProblem> warnings = new ArrayList<>();
        List<CompiledRule> compiled = new ArrayList<>();
        List<LoadReport.NotApplicable> notApplicable = new ArrayList<>();
        List<SigmaRule> unserved = new ArrayList<>();
        Map<String, SigmaRule> byKey = new HashMap<>();
        for (SigmaRule rule : parsed.rules()) {
            SigmaRule earlier = byKey.get(rule.key());
            if (earlier != null) {
                skipped.add(new RuleProblem(rule.location(), rule.key(), "duplicate rule key '" + rule.key()
                        + "' (first defined at " + earlier.location() + ")"));
                continue;
            }
            String name = rule.id() != null ? rule.id() : rule.title();
            try {
                if (!"unsupported".equals(rule.status()) && !serves(rule.logsource())) {
                    checkUnmapped(rule);
                    notApplicable.add(new LoadReport.NotApplicable(rule.location(), name, rule.logsource()));
                    unserved.add(rule);
                    continue;
                }
                CompiledRule result = compile(rule);
                compiled.add(result);
                byKey.put(rule.key(), rule);
                warnings.addAll(result.warnings());
            } catch (SigmaRuleException e) {
                skipped.add(RuleProblem.of(e, name));
            }
        }
        List<SigmaRule> loaded = compiled.stream().map(CompiledRule::rule).toList();
        List<SigmaCorrelation> correlations = new ArrayList<>();
        List<SigmaRuleException> refused = validateAll(parsed.correlations(), loaded, correlation -> { });
        for (int i = 0; i < refused.size(); i++) {
            SigmaCorrelation correlation = parsed.correlations().get(i);
            SigmaRuleException e = refused.get(i);
            if (e == null) {
                correlations.add(correlation);
                continue;
            }
            Optional<LoadReport.NotApplicable> unservedCorrelation = notApplicable(correlation, loaded, unserved,
                    parsed.correlations());
            if (unservedCorrelation.isPresent()) {
                notApplicable.add(unservedCorrelation.get());
            } else {
                skipped.add(RuleProblem.of(e, correlation.key()));
            }
        }
        List<CompiledFilter> filters = new ArrayList<>();
        Map<String, SigmaFilter> filterKeys = new HashMap<>();
        List<CompiledFilter> candidates = new ArrayList<>();
        for (SigmaFilter filter : parsed.filters()) {
            SigmaFilter earlier = filterKeys.putIfAbsent(filter.key(), filter);
            if (earlier != null) {
                skipped.add(new RuleProblem(filter.location(), filter.key(), "duplicate filter key '" + filter.key()
                        + "' (first defined at " + earlier.location() + ")"));
                continue;
            }
            boolean namesLoaded = loaded.stream().anyMatch(filter::references);
            Optional<SigmaRule> unservedRule = unserved.stream().filter(filter::references).findFirst();
            if (!namesLoaded && unservedRule.isPresent()) {
                notApplicable.add(new LoadReport.NotApplicable(filter.location(), filter.key(),
                        unservedRule.get().logsource()));
                continue;
            }
            candidates.addAll(compileFilters(List.of(filter)));
        }
        for (FilterCheck check : checkFilters(candidates, compiled)) {
            if (check.problem() != null) {
                skipped.add(check.problem());
            } else {
                filters.add(check.filter());
                warnings.addAll(check.warnings());
            }
        }
        return new LoadReport(ruleSet(compiled, correlations, filters), loaded, correlations,
                filters.stream().map(CompiledFilter::filter).toList(), notApplicable, skipped, warnings);
    }

    /**
     * A correlation that is valid once the not-applicable rules count as known, and references one of them, is not
     * applicable (with the logsource of the first such rule); empty otherwise.
     */
    private Optional<LoadReport.NotApplicable> notApplicable(SigmaCorrelation correlation,
            List<SigmaRule> loaded, List<SigmaRule> unserved, List<SigmaCorrelation> correlations) {
        List<SigmaRule> known = new ArrayList<>(loaded);
        known.addAll(unserved);
        try {
            validate(correlation, known, correlations);
        } catch (SigmaRuleException e) {
            return Optional.empty();
        }
        return unserved.stream()
                .filter(rule -> correlation.rules().stream()
                        .anyMatch(reference -> reference.equals(rule.id()) || reference.equals(rule.name())))
                .findFirst()
                .map(rule -> new LoadReport.NotApplicable(correlation.location(), correlation.key(), rule.logsource()));
    }

    /** A further check of a correlation, after {@link #validate}. */
    @FunctionalInterface
    public interface CorrelationCheck {
        void check(SigmaCorrelation correlation) throws SigmaRuleException;
    }

    /**
     * Validates correlations against the rules and against each other until no more are refused: a correlation that
     * references a refused correlation is refused too.
     *
     * @return for each candidate, in order, why it is refused, or null when it is accepted
     */
    public List<SigmaRuleException> validateAll(List<SigmaCorrelation> candidates, Collection<SigmaRule> rules,
                                                CorrelationCheck extra) {
        List<SigmaRuleException> refused = new ArrayList<>(java.util.Collections.nCopies(candidates.size(),
                (SigmaRuleException) null));
        boolean changed = true;
        while (changed) {
            changed = false;
            List<SigmaCorrelation> accepted = new ArrayList<>();
            for (int i = 0; i < candidates.size(); i++) {
                if (refused.get(i) == null) {
                    accepted.add(candidates.get(i));
                }
            }
            for (int i = 0; i < candidates.size(); i++) {
                if (refused.get(i) != null) {
                    continue;
                }
                try {
                    validate(candidates.get(i), rules, accepted, candidates);
                    extra.check(candidates.get(i));
                } catch (SigmaRuleException e) {
                    refused.set(i, e);
                    changed = true;
                }
            }
        }
        return refused;
    }

    /**
     * Checks that every rule a correlation references (by id or name) is among {@code rules} or
     * {@code correlations}, that no chain of correlations leads back to it, that a referenced correlation carries
     * its group-by fields, and that its aliases name referenced rules.
     */
    public void validate(SigmaCorrelation correlation, Collection<SigmaRule> rules,
                         Collection<SigmaCorrelation> correlations) throws SigmaRuleException {
        validate(correlation, rules, correlations, correlations);
    }

    private void validate(SigmaCorrelation correlation, Collection<SigmaRule> rules,
                          Collection<SigmaCorrelation> accepted, Collection<SigmaCorrelation> all)
            throws SigmaRuleException {
        if (correlation.type() == SigmaCorrelation.Type.VALUE_PERCENTILE
                && correlation.condition().map(c -> c.percentile() == null).orElse(true)) {
            // the specification's example leaves it out (and parses); guessing one would change what the rule means
            throw new SigmaRuleException(correlation.location(), "a value_percentile correlation needs 'percentile' "
                    + "(0 to 100) in its condition to be evaluated: the percentile of 'field' that the bounds are "
                    + "compared with");
        }
        List<String> cycle = cycle(correlation, all);
        if (!cycle.isEmpty()) {
            throw new SigmaRuleException(correlation.location(), "correlation '" + correlation.title()
                    + "' is part of a cycle of correlations: " + String.join(" -> ", cycle));
        }
        Set<String> known = new HashSet<>();
        for (SigmaRule rule : rules) {
            addNonNull(known, rule.id(), rule.name());
        }
        for (String reference : correlation.rules()) {
            if (known.contains(reference)) {
                continue;
            }
            Optional<SigmaCorrelation> referenced = find(reference, accepted, correlation);
            if (referenced.isPresent()) {
                checkCarried(correlation, reference, referenced.get());
                continue;
            }
            if (find(reference, all, correlation).isPresent()) {
                throw new SigmaRuleException(correlation.location(), "correlation '" + correlation.title()
                        + "' references correlation '" + reference + "', which is not loaded");
            }
            throw new SigmaRuleException(correlation.location(), "correlation '" + correlation.title()
                    + "' references unknown rule '" + reference + "' (no loaded rule has this id or name)");
        }
        for (Map.Entry<String, Map<String, String>> alias : correlation.aliases().entrySet()) {
            for (String rule : alias.getValue().keySet()) {
                if (!correlation.rules().contains(rule)) {
                    throw new SigmaRuleException(correlation.location(), "alias '" + alias.getKey() + "' names rule '"
                            + rule + "', which the correlation does not reference");
                }
            }
        }
    }

    /** The correlation other than {@code self} with this id or name. */
    private static Optional<SigmaCorrelation> find(String reference, Collection<SigmaCorrelation> correlations,
                                                   SigmaCorrelation self) {
        return correlations.stream().filter(c -> c != self)
                .filter(c -> reference.equals(c.id()) || reference.equals(c.name())).findFirst();
    }

    /**
     * A path of references from {@code start} back to itself (names, {@code start} first and last), or empty. A
     * correlation referenced by its own name is a cycle too.
     */
    private static List<String> cycle(SigmaCorrelation start, Collection<SigmaCorrelation> all) {
        List<String> path = new ArrayList<>();
        path.add(label(start));
        return cycle(start, start, all, path, new HashSet<>()) ? path : List.of();
    }

    private static boolean cycle(SigmaCorrelation start, SigmaCorrelation at, Collection<SigmaCorrelation> all,
                                 List<String> path, Set<SigmaCorrelation> seen) {
        for (String reference : at.rules()) {
            for (SigmaCorrelation next : all) {
                if (!reference.equals(next.id()) && !reference.equals(next.name())) {
                    continue;
                }
                path.add(reference);
                if (next == start) {
                    return true;
                }
                if (seen.add(next) && cycle(start, next, all, path, seen)) {
                    return true;
                }
                path.remove(path.size() - 1);
            }
        }
        return false;
    }

    private static String label(SigmaCorrelation correlation) {
        return correlation.name() != null ? correlation.name() : correlation.key();
    }

    /**
     * A firing of a correlation carries only its own group-by values: each group-by field of the referencing
     * correlation (an alias resolved for the reference) must be one of them.
     */
    private static void checkCarried(SigmaCorrelation correlation, String reference, SigmaCorrelation referenced)
            throws SigmaRuleException {
        for (String field : correlation.groupBy()) {
            String carried = CompiledRuleSet.chainedField(correlation, field, reference);
            if (!referenced.groupBy().contains(carried)) {
                throw new SigmaRuleException(correlation.location(), "correlation '" + correlation.title()
                        + "' groups by '" + carried + "', which the referenced correlation '" + reference
                        + "' does not group by (a firing of a correlation carries only its own group-by values; add "
                        + "it there or alias it)");
            }
        }
    }

    private static void addNonNull(Set<String> into, String... values) {
        for (String value : values) {
            if (value != null) {
                into.add(value);
            }
        }
    }
}
