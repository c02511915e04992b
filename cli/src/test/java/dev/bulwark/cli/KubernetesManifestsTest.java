package dev.bulwark.cli;

import static dev.bulwark.cli.KubernetesManifests.JSON;
import static dev.bulwark.cli.KubernetesManifests.OVERLAYS;
import static dev.bulwark.cli.KubernetesManifests.component;
import static dev.bulwark.cli.KubernetesManifests.describe;
import static dev.bulwark.cli.KubernetesManifests.kind;
import static dev.bulwark.cli.KubernetesManifests.name;
import static dev.bulwark.cli.KubernetesManifests.ofKind;
import static dev.bulwark.cli.KubernetesManifests.one;
import static dev.bulwark.cli.KubernetesManifests.rendered;
import static dev.bulwark.cli.KubernetesManifests.workloads;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.bulwark.config.Field;
import dev.bulwark.config.Settings;
import dev.bulwark.schemas.Topic;
import dev.bulwark.schemas.Topics;

/**
 * The Kubernetes manifests of {@code deploy/kubernetes}, checked offline: every overlay rendered by
 * {@code kubectl kustomize}, every object read into its API model with unknown fields refused (the Kubernetes kinds
 * into fabric8's model, Strimzi's into Strimzi's own), the ServiceMonitor and the ECK Elasticsearch checked field by
 * field (no Java model of them is published), every pod template hardened, secrets only referenced, and the
 * configuration, topics, Kafka users and Elasticsearch roles the same as Bulwark's own code derives.
 *
 * <p>Why: manifests are code that no compiler reads; a misspelt field is silently dropped by the API server
 * ({@code readinesProbe} is no probe at all) and a drifted ACL list shows up only as a component that cannot start.
 */
class KubernetesManifestsTest {

    /** The Kubernetes kinds the manifests may contain, by apiVersion and kind, with fabric8's class for each. */
    private static final Map<String, Class<?>> KUBERNETES = Map.ofEntries(
            Map.entry("v1/ConfigMap", io.fabric8.kubernetes.api.model.ConfigMap.class),
            Map.entry("v1/Namespace", io.fabric8.kubernetes.api.model.Namespace.class),
            Map.entry("v1/Service", io.fabric8.kubernetes.api.model.Service.class),
            Map.entry("v1/ServiceAccount", io.fabric8.kubernetes.api.model.ServiceAccount.class),
            Map.entry("apps/v1/Deployment", io.fabric8.kubernetes.api.model.apps.Deployment.class),
            Map.entry("apps/v1/StatefulSet", io.fabric8.kubernetes.api.model.apps.StatefulSet.class),
            Map.entry("autoscaling/v2/HorizontalPodAutoscaler",
                    io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler.class),
            Map.entry("policy/v1/PodDisruptionBudget", io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget.class),
            Map.entry("networking.k8s.io/v1/NetworkPolicy", io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy.class),
            Map.entry("rbac.authorization.k8s.io/v1/ClusterRole", io.fabric8.kubernetes.api.model.rbac.ClusterRole.class),
            Map.entry("rbac.authorization.k8s.io/v1/ClusterRoleBinding",
                    io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding.class));

    /** Strimzi's custom resources, with the classes of Strimzi's own API module. */
    private static final Map<String, Class<?>> STRIMZI = Map.of(
            "kafka.strimzi.io/v1beta2/Kafka", io.strimzi.api.kafka.model.kafka.Kafka.class,
            "kafka.strimzi.io/v1beta2/KafkaNodePool", io.strimzi.api.kafka.model.nodepool.KafkaNodePool.class,
            "kafka.strimzi.io/v1beta2/KafkaTopic", io.strimzi.api.kafka.model.topic.KafkaTopic.class,
            "kafka.strimzi.io/v1beta2/KafkaUser", io.strimzi.api.kafka.model.user.KafkaUser.class);

    /**
     * The models with unknown properties refused. Their classes (fabric8's and Strimzi's alike) keep unknown fields in
     * an {@code additionalProperties} map through {@code @JsonAnySetter}, and FAIL_ON_UNKNOWN_PROPERTIES alone lets
     * them through; the introspector takes the any-setter (and any ignoreUnknown) away, so an unknown field fails.
     * Jackson 2: fabric8's model annotations are Jackson's shared annotation package, which Jackson 2 reads.
     */
    private static final com.fasterxml.jackson.databind.ObjectMapper STRICT = com.fasterxml.jackson.databind.json.JsonMapper
            .builder()
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .annotationIntrospector(new com.fasterxml.jackson.databind.introspect.JacksonAnnotationIntrospector() {
                @Override
                public Boolean hasAnySetter(com.fasterxml.jackson.databind.introspect.Annotated annotated) {
                    return Boolean.FALSE;
                }

                @Override
                @SuppressWarnings("deprecation")
                public boolean hasAnySetterAnnotation(com.fasterxml.jackson.databind.introspect.AnnotatedMethod method) {
                    return false;
                }

                @Override
                public JsonIgnoreProperties.Value findPropertyIgnoralByName(
                        com.fasterxml.jackson.databind.cfg.MapperConfig<?> config,
                        com.fasterxml.jackson.databind.introspect.Annotated annotated) {
                    return super.findPropertyIgnoralByName(config, annotated).withoutIgnoreUnknown();
                }
            })
            .build();

