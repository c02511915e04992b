package dev.bulwark.sigma;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;

import dev.bulwark.schemas.Ids;
import dev.bulwark.schemas.SecurityEvent;

/**
 * An immutable, thread-safe set of compiled rules (with validated correlation rules and checked filters) that matches
 * events.
 *
 * <p>Why: the object a stream processor holds. {@link #match} routes an event to the rule groups of its logsources,
 * prefilters each group on exact values and substrings, and fully evaluates only the candidate rules. A rule change
 * builds a new set ({@link #with}, {@link #without}): rules are not recompiled, only the per-group indexes are rebuilt,
 * which is cheap enough to do on every update; the old set keeps serving until the new one is swapped in.
 */
public final class CompiledRuleSet {

    private final FieldMapping mapping;
    private final Map<String, CompiledRule> rules;
    private final List<SigmaCorrelation> correlations;
    private final Map<String, SigmaCorrelation> correlationsByKey;
    private final Map<String, List<Link>> referencedBy;
    private final RuleGroup[] groups;
    private final List<CompiledFilter> filters;
    private final dev.bulwark.detectors.api.RuleTelemetry telemetry;
    private final Map<String, AppliedFilter[]> filtersByRule;
    private final LongAdder events = new LongAdder();
    private final LongAdder evaluations = new LongAdder();
    private final LongAdder matches = new LongAdder();
    private final LongAdder filtered = new LongAdder();

    /** A filter compiled for one rule's logsource. */
    private record AppliedFilter(SigmaFilter filter, CompiledDetection detection) {
    }

    CompiledRuleSet(FieldMapping mapping, Collection<CompiledRule> rules, List<SigmaCorrelation> correlations) {
        this(mapping, rules, correlations, List.of());
    }

    CompiledRuleSet(FieldMapping mapping, Collection<CompiledRule> rules, List<SigmaCorrelation> correlations,
                    List<CompiledFilter> filters) {
        this(mapping, rules, correlations, filters, dev.bulwark.detectors.api.RuleTelemetry.NONE);
    }

    CompiledRuleSet(FieldMapping mapping, Collection<CompiledRule> rules, List<SigmaCorrelation> correlations,
                    List<CompiledFilter> filters, dev.bulwark.detectors.api.RuleTelemetry telemetry) {
        this.mapping = mapping;
        this.telemetry = telemetry;
        Map<String, CompiledRule> byKey = new LinkedHashMap<>();
        for (CompiledRule rule : rules) {
            if (rule.mapping() != mapping) {
                throw new IllegalArgumentException("rule " + rule.key() + " was compiled with another field mapping");
            }
            byKey.put(rule.key(), rule);
        }
        this.rules = java.util.Collections.unmodifiableMap(byKey);
        this.correlations = shadowed(byKey.values(), correlations);
        Map<String, SigmaCorrelation> byCorrelationKey = new LinkedHashMap<>();
        this.correlations.forEach(c -> byCorrelationKey.putIfAbsent(c.key(), c));
        this.correlationsByKey = java.util.Collections.unmodifiableMap(byCorrelationKey);
        Map<String, List<Link>> links = new HashMap<>();
        for (SigmaCorrelation parent : this.correlations) {
            for (String reference : parent.rules()) {
                for (SigmaCorrelation child : this.correlations) {
                    if (child != parent && (reference.equals(child.id()) || reference.equals(child.name()))) {
                        links.computeIfAbsent(child.key(), k -> new ArrayList<>()).add(new Link(parent, reference));
                        break;
                    }
                }
            }
        }
        this.referencedBy = Map.copyOf(links);
        Set<String> notStandalone = notStandalone(byKey.values(), this.correlations);
        List<RuleGroup> built = new ArrayList<>();
        for (LogsourceMapping logsource : mapping.logsources()) {
            List<CompiledRule> members = byKey.values().stream()
                    .filter(r -> r.logsource().equals(logsource.name())).toList();
            if (!members.isEmpty()) {
                built.add(new RuleGroup(logsource, mapping.selector(logsource), members, notStandalone, telemetry));
            }
        }
        this.groups = built.toArray(RuleGroup[]::new);
        this.filters = List.copyOf(filters);
        Map<String, AppliedFilter[]> applied = new HashMap<>();
        for (CompiledFilter filter : this.filters) {
            if (filter.mapping() != mapping) {
                throw new IllegalArgumentException("filter " + filter.key() + " was made with another field mapping");
            }
            for (CompiledRule rule : byKey.values()) {
                if (!filter.appliesTo(rule.rule())) {
                    continue;
                }
                CompiledDetection detection = filter.compiledFor(rule).detection();
                if (detection == null) {
                    continue; // refused for this logsource: SigmaEngine.checkFilters reports it
                }
                AppliedFilter[] before = applied.getOrDefault(rule.key(), new AppliedFilter[0]);
                AppliedFilter[] after = java.util.Arrays.copyOf(before, before.length + 1);
                after[before.length] = new AppliedFilter(filter.filter(), detection);
                applied.put(rule.key(), after);
            }
        }
        this.filtersByRule = Map.copyOf(applied);
    }

