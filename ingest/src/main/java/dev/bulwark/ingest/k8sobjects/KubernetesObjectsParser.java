package dev.bulwark.ingest.k8sobjects;

import static dev.bulwark.ingest.k8sobjects.K8sFields.quote;

import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import com.fasterxml.jackson.databind.JsonNode;

import dev.bulwark.ingest.ContextParser;
import dev.bulwark.ingest.ContextUpdate;
import dev.bulwark.ingest.JsonFields;
import dev.bulwark.ingest.JsonDocumentParser;
import dev.bulwark.ingest.Normalized;
import dev.bulwark.ingest.ParseException;
import dev.bulwark.ingest.SafeJson;
import dev.bulwark.schemas.KubernetesAttributes;
import dev.bulwark.schemas.OwnerReference;
import dev.bulwark.schemas.RegistryPolicy;
import dev.bulwark.schemas.TenantContext;

/**
 * Parses Kubernetes objects as {@code kubectl get -o json} prints them into {@link TenantContext} records for the
 * compacted context topic: which tenant owns a namespace, who is bound to which role, what a pod runs and how well it
 * is isolated.
 *
 * <h2>Record forms</h2>
 * One record (one JSON value, cut by {@link dev.bulwark.ingest.Framing#JSON}) is one of:
 * <ul>
 *   <li>a single object, e.g. {@code kubectl get namespace team-a -o json};</li>
 *   <li>a {@code List} ({@code kubectl get namespaces,rolebindings -A -o json}) or a typed list such as
 *       {@code NamespaceList} (the raw API), whose items may omit {@code kind} and {@code apiVersion}: one update per
 *       item, in order. An empty list is an error: the record would say nothing;</li>
 *   <li>a watch event as {@code kubectl get -w -o json --output-watch-events} prints it,
 *       {@code {"type":"ADDED|MODIFIED|DELETED","object":{...}}}. {@code BOOKMARK} and {@code ERROR} events are
 *       rejected with the reason (an ERROR event carries the API server's Status message).</li>
 * </ul>
 * A {@code DELETED} event, and an object whose {@code metadata.deletionTimestamp} is set, become a tombstone
 * ({@link ContextUpdate#delete}) for the object's key. A set deletionTimestamp means the object is being finalized
 * or a pod is shutting down; Bulwark forgets it then rather than after the grace period, so a terminating pod's IP
 * is not attributed to it once the IP may be handed to a new pod.
 *
 * <h2>Kinds and keys</h2>
 * <table>
 *   <caption>Supported kinds</caption>
 *   <tr><th>Kubernetes kind</th><th>context kind</th><th>key</th><th>content</th></tr>
 *   <tr><td>Namespace</td><td>{@code namespace}</td><td>name</td><td>tenant, labels; namespace = its own name</td></tr>
 *   <tr><td>ServiceAccount</td><td>{@code serviceaccount}</td><td>ns/name</td><td>labels</td></tr>
 *   <tr><td>Role</td><td>{@code role}</td><td>ns/name</td><td>one grant per rule</td></tr>
 *   <tr><td>ClusterRole</td><td>{@code clusterrole}</td><td>name</td><td>one grant per rule, aggregation</td></tr>
 *   <tr><td>RoleBinding</td><td>{@code rolebinding}</td><td>ns/name</td><td>subjects, grant naming roleRef</td></tr>
 *   <tr><td>ClusterRoleBinding</td><td>{@code clusterrolebinding}</td><td>name</td><td>subjects, cluster-wide grant</td></tr>
 *   <tr><td>Pod</td><td>{@code pod}</td><td>ns/name</td><td>pod_ip, image, pod_spec (isolation facts)</td></tr>
 *   <tr><td>NetworkPolicy</td><td>{@code networkpolicy}</td><td>ns/name</td><td>network_policy: selector, types, rules</td></tr>
 * </table>
 * The compacted-topic key is {@code <context kind>/<key>}, e.g. {@code rolebinding/solar-production/capsule-solar-0-admin}.
 * Names are validated as the API server does (DNS-1123 label for namespaces, DNS-1123 subdomain for pods, service
 * accounts and network policies, path segment for RBAC objects, whose names may hold {@code :}); a name that breaks
 * its rule (a {@code /}, a control character, upper case) is rejected rather than turned into a key that could
 * collide with another object's. An {@code apiVersion} of another API group (a custom resource that happens to be
 * called {@code NetworkPolicy} or {@code Role}) is rejected too.
 *
 * <h2>Tenant</h2>
 * The tenant is read from the object's own metadata: the first of the configured keys present as a label, then the
 * same keys as annotations, then an ownerReference of kind {@code Tenant} (Capsule sets one on the namespaces and
 * role bindings it manages); for a Namespace only, last, the {@link NamespaceTenants} claim given to the constructor
 * (none by default; the cluster watcher passes Capsule Tenants' {@code status.namespaces}). Where it came from is kept
 * in {@link KubernetesAttributes#TENANT_SOURCE} ({@code label:<key>}, {@code annotation:<key>},
 * {@code ownerReference:<apiVersion>/Tenant} or the claim's source, e.g.
 * {@code status.namespaces:capsule.clastix.io/v1beta2/Tenant}). Namespaced objects usually carry no tenant:
 * the detectors join them with the namespace table. Note that labels of namespaced objects are writable by whoever
 * may edit the object, usually the tenant itself: the namespace's tenant is authoritative, and a namespaced object
 * claiming another tenant than its namespace's is itself suspicious.
 *
 * <h2>Typed fields</h2>
 * {@code owner}: the controller owner, else the first ({@link dev.bulwark.schemas.OwnerReference}). Pod:
 * {@code pod_spec} ({@link dev.bulwark.schemas.PodSpecFacts}): service account, images, named ports (from
 * {@code spec.containers} only, for NetworkPolicy named ports; an entry the API server would reject is left out), and
 * always {@code privileged}, {@code host_pid}, {@code host_network}, {@code host_ipc}, {@code may_run_as_root},
 * {@code run_as_root_explicit}, with {@code capabilities_added} (upper case, without {@code CAP_}) and
 * {@code host_path_mounts}. Lists are deduplicated, in spec order, over containers, init containers and ephemeral
 * (debug) containers alike. {@code privileged} includes Windows HostProcess containers. {@code may_run_as_root} is
 * conservative: {@code true} unless every container either runs with a non-zero {@code runAsUser} or has
 * {@code runAsNonRoot: true} (container setting, else the pod's), because without either the image's {@code USER}
 * decides and most images run as root; {@code run_as_root_explicit} is {@code true} only when some container is
 * configured with {@code runAsUser: 0}. A pod with {@code host_network} has the node's IP as its {@code pod_ip}: IP
 * joins must not attribute node traffic to it. NetworkPolicy: {@code network_policy}, see
 * {@link NetworkPolicyObjects#networkPolicy}. ClusterRole: {@code aggregation_selectors}.
 *
 * <h2>Attributes</h2>
 * Keys are the constants of {@link KubernetesAttributes}. Every record: {@code k8s.api_version}, {@code k8s.uid},
 * {@code k8s.resource_version}, {@code k8s.creation_timestamp} (RFC 3339 as given), {@code k8s.observed_at_source}
 * ({@code creationTimestamp}, {@code managedFields} or {@code ingest}) and {@code k8s.tenant_source}, each only when
 * known.
 * <ul>
 *   <li>Namespace: {@code k8s.namespace.phase}. ServiceAccount: {@code k8s.serviceaccount.automount_token}.</li>
 *   <li>Role, ClusterRole: {@code k8s.rbac.rules} (count), and for rule {@code i} (= grant {@code i}) the JSON arrays
 *       {@code k8s.rbac.rule.<i>.api_groups}, {@code .resource_names}, {@code .non_resource_urls} when non-empty;
 *       ClusterRole: {@code k8s.rbac.aggregate_to} (comma-separated targets of
 *       {@code rbac.authorization.k8s.io/aggregate-to-*: "true"} labels, which also stay in {@code labels}).</li>
 *   <li>RoleBinding, ClusterRoleBinding: {@code k8s.rbac.role_ref.kind}, {@code .name}, {@code .api_group}.</li>
 *   <li>Pod: {@code k8s.pod.node}, {@code k8s.pod.phase}, {@code k8s.pod.ips}, {@code k8s.pod.host_ip},
 *       {@code k8s.pod.container_ids} (runtime prefix such as {@code containerd://} stripped),
 *       {@code k8s.pod.container_runtimes}, {@code k8s.pod.workload_kind}, {@code k8s.pod.workload_name} (a ReplicaSet
 *       {@code <deployment>-<pod-template-hash>} resolves to its Deployment); lists comma-separated. A pod that vcluster
 *       synced from a virtual cluster also gets {@code k8s.vcluster.name}, {@code k8s.vcluster.namespace} and
 *       {@code k8s.vcluster.object_name}; its namespace stays the host namespace, whose tenant
 *       owns the virtual cluster. A Succeeded or
 *       Failed pod keeps its record; its IP may be reused, which consumers resolve with {@code observed_at} and
 *       {@code k8s.pod.phase}.</li>
 *   <li>NetworkPolicy: {@code k8s.netpol.ingress_rules}, {@code k8s.netpol.egress_rules} (counts).</li>
 * </ul>
 * JSON-valued attributes, NetworkPolicy rules and aggregation selectors longer than
 * {@value #MAX_JSON_ATTRIBUTE_CHARS} characters (as JSON) are left out and replaced by {@code <name>_omitted_chars}
 * holding their length, so one huge object cannot bloat every join.
 *
 * <h2>observed_at</h2>
 * {@code metadata.resourceVersion} is an opaque counter, not a time. {@code observed_at} is the latest of
 * {@code creationTimestamp} and {@code managedFields[].time} (present with {@code --show-managed-fields}), else the
 * ingest time.
 *
 * <h2>Failures</h2>
 * A record normalizes or dead-letters as a whole: one record is the unit of dead-lettering and replay, and a List is
 * one snapshot. So an item of an unsupported kind (ConfigMap, Secret, ...) or an invalid item fails the whole List,
 * and the reason names its index and kind ({@code items[3]: unsupported kind "ConfigMap" (supported: ...)}); select
 * only supported kinds ({@code kubectl get namespaces,serviceaccounts,roles,rolebindings,pods,networkpolicies -A -o json}
 * plus {@code clusterroles,clusterrolebindings}) and replay. Unsupported kinds are rejected from their {@code kind}
 * alone: nothing else of a Secret is read, and no message quotes its content (its original bytes do reach the
 * dead-letter topic, as for every rejected record, so do not feed Secrets to this format). Wrong field types, invalid
 * names, JSON nested too deep and invalid UTF-8 all give a {@link ParseException} naming the field.
 */
