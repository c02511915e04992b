package com.example.bulwark.portscan;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

import dev.bulwark.detectors.testkit.DetectorTestKit;

/** The detector in the production topology, through the test kit: settings, tenants, findings. */
class PortScanDetectorTest {

    /** {@code count} connections of container c1 in namespace shop to 10.0.0.9, ports from {@code firstPort} up. */
    private static String connections(int firstPort, int count) {
        return IntStream.range(firstPort, firstPort + count)
                .mapToObj(port -> "- {kubernetes: {namespace: shop, pod: web-1}, container: {id: c1},"
                        + " destination: {ip: 10.0.0.9, port: " + port + "}}")
                .collect(Collectors.joining("\n"));
    }

    @Test
    void theThresholdOfPortsWithinTheWindowIsOneFindingForTheContainersTenant() {
        try (DetectorTestKit kit = DetectorTestKit.of(new PortScanDetector(), Map.of("ports", "5", "window", "1m"), Map.of())) {
            kit.context("{kind: namespace, key: shop, namespace: shop, tenant: acme}");
            kit.event(connections(1, 4));
            assertThat(kit.findings()).as("4 ports are not a scan").isEmpty();
            kit.event(connections(5, 1));
            assertThat(kit.findings()).singleElement().satisfies(finding -> {
                assertThat(finding.getRule().getId()).isEqualTo(PortScanDetector.RULE_ID);
                assertThat(finding.getTenant()).isEqualTo("acme");
                assertThat(finding.getEvidence().getFields()).containsEntry("destination.ports", "[1, 2, 3, 4, 5]");
            });
            kit.event(connections(6, 10));
            assertThat(kit.findings()).as("the same window is reported once").isEmpty();
        }
    }

    @Test
    void portsSpreadBeyondTheWindowAreNoScanAndALaterWindowIsReportedAgain() {
        try (DetectorTestKit kit = DetectorTestKit.of(new PortScanDetector(), Map.of("ports", "3", "window", "1m"), Map.of())) {
            kit.event(connections(1, 2));
            kit.advance(Duration.ofMinutes(2));
            kit.event(connections(3, 2));
            assertThat(kit.findings()).as("2 ports, then 2 in a new window").isEmpty();
            kit.event(connections(5, 1));
            assertThat(kit.findings()).as("3 ports in the second window").hasSize(1);
        }
    }
}
