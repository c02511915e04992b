package dev.bulwark.contextwatch;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;

import dev.bulwark.ingest.k8sobjects.NamespaceTenants.Claim;

class CapsuleTenantsTest {

    private static final String SOURCE = "status.namespaces:capsule.clastix.io/v1beta2/Tenant";

    private final CapsuleTenants tenants = new CapsuleTenants();

    @Test
    void aNamespaceListedByOneTenantIsClaimedByIt() {
        assertThat(tenants.update("solar", List.of("a", "b"))).containsExactlyInAnyOrder("a", "b");
        assertThat(tenants.claim("a")).isEqualTo(new Claim("solar", SOURCE));
        assertThat(tenants.claim("c")).isNull();
        // The same list again changes nothing.
        assertThat(tenants.update("solar", List.of("b", "a"))).isEmpty();
    }

    @Test
    void changesReportExactlyTheNamespacesWhoseClaimChanged() {
        tenants.update("solar", List.of("a", "b"));
        assertThat(tenants.update("solar", List.of("b", "c"))).containsExactlyInAnyOrder("a", "c");
        assertThat(tenants.claim("a")).isNull();
        assertThat(tenants.claim("c")).isEqualTo(new Claim("solar", SOURCE));

        // A second tenant listing b makes it contested: claimed by neither.
        assertThat(tenants.update("wind", List.of("b"))).containsExactly("b");
        assertThat(tenants.claim("b")).isNull();
        assertThat(tenants.contested()).containsExactly("b");

        // Deleting solar leaves b to wind and c to no one.
        assertThat(tenants.remove("solar")).containsExactlyInAnyOrder("b", "c");
        assertThat(tenants.claim("b")).isEqualTo(new Claim("wind", SOURCE));
        assertThat(tenants.claim("c")).isNull();
        assertThat(tenants.contested()).isEmpty();
        assertThat(tenants.remove("unknown")).isEmpty();
    }

    @Test
    void onlyStringEntriesOfStatusNamespacesCount() {
        GenericKubernetesResource tenant = new GenericKubernetesResource();
        tenant.setAdditionalProperties(Map.of("status", Map.of("namespaces", List.of("a", 7, "", "b"))));
        assertThat(CapsuleTenants.statusNamespaces(tenant)).containsExactly("a", "b");
        assertThat(CapsuleTenants.statusNamespaces(new GenericKubernetesResource())).isEmpty();
        GenericKubernetesResource odd = new GenericKubernetesResource();
        odd.setAdditionalProperties(Map.of("status", Map.of("namespaces", "a")));
        assertThat(CapsuleTenants.statusNamespaces(odd)).isEmpty();
    }
}
