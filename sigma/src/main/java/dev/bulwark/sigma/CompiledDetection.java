package dev.bulwark.sigma;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

import dev.bulwark.schemas.SecurityEvent;

/**
 * A detection compiled into predicates and a condition tree, with the prefilter atoms it needs.
 *
 * <p>Why: the executable form of a rule's detection (and of a logsource selector). Evaluation short-circuits and
 * allocates nothing; evidence (matched selections and values) is collected only for matches.
 */
final class CompiledDetection {

    /** A compiled boolean expression over the selections. */
    private interface Expr {
        boolean test(SecurityEvent event);
    }

    private final String[] names;
    private final CompiledPredicate[][][] selections;
    private final boolean[] positive;
    private final Expr condition;
    private final Set<PrefilterAtom> prefilter;
    private final List<CompiledPredicate> neverTrueBecauseOf;

    private CompiledDetection(String[] names, CompiledPredicate[][][] selections, boolean[] positive, Expr condition,
                              Set<PrefilterAtom> prefilter, List<CompiledPredicate> neverTrueBecauseOf) {
        this.names = names;
        this.selections = selections;
        this.positive = positive;
        this.condition = condition;
        this.prefilter = prefilter;
        this.neverTrueBecauseOf = neverTrueBecauseOf;
    }

    /**
     * Compiles a detection.
     *
     * @param detection the parsed detection
     * @param fields how field names are read
     * @param placeholders values for {@code expand}
     * @param warnings receives warnings (e.g. unmapped fields)
     */
    static CompiledDetection compile(SigmaDetection detection, FieldResolver fields,
                                     Map<String, List<String>> placeholders, Consumer<RuleProblem> warnings)
            throws SigmaRuleException {
        PredicateCompiler compiler = new PredicateCompiler(fields, placeholders, warnings);
        List<String> names = new ArrayList<>(detection.searches().keySet());
        CompiledPredicate[][][] selections = new CompiledPredicate[names.size()][][];
        for (int s = 0; s < names.size(); s++) {
            SearchIdentifier search = detection.searches().get(names.get(s));
            selections[s] = new CompiledPredicate[search.alternatives().size()][];
            for (int a = 0; a < search.alternatives().size(); a++) {
                List<FieldPredicate> items = search.alternatives().get(a);
                selections[s][a] = new CompiledPredicate[items.size()];
                for (int p = 0; p < items.size(); p++) {
                    selections[s][a][p] = compiler.compile(items.get(p));
                }
            }
        }
        boolean[] positive = new boolean[names.size()];
        markPositive(detection.condition(), names, positive, false);
        Expr condition = expr(detection.condition(), names, selections);
        Set<PrefilterAtom> prefilter = atoms(detection.condition(), names, selections);
        List<CompiledPredicate> fixed = new ArrayList<>();
        if (constant(detection.condition(), names, selections) == Boolean.FALSE) {
            for (CompiledPredicate[][] selection : selections) {
                for (CompiledPredicate[] alternative : selection) {
                    for (CompiledPredicate item : alternative) {
                        if (item.constant() != null) {
                            fixed.add(item);
                        }
                    }
                }
            }
        }
        return new CompiledDetection(names.toArray(String[]::new), selections, positive, condition, prefilter,
                List.copyOf(fixed));
    }

    /**
     * When the condition is false for every event because unmapped fields fix the value of some items (see
     * {@link CompiledPredicate#constant()}), those items; else empty. Such a detection can never match.
     */
    List<CompiledPredicate> neverTrueBecauseOf() {
        return neverTrueBecauseOf;
    }

    /** True when the event satisfies the condition. */
    boolean matches(SecurityEvent event) {
        return condition.test(event);
    }

    /**
     * The atoms of which every matching event holds at least one, or null when the detection can match without any
     * (then it is evaluated for every event of its logsource).
     */
    Set<PrefilterAtom> prefilter() {
        return prefilter;
    }

    /** The selections that are true and count for the match (not only used under {@code not}). */
    List<String> matchedSelections(SecurityEvent event) {
        List<String> matched = new ArrayList<>();
        for (int s = 0; s < names.length; s++) {
            if (positive[s] && firstTrueAlternative(selections[s], event) >= 0) {
                matched.add(names[s]);
            }
        }
        return matched;
    }

    /** Every selection that is true for the event, whatever its role in the condition (for diagnostics). */
    List<String> trueSelections(SecurityEvent event) {
        List<String> matched = new ArrayList<>();
        for (int s = 0; s < names.length; s++) {
            if (firstTrueAlternative(selections[s], event) >= 0) {
                matched.add(names[s]);
            }
        }
        return matched;
    }