    @BeforeAll
    static void render() {
        for (String overlay : OVERLAYS) {
            assertThat(rendered(overlay)).as("objects of overlay " + overlay).isNotEmpty();
        }
    }

    static Stream<String> overlays() {
        return OVERLAYS.stream();
    }

    // --- the API models ---------------------------------------------------------------------------------------------

    /** Reads {@code object} into its model class; throws naming the object and the field when the model refuses it. */
    static void validate(JsonNode object) {
        String type = object.path("apiVersion").asText() + "/" + kind(object);
        try {
            if (KUBERNETES.containsKey(type)) {
                STRICT.treeToValue(object, KUBERNETES.get(type));
            } else if (STRIMZI.containsKey(type)) {
                STRICT.treeToValue(object, STRIMZI.get(type));
            } else if (type.equals("monitoring.coreos.com/v1/ServiceMonitor")) {
                checkServiceMonitor(object);
            } else if (type.equals("elasticsearch.k8s.elastic.co/v1/Elasticsearch")) {
                checkElasticsearch(object);
            } else {
                throw new AssertionError("no validation for " + type + " (" + name(object) + "): add its model to "
                        + "KubernetesManifestsTest");
            }
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new AssertionError(describe(object) + " does not match the " + type + " API: " + e.getMessage(), e);
        }
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void everyObjectMatchesItsApiWithUnknownFieldsRefused(String overlay) {
        List<String> problems = new ArrayList<>();
        for (ObjectNode object : rendered(overlay)) {
            try {
                validate(object);
            } catch (AssertionError e) {
                problems.add(e.getMessage());
            }
        }
        assertThat(problems).as("objects of overlay " + overlay + " their API refuses").isEmpty();
    }

    @Test
    void aMisspeltFieldIsRefusedByEveryCheck() {
        List<ObjectNode> production = rendered("production");
        // A probe under a wrong name would be no probe at all.
        ObjectNode detectors = one(production, "StatefulSet", "bulwark-detectors").deepCopy();
        ObjectNode container = (ObjectNode) detectors.path("spec").path("template").path("spec").path("containers").get(0);
        container.set("readinesProbe", container.remove("readinessProbe"));
        assertThatThrownBy(() -> validate(detectors)).hasMessageContaining("readinesProbe");
        // One level down, and in a list.
        ObjectNode policy = one(production, "NetworkPolicy", "bulwark-allow-dns").deepCopy();
        ((ObjectNode) policy.path("spec").path("egress").get(0)).put("port", 53);
        assertThatThrownBy(() -> validate(policy)).hasMessageContaining("port");
        ObjectNode hpa = one(production, "HorizontalPodAutoscaler", "bulwark-ingest").deepCopy();
        ((ObjectNode) hpa.path("spec")).put("minReplica", 3);
        assertThatThrownBy(() -> validate(hpa)).hasMessageContaining("minReplica");
        // Strimzi's model.
        ObjectNode user = one(production, "KafkaUser", "bulwark-sink").deepCopy();
        ObjectNode acl = (ObjectNode) user.path("spec").path("authorization").path("acls").get(0);
        acl.set("operatons", acl.remove("operations"));
        assertThatThrownBy(() -> validate(user)).hasMessageContaining("operatons");
        ObjectNode kafka = one(production, "Kafka", "bulwark").deepCopy();
        ObjectNode listener = (ObjectNode) kafka.path("spec").path("kafka").path("listeners").get(0);
        listener.set("tsl", listener.remove("tls"));
        assertThatThrownBy(() -> validate(kafka)).hasMessageContaining("tsl");
        // The checks by hand.
        ObjectNode monitor = one(production, "ServiceMonitor", "bulwark").deepCopy();
        ((ObjectNode) monitor.path("spec").path("endpoints").get(0)).put("prot", "metrics");
        assertThatThrownBy(() -> validate(monitor)).hasMessageContaining("prot");
        ObjectNode elasticsearch = one(production, "Elasticsearch", "bulwark").deepCopy();
        ((ObjectNode) elasticsearch.path("spec").path("nodeSets").get(0)).put("replicas", 3);
        assertThatThrownBy(() -> validate(elasticsearch)).hasMessageContaining("replicas");
        // A kind nothing validates.
        ObjectNode unknown = JSON.createObjectNode().put("apiVersion", "example.com/v1").put("kind", "Widget");
        assertThatThrownBy(() -> validate(unknown)).hasMessageContaining("no validation for example.com/v1/Widget");
    }

    /** ServiceMonitor (monitoring.coreos.com/v1): the fields Bulwark uses, required ones present, no others. */
    static void checkServiceMonitor(JsonNode monitor) {
        List<String> problems = new ArrayList<>();
        onlyFields(monitor, "", problems, "apiVersion", "kind", "metadata", "spec");
        JsonNode spec = monitor.path("spec");
        onlyFields(spec, "spec", problems, "selector", "endpoints", "namespaceSelector", "jobLabel");
        onlyFields(spec.path("selector"), "spec.selector", problems, "matchLabels");
        if (spec.path("selector").path("matchLabels").isEmpty()) {
            problems.add("spec.selector.matchLabels is required (an empty selector would scrape every Service)");
        }
        if (!spec.path("endpoints").isArray() || spec.path("endpoints").isEmpty()) {
            problems.add("spec.endpoints needs at least one endpoint");
        }
        for (JsonNode endpoint : spec.path("endpoints")) {
            onlyFields(endpoint, "spec.endpoints[]", problems, "port", "path", "interval", "scrapeTimeout", "scheme");
            if (!endpoint.path("port").isTextual()) {
                problems.add("spec.endpoints[].port must name a Service port");
            }
            for (String duration : List.of("interval", "scrapeTimeout")) {
                if (endpoint.has(duration) && !endpoint.path(duration).asText().matches("\\d+(ms|s|m|h)")) {
                    problems.add("spec.endpoints[]." + duration + " is no Prometheus duration: " + endpoint.path(duration));
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new AssertionError("ServiceMonitor " + name(monitor) + ": " + String.join("; ", problems));
        }
    }

    /** ECK Elasticsearch (elasticsearch.k8s.elastic.co/v1): the fields Bulwark uses, required ones present, no others. */
    static void checkElasticsearch(JsonNode elasticsearch) {
        List<String> problems = new ArrayList<>();
        onlyFields(elasticsearch, "", problems, "apiVersion", "kind", "metadata", "spec");
        JsonNode spec = elasticsearch.path("spec");
        onlyFields(spec, "spec", problems, "version", "auth", "nodeSets", "http");
        if (!spec.path("version").asText().matches("\\d+\\.\\d+\\.\\d+")) {
            problems.add("spec.version must be a version such as 9.2.8");
        }
        onlyFields(spec.path("auth"), "spec.auth", problems, "roles", "fileRealm");
        for (String list : List.of("roles", "fileRealm")) {
            for (JsonNode reference : spec.path("auth").path(list)) {
                onlyFields(reference, "spec.auth." + list + "[]", problems, "secretName");
                if (!reference.path("secretName").isTextual()) {
                    problems.add("spec.auth." + list + "[].secretName is required");
                }
            }
        }
        if (!spec.path("nodeSets").isArray() || spec.path("nodeSets").isEmpty()) {
            problems.add("spec.nodeSets needs at least one node set");
        }
        for (JsonNode nodeSet : spec.path("nodeSets")) {
            onlyFields(nodeSet, "spec.nodeSets[]", problems, "name", "count", "config", "podTemplate",
                    "volumeClaimTemplates");
            if (!nodeSet.path("name").isTextual() || !nodeSet.path("count").canConvertToInt()
                    || nodeSet.path("count").asInt() < 1) {
                problems.add("spec.nodeSets[] needs a name and a count of at least 1");
            }
            // The pod template and the claims are Kubernetes types: fabric8's model checks them.
            if (nodeSet.has("podTemplate")) {
                checkKubernetesPart(nodeSet.path("podTemplate"), io.fabric8.kubernetes.api.model.PodTemplateSpec.class,
                        "spec.nodeSets[].podTemplate", problems);
            }
            for (JsonNode claim : nodeSet.path("volumeClaimTemplates")) {
                checkKubernetesPart(claim, io.fabric8.kubernetes.api.model.PersistentVolumeClaim.class,
                        "spec.nodeSets[].volumeClaimTemplates[]", problems);
            }
        }
        if (!problems.isEmpty()) {
            throw new AssertionError("Elasticsearch " + name(elasticsearch) + ": " + String.join("; ", problems));
        }
    }

    private static void checkKubernetesPart(JsonNode part, Class<?> type, String where, List<String> problems) {
        try {
            STRICT.treeToValue(part, type);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            problems.add(where + ": " + e.getMessage());
        }
    }

    private static void onlyFields(JsonNode node, String where, List<String> problems, String... allowed) {
        Set<String> known = Set.of(allowed);
        node.fieldNames().forEachRemaining(field -> {
            if (!known.contains(field)) {
                problems.add("unknown field " + (where.isEmpty() ? "" : where + ".") + field + " (known here: "
                        + new TreeSet<>(known) + ")");
            }
        });
    }

    // --- hardening --------------------------------------------------------------------------------------------------

    /** What is wrong with a pod template's hardening, or nothing. */
    static List<String> hardeningProblems(JsonNode workload) {
        String where = describe(workload);
        JsonNode pod = workload.path("spec").path("template").path("spec");
        boolean watcher = "context-watch".equals(component(workload));
        List<String> problems = new ArrayList<>();
        JsonNode podContext = pod.path("securityContext");
        if (!podContext.path("runAsNonRoot").asBoolean(false)) {
            problems.add("securityContext.runAsNonRoot is not true");
        }
        if (podContext.path("runAsUser").asLong(0) <= 0) {
            problems.add("securityContext.runAsUser is not a non-zero user");
        }
        for (String flag : List.of("hostNetwork", "hostPID", "hostIPC")) {
            if (pod.path(flag).asBoolean(false)) {
                problems.add(flag + " is set");
            }
        }
        if (pod.path("automountServiceAccountToken").asBoolean(true) != watcher) {
            problems.add("automountServiceAccountToken must be " + watcher + " (only the context watcher calls the API)");
        }
        Set<String> emptyDirs = new LinkedHashSet<>();
        for (JsonNode volume : pod.path("volumes")) {
            if (volume.has("hostPath")) {
                problems.add("volume " + volume.path("name").asText() + " is a hostPath");
            }
            if (volume.has("emptyDir")) {
                emptyDirs.add(volume.path("name").asText());
            }
        }
        List<JsonNode> containers = new ArrayList<>();
        pod.path("initContainers").forEach(containers::add);
        pod.path("containers").forEach(containers::add);
        for (JsonNode container : containers) {
            String at = "container " + container.path("name").asText() + ": ";
            JsonNode context = container.path("securityContext");
            if (context.path("allowPrivilegeEscalation").asBoolean(true)) {
                problems.add(at + "allowPrivilegeEscalation is not false");
            }
            if (!context.path("readOnlyRootFilesystem").asBoolean(false)) {
                problems.add(at + "readOnlyRootFilesystem is not true");
            }
            if (context.path("privileged").asBoolean(false)) {
                problems.add(at + "privileged");
            }
            Set<String> dropped = new LinkedHashSet<>();
            context.path("capabilities").path("drop").forEach(c -> dropped.add(c.asText()));
            if (!dropped.contains("ALL")) {
                problems.add(at + "capabilities.drop lacks ALL");
            }
            if (!context.path("capabilities").path("add").isEmpty()) {
                problems.add(at + "adds capabilities " + context.path("capabilities").path("add"));
            }
            if (context.has("runAsNonRoot") && !context.path("runAsNonRoot").asBoolean()) {
                problems.add(at + "runAsNonRoot is false");
            }
            if (context.has("runAsUser") && context.path("runAsUser").asLong() == 0) {
                problems.add(at + "runs as user 0");
            }
            String seccomp = context.path("seccompProfile").path("type")
                    .asText(podContext.path("seccompProfile").path("type").asText());
            if (!seccomp.equals("RuntimeDefault")) {
                problems.add(at + "seccompProfile is not RuntimeDefault");
            }
            boolean tmp = false;
            for (JsonNode mount : container.path("volumeMounts")) {
                tmp |= mount.path("mountPath").asText().equals("/tmp") && emptyDirs.contains(mount.path("name").asText());
            }
            if (!tmp) {
                problems.add(at + "no emptyDir at /tmp (the root filesystem is read-only)");
            }
            for (String resource : List.of("requests", "limits")) {
                for (String of : List.of("cpu", "memory")) {
                    if (!container.path("resources").path(resource).has(of)) {
                        problems.add(at + "no resources." + resource + "." + of);
                    }
                }
            }
        }
        return problems.stream().map(problem -> where + ": " + problem).toList();
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void everyPodIsHardened(String overlay) {
        List<ObjectNode> objects = rendered(overlay);
        assertThat(workloads(objects)).extracting(KubernetesManifests::component)
                .containsExactlyInAnyOrder("ingest", "detectors", "sink", "api", "context-watch");
        List<String> problems = new ArrayList<>();
        workloads(objects).forEach(workload -> problems.addAll(hardeningProblems(workload)));
        assertThat(problems).isEmpty();
    }

    @Test
    void theHardeningCheckFindsAWeakenedPod() {
        ObjectNode sink = one(rendered("production"), "Deployment", "bulwark-sink").deepCopy();
        ObjectNode pod = (ObjectNode) sink.path("spec").path("template").path("spec");
        pod.put("hostPID", true).put("automountServiceAccountToken", true);
        ObjectNode context = (ObjectNode) pod.path("containers").get(0).path("securityContext");
        context.put("privileged", true).put("readOnlyRootFilesystem", false).remove("allowPrivilegeEscalation");
        ((ObjectNode) context.path("capabilities")).putArray("add").add("SYS_ADMIN");
        assertThat(hardeningProblems(sink)).hasSize(6).anySatisfy(p -> assertThat(p).contains("privileged"))
                .anySatisfy(p -> assertThat(p).contains("hostPID"))
                .anySatisfy(p -> assertThat(p).contains("SYS_ADMIN"))
                .anySatisfy(p -> assertThat(p).contains("automountServiceAccountToken"));
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void probesAndScrapesUseTheMetricsPortOnThePodsAddress(String overlay) {
        List<ObjectNode> objects = rendered(overlay);
        Settings settings = settings(objects, Map.of());
        int metricsPort = settings.get(BulwarkConfig.METRICS_PORT);
        assertThat(settings.get(BulwarkConfig.METRICS_HOST)).as("metrics.host: the kubelet probes the pod's address")
                .isEqualTo("0.0.0.0");
        for (ObjectNode workload : workloads(objects)) {
            JsonNode container = workload.path("spec").path("template").path("spec").path("containers").get(0);
            Map<String, Integer> ports = new LinkedHashMap<>();
            container.path("ports").forEach(p -> ports.put(p.path("name").asText(), p.path("containerPort").asInt()));
            assertThat(ports).as(describe(workload) + " ports").containsEntry("metrics", metricsPort);
            for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
                JsonNode http = container.path(probe).path("httpGet");
                assertThat(http.path("port").asText()).as(describe(workload) + " " + probe + " port").isEqualTo("metrics");
                assertThat(http.path("path").asText()).as(describe(workload) + " " + probe + " path")
                        .isEqualTo(probe.equals("readinessProbe") ? "/readyz" : "/livez");
            }
            // The ServiceMonitor finds every component through a Service port named metrics.
            String component = component(workload);
            assertThat(ofKind(objects, "Service")).as("a Service with the metrics port of " + component)
                    .anySatisfy(service -> {
                        assertThat(service.path("spec").path("selector").path("app.kubernetes.io/component").asText())
                                .isEqualTo(component);
                        assertThat(service.path("spec").path("ports").findValuesAsText("name")).contains("metrics");
                    });
        }
        JsonNode scrape = one(objects, "NetworkPolicy", "bulwark-allow-prometheus").path("spec").path("ingress").get(0);
        assertThat(scrape.path("ports").get(0).path("port").asInt()).isEqualTo(metricsPort);
        assertThat(one(objects, "ServiceMonitor", "bulwark").path("spec").path("endpoints").get(0).path("port").asText())
                .isEqualTo("metrics");
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void everythingIsDeniedUnlessAllowed(String overlay) {
        List<ObjectNode> objects = rendered(overlay);
        JsonNode deny = one(objects, "NetworkPolicy", "default-deny").path("spec");
        assertThat(deny.path("podSelector").isEmpty()).as("default-deny selects every pod").isTrue();
        assertThat(List.of(deny.path("policyTypes").get(0).asText(), deny.path("policyTypes").get(1).asText()))
                .containsExactlyInAnyOrder("Ingress", "Egress");
        assertThat(deny.has("ingress") || deny.has("egress")).as("default-deny allows nothing").isFalse();
        // Only the receiver and the API accept connections beside the metrics port, each on its own port.
        for (ObjectNode policy : ofKind(objects, "NetworkPolicy")) {
            for (JsonNode rule : policy.path("spec").path("ingress")) {
                if (rule.path("from").isEmpty()) {
                    assertThat(rule.path("ports").findValuesAsText("port")).as(name(policy) + ": open to every source")
                            .isSubsetOf("8088", "8080");
                }
            }
        }
    }

    // --- secrets ----------------------------------------------------------------------------------------------------

    private static final Pattern SECRET_NAME = Pattern.compile("(?i).*(password|token|secret|apikey|api_key|credential).*");

    @ParameterizedTest
    @MethodSource("overlays")
    void secretsAreReferencedNeverWritten(String overlay) throws Exception {
        List<ObjectNode> objects = rendered(overlay);
        assertThat(objects).extracting(KubernetesManifests::kind).doesNotContain("Secret");
        for (ObjectNode workload : workloads(objects)) {
            for (JsonNode container : workload.path("spec").path("template").path("spec").path("containers")) {
                for (JsonNode env : container.path("env")) {
                    String variable = env.path("name").asText();
                    if (SECRET_NAME.matcher(variable).matches()) {
                        assertThat(env.path("valueFrom").has("secretKeyRef"))
                                .as(describe(workload) + " " + variable + " comes from a Secret").isTrue();
                        assertThat(env.has("value")).as(describe(workload) + " " + variable + " has no literal value")
                                .isFalse();
                    }
                }
            }
        }
        // The configuration file holds no secret setting at all.
        List<String> secretKeys = new ArrayList<>();
        walk(KubernetesManifests.bulwarkYaml(objects), "", (key, value) -> {
            if (SECRET_NAME.matcher(key.substring(key.lastIndexOf('.') + 1)).matches()) {
                secretKeys.add(key);
            }
        });
        assertThat(secretKeys).as("secret keys in bulwark-config").isEmpty();
        // Nothing anywhere looks like a key or a password.
        String all = JSON.writeValueAsString(objects);
        assertThat(all).doesNotContain("BEGIN PRIVATE KEY", "BEGIN RSA PRIVATE KEY", "BEGIN EC PRIVATE KEY");
        Matcher literal = Pattern.compile("\"(password|token|tokens|apiKey)\"\\s*:\\s*\"").matcher(all);
        assertThat(literal.find()).as("a literal password or token").isFalse();
    }

    private static void walk(Map<?, ?> tree, String prefix, java.util.function.BiConsumer<String, Object> visit) {
        tree.forEach((key, value) -> {
            String path = prefix.isEmpty() ? String.valueOf(key) : prefix + "." + key;
            visit.accept(path, value);
            if (value instanceof Map<?, ?> map) {
                walk(map, path, visit);
            }
        });
    }

    // --- the configuration and what Bulwark derives from it ----------------------------------------------------------

    /** The settings a workload's process reads: bulwark-config's file and its plain environment. */
    static Settings settings(List<ObjectNode> objects, Map<String, String> env) {
        return BulwarkConfig.FIELDS.parse(KubernetesManifests.bulwarkYaml(objects), env);
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void theConfigurationIsValidAndEveryVariableIsOneBulwarkReads(String overlay) {
        List<ObjectNode> objects = rendered(overlay);
        Set<String> variables = new TreeSet<>(Set.of("BULWARK_CONFIG", "BULWARK_JAVA_OPTS"));
        for (Field<?> field : BulwarkConfig.FIELDS.fields()) {
            if (field.env() != null) {
                variables.add(field.env());
            }
        }
        for (ObjectNode workload : workloads(objects)) {
            // Unknown keys and bad values (of the file and the environment) are refused, as at a start.
            settings(objects, KubernetesManifests.plainEnv(workload));
            for (JsonNode container : workload.path("spec").path("template").path("spec").path("containers")) {
                List<String> names = new ArrayList<>();
                container.path("env").forEach(env -> names.add(env.path("name").asText()));
                assertThat(names).as(describe(workload) + " variables").isSubsetOf(variables).contains("BULWARK_CONFIG");
                for (JsonNode mount : container.path("volumeMounts")) {
                    if (mount.path("mountPath").asText().equals("/etc/bulwark/bulwark.yaml")) {
                        assertThat(mount.path("subPath").asText()).isEqualTo("bulwark.yaml");
                    }
                }
            }
        }
        Settings settings = settings(objects, Map.of());
        Map<String, Object> tree = KubernetesManifests.bulwarkYaml(objects);
        @SuppressWarnings("unchecked")
        Map<String, String> properties = (Map<String, String>) ((Map<String, Object>) tree.get("kafka")).get("properties");
        KafkaClients.validate(properties); // settings Kafka knows, none that Bulwark owns
        assertThat(Integer.parseInt(properties.get("num.standby.replicas"))).as("num.standby.replicas").isGreaterThanOrEqualTo(1);
        assertThat(settings.get(BulwarkConfig.HOME)).isEqualTo("/var/lib/bulwark");
        // The detectors keep their state on their own volume, under their pod's name as their identity.
        ObjectNode detectors = one(objects, "StatefulSet", "bulwark-detectors");
        assertThat(detectors.path("spec").path("volumeClaimTemplates").get(0).path("metadata").path("name").asText())
                .isEqualTo("home");
        assertThat(detectors.path("spec").path("template").path("spec").path("containers").get(0).path("volumeMounts")
                .findValuesAsText("mountPath")).contains("/var/lib/bulwark");
        assertThat(detectors.path("spec").path("template").path("spec").path("containers").get(0).path("env").toString())
                .contains("BULWARK_INSTANCE_ID").contains("metadata.name");
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void detectorReplicasNeverExceedThePartitions(String overlay) {
        List<ObjectNode> objects = rendered(overlay);
        int partitions = settings(objects, Map.of()).get(BulwarkConfig.KAFKA_PARTITIONS);
        int replicas = one(objects, "StatefulSet", "bulwark-detectors").path("spec").path("replicas").asInt();
        assertThat(replicas).as("detector replicas").isBetween(1, partitions);
        ObjectNode budget = one(objects, "PodDisruptionBudget", "bulwark-detectors");
        assertThat(budget.path("spec").path("minAvailable").asInt()).as("the budget leaves one instance to drain")
                .isLessThan(replicas);
    }

    @Test
    void productionRunsThreeDetectorsWithABudgetOfTwoAndScalesTheReceiver() {
        List<ObjectNode> production = rendered("production");
        assertThat(one(production, "StatefulSet", "bulwark-detectors").path("spec").path("replicas").asInt()).isEqualTo(3);
        assertThat(one(production, "PodDisruptionBudget", "bulwark-detectors").path("spec").path("minAvailable").asInt())
                .isEqualTo(2);
        JsonNode hpa = one(production, "HorizontalPodAutoscaler", "bulwark-ingest").path("spec");
        assertThat(hpa.path("scaleTargetRef").path("name").asText()).isEqualTo("bulwark-ingest");
        assertThat(hpa.path("metrics").get(0).path("resource").path("name").asText()).isEqualTo("cpu");
        assertThat(hpa.path("minReplicas").asInt()).isGreaterThanOrEqualTo(2);
        assertThat(one(production, "Deployment", "bulwark-ingest").path("spec").has("replicas"))
                .as("the HPA alone sets the receiver's replicas").isFalse();
        assertThat(production).extracting(KubernetesManifests::kind).contains("Kafka", "KafkaNodePool", "Elasticsearch");
        List<ObjectNode> dev = rendered("dev");
        for (ObjectNode workload : workloads(dev)) {
            if (!"ingest".equals(component(workload))) {
                assertThat(workload.path("spec").path("replicas").asInt()).as(describe(workload)).isEqualTo(1);
            }
        }
        assertThat(one(dev, "HorizontalPodAutoscaler", "bulwark-ingest").path("spec").path("maxReplicas").asInt()).isEqualTo(1);
        assertThat(dev).extracting(KubernetesManifests::kind).doesNotContain("Kafka", "Elasticsearch");
    }

    @Test
    void theKafkaUsersAreWhatSecurityAclsPrints() throws Exception {
        List<ObjectNode> production = rendered("production");
        Settings settings = settings(production, Map.of());
        BulwarkConfig config = BulwarkConfig.from(Map.of(
                "kafka", Map.of("topicPrefix", settings.get(BulwarkConfig.KAFKA_TOPIC_PREFIX)),
                "detection", Map.of("applicationId", settings.get(BulwarkConfig.DETECTION_APPLICATION_ID))), Map.of());
        // What bulwark security acls --format strimzi --cluster bulwark prints (the same calls as the command).
        String printed = KafkaAcls.strimziUsers(KafkaAcls.grants(config), SecurityCommand.users(config), "bulwark");
        Path file = KubernetesManifests.kubernetes().resolve("strimzi/kafka-users.yaml");
        String committed = Files.readString(file).replaceFirst("(?s)^(#[^\n]*\n)+", "");
        assertThat(committed).as(file + ": regenerate it with bulwark security acls --format strimzi --cluster bulwark")
                .isEqualTo(printed);
        // And that is what reaches the cluster, each user in the overlay's namespace.
        List<ObjectNode> expected = KubernetesManifests.parse(printed);
        List<ObjectNode> users = ofKind(production, "KafkaUser");
        assertThat(users).hasSameSizeAs(expected);
        for (ObjectNode user : expected) {
            ObjectNode rendered = one(production, "KafkaUser", name(user)).deepCopy();
            assertThat(rendered.path("metadata").path("namespace").asText()).isEqualTo("bulwark");
            ((ObjectNode) rendered.path("metadata")).remove("namespace");
            assertThat(rendered).isEqualTo(user);
        }
        // Every component connects as the user those ACLs belong to.
        Map<String, String> expectedUsers = Map.of("ingest", "bulwark-ingest", "detectors", "bulwark-detectors",
                "sink", "bulwark-sink", "context-watch", "bulwark-context", "api", "bulwark-api");
        for (ObjectNode workload : workloads(production)) {
            String user = KubernetesManifests.plainEnv(workload).get("BULWARK_KAFKA_USERNAME");
            assertThat(user).as(describe(workload) + " Kafka user").isEqualTo(expectedUsers.get(component(workload)));
            if (user != null) {
                assertThat(users).extracting(KubernetesManifests::name).contains(user);
                // Strimzi's User Operator writes each user's password to a Secret of the user's name.
                assertThat(KubernetesManifests.secretOf(workload, "BULWARK_KAFKA_PASSWORD")).isEqualTo(user);
            }
        }
    }

    @Test
    void theKafkaTopicsAreBulwarksTopics() {
        List<ObjectNode> production = rendered("production");
        Settings settings = settings(production, Map.of());
        Topics topics = Topics.withPrefix(settings.get(BulwarkConfig.KAFKA_TOPIC_PREFIX));
        List<ObjectNode> kafkaTopics = ofKind(production, "KafkaTopic");
        assertThat(kafkaTopics).extracting(t -> t.path("spec").path("topicName").asText())
                .containsExactlyInAnyOrderElementsOf(topics.all().stream().map(Topic::name).toList());
        for (Topic<String, ?> topic : topics.all()) {
            JsonNode spec = kafkaTopics.stream().filter(t -> t.path("spec").path("topicName").asText().equals(topic.name()))
                    .findFirst().orElseThrow().path("spec");
            Map<String, String> config = new LinkedHashMap<>();
            spec.path("config").fields().forEachRemaining(e -> config.put(e.getKey(), e.getValue().asText()));
            assertThat(config).as(topic.name() + " config").isEqualTo(topic.configs());
            assertThat(spec.path("partitions").asInt()).as(topic.name() + " partitions")
                    .isEqualTo(settings.get(BulwarkConfig.KAFKA_PARTITIONS));
            assertThat(spec.path("replicas").asInt()).as(topic.name() + " replicas")
                    .isEqualTo(settings.get(BulwarkConfig.KAFKA_REPLICATION));
        }
        for (ObjectNode object : production) {
            if (kind(object).startsWith("Kafka") && !kind(object).equals("Kafka")) {
                assertThat(object.path("metadata").path("labels").path("strimzi.io/cluster").asText())
                        .as(describe(object) + " cluster").isEqualTo("bulwark");
            }
        }
        JsonNode kafka = one(production, "Kafka", "bulwark");
        assertThat(kafka.path("metadata").path("annotations").path("strimzi.io/kraft").asText()).isEqualTo("enabled");
        assertThat(kafka.path("metadata").path("annotations").path("strimzi.io/node-pools").asText()).isEqualTo("enabled");
        assertThat(settings.get(BulwarkConfig.KAFKA_BOOTSTRAP)).isEqualTo("bulwark-kafka-bootstrap:9093");
        assertThat(kafka.path("spec").path("kafka").path("listeners").get(0).path("port").asInt()).isEqualTo(9093);
    }

    @Test
    void theElasticsearchRolesAndUsersAreBulwarks() throws Exception {
        List<ObjectNode> production = rendered("production");
        Settings settings = settings(production, Map.of());
        Path roles = KubernetesManifests.kubernetes().resolve("eck/roles.yml");
        assertThat(Files.readString(roles)).as(roles + ": regenerate it with bulwark security es-roles")
                .isEqualTo(ElasticsearchRoles.rolesYaml(settings.get(BulwarkConfig.ES_INDEX_PREFIX)));
        JsonNode elasticsearch = one(production, "Elasticsearch", "bulwark");
        String pom = Files.readString(KubernetesManifests.root().resolve("pom.xml"));
        Matcher version = Pattern.compile("<elasticsearch.version>([^<]+)</elasticsearch.version>").matcher(pom);
        assertThat(version.find()).isTrue();
        assertThat(elasticsearch.path("spec").path("version").asText()).as("the version the tests run against")
                .isEqualTo(version.group(1));
        assertThat(elasticsearch.path("spec").path("auth").path("roles").findValuesAsText("secretName"))
                .containsExactly("bulwark-es-roles");
        // The sink and the API log in as the users of the file realm, from the same Secrets.
        List<String> realm = elasticsearch.path("spec").path("auth").path("fileRealm").findValuesAsText("secretName");
        for (String component : List.of("sink", "api")) {
            ObjectNode workload = one(production, "Deployment", "bulwark-" + component);
            assertThat(KubernetesManifests.secretOf(workload, "BULWARK_ES_USERNAME")).isEqualTo("bulwark-es-" + component);
            assertThat(KubernetesManifests.secretOf(workload, "BULWARK_ES_PASSWORD")).isEqualTo("bulwark-es-" + component)
                    .isIn(realm);
        }
        assertThat(settings.get(BulwarkConfig.ES_URL)).isEqualTo("https://bulwark-es-http:9200");
    }

    // --- kustomize ---------------------------------------------------------------------------------------------------

    /** What kustomize v2 (kubectl 1.14 to 1.20) understands, so both old and current kubectl render the same. */
    private static final Set<String> KUSTOMIZE_V2 = Set.of("resources", "bases", "namespace", "namePrefix",
            "commonLabels", "patchesStrategicMerge", "images");

    @Test
    void theKustomizationsUseOnlyWhatKustomizeV2Knows() throws Exception {
        List<Path> kustomizations;
        try (Stream<Path> files = Files.walk(KubernetesManifests.kubernetes())) {
            kustomizations = files.filter(p -> p.getFileName().toString().equals("kustomization.yaml")).sorted().toList();
        }
        assertThat(kustomizations).hasSize(5);
        for (Path file : kustomizations) {
            JsonNode kustomization = KubernetesManifests.YAML.readTree(file.toFile());
            kustomization.fieldNames().forEachRemaining(field -> assertThat(field).as(file + " field").isIn(KUSTOMIZE_V2));
            for (JsonNode resource : kustomization.path("resources")) {
                assertThat(file.getParent().resolve(resource.asText())).as(file + ": a directory goes under bases "
                        + "(kustomize v2 reads only files from resources)").isRegularFile();
            }
            for (JsonNode base : kustomization.path("bases")) {
                assertThat(file.getParent().resolve(base.asText())).isDirectory();
            }
        }
        // The context watcher's ClusterRole comes with the context watch command; the base binds it by name.
        JsonNode binding = one(rendered("production"), "ClusterRoleBinding", "bulwark-context-watch");
        assertThat(binding.path("roleRef").path("name").asText()).isEqualTo("bulwark-context-watch");
        for (String overlay : OVERLAYS) {
            JsonNode subject = one(rendered(overlay), "ClusterRoleBinding", "bulwark-context-watch").path("subjects").get(0);
            String namespace = one(rendered(overlay), "ServiceAccount", "bulwark-context-watch").path("metadata")
                    .path("namespace").asText();
            assertThat(subject.path("namespace").asText()).as(overlay + ": the bound ServiceAccount's namespace")
                    .isEqualTo(namespace).isNotEmpty();
        }
    }
}
