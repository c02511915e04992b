package dev.bulwark.detectors.behaviour;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.bulwark.detectors.testkit.DetectorTestKit;




class BehaviourBaselineDetectorTest {

    private static String exec(String container, String executable) {
        return """
                kubernetes: {namespace: shop, pod: web-1}
                container: {id: %s, image_name: nginx, image_tag: "1.25"}
                event: {kind: event, type: [start]}
                process: {name: x, executable: %s}
                """.formatted(container, executable);
    }

    @Test
    void anImageIsLearnedThenSomethingNewIsReportedOnce() {
        try (DetectorTestKit kit = DetectorTestKit.of(new BehaviourBaselineDetector(), Map.of("learning", "10m"), Map.of())) {
            kit.context("{kind: namespace, key: shop, namespace: shop, tenant: acme}");
            kit.event(exec("c1", "/usr/sbin/nginx"));
            kit.advance(Duration.ofMinutes(5));
            kit.event(exec("c2", "/bin/sh"));
            assertThat(kit.findings()).as("still learning").isEmpty();
            kit.advance(Duration.ofMinutes(6));
            kit.event(exec("c1", "/usr/sbin/nginx"));
            kit.event(exec("c2", "/bin/sh"));
            assertThat(kit.findings()).as("known behaviour").isEmpty();
            kit.event(exec("c3", "/usr/bin/nc"));
            kit.event(exec("c4", "/usr/bin/nc"));
            kit.event("""
                    kubernetes: {namespace: shop, pod: web-1}
                    container: {id: c1, image_name: docker.io/library/nginx, image_tag: "1.25"}
                    destination: {ip: 203.0.113.50, port: 4444}
                    """);
            var findings = kit.findings();
            assertThat(findings).hasSize(2).allSatisfy(f -> {
                assertThat(f.getRule().getId()).isEqualTo(BehaviourBaselineDetector.RULE_ID);
                assertThat(f.getTenant()).isEqualTo("acme");
                assertThat(f.getEvidence().getFields()).containsEntry("image", "docker.io/library/nginx:1.25");
            });
            assertThat(findings.get(0).getSummary()).contains("new executable /usr/bin/nc");
            assertThat(findings.get(1).getSummary()).contains("new destination 203.0.113.50:4444");
        }
    }

    @Test
    void optedOutTenantsAreNotProfiled() {
        try (DetectorTestKit kit = DetectorTestKit.of(new BehaviourBaselineDetector(),
                Map.of("learning", "1m", "opt-out-tenants", "acme"), Map.of())) {
            kit.context("{kind: namespace, key: shop, namespace: shop, tenant: acme}");
            kit.event(exec("c1", "/usr/sbin/nginx"));
            kit.advance(Duration.ofMinutes(2));
            kit.event(exec("c1", "/usr/bin/nc"));
            assertThat(kit.findings()).isEmpty();
        }
    }

}
