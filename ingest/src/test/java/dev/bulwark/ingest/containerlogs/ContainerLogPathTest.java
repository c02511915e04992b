package dev.bulwark.ingest.containerlogs;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ContainerLogPathTest {

    private static final String ID = "aeeccc7a9f00f6e4e066aeff0434cf80621215071f1b20a51e8340aa7c35eac6";
    private static final String UID = "0b5c2f1e-7a3d-4c1e-9f00-6d2b8e4a1c33";

    @Test
    void shouldSplitAContainersSymlinkNameWithDashesAndDotsInNames() {
        ContainerLogPath path = ContainerLogPath.fromOrigin(
                "/var/log/containers/coredns-5d78c9869d-abcde.v2_kube-system_coredns-sidecar-" + ID + ".log:12-40");
        assertThat(path.file()).isEqualTo("/var/log/containers/coredns-5d78c9869d-abcde.v2_kube-system_coredns-sidecar-" + ID + ".log");
        assertThat(path.pod()).isEqualTo("coredns-5d78c9869d-abcde.v2");
        assertThat(path.namespace()).isEqualTo("kube-system");
        assertThat(path.container()).isEqualTo("coredns-sidecar");
        assertThat(path.containerId()).isEqualTo(ID);
        assertThat(path.scope()).isEqualTo("kube-system/coredns-5d78c9869d-abcde.v2/coredns-sidecar");
    }

    @Test
    void shouldReadTheVarLogPodsLayoutsIncludingRotatedAndLegacyFiles() {
        ContainerLogPath current = ContainerLogPath.fromOrigin("/var/log/pods/shop_web-0_" + UID + "/nginx/3.log:1");
        assertThat(current.namespace()).isEqualTo("shop");
        assertThat(current.pod()).isEqualTo("web-0");
        assertThat(current.podUid()).isEqualTo(UID);
        assertThat(current.container()).isEqualTo("nginx");
        assertThat(current.restartCount()).isEqualTo("3");
        assertThat(current.containerId()).isNull();
        assertThat(current.scope()).isEqualTo("shop/web-0/nginx");

        ContainerLogPath rotated = ContainerLogPath.fromOrigin("/var/log/pods/shop_web-0_" + UID + "/nginx/0.log.20240101-120000.gz");
        assertThat(rotated.pod()).isEqualTo("web-0");
        assertThat(rotated.restartCount()).isEqualTo("0");

        ContainerLogPath legacy = ContainerLogPath.fromOrigin("/var/log/pods/" + UID + "/nginx_1.log:5");
        assertThat(legacy.podUid()).isEqualTo(UID);
        assertThat(legacy.container()).isEqualTo("nginx");
        assertThat(legacy.namespace()).isNull();
        assertThat(legacy.scope()).isEqualTo(UID + "/nginx");
    }

    @Test
    void shouldReadTheDockerLayout() {
        ContainerLogPath path = ContainerLogPath.fromOrigin("/var/lib/docker/containers/" + ID + "/" + ID + "-json.log.1:9");
        assertThat(path.containerId()).isEqualTo(ID);
        assertThat(path.hasKubernetes()).isFalse();
        assertThat(path.scope()).isEqualTo(ID);
        assertThat(ContainerLogPath.fromOrigin("/var/lib/docker/containers/" + ID + "/other-json.log").containerId()).isNull();
    }

    @Test
    void shouldKeepPodAndNamespaceOfANameKubeletCutTo255Bytes() {
        String base = ("very-long-pod-name-" + "p".repeat(100) + "_team-a_" + "c".repeat(60) + "-" + ID).substring(0, 251) + ".log";
        assertThat(base).hasSize(255);
        ContainerLogPath path = ContainerLogPath.fromOrigin("/var/log/containers/" + base + ":1");
        assertThat(path.pod()).startsWith("very-long-pod-name-");
        assertThat(path.namespace()).isEqualTo("team-a");
        assertThat(path.containerId()).isNull();
        assertThat(path.container()).isNull();
    }

    @Test
    void shouldYieldNoMetadataForOtherNames() {
        for (String origin : new String[] {"stdin:1", "app.log:3-4", "/tmp/my_app_log.log:1", "C:\\logs\\x.log:2",
                "/var/log/containers/UPPER_default_app-" + ID + ".log", "/var/log/containers/a_b_c-" + ID.substring(1) + ".log",
                "", "/var/log/pods/ns_pod_not-a-uid/c/0.log"}) {
            ContainerLogPath path = ContainerLogPath.fromOrigin(origin);
            assertThat(path.hasKubernetes()).as(origin).isFalse();
            assertThat(path.hasContainer()).as(origin).isFalse();
        }
        assertThat(ContainerLogPath.fromOrigin("app.log:3-4").file()).isEqualTo("app.log");
        assertThat(ContainerLogPath.fromOrigin("C:\\logs\\x.log:2").file()).isEqualTo("C:\\logs\\x.log");
        assertThat(ContainerLogPath.fromOrigin(null).file()).isNull();
    }

    @Test
    void shouldDecideQuicklyOnHostilePaths() {
        java.util.List<String> origins = java.util.List.of(
                "/" + "a-".repeat(1900) + "_x_y-" + ID + ".log:1",
                ("/a_b-" + "c-".repeat(30) + "_" + UID).repeat(35) + "/c/0.log:1",
                "/".repeat(4000),
                "a".repeat(1_000_000) + ".log:1");
        org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(5), () -> {
            for (String origin : origins) {
                assertThat(ContainerLogPath.fromOrigin(origin).hasKubernetes()).isFalse();
            }
        });
    }
}