    /** The values of the items of each matched selection. */
    List<MatchedField> evidence(SecurityEvent event) {
        List<MatchedField> evidence = new ArrayList<>();
        for (int s = 0; s < names.length; s++) {
            if (!positive[s]) {
                continue;
            }
            int alternative = firstTrueAlternative(selections[s], event);
            if (alternative < 0) {
                continue;
            }
            for (CompiledPredicate predicate : selections[s][alternative]) {
                String value = predicate.evidence(event);
                if (value != null) {
                    evidence.add(new MatchedField(names[s], predicate.field() == null ? "keywords" : predicate.field(),
                            predicate.target().path(), value));
                }
            }
        }
        return evidence;
    }

    /** Every field read of the detection, by key. */
    Map<String, CompiledField> fields() {
        Map<String, CompiledField> fields = new LinkedHashMap<>();
        for (CompiledPredicate[][] selection : selections) {
            for (CompiledPredicate[] alternative : selection) {
                for (CompiledPredicate predicate : alternative) {
                    fields.putIfAbsent(predicate.target().key(), predicate.target());
                }
            }
        }
        return fields;
    }

    private static int firstTrueAlternative(CompiledPredicate[][] selection, SecurityEvent event) {
        for (int a = 0; a < selection.length; a++) {
            if (allTrue(selection[a], event)) {
                return a;
            }
        }
        return -1;
    }

    private static boolean allTrue(CompiledPredicate[] items, SecurityEvent event) {
        for (CompiledPredicate item : items) {
            if (!item.test(event)) {
                return false;
            }
        }
        return true;
    }

    private static Expr selection(CompiledPredicate[][] alternatives) {
        if (alternatives.length == 1) {
            CompiledPredicate[] items = alternatives[0];
            return event -> allTrue(items, event);
        }
        return event -> firstTrueAlternative(alternatives, event) >= 0;
    }

    private static Expr expr(ConditionNode node, List<String> names, CompiledPredicate[][][] selections) {
        if (node instanceof ConditionNode.Identifier id) {
            return selection(selections[names.indexOf(id.name())]);
        }
        if (node instanceof ConditionNode.Not not) {
            Expr child = expr(not.child(), names, selections);
            return event -> !child.test(event);
        }
        if (node instanceof ConditionNode.And and) {
            Expr[] children = and.children().stream().map(c -> expr(c, names, selections)).toArray(Expr[]::new);
            return event -> {
                for (Expr child : children) {
                    if (!child.test(event)) {
                        return false;
                    }
                }
                return true;
            };
        }
        if (node instanceof ConditionNode.Or or) {
            Expr[] children = or.children().stream().map(c -> expr(c, names, selections)).toArray(Expr[]::new);
            return event -> {
                for (Expr child : children) {
                    if (child.test(event)) {
                        return true;
                    }
                }
                return false;
            };
        }
        ConditionNode.Quantifier quantifier = (ConditionNode.Quantifier) node;
        Expr[] children = quantifier.identifiers().stream()
                .map(name -> selection(selections[names.indexOf(name)])).toArray(Expr[]::new);
        int needed = quantifier.minimum() == 0 ? children.length : quantifier.minimum();
        return event -> {
            int count = 0;
            for (int i = 0; i < children.length; i++) {
                if (children[i].test(event) && ++count >= needed) {
                    return true;
                }
                if (count + (children.length - i - 1) < needed) {
                    return false;
                }
            }
            return false;
        };
    }

    /** The condition's value for every event, when fixed by constant items (three-valued logic); else null. */
    private static Boolean constant(ConditionNode node, List<String> names, CompiledPredicate[][][] selections) {
        if (node instanceof ConditionNode.Identifier id) {
            return constant(selections[names.indexOf(id.name())]);
        }
        if (node instanceof ConditionNode.Not not) {
            Boolean child = constant(not.child(), names, selections);
            return child == null ? null : !child;
        }
        List<Boolean> children;
        int needed;
        if (node instanceof ConditionNode.And and) {
            children = and.children().stream().map(c -> constant(c, names, selections)).toList();
            needed = children.size();
        } else if (node instanceof ConditionNode.Or or) {
            children = or.children().stream().map(c -> constant(c, names, selections)).toList();
            needed = 1;
        } else {
            ConditionNode.Quantifier quantifier = (ConditionNode.Quantifier) node;
            children = quantifier.identifiers().stream().map(n -> constant(selections[names.indexOf(n)])).toList();
            needed = quantifier.minimum() == 0 ? children.size() : quantifier.minimum();
        }
        return atLeast(children, needed);
    }

