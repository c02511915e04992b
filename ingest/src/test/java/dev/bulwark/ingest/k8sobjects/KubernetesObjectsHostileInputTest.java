package dev.bulwark.ingest.k8sobjects;

import static dev.bulwark.ingest.k8sobjects.K8sTestSupport.parse;
import static dev.bulwark.ingest.k8sobjects.K8sTestSupport.parser;
import static dev.bulwark.ingest.k8sobjects.K8sTestSupport.sample;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.bulwark.ingest.ContextUpdate;
import dev.bulwark.ingest.ParseException;

class KubernetesObjectsHostileInputTest {

    private final KubernetesObjectsParser parser = parser();

    static Stream<Arguments> rejectedRecords() {
        return Stream.of(
                // Not a Kubernetes object at all.
                Arguments.of("[{\"kind\": \"Namespace\"}]", "expected a JSON object, got an array"),
                Arguments.of("{\"metadata\": {\"name\": \"a\"}}", "missing required field 'kind': expected a Kubernetes object"),
                Arguments.of("{\"kind\": 7, \"metadata\": {\"name\": \"a\"}}", "field 'kind' must be a string, got a number"),
                Arguments.of("{\"kind\": \"Status\", \"status\": \"Failure\"}", "unsupported kind \"Status\""),
                Arguments.of("{\"kind\": \"Namespace\", \"kind\": \"Pod\"}", "invalid JSON"),
                Arguments.of("{\"kind\": \"Namespace\", \"metadata\": {\"name\": \"a\"}", "invalid JSON"),
                Arguments.of("{\"kind\": \"Namespace\", \"metadata\": {\"name\": \"a\"}} {}", "invalid JSON"),
                // Identity: missing, wrong type, names the API server would refuse.
                Arguments.of("{\"kind\": \"Namespace\"}", "Namespace: missing required field 'metadata'"),
                Arguments.of("{\"kind\": \"Namespace\", \"metadata\": []}", "Namespace: field 'metadata' must be an object, got an array"),
                Arguments.of("{\"kind\": \"Namespace\", \"metadata\": {}}", "Namespace: missing required field 'metadata.name'"),
                Arguments.of("{\"kind\": \"Namespace\", \"metadata\": {\"name\": 12}}",
                        "Namespace: field 'metadata.name' must be a string, got a number"),
                Arguments.of("{\"kind\": \"Namespace\", \"metadata\": {\"name\": \"Team-A\"}}",
                        "metadata.name \"Team-A\" is not a valid Kubernetes name (DNS-1123 label"),
                Arguments.of("{\"kind\": \"Namespace\", \"metadata\": {\"name\": \"a.b\"}}", "is not a valid Kubernetes name"),
                Arguments.of("{\"kind\": \"Namespace\", \"metadata\": {\"name\": \"" + "a".repeat(64) + "\"}}",
                        "is not a valid Kubernetes name"),
                Arguments.of("{\"kind\": \"Pod\", \"metadata\": {\"name\": \"web/1\", \"namespace\": \"a\"}}",
                        "Pod: metadata.name \"web/1\" is not a valid Kubernetes name (DNS-1123 subdomain"),
                Arguments.of("{\"kind\": \"Pod\", \"metadata\": {\"name\": \"web\", \"namespace\": \"a/b\"}}",
                        "Pod: metadata.namespace \"a/b\" is not a valid Kubernetes name"),
                Arguments.of("{\"kind\": \"Pod\", \"metadata\": {\"name\": \"web\"}}", "Pod: missing required field 'metadata.namespace'"),
                Arguments.of("{\"kind\": \"Pod\", \"metadata\": {\"name\": \"" + "a".repeat(254) + "\", \"namespace\": \"a\"}}",
                        "is not a valid Kubernetes name"),
                Arguments.of("{\"kind\": \"ServiceAccount\", \"metadata\": {\"name\": \"-sa\", \"namespace\": \"a\"}}",
                        "ServiceAccount: metadata.name \"-sa\" is not a valid Kubernetes name"),
                Arguments.of("{\"kind\": \"RoleBinding\", \"metadata\": {\"name\": \"team/admin\", \"namespace\": \"a\"}}",
                        "RoleBinding: metadata.name \"team/admin\" is not a valid Kubernetes name (it must not be '.' or '..'"),
                Arguments.of("{\"kind\": \"ClusterRole\", \"metadata\": {\"name\": \"..\"}}", "is not a valid Kubernetes name"),
                Arguments.of("{\"kind\": \"ClusterRole\", \"metadata\": {\"name\": \"a%2Fb\"}}", "is not a valid Kubernetes name"),
                Arguments.of("{\"kind\": \"ClusterRole\", \"metadata\": {\"name\": \"x" + "y".repeat(1024) + "\"}}",
                        "ClusterRole: metadata.name is longer than 1024 characters"),
                // Wrong API group: custom resources named like the real kinds.
                Arguments.of("{\"apiVersion\": \"crd.projectcalico.org/v1\", \"kind\": \"NetworkPolicy\", "
                        + "\"metadata\": {\"name\": \"p\", \"namespace\": \"a\"}, \"spec\": {}}",
                        "NetworkPolicy: kind NetworkPolicy with apiVersion \"crd.projectcalico.org/v1\" is not the Kubernetes "
                                + "NetworkPolicy (expected apiVersion extensions/* or networking.k8s.io/*)"),
                Arguments.of("{\"apiVersion\": \"v1\", \"kind\": \"Role\", \"metadata\": {\"name\": \"r\", \"namespace\": \"a\"}}",
                        "expected apiVersion rbac.authorization.k8s.io/*"),
                Arguments.of("{\"apiVersion\": \"capsule.clastix.io/v1beta2\", \"kind\": \"Namespace\", \"metadata\": {\"name\": \"a\"}}",
                        "expected apiVersion v1"),
                // Metadata of the wrong shape.
                Arguments.of("{\"kind\": \"Namespace\", \"metadata\": {\"name\": \"a\", \"labels\": [\"x\"]}}",
                        "Namespace \"a\": field 'metadata.labels' must be an object, got an array"),
                Arguments.of("{\"kind\": \"Namespace\", \"metadata\": {\"name\": \"a\", \"labels\": {\"team\": 1}}}",
                        "field 'metadata.labels[\"team\"]' must be a string, got a number"),
                Arguments.of("{\"kind\": \"Namespace\", \"metadata\": {\"name\": \"a\", \"labels\": {\"bad key\": \"x\"}}}",
                        "metadata.labels key \"bad key\" is not a valid label key"),
                Arguments.of("{\"kind\": \"Namespace\", \"metadata\": {\"name\": \"a\", \"labels\": {\"/x\": \"x\"}}}",
                        "is not a valid label key"),
                Arguments.of("{\"kind\": \"Namespace\", \"metadata\": {\"name\": \"a\", \"labels\": {\"tenant\": \"solar\\nprod\"}}}",
                        "metadata.labels[\"tenant\"] \"solar\\u000aprod\" is not a valid label value"),
                Arguments.of("{\"kind\": \"Namespace\", \"metadata\": {\"name\": \"a\", \"annotations\": "
                        + "{\"bulwark.io/tenant\": \"Solar Prod!\"}}}",
                        "tenant \"Solar Prod!\" from annotation bulwark.io/tenant is not a valid tenant name"),
                Arguments.of("{\"kind\": \"Namespace\", \"metadata\": {\"name\": \"a\", \"annotations\": {\"tenant\": {\"x\": 1}}}}",
                        "field 'metadata.annotations[\"tenant\"]' must be a string, got an object"),
                Arguments.of("{\"kind\": \"Namespace\", \"metadata\": {\"name\": \"a\", \"ownerReferences\": {\"kind\": \"Tenant\"}}}",
                        "field 'metadata.ownerReferences' must be an array, got an object"),
                Arguments.of("{\"kind\": \"Namespace\", \"metadata\": {\"name\": \"a\", \"ownerReferences\": [{\"kind\": \"Tenant\"}]}}",
                        "missing required field 'metadata.ownerReferences[0].name'"),
                Arguments.of("{\"kind\": \"Namespace\", \"metadata\": {\"name\": \"a\", \"creationTimestamp\": \"yesterday\"}}",
                        "field 'metadata.creationTimestamp' is not an RFC 3339 timestamp: \"yesterday\""),
                Arguments.of("{\"kind\": \"Namespace\", \"metadata\": {\"name\": \"a\", \"managedFields\": [{\"time\": 5}]}}",
                        "field 'metadata.managedFields[0].time' must be a string, got a number"),
                Arguments.of("{\"kind\": \"Namespace\", \"metadata\": {\"name\": \"a\", \"deletionTimestamp\": true}}",
                        "field 'metadata.deletionTimestamp' must be a string, got a boolean"),
                // RBAC content.
                Arguments.of("{\"kind\": \"Role\", \"metadata\": {\"name\": \"r\", \"namespace\": \"a\"}, \"rules\": {}}",
                        "Role \"a/r\": field 'rules' must be an array, got an object"),
                Arguments.of("{\"kind\": \"Role\", \"metadata\": {\"name\": \"r\", \"namespace\": \"a\"}, \"rules\": [{\"verbs\": [1]}]}",
                        "field 'rules[0].verbs[0]' must be a string, got a number"),
                Arguments.of("{\"kind\": \"Role\", \"metadata\": {\"name\": \"r\", \"namespace\": \"a\"}, \"rules\": [{\"verbs\": \"*\"}]}",
                        "field 'rules[0].verbs' must be an array, got a string"),
                Arguments.of("{\"kind\": \"ClusterRole\", \"metadata\": {\"name\": \"r\"}, \"aggregationRule\": "
                        + "{\"clusterRoleSelectors\": [\"app=x\"]}}",
                        "field 'aggregationRule.clusterRoleSelectors[0]' must be an object, got a string"),
                Arguments.of("{\"kind\": \"ClusterRoleBinding\", \"metadata\": {\"name\": \"b\"}, "
                        + "\"roleRef\": {\"kind\": \"Role\", \"name\": \"r\"}}",
                        "a ClusterRoleBinding can only reference a ClusterRole, not Role \"r\""),
                Arguments.of("{\"kind\": \"ClusterRoleBinding\", \"metadata\": {\"name\": \"b\"}, "
                        + "\"roleRef\": {\"kind\": \"User\", \"name\": \"r\"}}", "roleRef.kind \"User\" is neither Role nor ClusterRole"),
                Arguments.of("{\"kind\": \"ClusterRoleBinding\", \"metadata\": {\"name\": \"b\"}, "
                        + "\"roleRef\": {\"kind\": \"ClusterRole\", \"name\": \"r\", \"apiGroup\": \"example.com\"}}",
                        "roleRef.apiGroup \"example.com\" is not rbac.authorization.k8s.io"),
                Arguments.of("{\"kind\": \"ClusterRoleBinding\", \"metadata\": {\"name\": \"b\"}, "
                        + "\"roleRef\": {\"kind\": \"ClusterRole\", \"name\": \"a/b\"}}", "roleRef.name \"a/b\" is not a valid Kubernetes name"),
                Arguments.of("{\"kind\": \"ClusterRoleBinding\", \"metadata\": {\"name\": \"b\"}, \"roleRef\": \"cluster-admin\"}",
                        "field 'roleRef' must be an object, got a string"),
                Arguments.of("{\"kind\": \"ClusterRoleBinding\", \"metadata\": {\"name\": \"b\"}, "
                        + "\"roleRef\": {\"kind\": \"ClusterRole\", \"name\": \"r\"}, \"subjects\": [{\"kind\": \"Robot\", \"name\": \"x\"}]}",
                        "subjects[0].kind \"Robot\" is not User, Group or ServiceAccount"),
                Arguments.of("{\"kind\": \"ClusterRoleBinding\", \"metadata\": {\"name\": \"b\"}, "
                        + "\"roleRef\": {\"kind\": \"ClusterRole\", \"name\": \"r\"}, \"subjects\": [{\"kind\": \"ServiceAccount\", \"name\": \"x\"}]}",
                        "subjects[0]: a ServiceAccount subject of a ClusterRoleBinding needs a namespace"),
                Arguments.of("{\"kind\": \"RoleBinding\", \"metadata\": {\"name\": \"b\", \"namespace\": \"a\"}, "
                        + "\"roleRef\": {\"kind\": \"ClusterRole\", \"name\": \"r\"}, \"subjects\": [{\"kind\": \"ServiceAccount\", \"name\": \"Bad_SA\"}]}",
                        "subjects[0].name \"Bad_SA\" is not a valid Kubernetes name"),
                Arguments.of("{\"kind\": \"RoleBinding\", \"metadata\": {\"name\": \"b\", \"namespace\": \"a\"}, "
                        + "\"roleRef\": {\"kind\": \"ClusterRole\", \"name\": \"r\"}, \"subjects\": [{\"kind\": \"User\", \"name\": \"eve\\u0007\"}]}",
                        "subjects[0].name \"eve\\u0007\" contains a control character at position 3"),
                Arguments.of("{\"kind\": \"RoleBinding\", \"metadata\": {\"name\": \"b\", \"namespace\": \"a\"}, "
                        + "\"roleRef\": {\"kind\": \"ClusterRole\", \"name\": \"r\"}, \"subjects\": [\"alice\"]}",
                        "field 'subjects[0]' must be an object, got a string"),
                // Network policies.
                Arguments.of("{\"kind\": \"NetworkPolicy\", \"metadata\": {\"name\": \"p\", \"namespace\": \"a\"}, "
                        + "\"spec\": {\"policyTypes\": [\"Both\"]}}", "spec.policyTypes holds \"Both\"; expected Ingress or Egress"),
                Arguments.of("{\"kind\": \"NetworkPolicy\", \"metadata\": {\"name\": \"p\", \"namespace\": \"a\"}, "
                        + "\"spec\": {\"ingress\": {}}}", "field 'spec.ingress' must be an array, got an object"),
                Arguments.of("{\"kind\": \"NetworkPolicy\", \"metadata\": {\"name\": \"p\", \"namespace\": \"a\"}}",
                        "missing required field 'spec'"),
                // Lists and watch events.
                Arguments.of("{\"kind\": \"List\", \"items\": {}}", "field 'items' must be an array, got an object"),
                Arguments.of("{\"kind\": \"List\", \"items\": [\"ns\"]}", "items[0]: must be an object, got a string"),
                Arguments.of("{\"kind\": \"List\", \"items\": [{\"kind\": \"List\", \"items\": []}]}",
                        "items[0]: unsupported kind \"List\""),
                Arguments.of("{\"type\": 1, \"object\": {}}", "field 'type' must be a string, got a number"),
                Arguments.of("{\"type\": \"ADDED\", \"object\": {\"kind\": \"Namespace\", \"metadata\": {\"name\": \"A\"}}}",
                        "watch ADDED event: Namespace: metadata.name \"A\" is not a valid Kubernetes name"));
    }

