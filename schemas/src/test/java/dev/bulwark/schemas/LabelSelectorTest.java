package dev.bulwark.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Cases from the wording of the Kubernetes documentation, "Labels and Selectors" and the LabelSelector API reference. */
class LabelSelectorTest {

    private static final Map<String, String> PROD_FRONTEND = Map.of("environment", "production", "tier", "frontend");
    private static final Map<String, String> QA_BACKEND_PARTITIONED =
            Map.of("environment", "qa", "tier", "backend", "partition", "customerA");
    private static final Map<String, String> DEV_CACHE = Map.of("environment", "dev", "tier", "cache");
    private static final Map<String, String> NO_LABELS = Map.of();

    /**
     * A selector written as {@code matchLabels} (k=v, comma-separated) and requirements ("key op v1|v2"), the labels of
     * an object, and whether the selector selects it.
     */
    static Stream<Arguments> documentedCases() {
        return Stream.of(
                // "An empty label selector (that is, one with zero requirements) selects every object."
                Arguments.of("empty selects everything", "", List.of(), NO_LABELS, true),
                Arguments.of("empty selects everything", "", List.of(), PROD_FRONTEND, true),
                // matchLabels: "equivalent to an element of matchExpressions whose operator is In and whose values
                // array contains only value"
                Arguments.of("matchLabels equal", "environment=production", List.of(), PROD_FRONTEND, true),
                Arguments.of("matchLabels other value", "environment=production", List.of(), QA_BACKEND_PARTITIONED, false),
                Arguments.of("matchLabels absent key", "environment=production", List.of(), NO_LABELS, false),
                Arguments.of("matchLabels all pairs", "environment=production,tier=frontend", List.of(), PROD_FRONTEND, true),
                Arguments.of("matchLabels one pair fails", "environment=production,tier=backend", List.of(), PROD_FRONTEND,
                        false),
                Arguments.of("matchLabels value is case-sensitive", "environment=Production", List.of(), PROD_FRONTEND,
                        false),
                // "environment in (production, qa)": key environment and value production or qa
                Arguments.of("In first value", "", List.of("environment In production|qa"), PROD_FRONTEND, true),
                Arguments.of("In second value", "", List.of("environment In production|qa"), QA_BACKEND_PARTITIONED, true),
                Arguments.of("In other value", "", List.of("environment In production|qa"), DEV_CACHE, false),
                Arguments.of("In absent key", "", List.of("environment In production|qa"), NO_LABELS, false),
                // "tier notin (frontend, backend)": values other than frontend and backend, and no tier label at all
                Arguments.of("NotIn listed value", "", List.of("tier NotIn frontend|backend"), PROD_FRONTEND, false),
                Arguments.of("NotIn other value", "", List.of("tier NotIn frontend|backend"), DEV_CACHE, true),
                Arguments.of("NotIn absent key", "", List.of("tier NotIn frontend|backend"), NO_LABELS, true),
                // "partition": every object with a partition label, whatever its value
                Arguments.of("Exists present", "", List.of("partition Exists"), QA_BACKEND_PARTITIONED, true),
                Arguments.of("Exists absent", "", List.of("partition Exists"), PROD_FRONTEND, false),
                Arguments.of("Exists empty value", "", List.of("partition Exists"), Map.of("partition", ""), true),
                // "!partition": every object without a partition label
                Arguments.of("DoesNotExist absent", "", List.of("partition DoesNotExist"), PROD_FRONTEND, true),
                Arguments.of("DoesNotExist present", "", List.of("partition DoesNotExist"), QA_BACKEND_PARTITIONED, false),
                // "All of the requirements, from both matchLabels and matchExpressions are ANDed together"
                Arguments.of("AND of expressions", "", List.of("environment In production|qa", "partition Exists"),
                        QA_BACKEND_PARTITIONED, true),
                Arguments.of("AND of expressions, one fails", "", List.of("environment In production|qa",
                        "partition Exists"), PROD_FRONTEND, false),
                Arguments.of("AND of labels and expressions", "tier=backend", List.of("partition Exists"),
                        QA_BACKEND_PARTITIONED, true),
                Arguments.of("AND of labels and expressions, label fails", "tier=frontend", List.of("partition Exists"),
                        QA_BACKEND_PARTITIONED, false),
                Arguments.of("AND of labels and expressions, expression fails", "tier=frontend",
                        List.of("partition Exists"), PROD_FRONTEND, false),
                // "If the operator is In or NotIn, the values array must be non-empty. If the operator is Exists or
                // DoesNotExist, the values array must be empty." A requirement the API server refuses selects nothing.
                Arguments.of("In without values", "", List.of("environment In"), PROD_FRONTEND, false),
                Arguments.of("NotIn without values", "", List.of("environment NotIn"), PROD_FRONTEND, false),
                Arguments.of("NotIn without values, absent key", "", List.of("environment NotIn"), NO_LABELS, false),
                Arguments.of("Exists with values", "", List.of("environment Exists production"), PROD_FRONTEND, false),
                Arguments.of("DoesNotExist with values", "", List.of("partition DoesNotExist x"), PROD_FRONTEND, false),
                // "Valid operators are In, NotIn, Exists and DoesNotExist."
                Arguments.of("unknown operator", "", List.of("environment Gt 1"), PROD_FRONTEND, false),
                Arguments.of("operator is case-sensitive", "", List.of("environment in production"), PROD_FRONTEND, false));
    }