    /**
     * The rules that match {@code event}, in logsource then rule order; an empty list (not allocated) when none.
     * Safe to call from many threads.
     */
    public List<RuleMatch> match(SecurityEvent event) {
        return matchAll(event).matches();
    }

    /**
     * The rules that match {@code event} and the matches that filters suppressed. A match of a rule that filters
     * apply to is kept only when the event satisfies every such filter's condition (the filter is AND-ed to the rule,
     * as the Sigma reference implementation applies it); otherwise it is suppressed by the first filter whose
     * condition is false, and counted in {@link Stats#filtered()}. Safe to call from many threads.
     */
    public Matches matchAll(SecurityEvent event) {
        events.increment();
        List<RuleMatch> out = null;
        for (RuleGroup group : groups) {
            out = group.match(event, out, evaluations);
        }
        if (out == null) {
            return Matches.NONE;
        }
        List<FilteredMatch> suppressed = List.of();
        if (!filtersByRule.isEmpty()) {
            List<RuleMatch> kept = new ArrayList<>(out.size());
            for (RuleMatch match : out) {
                SigmaFilter by = suppressing(match, event);
                if (by == null) {
                    kept.add(match);
                } else {
                    if (suppressed.isEmpty()) {
                        suppressed = new ArrayList<>(1);
                    }
                    suppressed.add(new FilteredMatch(match, by));
                }
            }
            out = kept;
        }
        matches.add(out.size());
        filtered.add(suppressed.size());
        return new Matches(out, suppressed);
    }

    /** The first filter of the match's rule whose condition the event does not satisfy, or null. */
    private SigmaFilter suppressing(RuleMatch match, SecurityEvent event) {
        AppliedFilter[] applied = filtersByRule.get(match.rule().key());
        if (applied == null) {
            return null;
        }
        for (AppliedFilter filter : applied) {
            if (!filter.detection().matches(event)) {
                return filter.filter();
            }
        }
        return null;
    }

    /**
     * What matching one event gave.
     *
     * @param matches the matches kept, in logsource then rule order
     * @param filtered the matches filters suppressed, each with the filter
     */
    public record Matches(List<RuleMatch> matches, List<FilteredMatch> filtered) {

        static final Matches NONE = new Matches(List.of(), List.of());
    }

    /**
     * A match a filter suppressed.
     *
     * @param match the rule's match
     * @param filter the filter whose condition the event did not satisfy
     */
    public record FilteredMatch(RuleMatch match, SigmaFilter filter) {
    }

    /** A new set with {@code rule} added, or replacing the rule with the same key. */
    public CompiledRuleSet with(CompiledRule rule) {
        return withAll(List.of(rule));
    }

    /** A new set with {@code added} added or replacing rules with the same keys. */
    public CompiledRuleSet withAll(Collection<CompiledRule> added) {
        Map<String, CompiledRule> next = new LinkedHashMap<>(rules);
        added.forEach(rule -> next.put(rule.key(), rule));
        return new CompiledRuleSet(mapping, next.values(), correlations, filters, telemetry);
    }

    /** A new set without the rule with this key (id, name, or source location); the same set when absent. */
    public CompiledRuleSet without(String key) {
        if (!rules.containsKey(key)) {
            return this;
        }
        Map<String, CompiledRule> next = new LinkedHashMap<>(rules);
        next.remove(key);
        return new CompiledRuleSet(mapping, next.values(), correlations, filters, telemetry);
    }

    /** A new set with these correlation rules (validate them first with {@link SigmaEngine#validate}). */
    public CompiledRuleSet withCorrelations(List<SigmaCorrelation> replacement) {
        return new CompiledRuleSet(mapping, rules.values(), replacement, filters, telemetry);
    }

    /** A new set with these filters (check them first with {@link SigmaEngine#checkFilters}). */
    public CompiledRuleSet withFilters(List<CompiledFilter> replacement) {
        return new CompiledRuleSet(mapping, rules.values(), correlations, replacement, telemetry);
    }

