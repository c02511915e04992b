package dev.bulwark.ingest.k8sobjects;

import static dev.bulwark.ingest.k8sobjects.K8sFields.quote;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

import com.fasterxml.jackson.databind.JsonNode;

import dev.bulwark.ingest.ParseException;
import dev.bulwark.schemas.KubernetesAttributes;
import dev.bulwark.schemas.LabelSelectorSpec;
import dev.bulwark.schemas.RoleGrant;
import dev.bulwark.schemas.Subject;
import dev.bulwark.schemas.TenantContext;

/**
 * Maps Roles, ClusterRoles, RoleBindings and ClusterRoleBindings to grants and subjects.
 *
 * <p>Why: "who may do what where" is the RBAC graph: a binding joins subjects to a role reference, a role lists rules.
 * Each is kept as its own context record so the detectors can resolve the graph with table joins, including
 * ClusterRoles aggregated from others by label selectors.
 */
final class RbacObjects {

    /** Label prefix that aggregates a ClusterRole into another ({@code aggregate-to-admin: "true"}). */
    static final String AGGREGATE_LABEL_PREFIX = "rbac.authorization.k8s.io/aggregate-to-";

    private RbacObjects() {
    }

    /**
     * Role or ClusterRole: one grant per rule (role = the role's name, namespace = the Role's namespace or null),
     * apiGroups, resourceNames and nonResourceURLs of rule {@code i} as JSON arrays in
     * {@code k8s.rbac.rule.<i>.api_groups|resource_names|non_resource_urls}, and for a ClusterRole its aggregation
     * selectors.
     */
    static void role(JsonNode role, String name, String namespace, Map<String, String> labels, TenantContext.Builder out,
            Map<String, String> attributes) throws ParseException {
        List<RoleGrant> grants = new ArrayList<>();
        List<JsonNode> rules = K8sFields.objects(role, "rules", "rules");
        for (int i = 0; i < rules.size(); i++) {
            JsonNode rule = rules.get(i);
            String path = "rules[" + i + "]";
            grants.add(RoleGrant.newBuilder()
                    .setRole(name)
                    .setNamespace(namespace)
                    .setVerbs(K8sFields.strings(rule, "verbs", path + ".verbs"))
                    .setResources(K8sFields.strings(rule, "resources", path + ".resources"))
                    .build());
            putJsonArray(attributes, KubernetesAttributes.rbacRule(i, "api_groups"), rule, "apiGroups",
                    path + ".apiGroups");
            putJsonArray(attributes, KubernetesAttributes.rbacRule(i, "resource_names"), rule, "resourceNames",
                    path + ".resourceNames");
            putJsonArray(attributes, KubernetesAttributes.rbacRule(i, "non_resource_urls"), rule, "nonResourceURLs",
                    path + ".nonResourceURLs");
        }
        out.setGrants(grants);
        attributes.put(KubernetesAttributes.RBAC_RULES, Integer.toString(rules.size()));

        JsonNode aggregation = K8sFields.object(role, "aggregationRule", "aggregationRule");
        if (aggregation != null) {
            // The selectors are kept as given, even when empty (an empty selector aggregates every ClusterRole).
            List<JsonNode> items = K8sFields.objects(aggregation, "clusterRoleSelectors",
                    "aggregationRule.clusterRoleSelectors");
            List<LabelSelectorSpec> selectors = new ArrayList<>(items.size());
            for (int i = 0; i < items.size(); i++) {
                selectors.add(Selectors.read(items.get(i), "aggregationRule.clusterRoleSelectors[" + i + "]"));
            }
            int chars = items.isEmpty() ? 0 : aggregation.get("clusterRoleSelectors").toString().length();
            if (chars > KubernetesObjectsParser.MAX_JSON_ATTRIBUTE_CHARS) {
                attributes.put(KubernetesAttributes.RBAC_AGGREGATION_SELECTORS_OMITTED_CHARS, Integer.toString(chars));
            } else {
                out.setAggregationSelectors(selectors);
            }
        }
        StringJoiner aggregateTo = new StringJoiner(",");
        for (Map.Entry<String, String> label : labels.entrySet()) {
            if (label.getKey().startsWith(AGGREGATE_LABEL_PREFIX) && "true".equals(label.getValue())) {
                aggregateTo.add(label.getKey().substring(AGGREGATE_LABEL_PREFIX.length()));
            }
        }
        if (aggregateTo.length() > 0) {
            attributes.put(KubernetesAttributes.RBAC_AGGREGATE_TO, aggregateTo.toString());
        }
    }