public final class KubernetesObjectsParser implements ContextParser, JsonDocumentParser {

    /** Tenant keys tried in order, as labels then annotations, when none are configured. */
    public static final List<String> DEFAULT_TENANT_KEYS = List.of("bulwark.io/tenant", "capsule.clastix.io/tenant", "tenant");

    /** Longest JSON-valued attribute, NetworkPolicy rule list or aggregation selector list kept (as JSON characters). */
    public static final int MAX_JSON_ATTRIBUTE_CHARS = 16 * 1024;

    private final List<String> tenantKeys;
    private final Clock clock;
    private final NamespaceTenants namespaceTenants;

    /** A parser reading the tenant from {@link #DEFAULT_TENANT_KEYS}. */
    public KubernetesObjectsParser() {
        this(DEFAULT_TENANT_KEYS);
    }

    /**
     * A parser reading the tenant from the given label/annotation keys, tried in order.
     *
     * @throws IllegalArgumentException when the list is empty or a key is not a valid label key
     */
    public KubernetesObjectsParser(List<String> tenantKeys) {
        this(tenantKeys, Clock.systemUTC());
    }

    /**
     * Like {@link #KubernetesObjectsParser(List)} with the clock that stamps objects carrying no time of their own.
     */
    public KubernetesObjectsParser(List<String> tenantKeys, Clock clock) {
        this(tenantKeys, clock, NamespaceTenants.NONE);
    }