    /** The filters. */
    public List<SigmaFilter> filters() {
        return filters.stream().map(CompiledFilter::filter).toList();
    }

    /** The filters that apply to the rule with this key (they name it and cover its logsource), in load order. */
    public List<SigmaFilter> filtersOf(String ruleKey) {
        AppliedFilter[] applied = filtersByRule.get(ruleKey);
        return applied == null ? List.of() : java.util.Arrays.stream(applied).map(AppliedFilter::filter).toList();
    }

    /** The rules, in insertion order. */
    public Collection<CompiledRule> rules() {
        return rules.values();
    }

    /** The rule with this key. */
    public Optional<CompiledRule> rule(String key) {
        return Optional.ofNullable(rules.get(key));
    }

    /** The correlation rules. */
    public List<SigmaCorrelation> correlations() {
        return correlations;
    }

    /** The correlation rules that reference this rule (by id or name). */
    public List<SigmaCorrelation> correlationsOf(SigmaRule rule) {
        return correlations.stream().filter(c -> references(c, rule)).toList();
    }

    /**
     * The group-by values of a match for a correlation: for each group-by field (an alias resolved for the matched
     * rule, or a field of the rule's logsource), its text in {@code event}, or null when absent.
     */
    public List<String> groupKey(SigmaCorrelation correlation, RuleMatch match, SecurityEvent event) {
        CompiledRule rule = rules.get(match.rule().key());
        if (rule == null) {
            throw new IllegalArgumentException("rule " + match.rule().key() + " is not in this set");
        }
        List<String> key = new ArrayList<>(correlation.groupBy().size());
        for (String field : correlation.groupBy()) {
            Map<String, String> alias = correlation.aliases().get(field);
            String actual = field;
            if (alias != null) {
                actual = alias.get(match.rule().name() != null && alias.containsKey(match.rule().name())
                        ? match.rule().name() : match.rule().id());
            }
            key.add(actual == null ? null : rule.fieldText(actual, event));
        }
        return key;
    }

    /** Counters since this set was built: events matched, full rule evaluations, matches, filtered matches. */
    public Stats stats() {
        return new Stats(events.sum(), evaluations.sum(), matches.sum(), filtered.sum());
    }

    /** How many rules of each logsource group cannot be prefiltered (always evaluated), by group name. */
    public Map<String, Integer> unfilteredRules() {
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (RuleGroup group : groups) {
            counts.put(group.logsource().name(), group.unfilteredCount());
        }
        return counts;
    }

    /**
     * Matching counters, for metrics and structural tests.
     *
     * @param events events given to {@link #match}
     * @param evaluations full rule evaluations (after the prefilter)
     * @param matches rule matches returned
     * @param filtered rule matches that filters suppressed (not in {@code matches})
     */
    public record Stats(long events, long evaluations, long matches, long filtered) {
    }

    /**
     * A correlation referencing another one.
     *
     * @param parent the referencing correlation
     * @param reference the reference as written in its rules (the other's id or name)
     */
    public record Link(SigmaCorrelation parent, String reference) {
    }

    /** The correlations that reference this correlation (by id or name): where its firings go. */
    public List<Link> referencedBy(SigmaCorrelation correlation) {
        return referencedBy.getOrDefault(correlation.key(), List.of());
    }

    /**
     * Every way a firing of {@code correlation} travels up chains of correlations: each route lists the keys of the
     * referencing correlations, nearest first, up to one that nothing references. A correlation that nothing
     * references has one empty route. Rules are validated free of cycles, so routes are finite.
     */
    public List<List<String>> routes(SigmaCorrelation correlation) {
        List<Link> links = referencedBy(correlation);
        if (links.isEmpty()) {
            return List.of(List.of());
        }
        List<List<String>> routes = new ArrayList<>();
        for (Link link : links) {
            for (List<String> above : routes(link.parent())) {
                List<String> route = new ArrayList<>(above.size() + 1);
                route.add(link.parent().key());
                route.addAll(above);
                routes.add(List.copyOf(route));
            }
        }
        return routes;
    }

    /** The link from {@code child} to the correlation with key {@code parentKey}, if it references the child. */
    public Optional<Link> link(SigmaCorrelation child, String parentKey) {
        return referencedBy(child).stream().filter(l -> l.parent().key().equals(parentKey)).findFirst();
    }

    /** The correlation with this key, if loaded. */
    /** The correlations by key (the first of a key wins), with shadow mode carried over from the rules they count. */
    public Map<String, SigmaCorrelation> correlationsByKey() {
        return correlationsByKey;
    }

