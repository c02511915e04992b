package dev.bulwark.schemas;

import java.util.List;
import java.util.Map;

/**
 * Evaluates a Kubernetes label selector ({@link LabelSelectorSpec}, {@code metav1.LabelSelector}) against an object's
 * labels, as the API server does.
 *
 * <p>Why: NetworkPolicy selectors (the policy's pods, its peers' pods and namespaces) and ClusterRole aggregation
 * selectors must all mean the same as in Kubernetes; one implementation keeps every detector in agreement.
 *
 * <p>Rules (Kubernetes' "Labels and Selectors"): every {@code match_labels} pair and every
 * {@code match_expressions} requirement must hold (AND), so the empty selector matches everything.
 * <ul>
 *   <li>{@code In}: the label is present and its value is one of {@code values};</li>
 *   <li>{@code NotIn}: the label is absent, or its value is none of {@code values};</li>
 *   <li>{@code Exists}: the label is present (any value); {@code DoesNotExist}: it is absent.</li>
 * </ul>
 * A requirement the API server would refuse ({@code In} or {@code NotIn} without values, {@code Exists} or
 * {@code DoesNotExist} with values, an unknown operator) holds for no object, so a selector Bulwark cannot read never
 * selects by accident.
 *
 * <p>A null selector matches nothing, like Kubernetes' {@code LabelSelectorAsSelector(nil)}. Where an API gives an
 * absent selector another meaning (a NetworkPolicy peer's {@code podSelector} next to a {@code namespaceSelector}
 * means every pod), the caller decides before calling.
 */
public final class LabelSelector {

    /** The operators of {@code matchExpressions}. */
    public static final String IN = "In";
    public static final String NOT_IN = "NotIn";
    public static final String EXISTS = "Exists";
    public static final String DOES_NOT_EXIST = "DoesNotExist";

    private LabelSelector() {
    }

    /** The selector that matches every object (no labels, no expressions). */
    public static LabelSelectorSpec everything() {
        return LabelSelectorSpec.newBuilder().build();
    }

    /** A selector of {@code matchLabels} only. */
    public static LabelSelectorSpec matchLabels(Map<String, String> labels) {
        return LabelSelectorSpec.newBuilder().setMatchLabels(Map.copyOf(labels)).build();
    }

    /** One {@code matchExpressions} requirement. */
    public static LabelSelectorRequirement requirement(String key, String operator, List<String> values) {
        return LabelSelectorRequirement.newBuilder().setKey(key).setOperator(operator).setValues(List.copyOf(values))
                .build();
    }

    /**
     * True when {@code selector} selects an object with these labels.
     *
     * @param selector the selector; null matches nothing
     * @param labels the object's labels (null is no labels)
     */
    public static boolean matches(LabelSelectorSpec selector, Map<String, String> labels) {
        if (selector == null) {
            return false;
        }
        Map<String, String> actual = labels == null ? Map.of() : labels;
        for (Map.Entry<String, String> wanted : selector.getMatchLabels().entrySet()) {
            if (!wanted.getValue().equals(actual.get(wanted.getKey()))) {
                return false;
            }
        }
        for (LabelSelectorRequirement requirement : selector.getMatchExpressions()) {
            if (!holds(requirement, actual)) {
                return false;
            }
        }
        return true;
    }

    /** True when {@code selector} has neither labels nor expressions, so it matches everything. */
    public static boolean isEmpty(LabelSelectorSpec selector) {
        return selector != null && selector.getMatchLabels().isEmpty() && selector.getMatchExpressions().isEmpty();
    }

    /** True when one requirement holds for these labels; a requirement that is not valid never holds. */
    public static boolean holds(LabelSelectorRequirement requirement, Map<String, String> labels) {
        List<String> values = requirement.getValues();
        String value = labels.get(requirement.getKey());
        String operator = requirement.getOperator();
        if (operator == null) {
            return false;
        }
        return switch (operator) {
            case IN -> !values.isEmpty() && value != null && values.contains(value);
            case NOT_IN -> !values.isEmpty() && (value == null || !values.contains(value));
            case EXISTS -> values.isEmpty() && value != null;
            case DOES_NOT_EXIST -> values.isEmpty() && value == null;
            default -> false;
        };
    }
}
