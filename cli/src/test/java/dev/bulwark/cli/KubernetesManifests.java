package dev.bulwark.cli;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

/**
 * The manifests of {@code deploy/kubernetes} as the cluster would receive them: each overlay rendered by
 * {@code kubectl kustomize}, one JSON tree per object.
 *
 * <p>Why kubectl: the overlays are only meaningful after kustomize has applied the namespace, the patches and the
 * images, and kubectl's own kustomize is what an operator runs ({@code kubectl apply -k}). No cluster is contacted.
 */
final class KubernetesManifests {

    static final YAMLMapper YAML = new YAMLMapper();
    static final ObjectMapper JSON = new ObjectMapper();
    static final List<String> OVERLAYS = List.of("dev", "production");

    private static final Map<String, List<ObjectNode>> RENDERED = new LinkedHashMap<>();

    private KubernetesManifests() {
    }

    /** The checkout's root (the tests run in cli/). */
    static Path root() {
        Path here = Path.of("").toAbsolutePath();
        for (Path dir = here; dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve("deploy/kubernetes/base"))) {
                return dir;
            }
        }
        throw new AssertionError("deploy/kubernetes not found above " + here);
    }

    static Path kubernetes() {
        return root().resolve("deploy/kubernetes");
    }

    /**
     * The kubectl to render with: {@code $KUBECTL}, else {@code kubectl} on PATH. Missing, the tests fail saying how to
     * get one: the manifests are not checked at all without it, which must not pass silently.
     */
    static String kubectl() {
        String explicit = System.getenv("KUBECTL");
        if (explicit != null && !explicit.isBlank()) {
            if (!Files.isExecutable(Path.of(explicit))) {
                throw new AssertionError("KUBECTL is " + explicit + ", which is not an executable file");
            }
            return explicit;
        }
        String path = Optional.ofNullable(System.getenv("PATH")).orElse("");
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "kubectl"))) {
                return Path.of(dir, "kubectl").toString();
            }
        }
        throw new AssertionError("kubectl is needed to render deploy/kubernetes (kubectl kustomize, offline; no cluster is "
                + "contacted) and was not found on PATH (" + path + "). Install it: on Debian or Ubuntu "
                + "'apt-get install kubernetes-client' (kubectl 1.20 or newer), otherwise see "
                + "https://kubernetes.io/docs/tasks/tools/; or set KUBECTL to its path.");
    }

    /** The objects of {@code deploy/kubernetes/overlays/<overlay>}, rendered once per test run. */
    static synchronized List<ObjectNode> rendered(String overlay) {
        return RENDERED.computeIfAbsent(overlay, name -> {
            try {
                return List.copyOf(render(kubernetes().resolve("overlays").resolve(name)));
            } catch (IOException e) {
                throw new AssertionError("cannot render overlay " + name + ": " + e, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        });
    }

    /** Runs {@code kubectl kustomize dir} and splits its output into objects. */
    static List<ObjectNode> render(Path dir) throws IOException, InterruptedException {
        Path errors = Files.createTempFile("kustomize", ".err");
        try {
            Process process = new ProcessBuilder(kubectl(), "kustomize", dir.toString())
                    .redirectError(errors.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .start();
            byte[] out = process.getInputStream().readAllBytes();
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("kubectl kustomize " + dir + " did not finish in 120 s");
            }
            if (process.exitValue() != 0) {
                throw new AssertionError("kubectl kustomize " + dir + " failed (exit " + process.exitValue() + "): "
                        + Files.readString(errors));
            }
            return parse(new String(out, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(errors);
        }
    }

    /** Every YAML document of {@code yaml} that is an object. */
    static List<ObjectNode> parse(String yaml) throws IOException {
        List<ObjectNode> objects = new ArrayList<>();
        try (MappingIterator<JsonNode> documents = YAML.readerFor(JsonNode.class).readValues(yaml)) {
            while (documents.hasNext()) {
                JsonNode document = documents.next();
                if (document instanceof ObjectNode object) {
                    objects.add(object);
                }
            }
        }
        return objects;
    }

    static String kind(JsonNode object) {
        return object.path("kind").asText();
    }

    static String name(JsonNode object) {
        return object.path("metadata").path("name").asText();
    }

    static String describe(JsonNode object) {
        return kind(object) + " " + name(object);
    }

    static List<ObjectNode> ofKind(List<ObjectNode> objects, String kind) {
        return objects.stream().filter(o -> kind.equals(kind(o))).toList();
    }

    static ObjectNode one(List<ObjectNode> objects, String kind, String name) {
        return objects.stream().filter(o -> kind.equals(kind(o)) && name.equals(name(o))).findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " " + name + " among the rendered objects"));
    }

    /** The workloads whose pod templates Bulwark runs (Deployments and StatefulSets). */
    static List<ObjectNode> workloads(List<ObjectNode> objects) {
        Predicate<ObjectNode> workload = o -> "Deployment".equals(kind(o)) || "StatefulSet".equals(kind(o));
        return objects.stream().filter(workload).toList();
    }

    /** The component label of a workload's pods. */
    static String component(JsonNode workload) {
        return workload.path("spec").path("template").path("metadata").path("labels").path("app.kubernetes.io/component")
                .asText();
    }

    /** bulwark.yaml of the ConfigMap bulwark-config, as a tree. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> bulwarkYaml(List<ObjectNode> objects) {
        String text = one(objects, "ConfigMap", "bulwark-config").path("data").path("bulwark.yaml").asText();
        try {
            return YAML.readValue(text, Map.class);
        } catch (IOException e) {
            throw new AssertionError("bulwark.yaml of bulwark-config is no YAML mapping: " + e.getMessage(), e);
        }
    }

    /** The plain (not secret-sourced) environment of a workload's bulwark container. */
    static Map<String, String> plainEnv(JsonNode workload) {
        Map<String, String> env = new LinkedHashMap<>();
        for (JsonNode container : workload.path("spec").path("template").path("spec").path("containers")) {
            for (JsonNode variable : container.path("env")) {
                if (variable.has("value")) {
                    env.put(variable.path("name").asText(), variable.path("value").asText());
                }
            }
        }
        return env;
    }

    /** The Secret an environment variable of a workload's containers is read from, or null. */
    static String secretOf(JsonNode workload, String variable) {
        for (JsonNode container : workload.path("spec").path("template").path("spec").path("containers")) {
            for (JsonNode env : container.path("env")) {
                if (variable.equals(env.path("name").asText()) && env.path("valueFrom").has("secretKeyRef")) {
                    return env.path("valueFrom").path("secretKeyRef").path("name").asText();
                }
            }
        }
        return null;
    }
}
