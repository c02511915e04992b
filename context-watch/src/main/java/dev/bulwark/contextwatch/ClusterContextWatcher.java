package dev.bulwark.contextwatch;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.net.HttpURLConnection;
import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.fabric8.kubernetes.api.model.APIResourceList;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Informable;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.fabric8.kubernetes.client.informers.cache.ReducedStateItemStore;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.micrometer.core.instrument.MeterRegistry;

import dev.bulwark.ingest.ContextUpdate;
import dev.bulwark.ingest.ParseException;
import dev.bulwark.ingest.k8sobjects.KubernetesObjectsParser;

/**
 * Keeps the tenant context of one live Kubernetes cluster on the context topic: informers on Namespaces, Pods,
 * ServiceAccounts, Roles, ClusterRoles, RoleBindings, ClusterRoleBindings and NetworkPolicies in all namespaces (and
 * on Capsule {@code Tenant}s when the cluster serves them), each event turned into exactly the {@link ContextUpdate}
 * that {@code ./bulwark ingest --format k8s-objects} publishes for the same object.
 *
 * <h2>Use</h2>
 * <pre>{@code
 * KubernetesClient client = new KubernetesClientBuilder().build(); // kubeconfig ($KUBECONFIG, ~/.kube/config) or,
 *                                                                   // inside a pod, its service account
 * ClusterContextWatcher watcher = new ClusterContextWatcher(client, tenantKeys, sink, meterRegistry);
 * watcher.start(keysAlreadyPublished).get(5, TimeUnit.MINUTES);     // synced and reconciled
 * ...                                                               // /readyz: watcher.isSynced()
 * watcher.stop();                                                   // then producer flush, client.close()
 * }</pre>
 * <ul>
 *   <li><b>client</b>: any fabric8 {@link KubernetesClient}; {@code new KubernetesClientBuilder().build()} finds the
 *       kubeconfig or the in-cluster service account by itself. The watcher does not close it. Its identity needs
 *       the read-only ClusterRole {@code deploy/kubernetes/base/context-watch-clusterrole.yaml}.</li>
 *   <li><b>tenantKeys</b>: the label/annotation keys of the file ingest ({@code ingest.tenantKeys}, else
 *       {@link KubernetesObjectsParser#DEFAULT_TENANT_KEYS}), so both paths attribute alike.</li>
 *   <li><b>sink</b>: see {@link ContextSink}; called one update at a time, in order.</li>
 *   <li><b>keysAlreadyPublished</b>: the keys live in the compacted context topic now, i.e. read the topic from its
 *       beginning up to the end offsets taken before starting and keep each key whose latest record is not a
 *       tombstone. Only keys of the {@link #contextKinds() kinds this watcher owns} are used; others are left alone.
 *       Pass an empty set for a first start.</li>
 * </ul>
 *
 * <h2>Restart reconcile</h2>
 * Each informer starts with the previously published keys of its kind as its initial state, and its first list
 * compares them with the cluster: an object that still exists is published again (as an upsert), a key whose object
 * is gone (deleted while the watcher was down) gets a tombstone. So no stale pod IP stays attributed across a restart.
 * A key of an owned kind that cannot name an object (such as {@code pod/x} without a namespace) is tombstoned once
 * every informer has synced. One watcher owns these kinds in one context topic: keys published for another cluster
 * into the same topic would be tombstoned.
 *
 * <h2>Deletions, expiry and relists</h2>
 * A watch DELETED event, and an object with {@code metadata.deletionTimestamp}, become a tombstone (as in the file
 * ingest). When a watch expires ({@code 410 Gone}, after etcd compaction) or fails, the informer lists again and
 * reports every object that vanished in between as deleted ({@code DeletedFinalStateUnknown}), which also becomes a
 * tombstone. fabric8 delivers a relist's changes before its deletions; the context directory copes with that order
 * for reused pod IPs (a pod's tombstone removes its IP entry only while the entry still names that pod).
 *
 * <h2>Memory</h2>
 * The watcher never re-reads an object from the informer cache except to know what existed, so the caches keep only
 * each object's key and resourceVersion ({@link ReducedStateItemStore}): the full object of an event is parsed and
 * dropped. The exception is Namespaces when Capsule is present: a Tenant's status change republishes the namespaces it
 * affects, from the cache, so their cache keeps the fields the parser reads (labels, annotations, ownerReferences,
 * uid, creationTimestamp, deletionTimestamp, managedFields for {@code observed_at}, status.phase). Lists are paged
 * ({@value #LIST_PAGE_SIZE} items a page), so a relist holds one page of full objects at a time, not the cluster.
 *
 * <h2>Capsule</h2>
 * At start the watcher asks API discovery whether {@code capsule.clastix.io/v1beta2} serves {@code tenants}, logs what
 * it found, and if so watches Tenants (as generic resources) before anything else: a Namespace whose own metadata
 * names no tenant (no tenant label or annotation, no Tenant ownerReference) is attributed to the one Tenant listing
 * it in {@code status.namespaces} (tenant source {@code status.namespaces:capsule.clastix.io/v1beta2/Tenant}); a
 * Tenant's change republishes the namespaces whose attribution it changes. A CRD installed after start is not seen
 * until a restart.
 *
 * <h2>vcluster</h2>
 * Pods that vcluster synced from a virtual cluster run in its host namespace and keep it as their namespace (so they
 * are attributed to the tenant owning the virtual cluster); the parser adds the virtual cluster, namespace and name
 * as {@code k8s.vcluster.*} attributes.
 *
 * <h2>Rejected objects</h2>
 * An object the parser rejects goes to {@link ContextSink#reject} with the reason and the exact bytes parsed (a
 * watch event holding the object as served), counted in {@code bulwark.context.watch.rejected}. Nothing is dropped
 * silently.
 */
