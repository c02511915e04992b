package dev.bulwark.ingest.k8sobjects;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import dev.bulwark.ingest.ParseException;
import dev.bulwark.schemas.LabelSelector;
import dev.bulwark.schemas.LabelSelectorRequirement;
import dev.bulwark.schemas.LabelSelectorSpec;

/**
 * Reads a Kubernetes label selector ({@code matchLabels}, {@code matchExpressions}) into a {@link LabelSelectorSpec}.
 *
 * <p>Why: NetworkPolicies and ClusterRole aggregation rules carry selectors; they are validated here once, so the
 * detectors evaluate typed records with {@link LabelSelector} instead of parsing JSON. Wrong field types fail the
 * object as the API server would refuse it. Operators are kept as given: one the detectors do not know (or values
 * that do not fit the operator) makes the requirement hold for nothing, which is safer than refusing a policy the
 * API server accepted.
 */
final class Selectors {

    private Selectors() {
    }

    /** The selector at {@code path}; {@code node} must be an object. */
    static LabelSelectorSpec read(JsonNode node, String path) throws ParseException {
        Map<String, String> matchLabels = K8sFields.stringMap(node, "matchLabels", path + ".matchLabels");
        for (Map.Entry<String, String> label : matchLabels.entrySet()) {
            Names.labelKey(label.getKey(), path + ".matchLabels key");
            Names.labelValue(label.getValue(), path + ".matchLabels[" + K8sFields.quote(label.getKey()) + "]");
        }
        List<LabelSelectorRequirement> requirements = new ArrayList<>();
        List<JsonNode> expressions = K8sFields.objects(node, "matchExpressions", path + ".matchExpressions");
        for (int i = 0; i < expressions.size(); i++) {
            String expressionPath = path + ".matchExpressions[" + i + "]";
            JsonNode expression = expressions.get(i);
            String key = Names.labelKey(K8sFields.requiredString(expression, "key", expressionPath + ".key"),
                    expressionPath + ".key");
            String operator = Names.printable(K8sFields.requiredString(expression, "operator", expressionPath + ".operator"),
                    expressionPath + ".operator", Names.MAX_LABEL_LENGTH, false);
            requirements.add(LabelSelector.requirement(key, operator,
                    K8sFields.strings(expression, "values", expressionPath + ".values")));
        }
        return LabelSelectorSpec.newBuilder().setMatchLabels(matchLabels).setMatchExpressions(requirements).build();
    }

    /** The selector in field {@code field} of {@code parent}, or null when the field is absent. */
    static LabelSelectorSpec optional(JsonNode parent, String field, String path) throws ParseException {
        JsonNode node = K8sFields.object(parent, field, path);
        return node == null ? null : read(node, path);
    }
}