    @ParameterizedTest
    @MethodSource("rejectedRecords")
    void rejectsWithAReadableReason(String json, String reason) {
        assertThatThrownBy(() -> parse(json)).isInstanceOf(ParseException.class).hasMessageContaining(reason);
    }

    @Test
    void controlCharactersInNamesAreEscapedInTheReason() {
        assertThatThrownBy(() -> parse("{\"kind\": \"Namespace\", \"metadata\": {\"name\": \"a\\u0000\\u001b[31mb\"}}"))
                .isInstanceOf(ParseException.class)
                .hasMessageContaining("\"a\\u0000\\u001b[31mb\"")
                .satisfies(e -> assertThat(e.getMessage().chars()).noneMatch(c -> c < 0x20));
    }

    @Test
    void invalidUtf8IsRejected() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.writeBytes("{\"kind\": \"Namespace\", \"metadata\": {\"name\": \"a".getBytes(UTF_8));
        bytes.write(0xff);
        bytes.write(0xfe);
        bytes.writeBytes("\"}}".getBytes(UTF_8));
        assertThatThrownBy(() -> parser.parse(bytes.toByteArray(), "t"))
                .isInstanceOf(ParseException.class).hasMessageContaining("invalid JSON").hasMessageContaining("UTF-8");
    }

    @Test
    void emptyAndBlankRecordsAreRejected() {
        assertThatThrownBy(() -> parser.parse(new byte[0], "t")).isInstanceOf(ParseException.class)
                .hasMessageContaining("no JSON value");
        assertThatThrownBy(() -> parser.parse("   ".getBytes(UTF_8), "t")).isInstanceOf(ParseException.class);
    }

    @Test
    void deeplyNestedJsonHitsTheSafetyLimit() {
        String nested = "{\"a\":".repeat(5000) + "1" + "}".repeat(5000);
        assertThatThrownBy(() -> parse("{\"kind\": \"Namespace\", \"metadata\": {\"name\": \"a\"}, \"spec\": " + nested + "}"))
                .isInstanceOf(ParseException.class).hasMessageContaining("JSON exceeds a safety limit");
        String arrays = "[".repeat(100_000) + "]".repeat(100_000);
        assertThatThrownBy(() -> parse("{\"kind\": \"List\", \"items\": " + arrays + "}"))
                .isInstanceOf(ParseException.class).hasMessageContaining("JSON exceeds a safety limit");
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void hugeListIsLinearAndAFailureNamesTheLastItem() throws Exception {
        int count = 20_000;
        StringBuilder list = new StringBuilder("{\"kind\": \"List\", \"apiVersion\": \"v1\", \"items\": [");
        for (int i = 0; i < count; i++) {
            list.append(i == 0 ? "" : ",").append("{\"kind\": \"Namespace\", \"metadata\": {\"name\": \"ns-").append(i)
                    .append("\", \"labels\": {\"tenant\": \"t").append(i % 7).append("\"}}}");
        }
        String valid = list + "]}";
        List<ContextUpdate> updates = parse(valid);
        assertThat(updates).hasSize(count);
        assertThat(updates.get(count - 1).key()).isEqualTo("namespace/ns-" + (count - 1));
        assertThat(updates.get(count - 1).value().getTenant()).isEqualTo("t" + ((count - 1) % 7));

        String lastBad = list + ",{\"kind\": \"Secret\", \"metadata\": {\"name\": \"s\", \"namespace\": \"a\"}}]}";
        assertThatThrownBy(() -> parse(lastBad)).isInstanceOf(ParseException.class)
                .hasMessageStartingWith("items[" + count + "]: unsupported kind \"Secret\"");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void mutatedRecordsOnlyEverNormalizeOrFailWithParseException() throws Exception {
        List<byte[]> seeds = new ArrayList<>();
        for (String file : K8sTestSupport.RBAC_SAMPLES) {
            seeds.add(sample(file));
        }
        seeds.add(("{\"type\":\"DELETED\",\"object\":" + new String(sample("k8sdocs_role_pod-reader.json"), UTF_8) + "}")
                .getBytes(UTF_8));
        seeds.add(("""
                {"kind": "Pod", "metadata": {"name": "p", "namespace": "a", "labels": {"pod-template-hash": "h"},
                  "ownerReferences": [{"kind": "ReplicaSet", "name": "w-h", "controller": true}]},
                 "spec": {"hostPID": true, "containers": [{"name": "c", "image": "i", "securityContext": {"privileged": true,
                   "runAsUser": 0, "capabilities": {"add": ["SYS_ADMIN"]}}}], "volumes": [{"hostPath": {"path": "/"}}]},
                 "status": {"podIP": "10.0.0.1", "podIPs": [{"ip": "10.0.0.1"}], "containerStatuses": [{"containerID": "containerd://ab"}]}}""")
                .getBytes(UTF_8));
        seeds.add("""
                {"kind": "NetworkPolicy", "apiVersion": "networking.k8s.io/v1", "metadata": {"name": "p", "namespace": "a"},
                 "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"], "ingress": [{"from": [{"podSelector": {}}]}]}}"""
                .getBytes(UTF_8));
        byte[] alphabet = "{}[]\":,0\\ -/a\u0000".getBytes(UTF_8);
        Random random = new Random(20260102L);
        int normalized = 0;
        for (int round = 0; round < 6000; round++) {
            byte[] seed = seeds.get(random.nextInt(seeds.size()));
            byte[] mutated = mutate(seed, random, alphabet);
            try {
                List<ContextUpdate> updates = parser.parse(mutated, "fuzz:" + round);
                assertThat(updates).isNotEmpty();
                normalized++;
            } catch (ParseException e) {
                assertThat(e.getMessage()).isNotBlank();
            }
        }
        assertThat(normalized).as("some mutations stay valid").isPositive();
    }

    private static byte[] mutate(byte[] seed, Random random, byte[] alphabet) {
        byte[] out = seed.clone();
        int edits = 1 + random.nextInt(4);
        for (int i = 0; i < edits; i++) {
            int at = random.nextInt(out.length);
            switch (random.nextInt(4)) {
                case 0 -> out[at] = alphabet[random.nextInt(alphabet.length)];
                case 1 -> out[at] = (byte) random.nextInt(256);
                case 2 -> {
                    int end = Math.min(out.length, at + 1 + random.nextInt(20));
                    byte[] shorter = new byte[out.length - (end - at)];
                    System.arraycopy(out, 0, shorter, 0, at);
                    System.arraycopy(out, end, shorter, at, out.length - end);
                    out = shorter.length == 0 ? seed.clone() : shorter;
                }
                default -> {
                    byte[] longer = new byte[out.length + 1];
                    System.arraycopy(out, 0, longer, 0, at);
                    longer[at] = alphabet[random.nextInt(alphabet.length)];
                    System.arraycopy(out, at, longer, at + 1, out.length - at);
                    out = longer;
                }
            }
        }
        return out;
    }
}
