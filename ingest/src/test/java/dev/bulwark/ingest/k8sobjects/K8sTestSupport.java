package dev.bulwark.ingest.k8sobjects;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import dev.bulwark.ingest.ContextUpdate;
import dev.bulwark.ingest.ParseException;
import dev.bulwark.samples.Samples;
import dev.bulwark.schemas.TenantContext;

/** Shared fixtures of the k8s-objects parser tests: a fixed clock, sample loading and one-update parsing. */
final class K8sTestSupport {

    /** The ingest time given to objects without a time of their own. */
    static final Instant NOW = Instant.parse("2026-01-02T03:04:05Z");

    static final List<String> RBAC_SAMPLES = List.of(
            "apiserver_clusterrole_pod-exec.json",
            "apiserver_clusterrolebinding_cluster-admin.json",
            "apiserver_namespace_foo.json",
            "capsule_namespace_psa_labels.json",
            "capsule_namespace_solar-production.json",
            "capsule_rolebindings_solar-production.json",
            "k8sdocs_clusterrolebinding_read-secrets-global.json",
            "k8sdocs_role_pod-reader.json",
            "k8sdocs_rolebinding_read-pods.json",
            "k8sdocs_rolebinding_read-secrets.json");

    private K8sTestSupport() {
    }

    static KubernetesObjectsParser parser() {
        return parser(KubernetesObjectsParser.DEFAULT_TENANT_KEYS);
    }

    static KubernetesObjectsParser parser(List<String> tenantKeys) {
        return new KubernetesObjectsParser(tenantKeys, Clock.fixed(NOW, ZoneOffset.UTC));
    }

    static byte[] sample(String name) throws IOException {
        return Files.readAllBytes(Samples.path("k8s_rbac/" + name));
    }

    static List<ContextUpdate> parse(KubernetesObjectsParser parser, String json) throws ParseException {
        return parser.parse(json.getBytes(UTF_8), "test:1");
    }

    static List<ContextUpdate> parse(String json) throws ParseException {
        return parse(parser(), json);
    }

    /** The single upsert a record must produce. */
    static TenantContext one(KubernetesObjectsParser parser, byte[] record) throws ParseException {
        List<ContextUpdate> updates = parser.parse(record, "test:1");
        assertThat(updates).hasSize(1);
        assertThat(updates.get(0).isDeletion()).isFalse();
        return updates.get(0).value();
    }

    static TenantContext one(String json) throws ParseException {
        return one(parser(), json.getBytes(UTF_8));
    }

    static long millis(String rfc3339) {
        return Instant.parse(rfc3339).toEpochMilli();
    }
}