    /**
     * Like {@link #KubernetesObjectsParser(List, Clock)}, and a Namespace whose own metadata names no tenant gets the
     * one {@code namespaceTenants} claims for it, if any (the live cluster watcher passes Capsule Tenants' status here).
     */
    public KubernetesObjectsParser(List<String> tenantKeys, Clock clock, NamespaceTenants namespaceTenants) {
        Objects.requireNonNull(tenantKeys, "tenantKeys");
        if (tenantKeys.isEmpty()) {
            throw new IllegalArgumentException("at least one tenant key is needed");
        }
        for (String key : tenantKeys) {
            try {
                Names.labelKey(Objects.requireNonNull(key, "tenant key"), "tenant key");
            } catch (ParseException e) {
                throw new IllegalArgumentException(e.getMessage(), e);
            }
        }
        this.tenantKeys = List.copyOf(tenantKeys);
        this.clock = Objects.requireNonNull(clock, "clock");
        this.namespaceTenants = Objects.requireNonNull(namespaceTenants, "namespaceTenants");
    }

    @Override
    public String format() {
        return "k8s-objects";
    }

    /** The label/annotation keys this parser reads the tenant from, in order. */
    public List<String> tenantKeys() {
        return tenantKeys;
    }

    @Override
    public List<ContextUpdate> parse(byte[] record, String origin) throws ParseException {
        return parse(SafeJson.readObject(record), record, origin);
    }

