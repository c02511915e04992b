package dev.bulwark.detectors.isolation;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.bulwark.schemas.Finding;

import dev.bulwark.detectors.testkit.DetectorTestKit;

class CrossTenantNetworkDetectorTest {

    static final String CLUSTER = """
            - {kind: namespace, key: shop, namespace: shop, tenant: acme, labels: {team: shop}}
            - {kind: namespace, key: ledger, namespace: ledger, tenant: globex}
            - {kind: namespace, key: metrics, namespace: metrics, tenant: initech}
            - {kind: pod, key: ledger/db-0, namespace: ledger, name: db-0, pod_ip: 10.0.2.7, labels: {app: db}}
            - {kind: pod, key: metrics/prom-0, namespace: metrics, name: prom-0, pod_ip: 10.0.3.3, labels: {app: prom}}
            - kind: networkpolicy
              key: metrics/scrape-from-shop
              namespace: metrics
              name: scrape-from-shop
              network_policy:
                pod_selector: {match_labels: {app: prom}}
                policy_types: [Ingress]
                ingress: [{peers: [{namespace_selector: {match_labels: {team: shop}}}]}]
            """;

    private static String connect(String ip) {
        return """
                kubernetes: {namespace: shop, pod: web-1}
                process: {name: curl, executable: /usr/bin/curl}
                source: {ip: 10.0.1.5}
                destination: {ip: %s, port: 5432}
                network: {transport: tcp, direction: egress}
                """.formatted(ip);
    }

    @Test
    void aConnectionToAnotherTenantsPodWithoutAPolicyIsAFindingForTheDestinationTenant() {
        try (DetectorTestKit kit = DetectorTestKit.of(new CrossTenantNetworkDetector())) {
            kit.context(CLUSTER);
            kit.event(connect("10.0.2.7"));
            assertThat(kit.findings()).singleElement().satisfies(f -> {
                assertThat(f.getRule().getId()).isEqualTo(CrossTenantNetworkDetector.RULE_ID);
                assertThat(f.getTenant()).isEqualTo("globex");
                assertThat(f.getOtherTenants()).containsExactly("acme");
                assertThat(f.getEvidence().getFields()).containsEntry("destination.pod", "ledger/db-0");
            });
        }
    }

    @Test
    void aConnectionANetworkPolicyAllowsAndConnectionsWithinATenantAreQuiet() {
        try (DetectorTestKit kit = DetectorTestKit.of(new CrossTenantNetworkDetector())) {
            kit.context(CLUSTER);
            kit.event(connect("10.0.3.3"));
            kit.event(connect("10.0.1.99"));
            assertThat(kit.findings()).isEmpty();
        }
    }

    /** The tenants and pods of {@link #CLUSTER} with one policy of their own in the destination namespace. */
    private static final String PODS = """
            - {kind: namespace, key: shop, namespace: shop, tenant: acme, labels: {team: shop, tier: web}}
            - {kind: namespace, key: ledger, namespace: ledger, tenant: globex}
            - kind: pod
              key: ledger/db-0
              namespace: ledger
              name: db-0
              pod_ip: 10.0.2.7
              labels: {app: db, role: primary}
              pod_spec: {named_ports: [{name: postgres, port: 5432, protocol: TCP}, {name: dns, port: 53, protocol: UDP}]}
            - {kind: pod, key: ledger/cache-0, namespace: ledger, name: cache-0, pod_ip: 10.0.2.8, labels: {app: cache}}
            """;

    /** A policy of ledger; the selector and the rules are YAML flow in the shape of NetworkPolicySpec. */
    private static String policy(String podSelector, String ingress) {
        return """
                - kind: networkpolicy
                  key: ledger/under-test
                  namespace: ledger
                  name: under-test
                  network_policy: {pod_selector: %s, policy_types: [Ingress], ingress: %s}
                """.formatted(podSelector, ingress);
    }

    private static String connect(String sourceIp, String destinationIp, int port, String transport) {
        return """
                kubernetes: {namespace: shop, pod: web-1, labels: {app: web}}
                process: {name: curl, executable: /usr/bin/curl}
                source: {ip: %s}
                destination: {ip: %s, port: %d}
                network: {transport: %s, direction: egress}
                """.formatted(sourceIp, destinationIp, port, transport);
    }

    /** Feeds the cluster, the policy and the events; returns the destination ip:port of each finding. */
    private static List<String> flagged(String policy, String... events) {
        try (DetectorTestKit kit = DetectorTestKit.of(new CrossTenantNetworkDetector())) {
            kit.context(PODS);
            kit.context(policy);
            for (String event : events) {
                kit.event(event);
            }
            return kit.findings().stream().map(CrossTenantNetworkDetectorTest::endpoint).toList();
        }
    }

    private static String endpoint(Finding finding) {
        return finding.getEvidence().getFields().get("destination.ip") + ":"
                + finding.getEvidence().getFields().get("destination.port");
    }

    private static final String FROM_SHOP = "peers: [{namespace_selector: {match_labels: {team: shop}}}]";

