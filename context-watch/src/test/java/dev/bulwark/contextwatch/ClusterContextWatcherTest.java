package dev.bulwark.contextwatch;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import dev.bulwark.ingest.ContextUpdate;
import dev.bulwark.ingest.SafeJson;
import dev.bulwark.ingest.k8sobjects.KubernetesObjectsParser;
import dev.bulwark.schemas.KubernetesAttributes;
import dev.bulwark.schemas.TenantContext;

/**
 * The watcher against fabric8's mock API server in CRUD mode: real list and watch requests over HTTP and web sockets,
 * objects kept by the server. A stand-in for a real API server, which cannot run in these tests.
 */
class ClusterContextWatcherTest {

    private static final ResourceDefinitionContext TENANTS = new ResourceDefinitionContext.Builder()
            .withGroup("capsule.clastix.io").withVersion("v1beta2").withKind("Tenant").withPlural("tenants")
            .withNamespaced(false).build();

    private final KubernetesObjectsParser fileParser = new KubernetesObjectsParser();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final RecordingSink sink = new RecordingSink();
    private MockCluster cluster;
    private ClusterContextWatcher watcher;

    @BeforeEach
    void startCluster() {
        cluster = new MockCluster();
    }

    @AfterEach
    void stopAll() {
        if (watcher != null) {
            watcher.stop();
        }
        cluster.close();
    }

    @Test
    void everyKindIsUpsertedUpdatedAndTombstonedAsTheFileIngestWould() throws Exception {
        List<HasMetadata> objects = List.of(
                namespace("team-a", Map.of("capsule.clastix.io/tenant", "oil")),
                new ServiceAccountBuilder().withNewMetadata().withName("builder").withNamespace("team-a").endMetadata()
                        .withAutomountServiceAccountToken(false).build(),
                new RoleBuilder().withNewMetadata().withName("pod-reader").withNamespace("team-a").endMetadata()
                        .addNewRule().withApiGroups("").withResources("pods").withVerbs("get", "list").endRule().build(),
                new ClusterRoleBuilder().withNewMetadata().withName("system:pod-exec").endMetadata()
                        .addNewRule().withApiGroups("").withResources("pods/exec").withVerbs("create").endRule().build(),
                new RoleBindingBuilder().withNewMetadata().withName("read-pods").withNamespace("team-a").endMetadata()
                        .addNewSubject().withKind("ServiceAccount").withName("builder").endSubject()
                        .withNewRoleRef().withApiGroup("rbac.authorization.k8s.io").withKind("Role")
                        .withName("pod-reader").endRoleRef().build(),
                new ClusterRoleBindingBuilder().withNewMetadata().withName("exec-anything").endMetadata()
                        .addNewSubject().withKind("Group").withName("oncall")
                        .withApiGroup("rbac.authorization.k8s.io").endSubject()
                        .withNewRoleRef().withApiGroup("rbac.authorization.k8s.io").withKind("ClusterRole")
                        .withName("system:pod-exec").endRoleRef().build(),
                pod("team-a", "web-1", "10.0.0.7"),
                new NetworkPolicyBuilder().withNewMetadata().withName("deny-all").withNamespace("team-a").endMetadata()
                        .withNewSpec().withNewPodSelector().endPodSelector().withPolicyTypes("Ingress").endSpec().build());
        start(Set.of());

        for (HasMetadata object : objects) {
            cluster.client.resource(object).create();
        }
        for (HasMetadata object : objects) {
            ContextUpdate expected = asFileIngest(stored(object));
            sink.awaitUpsert(expected.key());
            assertThat(sink.updates(expected.key())).as(expected.key()).containsExactly(expected);
        }
        assertThat(sink.updates()).extracting(ContextUpdate::key).containsExactlyInAnyOrder(
                "namespace/team-a", "serviceaccount/team-a/builder", "role/team-a/pod-reader",
                "clusterrole/system:pod-exec", "rolebinding/team-a/read-pods", "clusterrolebinding/exec-anything",
                "pod/team-a/web-1", "networkpolicy/team-a/deny-all");
        assertThat(sink.rejected()).isEmpty();

        // Update: a new label on the pod and a new subject on the binding.
        cluster.client.pods().inNamespace("team-a").withName("web-1")
                .edit(p -> new PodBuilder(p).editMetadata().addToLabels("version", "2").endMetadata().build());
        cluster.client.rbac().roleBindings().inNamespace("team-a").withName("read-pods")
                .edit(b -> new RoleBindingBuilder(b).addNewSubject().withKind("User").withName("jane")
                        .withApiGroup("rbac.authorization.k8s.io").endSubject().build());
        int podUpdate = sink.await(0, u -> u.key().equals("pod/team-a/web-1") && !u.isDeletion()
                && "2".equals(u.value().getLabels().get("version")), "with the new label");
        assertThat(sink.updates().get(podUpdate))
                .isEqualTo(asFileIngest(cluster.client.pods().inNamespace("team-a").withName("web-1").get()));
        int bindingUpdate = sink.await(0, u -> u.key().equals("rolebinding/team-a/read-pods") && !u.isDeletion()
                && u.value().getSubjects().size() == 2, "with two subjects");
        assertThat(sink.updates().get(bindingUpdate).value().getSubjects())
                .extracting(s -> s.getKind() + ":" + s.getName()).containsExactly("ServiceAccount:builder", "User:jane");

        // Delete: tombstones with the same keys.
        for (HasMetadata object : objects) {
            cluster.client.resource(object).delete();
        }
        for (HasMetadata object : objects) {
            String key = asFileIngest(object).key();
            int tombstone = sink.awaitTombstone(key);
            assertThat(sink.updates().subList(tombstone + 1, sink.updates().size()))
                    .as("nothing after the tombstone of " + key).noneMatch(u -> u.key().equals(key));
        }
        assertThat(sink.live()).isEmpty();
        assertThat(count("bulwark.context.watch.events", "kind", "pod", "type", "deleted")).isEqualTo(1);
        awaitCount(1, "bulwark.context.watch.updates", "kind", "networkpolicy", "op", "tombstone");
    }

