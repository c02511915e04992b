package dev.bulwark.compliance;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ControlCatalogueTest {

    @Test
    void theShippedCatalogueCoversEveryFrameworkWithSourcedControls() {
        ControlCatalogue catalogue = ControlCatalogue.shipped();
        assertThat(catalogue.frameworks()).containsExactly("pss-baseline", "pss-restricted", "cis", "nsa");
        assertThat(catalogue.framework("pss-baseline")).extracting(Control::id)
                .contains("privileged-containers", "host-namespaces", "capabilities", "hostpath-volumes", "host-ports");
        assertThat(catalogue.framework("pss-restricted")).extracting(Control::id)
                .contains("privilege-escalation", "running-as-non-root", "seccomp", "volume-types", "capabilities");
        assertThat(catalogue.control("cis", "5.1.3").check()).isEqualTo(Check.RBAC_NO_WILDCARD);
        assertThat(catalogue.control("cis", "5.3.2").title()).isEqualTo("Ensure that all Namespaces have Network Policies defined");
        assertThat(catalogue.control("nsa", "2.0").check()).isEqualTo(Check.NAMESPACE_DEFAULT_DENY);
        assertThat(catalogue.control("cis", "5.5.1").check()).isEqualTo(Check.POD_IMAGES_VERIFIED);
        for (Control control : catalogue.controls()) {
            assertThat(control.source()).as(control.key()).isNotBlank();
            assertThat(control.evidence()).as(control.key()).isNotEmpty();
        }
    }

    @Test
    void aBrokenCatalogueIsRefusedNamingTheEntry() {
        assertThatThrownBy(() -> ControlCatalogue.parse("""
                controls:
                  - {framework: cis, id: "1", title: t, source: s, evidence: [x], check: pod-privileged}
                  - {framework: cis, id: "2", title: t, source: s, evidence: [x], check: pod-is-nice}
                """.getBytes(UTF_8), "c.yaml"))
                .hasMessageStartingWith("c.yaml: controls[1]: unknown check 'pod-is-nice' (known: pod-privileged,");
        assertThatThrownBy(() -> ControlCatalogue.parse("""
                controls:
                  - {framework: cis, id: "1", title: t, source: s, evidence: [x], check: pod-privileged}
                  - {framework: cis, id: "1", title: u, source: s, evidence: [x], check: pod-host-path}
                """.getBytes(UTF_8), "c.yaml")).hasMessage("c.yaml: controls[1]: cis/1 is declared twice");
        assertThatThrownBy(() -> ControlCatalogue.parse("""
                controls:
                  - {framework: cis, id: "1", title: t, source: s, check: pod-privileged}
                """.getBytes(UTF_8), "c.yaml")).hasMessage("c.yaml: controls[0]: 'evidence' must list what the control reads");
        assertThatThrownBy(() -> ControlCatalogue.parse("controls: []".getBytes(UTF_8), "c.yaml"))
                .hasMessage("c.yaml: 'controls' must be a non-empty list");
    }
}