    @Override
    public Normalized normalize(JsonNode document, byte[] record, String origin) throws ParseException {
        return Normalized.context(parse(document, record, origin));
    }

    private List<ContextUpdate> parse(JsonNode root, byte[] record, String origin) throws ParseException {
        if (K8sFields.present(root, "kind") == null && root.has("type") && root.has("object")) {
            return List.of(watchEvent(root));
        }
        String kind = K8sFields.string(root, "kind", "kind");
        if (kind == null) {
            throw new ParseException("missing required field 'kind': expected a Kubernetes object, a List or a watch event "
                    + "{\"type\": ..., \"object\": ...}");
        }
        if (kind.endsWith("List")) {
            return list(root, kind);
        }
        return List.of(object(root, null, null, false));
    }

    private ContextUpdate watchEvent(JsonNode event) throws ParseException {
        String type = K8sFields.requiredString(event, "type", "type");
        JsonNode object = K8sFields.object(event, "object", "object");
        if (object == null) {
            throw new ParseException("watch event without an object");
        }
        switch (type) {
            case "ADDED", "MODIFIED", "DELETED" -> {
                try {
                    return object(object, null, null, type.equals("DELETED"));
                } catch (ParseException e) {
                    throw new ParseException("watch " + type + " event: " + e.getMessage());
                }
            }
            case "ERROR" -> {
                String message = K8sFields.string(object, "message", "object.message");
                throw new ParseException("watch ERROR event: " + (message == null ? "no message" : quote(message)));
            }
            case "BOOKMARK" -> throw new ParseException("watch BOOKMARK event: it marks a resourceVersion and carries no "
                    + "object change");
            default -> throw new ParseException("unknown watch event type " + quote(type)
                    + " (expected ADDED, MODIFIED, DELETED, BOOKMARK or ERROR)");
        }
    }

