package dev.bulwark.sigma;

import java.util.List;

/**
 * The parsed {@code condition} of a detection: a boolean expression over search identifiers.
 *
 * <p>Why: parsed once at load time (so an unknown identifier is a load error with its position) and compiled into
 * the matcher; quantifiers are resolved to the identifiers they cover.
 */
public sealed interface ConditionNode
        permits ConditionNode.And, ConditionNode.Or, ConditionNode.Not, ConditionNode.Identifier, ConditionNode.Quantifier {

    /** All children must be true. */
    record And(List<ConditionNode> children) implements ConditionNode {
        public And {
            children = List.copyOf(children);
        }
    }

    /** At least one child must be true. */
    record Or(List<ConditionNode> children) implements ConditionNode {
        public Or {
            children = List.copyOf(children);
        }
    }

    /** The child must be false. */
    record Not(ConditionNode child) implements ConditionNode {
    }

    /** A reference to one search identifier. */
    record Identifier(String name) implements ConditionNode {
    }

    /**
     * {@code 1 of selection_*}, {@code all of them}: at least {@code minimum} of the identifiers (or all of them when
     * {@code minimum} is 0) must be true.
     *
     * @param minimum how many must be true; 0 means all
     * @param pattern the pattern as written ({@code them} or an identifier pattern with {@code *})
     * @param identifiers the identifiers the pattern covers, in detection order
     */
    record Quantifier(int minimum, String pattern, List<String> identifiers) implements ConditionNode {
        public Quantifier {
            identifiers = List.copyOf(identifiers);
        }
    }
}
