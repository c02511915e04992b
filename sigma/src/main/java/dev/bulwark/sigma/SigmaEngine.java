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

    private SigmaEngine(FieldMapping mapping) {
        this.mapping = mapping;
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
        Set<String> reported = new HashSet<>();
        FieldResolver resolver = new FieldResolver() {
            @Override
            public CompiledField field(String name, SourceLocation at) {
                return mapping.target(logsource, name).map(mapping::compiled).orElseGet(() -> {
                    if (reported.add(name)) {
                        warnings.add(new RuleProblem(at, ruleName, "field '" + name + "' is not mapped for logsource '"
                                + logsource.name() + "' (" + rule.logsource() + "); it is always absent"));
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

    /** A set of already compiled rules (and validated correlations). */
    public CompiledRuleSet ruleSet(Collection<CompiledRule> rules, List<SigmaCorrelation> correlations) {
        return new CompiledRuleSet(mapping, rules, correlations);
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
        for (SigmaCorrelation correlation : parsed.correlations()) {
            try {
                validate(correlation, loaded, parsed.correlations());
                correlations.add(correlation);
            } catch (SigmaRuleException e) {
                Optional<LoadReport.NotApplicable> unservedCorrelation = notApplicable(correlation, loaded, unserved,
                        parsed.correlations());
                if (unservedCorrelation.isPresent()) {
                    notApplicable.add(unservedCorrelation.get());
                } else {
                    skipped.add(RuleProblem.of(e, correlation.key()));
                }
            }
        }
        return new LoadReport(ruleSet(compiled, correlations), loaded, correlations, notApplicable, skipped,
                warnings);
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

    /**
     * Checks that every rule a correlation references (by id or name) is among {@code rules} or
     * {@code correlations}, and that its aliases name referenced rules.
     */
    public void validate(SigmaCorrelation correlation, Collection<SigmaRule> rules,
                         Collection<SigmaCorrelation> correlations) throws SigmaRuleException {
        Set<String> known = new HashSet<>();
        for (SigmaRule rule : rules) {
            addNonNull(known, rule.id(), rule.name());
        }
        for (SigmaCorrelation other : correlations) {
            if (other != correlation) {
                addNonNull(known, other.id(), other.name());
            }
        }
        for (String reference : correlation.rules()) {
            if (!known.contains(reference)) {
                throw new SigmaRuleException(correlation.location(), "correlation '" + correlation.title()
                        + "' references unknown rule '" + reference + "' (no loaded rule has this id or name)");
            }
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

    private static void addNonNull(Set<String> into, String... values) {
        for (String value : values) {
            if (value != null) {
                into.add(value);
            }
        }
    }
}
