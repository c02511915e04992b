package dev.bulwark.detectors.isolation;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.bulwark.detectors.testkit.DetectorTestKit;
import dev.bulwark.schemas.Finding;

class CrossTenantAccessDetectorTest {

    static final String TENANTS = """
            - {kind: namespace, key: shop, namespace: shop, tenant: acme}
            - {kind: namespace, key: ledger, namespace: ledger, tenant: globex}
            """;

    private static String audit(String user, String verb, String subresource, String decision, int code, String stage) {
        return """
                kubernetes_audit: {verb: %s, resource: pods, subresource: %s, object_namespace: shop, object_name: web-1,
                                   subject_user: "%s", decision: %s, response_code: %d, stage: %s, audit_id: a-%s,
                                   source_ips: [10.9.9.9]}
                """.formatted(verb, subresource, user, decision, code, stage, System.nanoTime());
    }

    @Test
    void anAllowedExecFromAnotherTenantsIdentityIsCriticalAndOwnedByTheVictim() {
        try (DetectorTestKit kit = DetectorTestKit.of(new CrossTenantAccessDetector())) {
            kit.context(TENANTS);
            kit.event(audit("system:serviceaccount:ledger:ci", "create", "exec", "allow", 101, "ResponseComplete"));
            List<Finding> findings = kit.findings();
            assertThat(findings).singleElement().satisfies(f -> {
                assertThat(f.getRule().getId()).isEqualTo(CrossTenantAccessDetector.ALLOWED_RULE);
                assertThat(f.getSeverity()).isEqualTo("critical");
                assertThat(f.getTenant()).isEqualTo("acme");
                assertThat(f.getOtherTenants()).containsExactly("globex");
                assertThat(f.getSummary()).contains("exec'd into", "tenant globex", "tenant acme", "allowed");
            });
        }
    }

    @Test
    void sameTenantUnknownIdentitiesAndEarlierStagesAreQuiet() {
        try (DetectorTestKit kit = DetectorTestKit.of(new CrossTenantAccessDetector())) {
            kit.context(TENANTS);
            kit.event(audit("system:serviceaccount:shop:ci", "create", "exec", "allow", 101, "ResponseComplete"));
            kit.event(audit("stranger", "get", "log", "allow", 200, "ResponseComplete"));
            kit.event(audit("system:serviceaccount:ledger:ci", "create", "exec", "allow", 101, "RequestReceived"));
            assertThat(kit.findings()).isEmpty();
        }
    }

    @Test
    void deniedAttemptsAreProbingOnlyFromTheThresholdOn() {
        try (DetectorTestKit kit = DetectorTestKit.of(new CrossTenantAccessDetector(), Map.of("threshold", "5"), Map.of())) {
            kit.context(TENANTS);
            for (int i = 0; i < 4; i++) {
                kit.event(audit("system:serviceaccount:ledger:scanner", "get", "null", "forbid", 403, "ResponseComplete")
                        .replace("subresource: null,", ""));
                kit.advance(Duration.ofSeconds(10));
            }
            assertThat(kit.findings()).as("four refusals are below the threshold").isEmpty();
            kit.event(audit("system:serviceaccount:ledger:scanner", "get", "null", "forbid", 403, "ResponseComplete")
                    .replace("subresource: null,", ""));
            List<Finding> findings = kit.findings();
            assertThat(findings).singleElement().satisfies(f -> {
                assertThat(f.getRule().getId()).isEqualTo(CrossTenantAccessDetector.DENIED_RULE);
                assertThat(f.getSeverity()).isEqualTo("medium");
                assertThat(f.getCount()).isEqualTo(5);
                assertThat(f.getEvidence().getEventIds()).hasSize(5);
                assertThat(f.getTenant()).isEqualTo("acme");
                assertThat(f.getOtherTenants()).containsExactly("globex");
            });
            kit.event(audit("system:serviceaccount:ledger:scanner", "get", "null", "forbid", 403, "ResponseComplete")
                    .replace("subresource: null,", ""));
            assertThat(kit.findings()).as("one finding per window, not one per attempt").isEmpty();
        }
    }

    private static String refusal() {
        return audit("system:serviceaccount:ledger:scanner", "get", "null", "forbid", 403, "ResponseComplete")
                .replace("subresource: null,", "");
    }

    /** A fixed ten-minute window cut this burst in two (3 + 2) and never fired; the sliding window sees all five. */
    @Test
    void aBurstStraddlingAClockBoundaryOfTheWindowIsProbing() {
        try (DetectorTestKit kit = DetectorTestKit.of(new CrossTenantAccessDetector(), Map.of("threshold", "5"), Map.of())) {
            kit.context(TENANTS);
            long tenMinutes = Duration.ofMinutes(10).toMillis();
            long millis = kit.now().toEpochMilli();
            kit.advance(Duration.ofMillis(tenMinutes - Math.floorMod(millis, tenMinutes) - 20_000));
            for (int i = 0; i < 3; i++) {
                kit.event(refusal());
            }
            kit.advance(Duration.ofSeconds(30));
            kit.event(refusal());
            assertThat(kit.findings()).as("four refusals").isEmpty();
            kit.event(refusal());
            assertThat(kit.findings()).singleElement().satisfies(f -> {
                assertThat(f.getRule().getId()).isEqualTo(CrossTenantAccessDetector.DENIED_RULE);
                assertThat(f.getCount()).isEqualTo(5);
                assertThat(f.getFirstSeen()).as("the first refusal, before the boundary").isEqualTo(kit.now().toEpochMilli() - 30_000);
            });
        }
    }

    @Test
    void afterAFindingTheIdentityIsQuietForOneWindowThenANewBurstFiresAgain() {
        try (DetectorTestKit kit = DetectorTestKit.of(new CrossTenantAccessDetector(),
                Map.of("threshold", "3", "window", "1m"), Map.of())) {
            kit.context(TENANTS);
            for (int i = 0; i < 3; i++) {
                kit.event(refusal());
            }
            assertThat(kit.findings()).hasSize(1);
            kit.advance(Duration.ofSeconds(30));
            for (int i = 0; i < 5; i++) {
                kit.event(refusal());
            }
            assertThat(kit.findings()).as("still within the window after the finding").isEmpty();
            kit.advance(Duration.ofSeconds(31));
            kit.event(refusal()).event(refusal()).event(refusal());
            assertThat(kit.findings()).as("a new burst a window later").singleElement()
                    .satisfies(f -> assertThat(f.getCount()).isGreaterThanOrEqualTo(3));
            kit.advance(Duration.ofMinutes(5));
            kit.event(refusal());
            assertThat(kit.findings()).as("one refusal after a quiet spell").isEmpty();
        }
    }
}
