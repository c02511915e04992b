package dev.bulwark.ingest.k8sobjects;

import static dev.bulwark.ingest.k8sobjects.K8sTestSupport.one;
import static dev.bulwark.ingest.k8sobjects.K8sTestSupport.parse;
import static dev.bulwark.ingest.k8sobjects.K8sTestSupport.parser;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import dev.bulwark.ingest.ParseException;
import dev.bulwark.schemas.KubernetesAttributes;
import dev.bulwark.schemas.RunningContainer;
import dev.bulwark.schemas.TenantContext;

/** What runs (status image and image id per started container) and Capsule Tenants' registry restrictions. */
class KubernetesObjectsImagesTest {

    private static final String DIGEST = "sha256:" + "ab".repeat(32);
    private static final String OTHER = "sha256:" + "cd".repeat(32);

    private static final String POD = """
            {"apiVersion": "v1", "kind": "Pod",
             "metadata": {"name": "web-1", "namespace": "shop", "creationTimestamp": "2026-03-01T08:00:00Z"},
             "spec": {"containers": [{"name": "app", "image": "nginx:1.25"}, {"name": "proxy", "image": "envoyproxy/envoy@%2$s"}],
                      "initContainers": [{"name": "init", "image": "busybox:1.36"}]},
             "status": {"phase": "Running",
               "containerStatuses": [
                 {"name": "app", "containerID": "containerd://1111", "image": "docker.io/library/nginx:1.25",
                  "imageID": "docker.io/library/nginx@%1$s"},
                 {"name": "proxy", "containerID": "docker://2222", "image": "envoyproxy/envoy@%2$s",
                  "imageID": "docker-pullable://envoyproxy/envoy@%2$s"}],
               "initContainerStatuses": [
                 {"name": "init", "containerID": "containerd://3333", "image": "docker.io/library/busybox:1.36",
                  "imageID": "sha256:0123"}],
               "ephemeralContainerStatuses": [
                 {"name": "debugger", "image": "busybox", "imageID": ""}]}}""".formatted(DIGEST, OTHER);

    @Test
    void everyStartedContainerKeepsItsSpecImageAndTheDigestItRuns() throws Exception {
        TenantContext pod = one(POD);

        assertThat(pod.getContainers()).extracting(RunningContainer::getName).containsExactly("app", "proxy", "init");
        RunningContainer app = pod.getContainers().get(0);
        assertThat(app.getSpecImage()).isEqualTo("nginx:1.25");
        assertThat(app.getImage()).isEqualTo("docker.io/library/nginx:1.25");
        assertThat(app.getImageId()).isEqualTo("docker.io/library/nginx@" + DIGEST);
        assertThat(app.getDigest()).isEqualTo(DIGEST);
        assertThat(pod.getContainers().get(1).getDigest()).as("docker-pullable:// prefix").isEqualTo(OTHER);
        RunningContainer init = pod.getContainers().get(2);
        assertThat(init.getSpecImage()).isEqualTo("busybox:1.36");
        assertThat(init.getDigest()).as("a local image id is no registry digest").isNull();
    }

    @Test
    void aContainerStillPullingHasNoImageIdAndIsNotYetRunning() throws Exception {
        TenantContext pod = one(POD.replace("\"containerID\": \"containerd://1111\", ", "")
                .replace("\"imageID\": \"docker.io/library/nginx@" + DIGEST + "\"", "\"imageID\": \"\""));
        assertThat(pod.getContainers()).extracting(RunningContainer::getName).containsExactly("proxy", "init");
    }

    @Test
    void aCapsuleTenantIsItsOwnTenantWithItsAllowedRegistries() throws Exception {
        TenantContext tenant = one("""
                {"apiVersion": "capsule.clastix.io/v1beta2", "kind": "Tenant",
                 "metadata": {"name": "solar", "creationTimestamp": "2026-03-01T08:00:00Z"},
                 "spec": {"owners": [{"kind": "User", "name": "alice"}],
                          "containerRegistries": {"allowed": ["docker.io", "registry.example.com:5000"],
                                                  "allowedRegex": "^quay\\\\.io$"}}}""");
        assertThat(tenant.getKind()).isEqualTo("tenant");
        assertThat(tenant.getKey()).isEqualTo("solar");
        assertThat(tenant.getTenant()).isEqualTo("solar");
        assertThat(tenant.getAttributes()).containsEntry(KubernetesAttributes.TENANT_SOURCE, "Tenant");
        assertThat(tenant.getContainerRegistries().getAllowed()).containsExactly("docker.io", "registry.example.com:5000");
        assertThat(tenant.getContainerRegistries().getAllowedRegex()).isEqualTo("^quay\\.io$");

        TenantContext open = one("""
                {"apiVersion": "capsule.clastix.io/v1beta2", "kind": "Tenant", "metadata": {"name": "wind"},
                 "spec": {"owners": [{"kind": "User", "name": "bob"}]}}""");
        assertThat(open.getContainerRegistries()).as("no restriction").isNull();
        assertThat(parse(parser(), """
                {"type": "DELETED", "object": {"apiVersion": "capsule.clastix.io/v1beta2", "kind": "Tenant",
                 "metadata": {"name": "wind"}}}""").get(0).key()).isEqualTo("tenant/wind");
    }

    @Test
    void aBrokenRegistryRestrictionOrAnotherGroupsTenantIsRefused() {
        assertThatThrownBy(() -> one("""
                {"apiVersion": "capsule.clastix.io/v1beta2", "kind": "Tenant", "metadata": {"name": "solar"},
                 "spec": {"containerRegistries": {"allowedRegex": "(unclosed"}}}"""))
                .isInstanceOf(ParseException.class)
                .hasMessageContaining("spec.containerRegistries.allowedRegex is not a regular expression");
        assertThatThrownBy(() -> one("""
                {"apiVersion": "capsule.clastix.io/v1beta2", "kind": "Tenant", "metadata": {"name": "solar"},
                 "spec": {"containerRegistries": {"allowed": "docker.io"}}}"""))
                .isInstanceOf(ParseException.class).hasMessageContaining("spec.containerRegistries.allowed");
        assertThatThrownBy(() -> one("""
                {"apiVersion": "example.com/v1", "kind": "Tenant", "metadata": {"name": "solar"}}"""))
                .isInstanceOf(ParseException.class).hasMessageContaining("capsule.clastix.io/*");
    }
}
