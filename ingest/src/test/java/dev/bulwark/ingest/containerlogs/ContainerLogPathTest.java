package dev.bulwark.ingest.containerlogs;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Pattern;

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

    /** The line suffix as {@code fromOrigin} stripped it before it cached: the reference for the fast path. */
    private static final Pattern ORIGIN_LINES = Pattern.compile(":\\d+(?:-\\d+)?$");

    /** What {@code fromOrigin} returned before metadata was cached: the suffix stripped by the pattern, then parsed. */
    private static ContainerLogPath uncached(String origin) {
        if (origin == null || origin.isEmpty()) {
            return new ContainerLogPath(null, null, null, null, null, null, null);
        }
        return ContainerLogPath.ofFile(ORIGIN_LINES.matcher(origin).replaceFirst(""));
    }

    private static String symlink(String pod, String namespace, String container) {
        return "/var/log/containers/" + pod + "_" + namespace + "_" + container + "-" + ID + ".log";
    }

    @Test
    void shouldGiveEveryLineOfAFileTheSameMetadataAndEveryFileItsOwn() {
        String web = symlink("web-0", "shop", "nginx");
        String db = "/var/log/pods/data_db-1_" + UID + "/postgres/4.log";
        String docker = "/var/lib/docker/containers/" + ID + "/" + ID + "-json.log";
        for (int round = 0; round < 3; round++) {
            for (String suffix : new String[] {":1", ":2", ":17-19", ":123456789", ""}) {
                ContainerLogPath a = ContainerLogPath.fromOrigin(web + suffix);
                assertThat(a).isEqualTo(new ContainerLogPath(web, "shop", "web-0", null, "nginx", ID, null));
                assertThat(a.scope()).isEqualTo("shop/web-0/nginx");

                ContainerLogPath b = ContainerLogPath.fromOrigin(db + suffix);
                assertThat(b).isEqualTo(new ContainerLogPath(db, "data", "db-1", UID, "postgres", null, "4"));

                ContainerLogPath c = ContainerLogPath.fromOrigin(docker + suffix);
                assertThat(c).isEqualTo(new ContainerLogPath(docker, null, null, null, null, ID, null));

                ContainerLogPath plain = ContainerLogPath.fromOrigin("app.log" + suffix);
                assertThat(plain).isEqualTo(new ContainerLogPath("app.log", null, null, null, null, null, null));
            }
        }
        // Same length, same start, other pod: not taken for the previous file.
        assertThat(ContainerLogPath.fromOrigin(symlink("web-0", "shop", "nginx") + ":5").pod()).isEqualTo("web-0");
        assertThat(ContainerLogPath.fromOrigin(symlink("web-1", "shop", "nginx") + ":5").pod()).isEqualTo("web-1");
        assertThat(ContainerLogPath.fromOrigin(symlink("web-1", "shop", "nginx") + ":6").pod()).isEqualTo("web-1");
        assertThat(ContainerLogPath.fromOrigin(symlink("web-0", "shop", "nginx") + ":6").pod()).isEqualTo("web-0");
    }

    @Test
    void shouldStayCorrectWhenFloodedWithDistinctNames() {
        int names = ContainerLogPath.CACHE_SIZE * 5 + 7;
        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < names; i++) {
                String file = symlink("pod-" + i, "ns-" + (i % 7), "c-" + i);
                ContainerLogPath path = ContainerLogPath.fromOrigin(file + ":" + (round + 1));
                assertThat(path.pod()).isEqualTo("pod-" + i);
                assertThat(path.namespace()).isEqualTo("ns-" + (i % 7));
                assertThat(path.container()).isEqualTo("c-" + i);
                assertThat(path.file()).isEqualTo(file);
                String http = "http:/v1/ingest/cri from 10.0." + (i / 256) + "." + (i % 256);
                assertThat(ContainerLogPath.fromOrigin(http + ":" + i))
                        .isEqualTo(new ContainerLogPath(http, null, null, null, null, null, null));
            }
        }
        // The first names were evicted long ago and are parsed again, to the same values.
        assertThat(ContainerLogPath.fromOrigin(symlink("pod-0", "ns-0", "c-0") + ":9").container()).isEqualTo("c-0");
    }

    @Test
    void shouldReturnWhatTheUncachedParseReturnedForAnyOrigin() {
        List<String> origins = new ArrayList<>(List.of("", ":", ":1", ":1-2", "1", "-1", "a:", "a:-1", "a:1-", "a:1-2-3",
                "a:1:2", "a:-", "a:1\n", "a:1\r\n", "a:1-2\u2028", "a:1\n\n", "a\n", "\n", "a:\u0661",
                "http:/v1/ingest/cri from 1.2.3.4", "http:/v1/ingest/cri from 1.2.3.4:7", "http:/v1/ingest/docker from ::1:3",
                "C:\\logs\\x.log:2", "stdin:1", "stdin", symlink("p", "n", "c") + ":1:2", symlink("p", "n", "c") + ":x",
                symlink("p", "n", "c") + "\n", symlink("p", "n", "c") + ":1\n", "/var/log/pods/" + UID + "/nginx_1.log:5-6",
                "/var/lib/docker/containers/" + ID + "/" + ID + "-json.log.3:12"));
        String alphabet = ":-0123456789ab/_.\n\r\u0085\u2028\u0661 ";
        Random random = new Random(42);
        for (int i = 0; i < 20_000; i++) {
            StringBuilder origin = new StringBuilder(random.nextBoolean() ? symlink("p", "n", "c") : "");
            int length = random.nextInt(10);
            for (int j = 0; j < length; j++) {
                origin.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            origins.add(origin.toString());
        }
        for (int round = 0; round < 2; round++) {
            for (String origin : origins) {
                assertThat(ContainerLogPath.fromOrigin(origin)).as(origin).isEqualTo(uncached(origin));
            }
        }
        assertThat(ContainerLogPath.fromOrigin(null)).isEqualTo(uncached(null));
    }

    @Test
    void shouldGiveEachThreadTheMetadataOfItsOwnFiles() throws Exception {
        int threads = 4;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Callable<Integer>> tasks = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                tasks.add(() -> {
                    int checked = 0;
                    for (int i = 0; i < 5_000; i++) {
                        // Each thread cycles through its own files and some shared by all, some beyond the cache size.
                        int n = i % 3 == 0 ? i % 11 : thread * 1_000 + i % (ContainerLogPath.CACHE_SIZE / 2);
                        String file = symlink("pod-" + n, "ns", "c-" + n);
                        ContainerLogPath path = ContainerLogPath.fromOrigin(file + ":" + i);
                        if (!path.equals(new ContainerLogPath(file, "ns", "pod-" + n, null, "c-" + n, ID, null))) {
                            throw new AssertionError("thread " + thread + " got " + path + " for " + file);
                        }
                        checked++;
                    }
                    return checked;
                });
            }
            for (Future<Integer> result : pool.invokeAll(tasks)) {
                assertThat(result.get()).isEqualTo(5_000);
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
