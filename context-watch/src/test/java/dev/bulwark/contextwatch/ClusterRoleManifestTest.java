package dev.bulwark.contextwatch;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.client.utils.Serialization;

/** The shipped ClusterRole grants the watcher exactly what it informs on, read-only. */
class ClusterRoleManifestTest {

    private static final Path MANIFEST = Path.of("../deploy/kubernetes/base/context-watch-clusterrole.yaml");

    @Test
    void grantsGetListWatchOnExactlyTheWatchedResources() throws IOException {
        ClusterRole role;
        try (InputStream in = Files.newInputStream(MANIFEST)) {
            role = Serialization.unmarshal(in, ClusterRole.class);
        }
        Map<String, Set<String>> verbsByResource = new HashMap<>();
        for (PolicyRule rule : role.getRules()) {
            assertThat(rule.getResourceNames()).as("no resourceNames").isEmpty();
            assertThat(rule.getNonResourceURLs()).as("no non-resource URLs").isEmpty();
            for (String group : rule.getApiGroups()) {
                for (String resource : rule.getResources()) {
                    verbsByResource.computeIfAbsent(group + "/" + resource, k -> new HashSet<>()).addAll(rule.getVerbs());
                }
            }
        }
        Map<String, Set<String>> expected = new HashMap<>();
        for (WatchedKind kind : WatchedKind.values()) {
            String group = switch (kind) {
                case ROLE, CLUSTER_ROLE, ROLE_BINDING, CLUSTER_ROLE_BINDING -> "rbac.authorization.k8s.io";
                case NETWORK_POLICY -> "networking.k8s.io";
                case TENANT -> CapsuleTenants.GROUP;
                default -> "";
            };
            expected.put(group + "/" + kind.resource(), Set.of("get", "list", "watch"));
        }
        assertThat(verbsByResource).isEqualTo(expected);
    }
}
