package dev.bulwark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulwark.contextwatch.MockCluster;
import dev.bulwark.deploy.LocalStack;
import dev.bulwark.deploy.RealStack;
import dev.bulwark.ingest.IngestStats;
import dev.bulwark.ingest.Parsers;
import dev.bulwark.samples.Samples;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.TenantContext;
import dev.bulwark.schemas.Topics;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * {@code bulwark context watch} on the real broker against fabric8's Kubernetes mock API server in CRUD mode (a stand-in
 * for an API server, which cannot run here; it speaks the real REST and watch protocol): the context topic follows
 * the cluster through creates, updates, deletes, a restart that missed a delete, and a watch expired with 410; and a
 * namespace relabelled to another tenant moves the attribution of the detectors' next finding.
 */
class ContextWatchIT {

    @TempDir
    Path state;

    @Test
    void theContextTopicFollowsTheClusterAndARelabelledNamespaceMovesFindingAttribution() throws Exception {
        LocalStack stack = RealStack.get();
        String prefix = RealStack.uniquePrefix("watch");
        BulwarkConfig config = EndToEndIT.config(stack, prefix);
        Topics topics = Topics.withPrefix(prefix);
        new KafkaClients(config).ensureTopics();
        try (MockCluster cluster = new MockCluster();
             Pipeline pipeline = Pipeline.start(config, state, new SimpleMeterRegistry())) {
            var k8s = cluster.client;
            // acme owns tenant-jobs (where the Tetragon sample's nc runs); globex owns ledger, whose pod it connects to.
            k8s.namespaces().resource(namespace("tenant-jobs", "acme")).create();
            k8s.namespaces().resource(namespace("ledger", "globex")).create();
            k8s.pods().inNamespace("ledger").resource(new PodBuilder().withNewMetadata().withName("api-0")
                    .withNamespace("ledger").endMetadata().withNewSpec().addNewContainer().withName("api")
                    .withImage("nginx").endContainer().endSpec().withNewStatus().withPhase("Running")
                    .withPodIP("64.225.45.153").endStatus().build()).create();
            k8s.rbac().roleBindings().inNamespace("tenant-jobs").resource(new RoleBindingBuilder().withNewMetadata()
                    .withName("ops").withNamespace("tenant-jobs").endMetadata().addNewSubject().withKind("User")
                    .withName("alice").withApiGroup("rbac.authorization.k8s.io").endSubject().withNewRoleRef()
                    .withKind("ClusterRole").withName("view").withApiGroup("rbac.authorization.k8s.io").endRoleRef()
                    .build()).create();
            assertThat(pipeline.awaitRunning(Duration.ofSeconds(60))).isTrue();

            Set<String> cluster1 = Set.of("namespace/tenant-jobs", "namespace/ledger", "pod/ledger/api-0",
                    "rolebinding/tenant-jobs/ops");
            try (ContextWatch watch = ContextWatch.start(config, k8s, new SimpleMeterRegistry())) {
                watch.synced().get(60, TimeUnit.SECONDS);
                assertThat(awaitLive(stack, topics, cluster1)).as("live keys after the first list").isEqualTo(cluster1);
                assertThat(tenantOf(stack, topics, "namespace/tenant-jobs")).isEqualTo("acme");

                ingestTetragon(config);
                Finding first = awaitFinding(stack, topics, 1);
                assertThat(first.getRule().getId()).isEqualTo("bulwark.isolation.cross_tenant_network");
                assertThat(first.getOtherTenants()).containsExactly("acme");
                assertThat(first.getTenant()).isEqualTo("globex");

                // The namespace moves to initech in the cluster: the next connection is initech's doing.
                long relabelled = System.nanoTime();
                k8s.namespaces().withName("tenant-jobs").edit(n -> new NamespaceBuilder(n).editMetadata()
                        .addToLabels("bulwark.io/tenant", "initech").endMetadata().build());
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (!"initech".equals(tenantOf(stack, topics, "namespace/tenant-jobs")) && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                }
                assertThat(tenantOf(stack, topics, "namespace/tenant-jobs")).isEqualTo("initech");
                Thread.sleep(1_000); // the detectors' directory reads the context topic as the watch writes it
                ingestTetragon(config);
                Finding second = awaitFinding(stack, topics, 2);
                System.out.printf("relabel to attribution of the next finding: %d ms%n",
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - relabelled));
                assertThat(second.getOtherTenants()).containsExactly("initech");

                // A deleted pod becomes a tombstone: its IP is attributed to nobody any more.
                k8s.pods().inNamespace("ledger").withName("api-0").delete();
                Set<String> cluster2 = Set.of("namespace/tenant-jobs", "namespace/ledger", "rolebinding/tenant-jobs/ops");
                assertThat(awaitLive(stack, topics, cluster2)).as("after the pod's deletion").isEqualTo(cluster2);

                // A watch the API server expires (410 Gone) is listed again; what was deleted meanwhile is noticed.
                assertThat(cluster.deleteUnseen("RoleBinding", "tenant-jobs", "ops")).isTrue();
                assertThat(cluster.expireWatches("rolebindings")).isPositive();
                Set<String> cluster3 = Set.of("namespace/tenant-jobs", "namespace/ledger");
                assertThat(awaitLive(stack, topics, cluster3)).as("after a forced relist").isEqualTo(cluster3);
            }

            // Down for a while: a namespace is deleted and another created; the restart reconciles both.
            k8s.namespaces().withName("ledger").delete();
            k8s.namespaces().resource(namespace("ops", "acme")).create();
            try (ContextWatch watch = ContextWatch.start(config, k8s, new SimpleMeterRegistry())) {
                assertThat(watch.previouslyPublished()).isEqualTo(2);
                watch.synced().get(60, TimeUnit.SECONDS);
                Set<String> cluster4 = Set.of("namespace/tenant-jobs", "namespace/ops");
                assertThat(awaitLive(stack, topics, cluster4)).as("after a restart").isEqualTo(cluster4);
                assertThat(watch.stats().balanced()).isTrue();
                assertThat(watch.stats().deadLettered()).isZero();
                assertThat(watch.failure()).isNull();
            }
        }
    }

    private static io.fabric8.kubernetes.api.model.Namespace namespace(String name, String tenant) {
        return new NamespaceBuilder().withNewMetadata().withName(name).addToLabels("bulwark.io/tenant", tenant)
                .endMetadata().build();
    }

    private static void ingestTetragon(BulwarkConfig config) throws Exception {
        byte[] input = Files.readAllBytes(Samples.path("tetragon/oreilly_book_examples/nc_process_connect.json"));
        IngestStats stats = Ingestion.ingest(config, Parsers.forFormat("tetragon"),
                List.of(new Ingestion.Source("tetragon", () -> new ByteArrayInputStream(input))), 1 << 20, false);
        assertThat(stats.deadLettered()).isZero();
    }

    /** The context topic's live keys (latest record not a tombstone), read until they equal {@code expected} or 30 s. */
    private static Set<String> awaitLive(LocalStack stack, Topics topics, Set<String> expected) throws InterruptedException {
        Set<String> live = Set.of();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            live = new TreeSet<>(latest(stack, topics).entrySet().stream().filter(e -> e.getValue() != null)
                    .map(Map.Entry::getKey).toList());
            if (live.equals(new TreeSet<>(expected))) {
                break;
            }
            Thread.sleep(200);
        }
        return live;
    }

    private static String tenantOf(LocalStack stack, Topics topics, String key) {
        TenantContext context = latest(stack, topics).get(key);
        return context == null ? null : context.getTenant();
    }

    /** The latest value of every key of the context topic (null for a tombstone). */
    private static Map<String, TenantContext> latest(LocalStack stack, Topics topics) {
        Map<String, TenantContext> latest = new HashMap<>();
        try (KafkaConsumer<String, byte[]> consumer = consumer(stack)) {
            var partitions = consumer.partitionsFor(topics.context().name()).stream()
                    .map(p -> new org.apache.kafka.common.TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            var end = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> latest.put(r.key(), r.value() == null ? null
                        : topics.context().valueSerde().deserializer().deserialize(r.topic(), r.value())));
            }
        }
        return latest;
    }

    private static Finding awaitFinding(LocalStack stack, Topics topics, int count) {
        List<Finding> findings = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = consumer(stack)) {
            consumer.subscribe(List.of(topics.findings().name()));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (findings.size() < count && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(300)).forEach(r -> findings.add(
                        topics.findings().valueSerde().deserializer().deserialize(r.topic(), r.value())));
            }
        }
        assertThat(findings).as("findings").hasSizeGreaterThanOrEqualTo(count);
        return findings.get(count - 1);
    }

    private static KafkaConsumer<String, byte[]> consumer(LocalStack stack) {
        return new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap(),
                ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID(), ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest"), new StringDeserializer(), new ByteArrayDeserializer());
    }
}
