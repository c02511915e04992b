package dev.bulwark.sigma;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;

import dev.bulwark.schemas.SecurityEvent;

/**
 * The rules of one logsource, with their prefilter: per field, a hash table of exact values and an Aho–Corasick
 * automaton of substrings, each pointing to the rules that need them.
 *
 * <p>Why: an event meets a group only when it passes the logsource's selector, and within the group a rule is fully
 * evaluated only when the prefilter marked it (one of its necessary literals is in the event) or when it cannot be
 * prefiltered. The work per event grows with the event's field lengths and the number of candidate rules, not with
 * the number of rules.
 */
final class RuleGroup {

    /** The prefilter of one field. */
    private record FieldIndex(FieldAccessor accessor, FoldedStringTable exact, AhoCorasick substrings) {
    }

    private final LogsourceMapping logsource;
    private final CompiledDetection selector;
    private final CompiledRule[] rules;
    /** Each rule's telemetry (evaluations, sampled time, matches). */
    private final dev.bulwark.detectors.api.RuleTelemetry.Counters[] counters;
    private final boolean[] standalone;
    private final int[] unfiltered;
    private final FieldIndex[] indexes;

    RuleGroup(LogsourceMapping logsource, CompiledDetection selector, List<CompiledRule> rules, Set<String> notStandalone) {
        this(logsource, selector, rules, notStandalone, dev.bulwark.detectors.api.RuleTelemetry.NONE);
    }

    RuleGroup(LogsourceMapping logsource, CompiledDetection selector, List<CompiledRule> rules, Set<String> notStandalone,
              dev.bulwark.detectors.api.RuleTelemetry telemetry) {
        this.logsource = logsource;
        this.selector = selector;
        this.rules = rules.toArray(CompiledRule[]::new);
        this.counters = new dev.bulwark.detectors.api.RuleTelemetry.Counters[this.rules.length];
        for (int r = 0; r < this.rules.length; r++) {
            counters[r] = telemetry.rule(SigmaFindings.ruleId(this.rules[r].rule()));
        }
        this.standalone = new boolean[this.rules.length];
        List<Integer> always = new ArrayList<>();
        Map<String, FieldAccessor> accessors = new LinkedHashMap<>();
        Map<String, Map<String, List<Integer>>> exact = new HashMap<>();
        Map<String, Map<String, List<Integer>>> substrings = new HashMap<>();
        for (int r = 0; r < this.rules.length; r++) {
            CompiledRule rule = this.rules[r];
            standalone[r] = !notStandalone.contains(rule.key());
            Set<PrefilterAtom> atoms = rule.prefilter();
            if (atoms == null) {
                always.add(r);
                continue;
            }
            Map<String, CompiledField> fields = rule.detection().fields();
            for (PrefilterAtom atom : atoms) {
                accessors.putIfAbsent(atom.fieldKey(), fields.get(atom.fieldKey()).accessor());
                (atom.exact() ? exact : substrings)
                        .computeIfAbsent(atom.fieldKey(), k -> new HashMap<>())
                        .computeIfAbsent(atom.literal(), k -> new ArrayList<>())
                        .add(r);
            }
        }
        this.unfiltered = always.stream().mapToInt(Integer::intValue).toArray();
        List<FieldIndex> built = new ArrayList<>();
        accessors.forEach((key, accessor) -> built.add(new FieldIndex(accessor,
                exact.containsKey(key) ? new FoldedStringTable(toArrays(exact.get(key))) : null,
                substrings.containsKey(key) ? new AhoCorasick(toArrays(substrings.get(key))) : null)));
        this.indexes = built.toArray(FieldIndex[]::new);
    }

    private static Map<String, int[]> toArrays(Map<String, List<Integer>> lists) {
        Map<String, int[]> arrays = new HashMap<>();
        lists.forEach((literal, rules) -> arrays.put(literal, rules.stream().mapToInt(Integer::intValue).distinct().toArray()));
        return arrays;
    }

    LogsourceMapping logsource() {
        return logsource;
    }

    int size() {
        return rules.length;
    }

    int unfilteredCount() {
        return unfiltered.length;
    }

    /**
     * Adds the matches of this group's rules to {@code out} (allocated on the first match) and returns it.
     *
     * @param evaluations counts full rule evaluations
     */
    List<RuleMatch> match(SecurityEvent event, List<RuleMatch> out, LongAdder evaluations) {
        if (!selector.matches(event)) {
            return out;
        }
        RuleBits candidates = new RuleBits(rules.length);
        for (FieldIndex index : indexes) {
            Object value = index.accessor().get(event);
            if (FieldValues.isAbsent(value)) {
                continue;
            }
            if (value instanceof List<?> list) {
                for (Object element : list) {
                    if (element != null) {
                        probe(index, FieldValues.text(element), candidates);
                    }
                }
            } else {
                probe(index, FieldValues.text(value), candidates);
            }
        }
        for (int r : unfiltered) {
            candidates.mark(r);
        }
        for (int r = candidates.next(0); r >= 0; r = candidates.next(r + 1)) {
            evaluations.increment();
            dev.bulwark.detectors.api.RuleTelemetry.Counters counter = counters[r];
            boolean matched;
            if (counter.sample()) {
                long start = System.nanoTime();
                matched = rules[r].detection().matches(event);
                counter.evaluated(System.nanoTime() - start);
            } else {
                matched = rules[r].detection().matches(event);
                counter.evaluated();
            }
            if (matched) {
                counter.matched(System.currentTimeMillis());
                if (out == null) {
                    out = new ArrayList<>(2);
                }
                out.add(rules[r].toMatch(event, standalone[r]));
            }
        }
        return out;
    }

    private static void probe(FieldIndex index, String text, RuleBits candidates) {
        if (index.exact() != null) {
            int[] hit = index.exact().get(text);
            if (hit != null) {
                candidates.mark(hit);
            }
        }
        if (index.substrings() != null) {
            index.substrings().scan(text, candidates);
        }
    }
}