    private List<ContextUpdate> list(JsonNode root, String listKind) throws ParseException {
        String itemKind = null;
        String itemApiVersion = null;
        if (!listKind.equals("List")) {
            itemKind = listKind.substring(0, listKind.length() - "List".length());
            if (ObjectKind.byKind(itemKind) == null) {
                throw new ParseException("unsupported kind " + quote(listKind) + " (supported: " + ObjectKind.supported()
                        + ", as single objects, List or <kind>List)");
            }
            // Items of a typed list omit apiVersion; they share the list's.
            itemApiVersion = K8sFields.string(root, "apiVersion", "apiVersion");
        }
        JsonNode items = K8sFields.array(root, "items", "items");
        if (items == null) {
            throw new ParseException("missing required field 'items' of " + listKind);
        }
        if (items.isEmpty()) {
            throw new ParseException(listKind + " has no items: nothing to normalize");
        }
        List<ContextUpdate> updates = new ArrayList<>(items.size());
        int i = 0;
        for (JsonNode item : items) {
            try {
                if (!item.isObject()) {
                    throw new ParseException("must be an object, got " + SafeJson.describe(item));
                }
                updates.add(object(item, itemKind, itemApiVersion, false));
            } catch (ParseException e) {
                throw new ParseException("items[" + i + "]: " + e.getMessage());
            }
            i++;
        }
        return updates;
    }

    /**
     * One object: its identity first (kind, name, namespace), then either a tombstone or the full record.
     *
     * @param impliedKind the item kind of a typed list, or null
     * @param impliedApiVersion the apiVersion of a typed list, or null
     * @param deleted whether a watch event reported the deletion
     */
    private ContextUpdate object(JsonNode object, String impliedKind, String impliedApiVersion, boolean deleted)
            throws ParseException {
        String kindName = K8sFields.string(object, "kind", "kind");
        if (kindName == null) {
            kindName = impliedKind;
        } else if (impliedKind != null && !kindName.equals(impliedKind)) {
            throw new ParseException("kind " + quote(kindName) + " inside a " + impliedKind + "List");
        }
        if (kindName == null) {
            throw new ParseException("missing required field 'kind'");
        }
        ObjectKind kind = ObjectKind.byKind(kindName);
        if (kind == null) {
            throw new ParseException("unsupported kind " + quote(kindName) + " (supported: " + ObjectKind.supported() + ")");
        }
        String name;
        String namespace = null;
        JsonNode metadata;
        String apiVersion;
        try {
            apiVersion = K8sFields.string(object, "apiVersion", "apiVersion");
            if (apiVersion == null) {
                apiVersion = impliedApiVersion;
            }
            kind.checkApiVersion(apiVersion);
            metadata = K8sFields.object(object, "metadata", "metadata");
            if (metadata == null) {
                throw new ParseException("missing required field 'metadata'");
            }
            name = kind.nameRule().check(K8sFields.requiredString(metadata, "name", "metadata.name"), "metadata.name");
            if (kind.namespaced()) {
                namespace = Names.dnsLabel(K8sFields.requiredString(metadata, "namespace", "metadata.namespace"),
                        "metadata.namespace");
            }
        } catch (ParseException e) {
            throw new ParseException(kind.kind() + ": " + e.getMessage());
        }
        String key = namespace == null ? name : namespace + "/" + name;
        try {
            String deletionTimestamp = K8sFields.string(metadata, "deletionTimestamp", "metadata.deletionTimestamp");
            if (deleted || deletionTimestamp != null) {
                return ContextUpdate.delete(kind.contextKind(), key);
            }
            return ContextUpdate.upsert(record(kind, object, metadata, apiVersion, name, namespace, key));
        } catch (ParseException e) {
            throw new ParseException(kind.kind() + " " + quote(key) + ": " + e.getMessage());
        }
    }