    @Test
    void aRuleWithPortsAllowsOnlyThosePortsAndProtocols() {
        String policy = policy("{}", "[{" + FROM_SHOP + ", ports: [{port: 5432}]}]");
        assertThat(flagged(policy,
                connect("10.0.1.5", "10.0.2.7", 5432, "tcp"),
                connect("10.0.1.5", "10.0.2.7", 22, "tcp"),
                connect("10.0.1.5", "10.0.2.7", 5432, "udp")))
                .containsExactly("10.0.2.7:22", "10.0.2.7:5432");
    }

    @Test
    void anEventWithoutATransportIsTcpAndAPortEntryWithoutAPortAllowsTheWholeProtocol() {
        String policy = policy("{}", "[{" + FROM_SHOP + ", ports: [{protocol: UDP}]}]");
        assertThat(flagged(policy,
                connect("10.0.1.5", "10.0.2.7", 53, "udp"),
                connect("10.0.1.5", "10.0.2.7", 5353, "UDP"),
                connect("10.0.1.5", "10.0.2.7", 53, "null")))
                .containsExactly("10.0.2.7:53");
    }

    @Test
    void endPortAllowsAnInclusiveRangeAndAnInvalidRangeAllowsNothing() {
        String range = policy("{}", "[{" + FROM_SHOP + ", ports: [{protocol: TCP, port: 5000, end_port: 5432}]}]");
        assertThat(flagged(range,
                connect("10.0.1.5", "10.0.2.7", 5000, "tcp"),
                connect("10.0.1.5", "10.0.2.7", 5432, "tcp"),
                connect("10.0.1.5", "10.0.2.7", 4999, "tcp"),
                connect("10.0.1.5", "10.0.2.7", 5433, "tcp")))
                .containsExactly("10.0.2.7:4999", "10.0.2.7:5433");
        String backwards = policy("{}", "[{" + FROM_SHOP + ", ports: [{port: 6000, end_port: 5000}]}]");
        assertThat(flagged(backwards, connect("10.0.1.5", "10.0.2.7", 5432, "tcp"))).containsExactly("10.0.2.7:5432");
    }

    @Test
    void aNamedPortResolvesThroughTheDestinationPodsContainerPorts() {
        String policy = policy("{}", "[{" + FROM_SHOP + ", ports: [{port_name: postgres},"
                + " {port_name: dns, protocol: UDP}, {port_name: http}]}]");
        assertThat(flagged(policy,
                connect("10.0.1.5", "10.0.2.7", 5432, "tcp"),
                connect("10.0.1.5", "10.0.2.7", 53, "udp"),
                connect("10.0.1.5", "10.0.2.7", 53, "tcp"),
                connect("10.0.1.5", "10.0.2.7", 8080, "tcp"),
                // cache-0 names no ports: a named port cannot match it
                connect("10.0.1.5", "10.0.2.8", 5432, "tcp")))
                .containsExactly("10.0.2.7:53", "10.0.2.7:8080", "10.0.2.8:5432");
    }

    @Test
    void aPortEntryTheDetectorCannotUnderstandAllowsNothing() {
        // Entries of the wrong type (port: true, a bare string) are refused by ingest; these are kept as given.
        String policy = policy("{}", "[{" + FROM_SHOP + ", ports: [{port: 70000}, {port: 0}, {port: 5432, protocol: ICMP},"
                + " {end_port: 5432}, {port_name: postgres, end_port: 5433}]}]");
        assertThat(flagged(policy, connect("10.0.1.5", "10.0.2.7", 5432, "tcp"))).containsExactly("10.0.2.7:5432");
    }

    @Test
    void matchExpressionsInNamespaceSelectorsFollowTheirOperators() {
        String in = "{key: team, operator: In, values: [ops, shop]}";
        String notIn = "{key: team, operator: NotIn, values: [shop]}";
        String notInOther = "{key: team, operator: NotIn, values: [ops]}";
        String exists = "{key: tier, operator: Exists}";
        String existsMissing = "{key: pci, operator: Exists}";
        String doesNotExist = "{key: pci, operator: DoesNotExist}";
        String doesNotExistPresent = "{key: team, operator: DoesNotExist}";
        String unknown = "{key: team, operator: Matches, values: [shop]}";
        String inWithoutValues = "{key: team, operator: In, values: []}";
        for (String allowing : List.of(in, notInOther, exists, doesNotExist, in + "," + exists + "," + doesNotExist)) {
            assertThat(flagged(namespaceSelectorPolicy("match_expressions: [" + allowing + "]"), toDb()))
                    .as(allowing).isEmpty();
        }
        for (String denying : List.of(notIn, existsMissing, doesNotExistPresent, unknown, inWithoutValues,
                in + "," + notIn)) {
            assertThat(flagged(namespaceSelectorPolicy("match_expressions: [" + denying + "]"), toDb()))
                    .as(denying).containsExactly("10.0.2.7:5432");
        }
        // matchLabels and matchExpressions must both hold
        assertThat(flagged(namespaceSelectorPolicy("match_labels: {team: ops}, match_expressions: [" + in + "]"),
                toDb())).containsExactly("10.0.2.7:5432");
        assertThat(flagged(namespaceSelectorPolicy("match_labels: {team: shop}, match_expressions: [" + in + "]"),
                toDb())).isEmpty();
    }