    public Optional<SigmaCorrelation> correlation(String key) {
        return Optional.ofNullable(correlationsByKey.get(key));
    }

    /**
     * The field of a referenced correlation's group that a group-by field of {@code correlation} takes its value
     * from: the alias for the reference when there is one, else the same name.
     */
    static String chainedField(SigmaCorrelation correlation, String field, String reference) {
        Map<String, String> alias = correlation.aliases().get(field);
        if (alias != null && alias.containsKey(reference)) {
            return alias.get(reference);
        }
        return field;
    }

    /**
     * The group of the referencing correlation of {@code link} for a firing of {@code child} with group
     * {@code childGroup}: each of its group-by fields takes the value of the child's group-by field it names
     * ({@link #chainedField}), or null when the child does not group by it.
     */
    static List<String> chainGroup(Link link, SigmaCorrelation child, List<String> childGroup) {
        List<String> group = new ArrayList<>(link.parent().groupBy().size());
        for (String field : link.parent().groupBy()) {
            int at = child.groupBy().indexOf(chainedField(link.parent(), field, link.reference()));
            group.add(at >= 0 && at < childGroup.size() ? childGroup.get(at) : null);
        }
        return group;
    }

    /**
     * The key a hit of {@code correlation} with {@code group} is partitioned by on {@code route}: the outermost
     * correlation's key and group, so that every window of one chain meets in one task. On the empty route it is
     * the correlation's own key and group.
     */
    public String partitionKey(SigmaCorrelation correlation, List<String> group, List<String> route) {
        SigmaCorrelation current = correlation;
        List<String> currentGroup = group;
        for (String parentKey : route) {
            Optional<Link> link = link(current, parentKey);
            if (link.isEmpty()) {
                break; // cannot happen for a route of this set
            }
            currentGroup = chainGroup(link.get(), current, currentGroup);
            current = link.get().parent();
        }
        return windowKey(current.key(), currentGroup, List.of());
    }

    /**
     * The key of a correlation group's window: its key and group values, and on a route inside a chain also the
     * route (a correlation referenced from several places keeps a window per place).
     */
    public static String windowKey(String correlationKey, List<String> group, List<String> route) {
        List<String> parts = new ArrayList<>(group.size() + 1);
        parts.add(correlationKey);
        parts.addAll(group);
        String key = Ids.of(parts.toArray(String[]::new));
        if (route.isEmpty()) {
            return key;
        }
        List<String> routed = new ArrayList<>(route.size() + 1);
        routed.add(key);
        routed.addAll(route);
        return Ids.of(routed.toArray(String[]::new));
    }

    /**
     * The correlations with {@code shadow} set on each one that counts a shadow rule or a shadow correlation, directly or
     * down a chain: a rule under test must not raise live alerts through a correlation either.
     */
    private static List<SigmaCorrelation> shadowed(Collection<CompiledRule> rules, List<SigmaCorrelation> correlations) {
        Set<String> shadow = new java.util.HashSet<>();
        for (CompiledRule rule : rules) {
            if (rule.rule().shadow()) {
                java.util.stream.Stream.of(rule.rule().id(), rule.rule().name()).filter(java.util.Objects::nonNull)
                        .forEach(shadow::add);
            }
        }
        List<SigmaCorrelation> result = new ArrayList<>(correlations);
        boolean changed = true;
        while (changed) {
            changed = false;
            for (int i = 0; i < result.size(); i++) {
                SigmaCorrelation c = result.get(i);
                if (!c.shadow() && c.rules().stream().anyMatch(shadow::contains)) {
                    c = c.asShadow();
                    result.set(i, c);
                    changed = true;
                }
                if (c.shadow() && java.util.stream.Stream.of(c.id(), c.name()).filter(java.util.Objects::nonNull)
                        .anyMatch(shadow::add)) {
                    changed = true;
                }
            }
        }
        return List.copyOf(result);
    }

    static boolean references(SigmaCorrelation correlation, SigmaRule rule) {
        return correlation.rules().stream().anyMatch(ref -> ref.equals(rule.id()) || ref.equals(rule.name()));
    }

    private static Set<String> notStandalone(Collection<CompiledRule> rules, List<SigmaCorrelation> correlations) {
        Set<String> hidden = new HashSet<>();
        for (CompiledRule rule : rules) {
            List<SigmaCorrelation> using = correlations.stream().filter(c -> references(c, rule.rule())).toList();
            if (!using.isEmpty() && using.stream().noneMatch(SigmaCorrelation::generate)) {
                hidden.add(rule.key());
            }
        }
        return hidden;
    }
}