    @ParameterizedTest(name = "{0}: {1} {2} on {3} -> {4}")
    @MethodSource("documentedCases")
    void followsTheKubernetesDocumentation(String title, String matchLabels, List<String> expressions,
                                           Map<String, String> labels, boolean selected) {
        assertThat(LabelSelector.matches(selector(matchLabels, expressions), labels)).as(title).isEqualTo(selected);
    }

    @Test
    void aNullSelectorSelectsNothingAndNullLabelsAreNoLabels() {
        // "A null label selector (which is only possible for optional selector fields) selects no objects."
        assertThat(LabelSelector.matches(null, PROD_FRONTEND)).isFalse();
        assertThat(LabelSelector.matches(null, NO_LABELS)).isFalse();
        assertThat(LabelSelector.matches(LabelSelector.everything(), null)).isTrue();
        assertThat(LabelSelector.matches(selector("", List.of("tier NotIn frontend")), null)).isTrue();
        assertThat(LabelSelector.matches(selector("tier=frontend", List.of()), null)).isFalse();
    }

    @Test
    void emptinessIsNoLabelsAndNoExpressions() {
        assertThat(LabelSelector.isEmpty(LabelSelector.everything())).isTrue();
        assertThat(LabelSelector.isEmpty(null)).isFalse();
        assertThat(LabelSelector.isEmpty(selector("a=b", List.of()))).isFalse();
        assertThat(LabelSelector.isEmpty(selector("", List.of("a Exists")))).isFalse();
    }

    @Test
    void aSelectorReadBackFromAvroMatchesLikeTheBuiltOne() throws Exception {
        LabelSelectorSpec built = selector("tier=backend", List.of("environment In production|qa", "partition Exists"));
        AvroSerde<TenantContext> serde = AvroSerde.of(TenantContext.class);
        TenantContext context = TenantContext.newBuilder().setKind("clusterrole").setKey("r").setObservedAt(0L)
                .setAggregationSelectors(List.of(built)).build();
        LabelSelectorSpec read = serde.deserializer().deserialize("t", serde.serializer().serialize("t", context))
                .getAggregationSelectors().get(0);
        assertThat(LabelSelector.matches(read, QA_BACKEND_PARTITIONED)).isTrue();
        assertThat(LabelSelector.matches(read, PROD_FRONTEND)).isFalse();
    }

    private static LabelSelectorSpec selector(String matchLabels, List<String> expressions) {
        Map<String, String> labels = new LinkedHashMap<>();
        for (String pair : matchLabels.split(",")) {
            if (!pair.isEmpty()) {
                String[] kv = pair.split("=", 2);
                labels.put(kv[0], kv[1]);
            }
        }
        List<LabelSelectorRequirement> requirements = new ArrayList<>();
        for (String expression : expressions) {
            String[] parts = expression.split(" ");
            List<String> values = parts.length > 2 ? List.of(parts[2].split("\\|")) : List.of();
            requirements.add(LabelSelector.requirement(parts[0], parts[1], values));
        }
        return LabelSelectorSpec.newBuilder().setMatchLabels(labels).setMatchExpressions(requirements).build();
    }
}