    @Test
    void aReusedPodIpIsReleasedByTheOldPodsTombstoneBeforeTheNewPodClaimsIt() throws Exception {
        start(Set.of());
        cluster.client.resource(namespace("team-a", Map.of())).create();
        cluster.client.resource(pod("team-a", "pod-a", "10.0.0.5")).create();
        sink.awaitUpsert("pod/team-a/pod-a");

        cluster.client.pods().inNamespace("team-a").withName("pod-a").delete();
        cluster.client.resource(pod("team-a", "pod-b", "10.0.0.5")).create();

        int tombstoneA = sink.awaitTombstone("pod/team-a/pod-a");
        int upsertB = sink.awaitUpsert("pod/team-a/pod-b");
        assertThat(tombstoneA).isLessThan(upsertB);
        assertThat(sink.updates().get(upsertB).value().getPodIp()).isEqualTo("10.0.0.5");
        assertThat(sink.live().values()).filteredOn(u -> "10.0.0.5".equals(u.value().getPodIp()))
                .extracting(ContextUpdate::key).containsExactly("pod/team-a/pod-b");
    }

    @Test
    void aTerminatingPodIsTombstonedAtOnce() throws Exception {
        start(Set.of());
        Pod finalized = new PodBuilder(pod("team-a", "draining", "10.0.0.9")).editMetadata()
                .addToFinalizers("example.com/drain").endMetadata().build();
        cluster.client.resource(finalized).create();
        sink.awaitUpsert("pod/team-a/draining");

        cluster.client.pods().inNamespace("team-a").withName("draining").delete();
        sink.awaitTombstone("pod/team-a/draining");
        // Still in the cluster, marked for deletion, waiting for its finalizer.
        assertThat(cluster.client.pods().inNamespace("team-a").withName("draining").get().getMetadata()
                .getDeletionTimestamp()).isNotNull();
    }