    private TenantContext record(ObjectKind kind, JsonNode object, JsonNode metadata, String apiVersion, String name,
            String namespace, String key) throws ParseException {
        Map<String, String> attributes = new LinkedHashMap<>();
        if (apiVersion != null) {
            attributes.put(KubernetesAttributes.API_VERSION, Names.printable(apiVersion, "apiVersion", Names.MAX_SUBDOMAIN_LENGTH, false));
        }
        putText(attributes, KubernetesAttributes.UID, metadata, "uid");
        putText(attributes, KubernetesAttributes.RESOURCE_VERSION, metadata, "resourceVersion");
        long observedAt = observedAt(metadata, attributes);

        Map<String, String> labels = labels(metadata);
        List<Owner> owners = Owner.read(metadata);
        TenantContext.Builder out = TenantContext.newBuilder()
                .setKind(kind.contextKind())
                .setKey(key)
                .setName(name)
                .setNamespace(kind == ObjectKind.NAMESPACE ? name : namespace)
                .setLabels(labels)
                .setObservedAt(observedAt);
        tenant(kind, name, labels, metadata, owners, out, attributes);
        Owner controller = Owner.controllerOf(owners);
        if (controller != null) {
            out.setOwner(OwnerReference.newBuilder().setKind(controller.kind()).setName(controller.name())
                    .setApiVersion(controller.apiVersion()).build());
        }

        switch (kind) {
            case NAMESPACE -> {
                JsonNode status = K8sFields.object(object, "status", "status");
                if (status != null) {
                    String phase = K8sFields.string(status, "phase", "status.phase");
                    if (phase != null) {
                        attributes.put(KubernetesAttributes.NAMESPACE_PHASE,
                                Names.printable(phase, "status.phase", Names.MAX_LABEL_LENGTH, false));
                    }
                }
            }
            case SERVICE_ACCOUNT -> {
                Boolean automount = K8sFields.bool(object, "automountServiceAccountToken", "automountServiceAccountToken");
                if (automount != null) {
                    attributes.put(KubernetesAttributes.SERVICE_ACCOUNT_AUTOMOUNT_TOKEN, automount.toString());
                }
            }
            case ROLE, CLUSTER_ROLE -> RbacObjects.role(object, name, namespace, labels, out, attributes);
            case ROLE_BINDING, CLUSTER_ROLE_BINDING -> RbacObjects.binding(object, namespace, out, attributes);
            case POD -> PodObjects.pod(object, metadata, labels, controller, out, attributes);
            case NETWORK_POLICY -> NetworkPolicyObjects.networkPolicy(object, out, attributes);
            case TENANT -> {
                setTenant(out, attributes, Names.tenant(name, "metadata.name"), "Tenant");
                out.setContainerRegistries(containerRegistries(object));
            }
        }
        return out.setAttributes(attributes).build();
    }

    /**
     * A Capsule Tenant's {@code spec.containerRegistries}: the registries (host names, with a port if any) its pods may
     * use, and a regular expression they may match instead; null when the Tenant does not restrict registries.
     */
    private static RegistryPolicy containerRegistries(JsonNode tenant) throws ParseException {
        JsonNode spec = K8sFields.object(tenant, "spec", "spec");
        JsonNode registries = spec == null ? null : K8sFields.object(spec, "containerRegistries", "spec.containerRegistries");
        if (registries == null) {
            return null;
        }
        List<String> allowed = new ArrayList<>();
        List<String> given = K8sFields.strings(registries, "allowed", "spec.containerRegistries.allowed");
        for (int i = 0; i < given.size(); i++) {
            allowed.add(Names.printable(given.get(i), "spec.containerRegistries.allowed[" + i + "]",
                    Names.MAX_SUBDOMAIN_LENGTH, false));
        }
        String regex = K8sFields.string(registries, "allowedRegex", "spec.containerRegistries.allowedRegex");
        if (regex != null) {
            Names.printable(regex, "spec.containerRegistries.allowedRegex", Names.MAX_TEXT_LENGTH, false);
            try {
                java.util.regex.Pattern.compile(regex);
            } catch (java.util.regex.PatternSyntaxException e) {
                throw new ParseException("spec.containerRegistries.allowedRegex is not a regular expression: "
                        + e.getDescription());
            }
        }
        return RegistryPolicy.newBuilder().setAllowed(allowed).setAllowedRegex(regex).build();
    }

    /** Labels, validated as the API server validates them. */
    private static Map<String, String> labels(JsonNode metadata) throws ParseException {
        Map<String, String> labels = K8sFields.stringMap(metadata, "labels", "metadata.labels");
        for (Map.Entry<String, String> label : labels.entrySet()) {
            Names.labelKey(label.getKey(), "metadata.labels key");
            Names.labelValue(label.getValue(), "metadata.labels[" + quote(label.getKey()) + "]");
        }
        return labels;
    }

