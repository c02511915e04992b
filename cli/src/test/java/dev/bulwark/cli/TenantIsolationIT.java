package dev.bulwark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulwark.deploy.LocalStack;
import dev.bulwark.deploy.RealStack;
import dev.bulwark.ingest.IngestStats;
import dev.bulwark.ingest.Parsers;
import dev.bulwark.samples.Samples;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * Two tenants on the real broker, fed from the real-format samples: Kubernetes objects give the tenants, a real audit
 * record of an exec and a real Tetragon connect event cross them, and each violation is attributed to the right tenant;
 * moving a namespace to another tenant changes the attribution of what follows, live.
 */
class TenantIsolationIT {

    @TempDir
    Path state;

    /** acme owns default (where the sample's exec lands) and tenant-jobs (where the Tetragon sample's nc runs). */
    private static final String OBJECTS = """
            {"apiVersion":"v1","kind":"Namespace","metadata":{"name":"default","labels":{"bulwark.io/tenant":"acme"}}}
            {"apiVersion":"v1","kind":"Namespace","metadata":{"name":"tenant-jobs","labels":{"bulwark.io/tenant":"acme"}}}
            {"apiVersion":"v1","kind":"Namespace","metadata":{"name":"ledger","labels":{"capsule.clastix.io/tenant":"globex"}}}
            {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"ops","namespace":"ledger"},"subjects":[{"kind":"User","name":"minikube-user","apiGroup":"rbac.authorization.k8s.io"}],"roleRef":{"kind":"ClusterRole","name":"admin","apiGroup":"rbac.authorization.k8s.io"}}
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"api-0","namespace":"ledger"},"spec":{"containers":[{"name":"api","image":"nginx"}]},"status":{"phase":"Running","podIP":"64.225.45.153"}}
            {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"borrowed","namespace":"default"},"subjects":[{"kind":"ServiceAccount","name":"ci","namespace":"ledger"}],"roleRef":{"kind":"ClusterRole","name":"edit","apiGroup":"rbac.authorization.k8s.io"}}
            """;

    @Test
    void eachTenantsViolationsAreAttributedAndAContextUpdateMovesAttributionLive() throws Exception {
        LocalStack stack = RealStack.get();
        String prefix = RealStack.uniquePrefix("isolation");
        BulwarkConfig config = EndToEndIT.config(stack, prefix);
        new KafkaClients(config).ensureTopics();
        try (Pipeline pipeline = Pipeline.start(config, state, new SimpleMeterRegistry())) {
            assertThat(pipeline.awaitRunning(Duration.ofSeconds(60))).isTrue();
            ingest(config, "k8s-objects", OBJECTS.getBytes(StandardCharsets.UTF_8));
            Thread.sleep(1_000); // let the directory catch up before the events, as a watch would have long before
            ingest(config, "k8s-audit", Files.readAllBytes(Samples.path("k8s_audit/falco_trace_files/exec_pod.json")));
            ingest(config, "tetragon", Files.readAllBytes(Samples.path("tetragon/oreilly_book_examples/nc_process_connect.json")));

            List<Finding> findings = findings(stack, Topics.withPrefix(prefix), 3);
            Finding exec = only(findings, "bulwark.isolation.cross_tenant_access");
            assertThat(exec.getTenant()).isEqualTo("acme");
            assertThat(exec.getOtherTenants()).containsExactly("globex");
            assertThat(exec.getSeverity()).isEqualTo("critical");
            assertThat(exec.getNamespace()).isEqualTo("default");

            Finding network = only(findings, "bulwark.isolation.cross_tenant_network");
            assertThat(network.getTenant()).isEqualTo("globex");
            assertThat(network.getOtherTenants()).containsExactly("acme");
            assertThat(network.getEvidence().getFields()).containsEntry("destination.pod", "ledger/api-0");

            Finding drift = only(findings, "bulwark.isolation.rbac_cross_tenant_binding");
            assertThat(drift.getTenant()).isEqualTo("acme");
            assertThat(drift.getOtherTenants()).containsExactly("globex");

            // tenant-jobs moves to initech: the same connection is now initech's doing.
            ingest(config, "k8s-objects", """
                    {"apiVersion":"v1","kind":"Namespace","metadata":{"name":"tenant-jobs","labels":{"bulwark.io/tenant":"initech"}}}
                    """.getBytes(StandardCharsets.UTF_8));
            Thread.sleep(1_000);
            ingest(config, "tetragon", Files.readAllBytes(Samples.path("tetragon/oreilly_book_examples/nc_process_connect.json")));
            List<Finding> after = findings(stack, Topics.withPrefix(prefix), 4);
            assertThat(after).filteredOn(f -> f.getRule().getId().equals("bulwark.isolation.cross_tenant_network"))
                    .extracting(f -> f.getOtherTenants().get(0)).containsExactly("acme", "initech");
        }
    }

    private static Finding only(List<Finding> findings, String rule) {
        List<Finding> matching = findings.stream().filter(f -> f.getRule().getId().equals(rule)).toList();
        assertThat(matching).as("findings of %s among %s", rule, findings.stream().map(f -> f.getRule().getId()).toList())
                .hasSize(1);
        return matching.get(0);
    }

    private static void ingest(BulwarkConfig config, String format, byte[] input) throws Exception {
        IngestStats stats = Ingestion.ingest(config, Parsers.forFormat(format),
                List.of(new Ingestion.Source(format, () -> new ByteArrayInputStream(input))), 1 << 20, false);
        assertThat(stats.balanced()).isTrue();
        assertThat(stats.deadLettered()).as(stats.toString()).isZero();
    }

    private static List<Finding> findings(LocalStack stack, Topics topics, int atLeast) {
        Map<String, Object> consumerConfig = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap(),
                ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<Finding> findings = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(consumerConfig, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topics.findings().name()));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (findings.size() < atLeast && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(300)).forEach(r -> findings.add(
                        topics.findings().valueSerde().deserializer().deserialize(r.topic(), r.value())));
            }
            consumer.poll(Duration.ofMillis(500)).forEach(r -> findings.add(
                    topics.findings().valueSerde().deserializer().deserialize(r.topic(), r.value())));
        }
        return findings;
    }
}