    /**
     * RoleBinding or ClusterRoleBinding: its subjects, and one grant naming the role reference ({@code Role:<name>}
     * or {@code ClusterRole:<name>}) in the binding's namespace (null for a ClusterRoleBinding, which grants
     * cluster-wide). The grant's verbs and resources stay empty: they live on the referenced role's record.
     */
    static void binding(JsonNode binding, String namespace, TenantContext.Builder out, Map<String, String> attributes)
            throws ParseException {
        JsonNode roleRef = K8sFields.object(binding, "roleRef", "roleRef");
        if (roleRef == null) {
            throw new ParseException("missing required field 'roleRef'");
        }
        String refKind = K8sFields.requiredString(roleRef, "kind", "roleRef.kind");
        String refName = Names.pathSegment(K8sFields.requiredString(roleRef, "name", "roleRef.name"), "roleRef.name");
        String refGroup = K8sFields.string(roleRef, "apiGroup", "roleRef.apiGroup");
        boolean clusterRole = "ClusterRole".equals(refKind);
        if (!clusterRole && !"Role".equals(refKind)) {
            throw new ParseException("roleRef.kind " + quote(refKind) + " is neither Role nor ClusterRole");
        }
        if (!clusterRole && namespace == null) {
            throw new ParseException("a ClusterRoleBinding can only reference a ClusterRole, not Role " + quote(refName));
        }
        if (refGroup != null && !ObjectKind.RBAC_GROUP.equals(refGroup)) {
            throw new ParseException("roleRef.apiGroup " + quote(refGroup) + " is not " + ObjectKind.RBAC_GROUP);
        }
        out.setGrants(List.of(RoleGrant.newBuilder()
                .setRole(refKind + ":" + refName)
                .setNamespace(namespace)
                .setVerbs(List.of())
                .setResources(List.of())
                .build()));
        attributes.put(KubernetesAttributes.RBAC_ROLE_REF_KIND, refKind);
        attributes.put(KubernetesAttributes.RBAC_ROLE_REF_NAME, refName);
        attributes.put(KubernetesAttributes.RBAC_ROLE_REF_API_GROUP, refGroup == null ? ObjectKind.RBAC_GROUP : refGroup);

        List<Subject> subjects = new ArrayList<>();
        List<JsonNode> items = K8sFields.objects(binding, "subjects", "subjects");
        for (int i = 0; i < items.size(); i++) {
            subjects.add(subject(items.get(i), "subjects[" + i + "]", namespace));
        }
        out.setSubjects(subjects);
    }

    /** User and Group names are free text; ServiceAccount subjects are namespaced objects with validated names. */
    private static Subject subject(JsonNode subject, String path, String bindingNamespace) throws ParseException {
        String kind = K8sFields.requiredString(subject, "kind", path + ".kind");
        String name = K8sFields.requiredString(subject, "name", path + ".name");
        switch (kind) {
            case "User", "Group" -> {
                Names.printable(name, path + ".name", Names.MAX_TEXT_LENGTH, false);
                return Subject.newBuilder().setKind(kind).setName(name).setNamespace(null).build();
            }
            case "ServiceAccount" -> {
                Names.dnsSubdomain(name, path + ".name");
                String namespace = K8sFields.string(subject, "namespace", path + ".namespace");
                if (namespace == null) {
                    if (bindingNamespace == null) {
                        throw new ParseException(path + ": a ServiceAccount subject of a ClusterRoleBinding needs a namespace");
                    }
                    namespace = bindingNamespace;
                }
                Names.dnsLabel(namespace, path + ".namespace");
                return Subject.newBuilder().setKind(kind).setName(name).setNamespace(namespace).build();
            }
            default -> throw new ParseException(path + ".kind " + quote(kind) + " is not User, Group or ServiceAccount");
        }
    }

    private static void putJsonArray(Map<String, String> attributes, String key, JsonNode rule, String field, String path)
            throws ParseException {
        List<String> values = K8sFields.strings(rule, field, path);
        if (!values.isEmpty()) {
            KubernetesObjectsParser.putBoundedJson(attributes, key, rule.get(field));
        }
    }
}