    private void tenant(ObjectKind kind, String name, Map<String, String> labels, JsonNode metadata, List<Owner> owners,
            TenantContext.Builder out, Map<String, String> attributes) throws ParseException {
        for (String key : tenantKeys) {
            String value = labels.get(key);
            if (value != null && !value.isEmpty()) {
                setTenant(out, attributes, Names.tenant(value, "label " + key), "label:" + key);
                return;
            }
        }
        JsonNode annotations = K8sFields.object(metadata, "annotations", "metadata.annotations");
        if (annotations != null) {
            for (String key : tenantKeys) {
                // Only the tenant keys are read: annotations are not copied (they may be large, e.g.
                // kubectl.kubernetes.io/last-applied-configuration).
                String value = K8sFields.string(annotations, key, "metadata.annotations[" + quote(key) + "]");
                if (value != null) {
                    setTenant(out, attributes, Names.tenant(value, "annotation " + key), "annotation:" + key);
                    return;
                }
            }
        }
        for (Owner owner : owners) {
            if ("Tenant".equals(owner.kind())) {
                String source = (owner.apiVersion() == null ? "" : owner.apiVersion() + "/") + "Tenant";
                setTenant(out, attributes, Names.tenant(owner.name(), "ownerReference " + source), "ownerReference:" + source);
                return;
            }
        }
        if (kind == ObjectKind.NAMESPACE) {
            NamespaceTenants.Claim claim = namespaceTenants.claim(name);
            if (claim != null) {
                String source = Names.printable(claim.source(), "tenant source", Names.MAX_TEXT_LENGTH, false);
                setTenant(out, attributes, Names.tenant(claim.tenant(), source), source);
            }
        }
    }

    private static void setTenant(TenantContext.Builder out, Map<String, String> attributes, String tenant, String source) {
        out.setTenant(tenant);
        attributes.put(KubernetesAttributes.TENANT_SOURCE, source);
    }

    /** The latest of creationTimestamp and managedFields times in epoch ms, else now. */
    private long observedAt(JsonNode metadata, Map<String, String> attributes) throws ParseException {
        Long latest = null;
        String source = "ingest";
        String created = K8sFields.string(metadata, "creationTimestamp", "metadata.creationTimestamp");
        if (created != null) {
            latest = millis("metadata.creationTimestamp", created);
            source = "creationTimestamp";
            attributes.put(KubernetesAttributes.CREATION_TIMESTAMP, created);
        }
        List<JsonNode> managed = K8sFields.objects(metadata, "managedFields", "metadata.managedFields");
        for (int i = 0; i < managed.size(); i++) {
            String path = "metadata.managedFields[" + i + "].time";
            String time = K8sFields.string(managed.get(i), "time", path);
            if (time != null) {
                long millis = millis(path, time);
                if (latest == null || millis > latest) {
                    latest = millis;
                    source = "managedFields";
                }
            }
        }
        attributes.put(KubernetesAttributes.OBSERVED_AT_SOURCE, source);
        return latest != null ? latest : clock.millis();
    }

    private static long millis(String field, String timestamp) throws ParseException {
        return Math.floorDiv(JsonFields.epochNanos(field, timestamp), 1_000_000L);
    }

    private static void putText(Map<String, String> attributes, String key, JsonNode metadata, String field)
            throws ParseException {
        String value = K8sFields.string(metadata, field, "metadata." + field);
        if (value != null) {
            attributes.put(key, Names.printable(value, "metadata." + field, Names.MAX_SUBDOMAIN_LENGTH, false));
        }
    }

    /**
     * Puts compact JSON under {@code key}, or when it is longer than {@link #MAX_JSON_ATTRIBUTE_CHARS} its length
     * under {@code key + "_omitted_chars"}.
     */
    static void putBoundedJson(Map<String, String> attributes, String key, JsonNode value) {
        String json = value.toString();
        if (json.length() <= MAX_JSON_ATTRIBUTE_CHARS) {
            attributes.put(key, json);
        } else {
            attributes.put(key + "_omitted_chars", Integer.toString(json.length()));
        }
    }
}
