package dev.bulwark.detectors.isolation;

import static dev.bulwark.detectors.ProcessorTests.forwarded;
import static dev.bulwark.detectors.TestDirectory.namespace;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.bulwark.detectors.MockFixedKeyProcessorContext;
import dev.bulwark.detectors.ProcessorTests;
import dev.bulwark.detectors.TestDirectory;
import dev.bulwark.schemas.Endpoint;
import dev.bulwark.schemas.EventInfo;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.KubernetesInfo;
import dev.bulwark.schemas.LabelSelector;
import dev.bulwark.schemas.NetworkPolicyPeer;
import dev.bulwark.schemas.NetworkPolicyPort;
import dev.bulwark.schemas.NetworkPolicyRule;
import dev.bulwark.schemas.NetworkPolicySpec;
import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.schemas.TenantContext;
import dev.bulwark.schemas.TenantInfo;

/** {@link CrossTenantNetworkProcessor} against the tenant directory as it is when each connection is processed. */
class CrossTenantNetworkProcessorTest {

    final TestDirectory directory = new TestDirectory();
    final MockProcessorContext<String, Finding> mock = new MockProcessorContext<>();
    final CrossTenantNetworkProcessor processor = new CrossTenantNetworkProcessor(context -> directory.directory(),
            ProcessorTests.findings("cross-tenant-network"));

    @BeforeEach
    void start() {
        directory.put(namespace("shop", "acme", 1)).put(namespace("ledger", "globex", 1))
                .put(TenantContext.newBuilder().setKind("pod").setKey("ledger/db").setNamespace("ledger").setName("db")
                        .setLabels(Map.of("app", "db")).setTenant("globex").setObservedAt(1).build());
        processor.init(new MockFixedKeyProcessorContext<>(mock));
    }

    static SecurityEvent connection(int port) {
        return SecurityEvent.newBuilder().setId("e-" + port).setTimestamp(2_000_000_000L).setSourceFormat("falco")
                .setEvent(EventInfo.newBuilder().setType(List.of("connection")).build())
                .setKubernetes(KubernetesInfo.newBuilder().setNamespace("shop").setPod("web").build())
                .setSource(Endpoint.newBuilder().setIp("10.0.1.7").build())
                .setDestination(Endpoint.newBuilder().setIp("10.0.2.9").setPort(port).build())
                .setTenant(TenantInfo.newBuilder().setOwner("acme").setPeer("globex").setPeerNamespace("ledger")
                        .setPeerPod("db").build())
                .build();
    }

    static TenantContext policyAllowingShopOn(int port) {
        NetworkPolicyRule rule = NetworkPolicyRule.newBuilder()
                .setPeers(List.of(NetworkPolicyPeer.newBuilder()
                        .setNamespaceSelector(LabelSelector.matchLabels(Map.of("kubernetes.io/metadata.name", "shop")))
                        .build()))
                .setPorts(List.of(NetworkPolicyPort.newBuilder().setPort(port).build()))
                .build();
        return TenantContext.newBuilder().setKind("networkpolicy").setKey("ledger/allow-shop").setNamespace("ledger")
                .setName("allow-shop").setObservedAt(3)
                .setNetworkPolicy(NetworkPolicySpec.newBuilder()
                        .setPodSelector(LabelSelector.matchLabels(Map.of("app", "db")))
                        .setPolicyTypes(List.of("Ingress")).setIngress(List.of(rule)).build())
                .build();
    }

    @Test
    void aConnectionNoPolicyAllowsIsReportedForTheDestinationTenantUnderTheSameKey() {
        processor.process(MockFixedKeyProcessorContext.record("container-1", connection(5432), 2_000));
        assertThat(mock.forwarded()).singleElement().satisfies(forward -> {
            assertThat(forward.record().key()).isEqualTo("container-1");
            assertThat(forward.record().timestamp()).isEqualTo(2_000);
        });
        assertThat(forwarded(mock)).singleElement().satisfies(f -> {
            assertThat(f.getRule().getId()).isEqualTo(CrossTenantNetworkDetector.RULE_ID);
            assertThat(f.getTenant()).as("the victim owns it").isEqualTo("globex");
            assertThat(f.getOtherTenants()).containsExactly("acme");
            assertThat(f.getEvidence().getFields()).containsEntry("destination.pod", "ledger/db")
                    .containsEntry("destination.port", "5432");
        });
    }

    @Test
    void aPolicyCountsFromWhenTheDirectoryHoldsItAndOnlyForWhatItAllows() {
        processor.process(MockFixedKeyProcessorContext.record("container-1", connection(5432), 2_000));
        assertThat(mock.forwarded()).hasSize(1);

        directory.put(policyAllowingShopOn(5432));
        processor.process(MockFixedKeyProcessorContext.record("container-1", connection(5432), 3_000));
        assertThat(mock.forwarded()).as("allowed now").hasSize(1);

        processor.process(MockFixedKeyProcessorContext.record("container-1", connection(22), 4_000));
        assertThat(forwarded(mock)).as("another port is not allowed").hasSize(2).last()
                .satisfies(f -> assertThat(f.getEvidence().getFields()).containsEntry("destination.port", "22"));
    }
}