public final class ClusterContextWatcher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterContextWatcher.class);

    /** Items per list page (the {@code limit} of list calls). */
    public static final long LIST_PAGE_SIZE = 500;

    /** The Namespace fields the parser reads, kept in the namespace cache when Capsule Tenants are watched. */
    static final String[] NAMESPACE_FIELDS = {"metadata.labels", "metadata.annotations", "metadata.ownerReferences",
        "metadata.uid", "metadata.creationTimestamp", "metadata.deletionTimestamp", "metadata.managedFields",
        "status.phase"};

    private static final ResourceDefinitionContext TENANTS = new ResourceDefinitionContext.Builder()
            .withGroup(CapsuleTenants.GROUP).withVersion(CapsuleTenants.VERSION).withKind(CapsuleTenants.KIND)
            .withPlural(CapsuleTenants.RESOURCE).withNamespaced(false).build();

    private final KubernetesClient client;
    private final KubernetesSerialization serialization;
    private final ContextSink sink;
    private final CapsuleTenants capsuleTenants = new CapsuleTenants();
    private final KubernetesObjectsParser parser;
    private final WatchMetrics metrics;

    /** Serializes every parse and sink call, and guards the fields below. */
    private final Object lock = new Object();
    private SharedIndexInformer<Namespace> namespaceInformer;
    /** Every informer created, for the probes, which must not wait for the lock (a slow sink holds it). */
    private volatile List<SharedIndexInformer<?>> all = List.of();
    private boolean started;
    private volatile boolean stopped;
    private volatile boolean synced;
    private volatile Boolean capsule;

    /**
     * A watcher that has not started yet.
     *
     * @param client the cluster to watch (not closed by the watcher)
     * @param tenantKeys the tenant label/annotation keys, as for the file ingest
     * @param sink receives the updates and the rejected objects
     * @param registry receives the meters ({@code bulwark.context.watch.*}, listed in docs/cluster.md); one watcher
     *        per registry
     * @throws IllegalArgumentException when the tenant keys are empty or one is not a label key
     */
    public ClusterContextWatcher(KubernetesClient client, List<String> tenantKeys, ContextSink sink,
            MeterRegistry registry) {
        this.client = Objects.requireNonNull(client, "client");
        this.serialization = client.getKubernetesSerialization();
        this.sink = Objects.requireNonNull(sink, "sink");
        this.parser = new KubernetesObjectsParser(tenantKeys, Clock.systemUTC(), capsuleTenants);
        this.metrics = new WatchMetrics(Objects.requireNonNull(registry, "registry"), this::isSynced);
    }

    /** The context kinds this watcher owns (the first segment of their context topic keys), e.g. {@code pod}. */
    public static List<String> contextKinds() {
        return WatchedKind.contextKinds();
    }

    /** Whether a context topic key is of a kind this watcher owns, i.e. one its restart reconcile may tombstone. */
    public static boolean owns(String contextKey) {
        return WatchedKind.ofKey(contextKey) != null;
    }

    /**
     * Checks for Capsule, then starts the informers (Capsule Tenants first, when present, so namespaces are attributed
     * from the first list on). Returns at once.
     *
     * @param keysAlreadyPublished the context topic keys that are live now (see the class comment); keys of kinds
     *        this watcher does not own are ignored
     * @return completes when every informer has synced and the restart reconcile is published; completes
     *         exceptionally when an informer cannot list (no permission, API server unreachable): the caller should
     *         then {@link #stop()}
     * @throws IllegalStateException when called twice or after {@link #stop()}
     * @throws KubernetesClientException when API discovery for Capsule fails other than with 404
     */
    public CompletableFuture<Void> start(Set<String> keysAlreadyPublished) {
        Objects.requireNonNull(keysAlreadyPublished, "keysAlreadyPublished");
        synchronized (lock) {
            if (started || stopped) {
                throw new IllegalStateException(stopped ? "the watcher was stopped" : "the watcher was already started");
            }
            started = true;
        }
        Map<WatchedKind, List<String>> initial = new EnumMap<>(WatchedKind.class);
        List<String> unmappable = new ArrayList<>();
        for (String key : keysAlreadyPublished) {
            WatchedKind kind = WatchedKind.ofKey(key);
            if (kind != null) {
                String cacheKey = kind.cacheKey(key);
                if (cacheKey == null) {
                    unmappable.add(key);
                } else {
                    initial.computeIfAbsent(kind, k -> new ArrayList<>()).add(cacheKey);
                }
            }
        }
        boolean withCapsule = capsuleServed();
        capsule = withCapsule;
        CompletableFuture<Void> tenantsSynced;
        if (withCapsule) {
            LOG.info("Capsule Tenants ({}) found: watching them; a namespace without a tenant label, annotation or "
                    + "ownerReference is attributed to the Tenant listing it in status.namespaces", CapsuleTenants.API_VERSION);
            SharedIndexInformer<GenericKubernetesResource> informer = client.genericKubernetesResources(TENANTS)
                    .withLimit(LIST_PAGE_SIZE).runnableInformer(0);
            informer.itemStore(new ReducedStateItemStore<>(ReducedStateItemStore.NAME_KEY_STATE,
                    GenericKubernetesResource.class, serialization));
            informer.removeNamespaceIndex();
            List<String> published = initial.getOrDefault(WatchedKind.TENANT, List.of());
            if (!published.isEmpty()) {
                informer.initialState(published.stream().map(key -> placeholder(GenericKubernetesResource.class, key)));
            }
            informer.addEventHandler(new TenantHandler());
            synchronized (lock) {
                if (stopped) {
                    return CompletableFuture.failedFuture(new IllegalStateException("the watcher was stopped"));
                }
                all = List.of(informer);
            }
            tenantsSynced = informer.start().toCompletableFuture();
        } else {
            LOG.info("No Capsule Tenants ({} serves no tenants): tenants come from object metadata only",
                    CapsuleTenants.API_VERSION);
            tenantsSynced = CompletableFuture.completedFuture(null);
            // Tenant records published while Capsule was installed: no informer will see them go.
            for (String key : initial.getOrDefault(WatchedKind.TENANT, List.of())) {
                unmappable.add(WatchedKind.TENANT.contextKind() + "/" + key);
            }
        }
        return tenantsSynced.thenCompose(ignored -> startKinds(initial, withCapsule))
                .thenRun(() -> finishSync(unmappable));
    }

    /** Whether every informer has synced and the restart reconcile is published (for a readiness probe). */
    public boolean isSynced() {
        return synced && !stopped && all.stream().allMatch(SharedIndexInformer::hasSynced);
    }

    /**
     * Whether every informer's watch is open now. False for a moment while an informer reconnects or relists after an
     * expired watch; a watcher that stays not watching cannot reach the API server.
     */
    public boolean isWatching() {
        List<SharedIndexInformer<?>> informers = all;
        return !stopped && !informers.isEmpty() && informers.stream().allMatch(SharedIndexInformer::isWatching);
    }

    /** Whether Capsule Tenants are watched; null before {@link #start}. */
    public Boolean capsuleTenantsWatched() {
        return capsule;
    }

    /**
     * Stops every informer and their watches. Once it returns the sink gets no more calls. Idempotent; the client is
     * left open.
     */
    public void stop() {
        List<SharedIndexInformer<?>> running;
        synchronized (lock) {
            if (stopped) {
                return;
            }
            stopped = true;
            synced = false;
            running = all;
        }
        for (SharedIndexInformer<?> informer : running) {
            informer.close();
        }
        LOG.info("Cluster context watcher stopped ({} informers closed)", running.size());
    }

    /** {@link #stop()}. */
    @Override
    public void close() {
        stop();
    }

    private boolean capsuleServed() {
        APIResourceList resources;
        try {
            resources = client.getApiResources(CapsuleTenants.API_VERSION);
        } catch (KubernetesClientException e) {
            if (e.getCode() == HttpURLConnection.HTTP_NOT_FOUND) {
                return false;
            }
            throw e;
        }
        return resources != null && resources.getResources() != null && resources.getResources().stream()
                .anyMatch(r -> CapsuleTenants.RESOURCE.equals(r.getName()) && CapsuleTenants.KIND.equals(r.getKind()));
    }

    private CompletableFuture<Void> startKinds(Map<WatchedKind, List<String>> initial, boolean withCapsule) {
        Map<WatchedKind, SharedIndexInformer<? extends HasMetadata>> created = new LinkedHashMap<>();
        SharedIndexInformer<Namespace> namespaces = informer(WatchedKind.NAMESPACE, client.namespaces(), Namespace.class,
                withCapsule ? NAMESPACE_FIELDS : new String[0], initial);
        created.put(WatchedKind.NAMESPACE, namespaces);
        created.put(WatchedKind.SERVICE_ACCOUNT, informer(WatchedKind.SERVICE_ACCOUNT,
                client.serviceAccounts().inAnyNamespace(), ServiceAccount.class, new String[0], initial));
        created.put(WatchedKind.ROLE, informer(WatchedKind.ROLE, client.rbac().roles().inAnyNamespace(), Role.class,
                new String[0], initial));
        created.put(WatchedKind.CLUSTER_ROLE, informer(WatchedKind.CLUSTER_ROLE, client.rbac().clusterRoles(),
                ClusterRole.class, new String[0], initial));
        created.put(WatchedKind.ROLE_BINDING, informer(WatchedKind.ROLE_BINDING,
                client.rbac().roleBindings().inAnyNamespace(), RoleBinding.class, new String[0], initial));
        created.put(WatchedKind.CLUSTER_ROLE_BINDING, informer(WatchedKind.CLUSTER_ROLE_BINDING,
                client.rbac().clusterRoleBindings(), ClusterRoleBinding.class, new String[0], initial));
        created.put(WatchedKind.POD, informer(WatchedKind.POD, client.pods().inAnyNamespace(), Pod.class, new String[0],
                initial));
        created.put(WatchedKind.NETWORK_POLICY, informer(WatchedKind.NETWORK_POLICY,
                client.network().v1().networkPolicies().inAnyNamespace(), NetworkPolicy.class, new String[0], initial));
        synchronized (lock) {
            if (stopped) {
                return CompletableFuture.failedFuture(new IllegalStateException("the watcher was stopped"));
            }
            namespaceInformer = namespaces;
            List<SharedIndexInformer<?>> now = new ArrayList<>(all);
            now.addAll(created.values());
            all = List.copyOf(now);
        }
        CompletableFuture<?>[] starts = created.values().stream()
                .map(informer -> informer.start().toCompletableFuture()).toArray(CompletableFuture[]::new);
        return CompletableFuture.allOf(starts);
    }

    private <T extends HasMetadata> SharedIndexInformer<T> informer(WatchedKind kind, Informable<T> source,
            Class<T> type, String[] keptFields, Map<WatchedKind, List<String>> initial) {
        SharedIndexInformer<T> informer = source.withLimit(LIST_PAGE_SIZE).runnableInformer(0);
        informer.itemStore(new ReducedStateItemStore<>(ReducedStateItemStore.NAME_KEY_STATE, type, serialization,
                keptFields));
        informer.removeNamespaceIndex();
        List<String> keys = initial.getOrDefault(kind, List.of());
        if (!keys.isEmpty()) {
            informer.initialState(keys.stream().map(key -> placeholder(type, key)));
        }
        informer.addEventHandler(new KindHandler<T>(kind));
        return informer;
    }

    /** An object with only a namespace and name: what the cache knows of a previously published key. */
    private <T extends HasMetadata> T placeholder(Class<T> type, String cacheKey) {
        int slash = cacheKey.indexOf('/');
        Map<String, Object> metadata = new LinkedHashMap<>();
        if (slash >= 0) {
            metadata.put("namespace", cacheKey.substring(0, slash));
        }
        metadata.put("name", cacheKey.substring(slash + 1));
        return serialization.convertValue(Map.of("metadata", metadata), type);
    }

    private void finishSync(List<String> unmappable) {
        synchronized (lock) {
            if (stopped) {
                return;
            }
            for (String key : unmappable) {
                WatchedKind kind = WatchedKind.ofKey(key);
                metrics.event(kind.contextKind(), "deleted_at_restart");
                publish(kind, new ContextUpdate(key, null));
            }
            synced = true;
            Set<String> contested = capsuleTenants.contested();
            if (!contested.isEmpty()) {
                LOG.warn("Namespaces listed by more than one Capsule Tenant are attributed to none: {}", contested);
            }
        }
        LOG.info("Cluster context synced: {} informers{}", all.size(),
                Boolean.TRUE.equals(capsule) ? ", Capsule Tenants included" : "");
    }

    /** Parses one object event as the file ingest would and hands the result to the sink. */
    private void handle(WatchedKind kind, String type, HasMetadata object) {
        synchronized (lock) {
            if (stopped) {
                return;
            }
            String origin = "kubernetes:" + kind.resource() + "/" + Cache.metaNamespaceKeyFunc(object)
                    + (object.getMetadata().getResourceVersion() == null ? ""
                            : "@" + object.getMetadata().getResourceVersion());
            byte[] event = null;
            List<ContextUpdate> updates;
            try {
                event = ("{\"type\":\"" + type + "\",\"object\":" + serialization.asJson(object) + "}").getBytes(UTF_8);
                updates = parser.parse(event, origin);
            } catch (ParseException e) {
                reject(kind, origin, e.getMessage(), event);
                return;
            } catch (RuntimeException e) {
                LOG.error("Could not convert {} {}", kind.kind(), origin, e);
                reject(kind, origin, "could not convert the object: " + e, event == null ? new byte[0] : event);
                return;
            }
            for (ContextUpdate update : updates) {
                publish(kind, update);
            }
        }
    }

    private void publish(WatchedKind kind, ContextUpdate update) {
        try {
            sink.publish(update);
            metrics.update(kind.contextKind(), update.isDeletion());
        } catch (RuntimeException e) {
            metrics.sinkFailure();
            LOG.error("The context sink failed on {}", update.key(), e);
        }
    }

    private void reject(WatchedKind kind, String origin, String reason, byte[] event) {
        metrics.rejected(kind.contextKind());
        LOG.warn("Rejected {} {}: {}", kind.kind(), origin, reason);
        try {
            sink.reject(new RejectedObject(kind.kind(), origin, reason, event));
        } catch (RuntimeException e) {
            metrics.sinkFailure();
            LOG.error("The context sink failed on the rejected {} {}", kind.kind(), origin, e);
        }
    }

    /** A Tenant now lists these namespaces: republish the namespaces whose attribution changed. */
    private void tenantChanged(String tenant, List<String> namespaces) {
        synchronized (lock) {
            if (stopped) {
                return;
            }
            Set<String> changed = capsuleTenants.update(tenant, namespaces);
            if (namespaceInformer == null || changed.isEmpty()) {
                return; // namespaces not listed yet: their first list reads the claims
            }
            for (String name : changed) {
                Namespace cached = namespaceInformer.getStore().getByKey(name);
                // A cached namespace without a resourceVersion is a restart placeholder its first list has not replaced.
                if (cached != null && cached.getMetadata().getResourceVersion() != null) {
                    handle(WatchedKind.NAMESPACE, "MODIFIED", cached);
                }
            }
        }
    }

    /** Turns one kind's informer events into updates. */
    private final class KindHandler<T extends HasMetadata> implements ResourceEventHandler<T> {

        private final WatchedKind kind;
        private volatile boolean listed;

        KindHandler(WatchedKind kind) {
            this.kind = kind;
        }

        @Override
        public void onBeforeList(String lastSyncResourceVersion) {
            if (lastSyncResourceVersion != null) {
                metrics.relist(kind.contextKind());
                LOG.info("Listing {} again (the watch expired or failed at resourceVersion {})", kind.resource(),
                        lastSyncResourceVersion);
            }
        }

        @Override
        public void onList(String resourceVersion, boolean remainedEmpty) {
            listed = true;
        }

        @Override
        public void onAdd(T object) {
            metrics.event(kind.contextKind(), "added");
            handle(kind, "ADDED", object);
        }

        @Override
        public void onUpdate(T previous, T object) {
            metrics.event(kind.contextKind(), "modified");
            handle(kind, "MODIFIED", object);
        }

        @Override
        public void onDelete(T object, boolean deletedFinalStateUnknown) {
            metrics.event(kind.contextKind(),
                    !deletedFinalStateUnknown ? "deleted" : listed ? "deleted_at_relist" : "deleted_at_restart");
            handle(kind, "DELETED", object);
        }
    }

    /**
     * The Tenant with its apiVersion and kind: the informer's reduced cache keeps only the name, so a Tenant deleted at a
     * relist or restart comes back without them, and a generic resource has no class to imply them.
     */
    private static GenericKubernetesResource typed(GenericKubernetesResource tenant) {
        if (tenant.getKind() == null || tenant.getApiVersion() == null) {
            tenant.setApiVersion(CapsuleTenants.API_VERSION);
            tenant.setKind(CapsuleTenants.KIND);
        }
        return tenant;
    }

    /** Follows Capsule Tenants' {@code status.namespaces}, and publishes each Tenant (its registries). */
    private final class TenantHandler implements ResourceEventHandler<GenericKubernetesResource> {

        @Override
        public void onBeforeList(String lastSyncResourceVersion) {
            if (lastSyncResourceVersion != null) {
                metrics.relist("tenant");
            }
        }

        @Override
        public void onAdd(GenericKubernetesResource tenant) {
            metrics.event("tenant", "added");
            tenantChanged(tenant.getMetadata().getName(), CapsuleTenants.statusNamespaces(tenant));
            handle(WatchedKind.TENANT, "ADDED", typed(tenant));
        }

        @Override
        public void onUpdate(GenericKubernetesResource previous, GenericKubernetesResource tenant) {
            metrics.event("tenant", "modified");
            tenantChanged(tenant.getMetadata().getName(), CapsuleTenants.statusNamespaces(tenant));
            handle(WatchedKind.TENANT, "MODIFIED", typed(tenant));
        }

        @Override
        public void onDelete(GenericKubernetesResource tenant, boolean deletedFinalStateUnknown) {
            metrics.event("tenant", deletedFinalStateUnknown ? "deleted_at_relist" : "deleted");
            tenantChanged(tenant.getMetadata().getName(), List.of());
            handle(WatchedKind.TENANT, "DELETED", typed(tenant));
        }
    }
}
