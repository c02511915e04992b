package dev.bulwark.contextwatch;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class WatchedKindTest {

    @Test
    void keysMapToTheirKindAndCacheKey() {
        assertThat(WatchedKind.ofKey("pod/team-a/web")).isEqualTo(WatchedKind.POD);
        assertThat(WatchedKind.POD.cacheKey("pod/team-a/web")).isEqualTo("team-a/web");
        assertThat(WatchedKind.ofKey("clusterrole/system:aggregate-to-edit")).isEqualTo(WatchedKind.CLUSTER_ROLE);
        assertThat(WatchedKind.CLUSTER_ROLE.cacheKey("clusterrole/system:aggregate-to-edit"))
                .isEqualTo("system:aggregate-to-edit");
        assertThat(WatchedKind.NAMESPACE.cacheKey("namespace/team-a")).isEqualTo("team-a");
        // roles vs rolebindings vs clusterroles: the whole first segment decides.
        assertThat(WatchedKind.ofKey("rolebinding/a/b")).isEqualTo(WatchedKind.ROLE_BINDING);
        assertThat(WatchedKind.ofKey("role/a/b")).isEqualTo(WatchedKind.ROLE);
    }

    @Test
    void keysThatCannotNameAnObjectHaveNoCacheKey() {
        assertThat(WatchedKind.POD.cacheKey("pod/no-namespace")).isNull();
        assertThat(WatchedKind.POD.cacheKey("pod/a/b/c")).isNull();
        assertThat(WatchedKind.POD.cacheKey("pod//b")).isNull();
        assertThat(WatchedKind.POD.cacheKey("pod/a/")).isNull();
        assertThat(WatchedKind.NAMESPACE.cacheKey("namespace/a/b")).isNull();
        assertThat(WatchedKind.NAMESPACE.cacheKey("namespace/")).isNull();
    }

    @Test
    void otherKindsAreNotOurs() {
        assertThat(WatchedKind.ofKey("image/x")).isNull();
        assertThat(WatchedKind.ofKey("pods/a/b")).isNull();
        assertThat(WatchedKind.ofKey("pod")).isNull();
    }
}