    @Test
    void aNamespaceMovingToAnotherTenantIsPublishedWithTheNewTenant() throws Exception {
        start(Set.of());
        cluster.client.resource(namespace("shared", Map.of("capsule.clastix.io/tenant", "oil"))).create();
        int first = sink.awaitUpsert("namespace/shared");
        assertThat(sink.updates().get(first).value().getTenant()).isEqualTo("oil");

        cluster.client.namespaces().withName("shared").edit(n -> new NamespaceBuilder(n).editMetadata()
                .addToLabels("capsule.clastix.io/tenant", "gas").endMetadata().build());
        int moved = sink.await(first + 1, u -> u.key().equals("namespace/shared"), "after the label change");
        TenantContext now = sink.updates().get(moved).value();
        assertThat(now.getTenant()).isEqualTo("gas");
        assertThat(now.getAttributes()).containsEntry(KubernetesAttributes.TENANT_SOURCE, "label:capsule.clastix.io/tenant");
        assertThat(sink.live().get("namespace/shared").value().getTenant()).isEqualTo("gas");
    }

    @Test
    void aRestartTombstonesWhatVanishedWhileDownAndRepublishesWhatIsStillThere() throws Exception {
        cluster.client.resource(namespace("team-a", Map.of("tenant", "oil"))).create();
        cluster.client.resource(pod("team-a", "stays", "10.0.0.1")).create();
        cluster.client.resource(pod("team-a", "goes", "10.0.0.2")).create();
        cluster.client.resource(new ServiceAccountBuilder().withNewMetadata().withName("gone-too")
                .withNamespace("team-a").endMetadata().build()).create();
        start(Set.of());
        sink.awaitUpsert("pod/team-a/goes");
        sink.awaitUpsert("serviceaccount/team-a/gone-too");
        Set<String> published = new HashSet<>(sink.live().keySet());
        watcher.stop();
        int before = sink.updates().size();

        // While the watcher is down.
        cluster.client.pods().inNamespace("team-a").withName("goes").delete();
        cluster.client.serviceAccounts().inNamespace("team-a").withName("gone-too").delete();
        cluster.client.resource(pod("team-a", "new", "10.0.0.2")).create();
        assertThat(sink.updates()).hasSize(before);

        RecordingSink restarted = new RecordingSink();
        Set<String> keys = new HashSet<>(published);
        keys.add("pod/no-namespace");               // of an owned kind, but names no possible pod
        keys.add("image/registry.example.com/x");   // not this watcher's kind: left alone
        SimpleMeterRegistry restartedRegistry = new SimpleMeterRegistry();
        watcher = new ClusterContextWatcher(cluster.client, KubernetesObjectsParser.DEFAULT_TENANT_KEYS, restarted,
                restartedRegistry);
        watcher.start(keys).get(RecordingSink.TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        assertThat(watcher.isSynced()).isTrue();

        List<ContextUpdate> updates = restarted.updates();
        assertThat(updates).filteredOn(ContextUpdate::isDeletion).extracting(ContextUpdate::key)
                .containsExactlyInAnyOrder("pod/team-a/goes", "serviceaccount/team-a/gone-too", "pod/no-namespace");
        assertThat(updates).filteredOn(u -> !u.isDeletion()).extracting(ContextUpdate::key)
                .containsExactlyInAnyOrder("namespace/team-a", "pod/team-a/stays", "pod/team-a/new");
        assertThat(restarted.updates("pod/team-a/stays")).containsExactly(
                asFileIngest(cluster.client.pods().inNamespace("team-a").withName("stays").get()));
        assertThat(restartedRegistry.get("bulwark.context.watch.events").tags("kind", "pod", "type", "deleted_at_restart")
                .counter().count()).isEqualTo(2);
        assertThat(restartedRegistry.get("bulwark.context.watch.synced").gauge().value()).isEqualTo(1.0);

        // The topic after the restart holds exactly what the cluster holds.
        Map<String, ContextUpdate> topic = new java.util.HashMap<>();
        sink.live().forEach(topic::put);
        for (ContextUpdate update : updates) {
            if (update.isDeletion()) {
                topic.remove(update.key());
            } else {
                topic.put(update.key(), update);
            }
        }
        assertThat(topic.keySet()).containsExactlyInAnyOrder("namespace/team-a", "pod/team-a/stays", "pod/team-a/new");
    }

    @Test
    void aRelistAfterAnExpiredWatchTombstonesWhatWasDeletedUnseen() throws Exception {
        cluster.client.resource(namespace("team-a", Map.of())).create();
        cluster.client.resource(pod("team-a", "p1", "10.0.0.11")).create();
        cluster.client.resource(pod("team-a", "p2", "10.0.0.12")).create();
        start(Set.of());
        sink.awaitUpsert("pod/team-a/p1");
        sink.awaitUpsert("pod/team-a/p2");
        awaitWatching("pods");

        // Deleted while no watch sees it; a watch that merely reconnects would not notice either.
        assertThat(cluster.deleteUnseen("Pod", "team-a", "p1")).isTrue();
        assertThat(cluster.client.pods().inNamespace("team-a").withName("p1").get()).isNull();
        Thread.sleep(300);
        assertThat(sink.updates("pod/team-a/p1")).noneMatch(ContextUpdate::isDeletion);

        assertThat(cluster.expireWatches("pods")).isEqualTo(1);
        int tombstone = sink.awaitTombstone("pod/team-a/p1");
        assertThat(sink.updates().subList(tombstone, sink.updates().size()))
                .noneMatch(u -> u.key().equals("pod/team-a/p2") && u.isDeletion());
        assertThat(count("bulwark.context.watch.relists", "kind", "pod")).isEqualTo(1);
        assertThat(count("bulwark.context.watch.events", "kind", "pod", "type", "deleted_at_relist")).isEqualTo(1);
        assertThat(count("bulwark.context.watch.relists", "kind", "namespace")).isZero();

        // Watching again after the relist: new changes still arrive.
        awaitWatching("pods");
        cluster.client.resource(pod("team-a", "p3", "10.0.0.13")).create();
        sink.awaitUpsert("pod/team-a/p3");
        assertThat(sink.live().keySet()).containsExactlyInAnyOrder("namespace/team-a", "pod/team-a/p2", "pod/team-a/p3");
    }

    @Test
    void withoutCapsuleNamespacesGetTenantsFromTheirMetadataOnly() throws Exception {
        cluster.client.resource(namespace("legacy", Map.of())).create();
        start(Set.of());
        assertThat(watcher.capsuleTenantsWatched()).isFalse();
        TenantContext legacy = sink.awaitUpserted("namespace/legacy").value();
        assertThat(legacy.getTenant()).isNull();
        assertThat(legacy.getAttributes()).doesNotContainKey(KubernetesAttributes.TENANT_SOURCE);
        assertThat(registry.find("bulwark.context.watch.events").tag("kind", "tenant").counters()).isEmpty();
    }

    @Test
    void capsuleTenantStatusAttributesNamespacesWithoutTenantMetadata() throws Exception {
        installTenantCrd();
        cluster.client.resource(namespace("legacy", Map.of())).create();
        cluster.client.resource(namespace("labelled", Map.of("capsule.clastix.io/tenant", "oil"))).create();
        cluster.client.resource(namespace("contested", Map.of())).create();
        cluster.client.genericKubernetesResources(TENANTS).resource(tenant("solar", "legacy", "labelled", "contested"))
                .create();
        cluster.client.genericKubernetesResources(TENANTS).resource(tenant("wind", "contested")).create();
        start(Set.of());
        assertThat(watcher.capsuleTenantsWatched()).isTrue();

        TenantContext legacy = sink.awaitUpserted("namespace/legacy").value();
        assertThat(legacy.getTenant()).isEqualTo("solar");
        assertThat(legacy.getAttributes()).containsEntry(KubernetesAttributes.TENANT_SOURCE,
                "status.namespaces:capsule.clastix.io/v1beta2/Tenant");
        // Tenants were synced before namespaces were listed: the first record is already attributed.
        assertThat(sink.updates("namespace/legacy")).hasSize(1);
        // The namespace's own label wins; a namespace two tenants claim belongs to neither.
        assertThat(sink.awaitUpserted("namespace/labelled").value().getTenant()).isEqualTo("oil");
        assertThat(sink.awaitUpserted("namespace/contested").value().getTenant()).isNull();

        // Capsule drops the namespace from solar's status and wind releases the contested one.
        int before = sink.updates().size();
        cluster.client.genericKubernetesResources(TENANTS).resource(tenant("solar", "labelled", "contested")).update();
        int released = sink.await(before, u -> u.key().equals("namespace/legacy"), "after solar released it");
        assertThat(sink.updates().get(released).value().getTenant()).isNull();
        assertThat(sink.updates().get(released).value())
                .isEqualTo(asFileIngest(cluster.client.namespaces().withName("legacy").get()).value());
        cluster.client.genericKubernetesResources(TENANTS).withName("wind").delete();
        int settled = sink.await(before, u -> u.key().equals("namespace/contested"), "after wind was deleted");
        assertThat(sink.updates().get(settled).value().getTenant()).isEqualTo("solar");
        // The labelled namespace's record never changed.
        assertThat(sink.updates("namespace/labelled")).hasSize(1);
        assertThat(count("bulwark.context.watch.events", "kind", "tenant", "type", "added")).isEqualTo(2);
    }

    @Test
    void capsuleTenantsArePublishedWithTheirRegistriesAndTombstonedWhenGoneAlsoAcrossARestart() throws Exception {
        installTenantCrd();
        GenericKubernetesResource solar = tenant("solar");
        solar.setAdditionalProperties(Map.of("spec", Map.of(
                "owners", List.of(Map.of("kind", "User", "name", "alice")),
                "containerRegistries", Map.of("allowed", List.of("docker.io", "quay.io"),
                        "allowedRegex", "^registry\\.solar\\.example(:\\d+)?$"))));
        cluster.client.genericKubernetesResources(TENANTS).resource(solar).create();
        cluster.client.genericKubernetesResources(TENANTS).resource(tenant("wind")).create();
        start(Set.of("tenant/gone-while-down"));

        TenantContext published = sink.awaitUpserted("tenant/solar").value();
        assertThat(published.getKind()).isEqualTo("tenant");
        assertThat(published.getTenant()).isEqualTo("solar");
        assertThat(published.getContainerRegistries().getAllowed()).containsExactly("docker.io", "quay.io");
        assertThat(published.getContainerRegistries().getAllowedRegex()).isEqualTo("^registry\\.solar\\.example(:\\d+)?$");
        assertThat(sink.awaitUpserted("tenant/wind").value().getContainerRegistries()).as("no restriction").isNull();
        sink.awaitTombstone("tenant/gone-while-down");

        cluster.client.genericKubernetesResources(TENANTS).withName("wind").delete();
        sink.awaitTombstone("tenant/wind");
    }

    @Test
    void aVclusterPodStaysInItsHostNamespaceWithItsVirtualPlaceAsAttributes() throws Exception {
        start(Set.of());
        cluster.client.resource(namespace("team-a-vc", Map.of("capsule.clastix.io/tenant", "oil"))).create();
        Pod synced = new PodBuilder(pod("team-a-vc", "web-x-default-x-dev", "10.0.0.21")).editMetadata()
                .addToLabels("vcluster.loft.sh/managed-by", "dev")
                .addToLabels("vcluster.loft.sh/namespace", "default")
                .addToAnnotations("vcluster.loft.sh/object-name", "web")
                .addToAnnotations("vcluster.loft.sh/object-namespace", "default")
                .addToAnnotations("vcluster.loft.sh/object-host-name", "web-x-default-x-dev")
                .addToAnnotations("vcluster.loft.sh/object-host-namespace", "team-a-vc")
                .endMetadata().build();
        cluster.client.resource(synced).create();

        TenantContext pod = sink.awaitUpserted("pod/team-a-vc/web-x-default-x-dev").value();
        assertThat(pod.getNamespace()).isEqualTo("team-a-vc");
        assertThat(pod.getPodIp()).isEqualTo("10.0.0.21");
        assertThat(pod.getAttributes())
                .containsEntry(KubernetesAttributes.VCLUSTER_NAME, "dev")
                .containsEntry(KubernetesAttributes.VCLUSTER_NAMESPACE, "default")
                .containsEntry(KubernetesAttributes.VCLUSTER_OBJECT_NAME, "web");
        assertThat(sink.awaitUpserted("namespace/team-a-vc").value().getTenant()).isEqualTo("oil");
        assertThat(sink.updates("pod/team-a-vc/web-x-default-x-dev"))
                .containsExactly(asFileIngest(stored(synced)));
    }

    @Test
    void anObjectTheParserRejectsGoesToTheRejectCallbackWithTheReasonAndItsJson() throws Exception {
        start(Set.of());
        cluster.client.resource(pod("team-a", "odd", "not-an-ip")).create();
        RejectedObject rejected = sink.awaitRejected(r -> r.origin().startsWith("kubernetes:pods/team-a/odd@"));
        assertThat(rejected.kind()).isEqualTo("Pod");
        assertThat(rejected.reason()).contains("status.podIP").contains("not-an-ip").contains("is not an IP address");
        JsonNode event = SafeJson.readObject(rejected.json());
        assertThat(event.get("type").asText()).isEqualTo("ADDED");
        assertThat(event.get("object").get("metadata").get("name").asText()).isEqualTo("odd");
        assertThat(event.get("object").get("status").get("podIP").asText()).isEqualTo("not-an-ip");
        // The same bytes are rejected by the file ingest for the same reason.
        assertThatThrownBy(() -> fileParser.parse(rejected.json(), "replay")).hasMessageContaining(rejected.reason());
        assertThat(sink.updates("pod/team-a/odd")).isEmpty();
        assertThat(count("bulwark.context.watch.rejected", "kind", "pod")).isEqualTo(1);

        // Once fixed, the pod is published.
        cluster.client.pods().inNamespace("team-a").withName("odd").edit(p -> new PodBuilder(p).editStatus()
                .withPodIP("10.0.0.30").endStatus().build());
        assertThat(sink.awaitUpserted("pod/team-a/odd").value().getPodIp()).isEqualTo("10.0.0.30");
    }

    @Test
    void readinessFollowsSyncAndStopEndsPublishing() throws Exception {
        cluster.client.resource(namespace("team-a", Map.of())).create();
        watcher = new ClusterContextWatcher(cluster.client, KubernetesObjectsParser.DEFAULT_TENANT_KEYS, sink, registry);
        assertThat(watcher.isSynced()).isFalse();
        assertThat(watcher.capsuleTenantsWatched()).isNull();
        watcher.start(Set.of()).get(RecordingSink.TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        assertThat(watcher.isSynced()).isTrue();
        assertThat(registry.get("bulwark.context.watch.synced").gauge().value()).isEqualTo(1.0);
        awaitWatching("namespaces");
        assertThatThrownBy(() -> watcher.start(Set.of())).isInstanceOf(IllegalStateException.class);

        watcher.stop();
        assertThat(watcher.isSynced()).isFalse();
        assertThat(watcher.isWatching()).isFalse();
        assertThat(registry.get("bulwark.context.watch.synced").gauge().value()).isZero();
        int before = sink.updates().size();
        cluster.client.resource(namespace("team-b", Map.of())).create();
        Thread.sleep(500);
        assertThat(sink.updates()).hasSize(before);
        watcher.stop(); // idempotent
    }

    @Test
    void aFailingSinkIsCountedAndLaterUpdatesStillArrive() throws Exception {
        RecordingSink recording = sink;
        ContextSink failingOnce = new ContextSink() {
            private boolean failed;

            @Override
            public void publish(ContextUpdate update) {
                if (!failed && update.key().equals("namespace/first")) {
                    failed = true;
                    throw new IllegalStateException("broker unavailable");
                }
                recording.publish(update);
            }

            @Override
            public void reject(RejectedObject rejected) {
                recording.reject(rejected);
            }
        };
        watcher = new ClusterContextWatcher(cluster.client, KubernetesObjectsParser.DEFAULT_TENANT_KEYS, failingOnce,
                registry);
        watcher.start(Set.of()).get(RecordingSink.TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        cluster.client.resource(namespace("first", Map.of())).create();
        cluster.client.resource(namespace("second", Map.of())).create();
        sink.awaitUpsert("namespace/second");
        assertThat(sink.updates("namespace/first")).isEmpty();
        assertThat(count("bulwark.context.watch.sink.failures")).isEqualTo(1);
        // Counted once the sink call returned, which may be just after the sink recorded it.
        awaitCount(1, "bulwark.context.watch.updates", "kind", "namespace", "op", "upsert");

        // The next change of the object publishes it again.
        cluster.client.namespaces().withName("first").edit(n -> new NamespaceBuilder(n).editMetadata()
                .addToLabels("tenant", "oil").endMetadata().build());
        assertThat(sink.awaitUpserted("namespace/first").value().getTenant()).isEqualTo("oil");
    }

    @Test
    void ownedKindsAreTheParsersKinds() {
        assertThat(ClusterContextWatcher.contextKinds()).containsExactlyInAnyOrder("namespace", "serviceaccount", "role",
                "clusterrole", "rolebinding", "clusterrolebinding", "pod", "networkpolicy", "tenant");
        assertThat(ClusterContextWatcher.owns("pod/team-a/web")).isTrue();
        assertThat(ClusterContextWatcher.owns("clusterrole/system:pod-exec")).isTrue();
        assertThat(ClusterContextWatcher.owns("image/x")).isFalse();
        assertThat(ClusterContextWatcher.owns("pod")).isFalse();
    }

    private void start(Set<String> keys) throws Exception {
        watcher = new ClusterContextWatcher(cluster.client, KubernetesObjectsParser.DEFAULT_TENANT_KEYS, sink, registry);
        watcher.start(keys).get(RecordingSink.TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        assertThat(watcher.isSynced()).isTrue();
    }

    private void awaitWatching(String resource) throws InterruptedException {
        long deadline = System.nanoTime() + RecordingSink.TIMEOUT.toNanos();
        while (!(watcher.isWatching() && cluster.openWatches(resource) == 1)) {
            assertThat(System.nanoTime()).as("watching " + resource).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    private void awaitCount(double expected, String name, String... tags) throws InterruptedException {
        long deadline = System.nanoTime() + RecordingSink.TIMEOUT.toNanos();
        while (count(name, tags) != expected && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(count(name, tags)).as(name).isEqualTo(expected);
    }

    private double count(String name, String... tags) {
        Counter counter = registry.find(name).tags(tags).counter();
        return counter == null ? 0 : counter.count();
    }

    /** The object as the API server stores it now (with uid, resourceVersion, creationTimestamp). */
    private HasMetadata stored(HasMetadata object) {
        return cluster.client.resource(object).get();
    }

    /** What {@code ./bulwark ingest --format k8s-objects} publishes for the object as kubectl prints it. */
    private ContextUpdate asFileIngest(HasMetadata object) throws Exception {
        List<ContextUpdate> updates = fileParser.parse(Serialization.asJson(object).getBytes(UTF_8), "kubectl");
        assertThat(updates).hasSize(1);
        return updates.get(0);
    }

    private static Namespace namespace(String name, Map<String, String> labels) {
        return new NamespaceBuilder().withNewMetadata().withName(name).withLabels(labels).endMetadata()
                .withNewStatus().withPhase("Active").endStatus().build();
    }

    private static Pod pod(String namespace, String name, String ip) {
        return new PodBuilder().withNewMetadata().withName(name).withNamespace(namespace).addToLabels("app", name)
                .endMetadata()
                .withNewSpec().addNewContainer().withName("app").withImage("registry.example.com/" + name + ":1")
                .endContainer().withNodeName("worker-1").withServiceAccountName("default").endSpec()
                .withNewStatus().withPhase("Running").withPodIP(ip).withHostIP("192.168.1.10").endStatus().build();
    }

    private static GenericKubernetesResource tenant(String name, String... namespaces) {
        GenericKubernetesResource tenant = new GenericKubernetesResource();
        tenant.setApiVersion("capsule.clastix.io/v1beta2");
        tenant.setKind("Tenant");
        tenant.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName(name).build());
        tenant.setAdditionalProperties(Map.of(
                "spec", Map.of("owners", List.of(Map.of("kind", "User", "name", name + "-admin"))),
                "status", Map.of("size", namespaces.length, "state", "Active", "namespaces", List.of(namespaces))));
        return tenant;
    }

    private void installTenantCrd() {
        cluster.client.apiextensions().v1().customResourceDefinitions().resource(new CustomResourceDefinitionBuilder()
                .withNewMetadata().withName("tenants.capsule.clastix.io").endMetadata()
                .withNewSpec().withGroup("capsule.clastix.io").withScope("Cluster")
                .withNewNames().withKind("Tenant").withPlural("tenants").withSingular("tenant").withListKind("TenantList")
                .endNames()
                .addNewVersion().withName("v1beta2").withServed(true).withStorage(true)
                .withNewSchema().withNewOpenAPIV3Schema().withType("object")
                .withXKubernetesPreserveUnknownFields(true).endOpenAPIV3Schema().endSchema()
                .endVersion().endSpec().build()).create();
    }
}