    /** A selection: OR of its alternatives, each the AND of its items. */
    private static Boolean constant(CompiledPredicate[][] selection) {
        List<Boolean> alternatives = new ArrayList<>();
        for (CompiledPredicate[] items : selection) {
            List<Boolean> values = new ArrayList<>();
            for (CompiledPredicate item : items) {
                values.add(item.constant());
            }
            alternatives.add(atLeast(values, values.size()));
        }
        return atLeast(alternatives, 1);
    }

    /** True when at least {@code needed} values are surely true, false when they surely cannot be, else null. */
    private static Boolean atLeast(List<Boolean> values, int needed) {
        int surelyTrue = 0;
        int possiblyTrue = 0;
        for (Boolean value : values) {
            surelyTrue += Boolean.TRUE.equals(value) ? 1 : 0;
            possiblyTrue += Boolean.FALSE.equals(value) ? 0 : 1;
        }
        if (surelyTrue >= needed) {
            return true;
        }
        return possiblyTrue < needed ? false : null;
    }

    private static void markPositive(ConditionNode node, List<String> names, boolean[] positive, boolean negated) {
        if (node instanceof ConditionNode.Identifier id) {
            positive[names.indexOf(id.name())] |= !negated;
        } else if (node instanceof ConditionNode.Not not) {
            markPositive(not.child(), names, positive, !negated);
        } else if (node instanceof ConditionNode.And and) {
            and.children().forEach(c -> markPositive(c, names, positive, negated));
        } else if (node instanceof ConditionNode.Or or) {
            or.children().forEach(c -> markPositive(c, names, positive, negated));
        } else if (node instanceof ConditionNode.Quantifier q) {
            q.identifiers().forEach(name -> positive[names.indexOf(name)] |= !negated);
        }
    }

    /** Necessary atoms of a condition: see {@link #prefilter()}. */
    private static Set<PrefilterAtom> atoms(ConditionNode node, List<String> names, CompiledPredicate[][][] selections) {
        if (node instanceof ConditionNode.Identifier id) {
            return selectionAtoms(selections[names.indexOf(id.name())]);
        }
        if (node instanceof ConditionNode.Not) {
            return null;
        }
        if (node instanceof ConditionNode.And and) {
            return best(and.children().stream().map(c -> atoms(c, names, selections)).toList());
        }
        if (node instanceof ConditionNode.Or or) {
            return union(or.children().stream().map(c -> atoms(c, names, selections)).toList());
        }
        ConditionNode.Quantifier quantifier = (ConditionNode.Quantifier) node;
        List<Set<PrefilterAtom>> children = quantifier.identifiers().stream()
                .map(name -> selectionAtoms(selections[names.indexOf(name)])).toList();
        return quantifier.minimum() == 0 ? best(children) : union(children);
    }

    private static Set<PrefilterAtom> selectionAtoms(CompiledPredicate[][] alternatives) {
        List<Set<PrefilterAtom>> perAlternative = new ArrayList<>();
        for (CompiledPredicate[] items : alternatives) {
            List<Set<PrefilterAtom>> perItem = new ArrayList<>();
            for (CompiledPredicate item : items) {
                List<PrefilterAtom> atoms = item.prefilterAtoms();
                perItem.add(atoms == null ? null : new HashSet<>(atoms));
            }
            perAlternative.add(best(perItem));
        }
        return union(perAlternative);
    }

    /** For an AND: any one child's atoms are necessary; take the most selective. */
    private static Set<PrefilterAtom> best(List<Set<PrefilterAtom>> children) {
        Set<PrefilterAtom> best = null;
        for (Set<PrefilterAtom> child : children) {
            if (child != null && (best == null || selectivity(child) > selectivity(best))) {
                best = child;
            }
        }
        return best;
    }

    /** For an OR: every child must have atoms; their union is necessary. */
    private static Set<PrefilterAtom> union(List<Set<PrefilterAtom>> children) {
        Set<PrefilterAtom> union = new HashSet<>();
        for (Set<PrefilterAtom> child : children) {
            if (child == null) {
                return null;
            }
            union.addAll(child);
        }
        return union;
    }

    /** Higher is better: exact atoms beat substrings, long literals beat short ones, few atoms beat many. */
    private static double selectivity(Set<PrefilterAtom> atoms) {
        int weakest = Integer.MAX_VALUE;
        for (PrefilterAtom atom : atoms) {
            weakest = Math.min(weakest, atom.exact() ? 64 + atom.literal().length() : atom.literal().length());
        }
        return Math.min(weakest, 80) - atoms.size() / 1000.0;
    }
}
