package dev.bulwark.detection;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

import dev.bulwark.schemas.RoleGrant;
import dev.bulwark.schemas.Subject;
import dev.bulwark.schemas.TenantContext;

/**
 * Keeps the tenant directory (a global store on every instance) up to date from the context topic: each object under
 * {@code ctx/<kind>/<key>}, plus the indexes lookups need.
 *
 * <p>Why: events name a namespace, a service account, a user or a peer IP; turning those into tenants needs lookups by
 * more than the object key. The indexes are maintained on every update and deletion, so they are always consistent with
 * the objects (Kafka Streams re-runs this processor when it restores the global store, so a restart rebuilds them):
 *
 * <ul>
 *   <li>{@code ip/<ip>}: the pod that holds an IP now. When an IP is reused, the newest pod (by observation time) wins;
 *       deleting a pod removes its IP entry only if it still points at that pod;</li>
 *   <li>{@code subject/<Kind>/<namespace>/<name>}: the role bindings that name a user, group or service account, as
 *       grants, so an identity's tenant can be derived from where it holds rights.</li>
 * </ul>
 */
public final class ContextDirectoryUpdater implements Processor<String, TenantContext, Void, Void> {

    static final String OBJECT = "ctx/";
    static final String IP = "ip/";
    static final String SUBJECT = "subject/";

    private final String storeName;
    private KeyValueStore<String, TenantContext> store;

    public ContextDirectoryUpdater(String storeName) {
        this.storeName = storeName;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        store = context.getStateStore(storeName);
    }

    @Override
    public void process(Record<String, TenantContext> record) {
        String key = record.key();
        if (key == null) {
            return;
        }
        TenantContext previous = store.get(OBJECT + key);
        TenantContext current = record.value();
        if (previous != null) {
            unindex(key, previous, current);
        }
        if (current == null) {
            store.delete(OBJECT + key);
            return;
        }
        store.put(OBJECT + key, current);
        index(key, current);
    }

    private void index(String key, TenantContext object) {
        if ("pod".equals(object.getKind()) && object.getPodIp() != null) {
            TenantContext holder = store.get(IP + object.getPodIp());
            if (holder == null || holder.getObservedAt() <= object.getObservedAt()
                    || key.equals(holder.getKey())) {
                store.put(IP + object.getPodIp(), TenantContext.newBuilder()
                        .setKind("ip").setKey(key).setNamespace(object.getNamespace()).setName(object.getName())
                        .setPodIp(object.getPodIp()).setImage(object.getImage()).setTenant(object.getTenant())
                        .setObservedAt(object.getObservedAt()).build());
            }
        }
        if (isBinding(object)) {
            for (Subject subject : object.getSubjects()) {
                String subjectKey = subjectKey(subject, object.getNamespace());
                TenantContext entry = store.get(subjectKey);
                Map<String, RoleGrant> grants = grantsByBinding(entry);
                grants.put(key, RoleGrant.newBuilder().setRole(key).setNamespace(object.getNamespace()).build());
                store.put(subjectKey, subjectEntry(subject, grants, object.getObservedAt()));
            }
        }
    }

    private void unindex(String key, TenantContext previous, TenantContext current) {
        if ("pod".equals(previous.getKind()) && previous.getPodIp() != null
                && (current == null || !previous.getPodIp().equals(current.getPodIp()))) {
            TenantContext holder = store.get(IP + previous.getPodIp());
            if (holder != null && key.equals(holder.getKey())) {
                store.delete(IP + previous.getPodIp());
            }
        }
        if (isBinding(previous)) {
            for (Subject subject : previous.getSubjects()) {
                String subjectKey = subjectKey(subject, previous.getNamespace());
                Map<String, RoleGrant> grants = grantsByBinding(store.get(subjectKey));
                grants.remove(key);
                if (grants.isEmpty()) {
                    store.delete(subjectKey);
                } else {
                    store.put(subjectKey, subjectEntry(subject, grants, previous.getObservedAt()));
                }
            }
        }
    }

    static boolean isBinding(TenantContext object) {
        return "rolebinding".equals(object.getKind()) || "clusterrolebinding".equals(object.getKind());
    }

    /** Index key of an RBAC subject; service accounts default to the binding's namespace. */
    static String subjectKey(Subject subject, String bindingNamespace) {
        String namespace = subject.getNamespace();
        if (namespace == null && "ServiceAccount".equals(subject.getKind())) {
            namespace = bindingNamespace;
        }
        return SUBJECT + subject.getKind() + "/" + (namespace == null ? "" : namespace) + "/" + subject.getName();
    }

    private static Map<String, RoleGrant> grantsByBinding(TenantContext entry) {
        Map<String, RoleGrant> grants = new HashMap<>();
        if (entry != null) {
            for (RoleGrant grant : entry.getGrants()) {
                grants.put(grant.getRole(), grant);
            }
        }
        return grants;
    }

    private static TenantContext subjectEntry(Subject subject, Map<String, RoleGrant> grants, long observedAt) {
        List<RoleGrant> sorted = grants.values().stream()
                .sorted(java.util.Comparator.comparing(RoleGrant::getRole)).toList();
        return TenantContext.newBuilder().setKind("subject").setKey(subject.getKind() + "/" + subject.getName())
                .setNamespace(subject.getNamespace()).setName(subject.getName()).setSubjects(List.of(subject))
                .setGrants(sorted).setObservedAt(observedAt).build();
    }
}