    @Test
    void matchExpressionsInPodSelectorsPickTheDestinationAndTheSourcePods() {
        String primaryOnly = "{match_expressions: [{key: role, operator: In, values: [primary]}]}";
        String ingress = "[{peers: [{namespace_selector: {}, pod_selector: {match_expressions:"
                + " [{key: app, operator: NotIn, values: [batch]}]}}]}]";
        assertThat(flagged(policy(primaryOnly, ingress),
                connect("10.0.1.5", "10.0.2.7", 5432, "tcp"),
                connect("10.0.1.5", "10.0.2.8", 6379, "tcp")))
                .containsExactly("10.0.2.8:6379");
        String webExcluded = "[{peers: [{namespace_selector: {}, pod_selector: {match_expressions:"
                + " [{key: app, operator: NotIn, values: [web]}]}}]}]";
        assertThat(flagged(policy(primaryOnly, webExcluded), toDb())).containsExactly("10.0.2.7:5432");
    }

    @Test
    void anIpBlockDoesNotAllowAddressesInItsExceptBlocks() {
        String ingress = "[{peers: [{ip_block: {cidr: 10.0.0.0/16, except: [10.0.1.0/24, 10.0.5.0/24]}}]}]";
        assertThat(flagged(policy("{}", ingress),
                connect("10.0.1.5", "10.0.2.7", 5432, "tcp"),
                connect("10.0.9.5", "10.0.2.7", 5433, "tcp"),
                connect("10.1.0.5", "10.0.2.7", 5434, "tcp")))
                .containsExactly("10.0.2.7:5432", "10.0.2.7:5434");
        String unreadableExcept = "[{peers: [{ip_block: {cidr: 10.0.0.0/16, except: [not-a-cidr]}}]}]";
        assertThat(flagged(policy("{}", unreadableExcept), connect("10.0.9.5", "10.0.2.7", 5432, "tcp")))
                .containsExactly("10.0.2.7:5432");
        String unreadableCidr = "[{peers: [{ip_block: {cidr: 10.0.0.0/99}}]}]";
        assertThat(flagged(policy("{}", unreadableCidr), connect("10.0.9.5", "10.0.2.7", 5432, "tcp")))
                .containsExactly("10.0.2.7:5432");
    }

    @Test
    void aPolicyWithoutItsTypedSpecOrRulesAllowsNothing() {
        // A record written before policies were typed (only attributes), or one whose rules were too large to keep.
        String untyped = """
                - kind: networkpolicy
                  key: ledger/untyped
                  namespace: ledger
                  name: untyped
                  attributes: {k8s.netpol.ingress_rules: "1"}
                """;
        assertThat(flagged(untyped, toDb())).containsExactly("10.0.2.7:5432");
        assertThat(flagged(policy("{}", "[]"), toDb())).containsExactly("10.0.2.7:5432");
        // An empty rule allows everything; a policy not selecting the destination pod allows nothing.
        assertThat(flagged(policy("{}", "[{}]"), toDb())).isEmpty();
        assertThat(flagged(policy("{match_labels: {app: cache}}", "[{}]"), toDb())).containsExactly("10.0.2.7:5432");
    }

    @Test
    void aPolicyThatIsEgressOnlyDoesNotAllowIngress() {
        String egressOnly = """
                - kind: networkpolicy
                  key: ledger/egress
                  namespace: ledger
                  name: egress
                  network_policy: {pod_selector: {}, policy_types: [Egress], egress: [{}]}
                """;
        assertThat(flagged(egressOnly, toDb())).containsExactly("10.0.2.7:5432");
        String noTypes = """
                - kind: networkpolicy
                  key: ledger/defaulted
                  namespace: ledger
                  name: defaulted
                  network_policy: {pod_selector: {}, ingress: [{}]}
                """;
        assertThat(flagged(noTypes, toDb())).isEmpty();
    }

    @Test
    void aPodSelectorAloneNeverAdmitsAnotherNamespace() {
        assertThat(flagged(policy("{}", "[{peers: [{pod_selector: {}}]}]"), toDb())).containsExactly("10.0.2.7:5432");
        // with a namespace selector, an absent pod selector means every pod of the selected namespaces
        assertThat(flagged(policy("{}", "[{peers: [{namespace_selector: {match_labels: {team: shop}}}]}]"), toDb()))
                .isEmpty();
    }

    private static String namespaceSelectorPolicy(String selectorBody) {
        return policy("{}", "[{peers: [{namespace_selector: {" + selectorBody + "}}]}]");
    }

    private static String toDb() {
        return connect("10.0.1.5", "10.0.2.7", 5432, "tcp");
    }
}
