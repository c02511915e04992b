package dev.bulwark.schemas;

/**
 * The {@code k8s.*} keys Bulwark writes into (or reads from) the flat {@code attributes} maps of {@link SecurityEvent}
 * and {@link TenantContext}: every one is defined here, once.
 *
 * <p>Why: attributes are for source fields without a typed home, read by Sigma rules (through
 * {@code sigma/src/main/resources/sigma/field-mapping.yaml}), shown to analysts and kept for replays. Facts that
 * detectors reason about are typed fields instead ({@link PodSpecFacts}, {@link OwnerReference},
 * {@link NetworkPolicySpec}, {@link LabelSelectorSpec}); the keys left here are descriptive. Naming them in one place
 * keeps the writers (ingest), the readers (detectors, the Sigma field mapping, docs/sources.md) and the tests from
 * drifting apart.
 */
public final class KubernetesAttributes {

    private KubernetesAttributes() {
    }

    // ---- Every Kubernetes object in the tenant context (k8s-objects) ----

    /** {@code apiVersion} as given. */
    public static final String API_VERSION = "k8s.api_version";
    /** {@code metadata.uid}. */
    public static final String UID = "k8s.uid";
    /** {@code metadata.resourceVersion} (opaque). */
    public static final String RESOURCE_VERSION = "k8s.resource_version";
    /** {@code metadata.creationTimestamp}, RFC 3339 as given. */
    public static final String CREATION_TIMESTAMP = "k8s.creation_timestamp";
    /** What {@code observed_at} came from: {@code creationTimestamp}, {@code managedFields} or {@code ingest}. */
    public static final String OBSERVED_AT_SOURCE = "k8s.observed_at_source";
    /**
     * Where the tenant was read: {@code label:<key>}, {@code annotation:<key>}, {@code ownerReference:<apiVersion>/Tenant},
     * or for a namespace listed in a Capsule Tenant's status (cluster watcher),
     * {@code status.namespaces:<apiVersion>/Tenant}.
     */
    public static final String TENANT_SOURCE = "k8s.tenant_source";
    /** Namespace {@code status.phase}. */
    public static final String NAMESPACE_PHASE = "k8s.namespace.phase";
    /** ServiceAccount {@code automountServiceAccountToken}, {@code true} or {@code false}. */
    public static final String SERVICE_ACCOUNT_AUTOMOUNT_TOKEN = "k8s.serviceaccount.automount_token";

    // ---- Pods in the tenant context (the spec's facts are TenantContext.pod_spec) ----

    /** {@code spec.nodeName}. */
    public static final String POD_NODE = "k8s.pod.node";
    /** {@code status.phase}. */
    public static final String POD_PHASE = "k8s.pod.phase";
    /** {@code status.podIP} and {@code status.podIPs}, comma-separated. */
    public static final String POD_IPS = "k8s.pod.ips";
    /** {@code status.hostIP}. */
    public static final String POD_HOST_IP = "k8s.pod.host_ip";
    /** Container ids of the container statuses without the runtime prefix, comma-separated. */
    public static final String POD_CONTAINER_IDS = "k8s.pod.container_ids";
    /** Runtimes of the container ids ({@code containerd}, {@code cri-o}, {@code docker}), comma-separated. */
    public static final String POD_CONTAINER_RUNTIMES = "k8s.pod.container_runtimes";
    /** The owning workload's kind (a ReplicaSet of a Deployment resolves to the Deployment). */
    public static final String POD_WORKLOAD_KIND = "k8s.pod.workload_kind";
    /** The owning workload's name. */
    public static final String POD_WORKLOAD_NAME = "k8s.pod.workload_name";

    // ---- Pods that vcluster synced from a virtual cluster into its host namespace ----

    /**
     * The virtual cluster that synced the pod: the host pod's label {@code vcluster.loft.sh/managed-by}. The pod's
     * {@code namespace} stays the host namespace, whose tenant owns the virtual cluster.
     */
    public static final String VCLUSTER_NAME = "k8s.vcluster.name";
    /**
     * The pod's namespace inside the virtual cluster: the annotation {@code vcluster.loft.sh/object-namespace}, else the
     * label {@code vcluster.loft.sh/namespace}.
     */
    public static final String VCLUSTER_NAMESPACE = "k8s.vcluster.namespace";
    /** The pod's name inside the virtual cluster: the annotation {@code vcluster.loft.sh/object-name}. */
    public static final String VCLUSTER_OBJECT_NAME = "k8s.vcluster.object_name";

    // ---- NetworkPolicies in the tenant context (the spec is TenantContext.network_policy) ----

    /** Number of ingress rules (also when the rules were too large to keep). */
    public static final String NETPOL_INGRESS_RULES = "k8s.netpol.ingress_rules";
    /** Number of egress rules. */
    public static final String NETPOL_EGRESS_RULES = "k8s.netpol.egress_rules";
    /** Length of the ingress rules' JSON when they were too large to keep (they are then left out). */
    public static final String NETPOL_INGRESS_OMITTED_CHARS = "k8s.netpol.ingress_omitted_chars";
    /** Length of the egress rules' JSON when they were too large to keep. */
    public static final String NETPOL_EGRESS_OMITTED_CHARS = "k8s.netpol.egress_omitted_chars";

    // ---- RBAC objects (tenant context) and RBAC writes (audit events) ----

    /** Role/ClusterRole: number of rules (context); the rules as compact JSON (audit request body). */
    public static final String RBAC_RULES = "k8s.rbac.rules";
    /** ClusterRole: targets of its {@code rbac.authorization.k8s.io/aggregate-to-*: "true"} labels, comma-separated. */
    public static final String RBAC_AGGREGATE_TO = "k8s.rbac.aggregate_to";
    /** ClusterRole: length of {@code aggregationRule.clusterRoleSelectors} as JSON when too large to keep. */
    public static final String RBAC_AGGREGATION_SELECTORS_OMITTED_CHARS = "k8s.rbac.aggregation_selectors_omitted_chars";
    /** Binding {@code roleRef} as compact JSON (audit request body). */
    public static final String RBAC_ROLE_REF = "k8s.rbac.role_ref";
    /** Binding {@code roleRef.kind}. */
    public static final String RBAC_ROLE_REF_KIND = "k8s.rbac.role_ref.kind";
    /** Binding {@code roleRef.name}. */
    public static final String RBAC_ROLE_REF_NAME = "k8s.rbac.role_ref.name";
    /** Binding {@code roleRef.apiGroup}. */
    public static final String RBAC_ROLE_REF_API_GROUP = "k8s.rbac.role_ref.api_group";
    /** Binding {@code subjects} as compact JSON (audit request body). */
    public static final String RBAC_SUBJECTS = "k8s.rbac.subjects";
    /** {@code true} when a written rule has {@code *} in verbs, resources or apiGroups (audit request body). */
    public static final String RBAC_WILDCARD = "k8s.rbac.wildcard";

    /**
     * Role/ClusterRole rule {@code index} (= grant {@code index}): {@code api_groups}, {@code resource_names} or
     * {@code non_resource_urls} as a JSON array, e.g. {@code k8s.rbac.rule.0.api_groups}.
     */
    public static String rbacRule(int index, String field) {
        return "k8s.rbac.rule." + index + "." + field;
    }

    // ---- Kubernetes audit events ----

    /** Audit {@code level}. */
    public static final String AUDIT_LEVEL = "k8s.audit.level";
    /** Audit {@code requestReceivedTimestamp}. */
    public static final String AUDIT_REQUEST_RECEIVED_TIMESTAMP = "k8s.audit.request_received_timestamp";
    /** Prefix of {@code user.extra.<key>}. */
    public static final String AUDIT_USER_EXTRA_PREFIX = "k8s.audit.user.extra.";
    /** {@code impersonatedUser.groups}, comma-separated. */
    public static final String AUDIT_IMPERSONATED_GROUPS = "k8s.audit.impersonated_groups";
    /** {@code impersonatedUser.uid}. */
    public static final String AUDIT_IMPERSONATED_UID = "k8s.audit.impersonated_uid";
    /** Prefix of {@code impersonatedUser.extra.<key>}. */
    public static final String AUDIT_IMPERSONATED_EXTRA_PREFIX = "k8s.audit.impersonated_extra.";
    /** {@code objectRef.apiVersion}. */
    public static final String AUDIT_OBJECT_API_VERSION = "k8s.audit.object_api_version";
    /** {@code objectRef.uid}. */
    public static final String AUDIT_OBJECT_UID = "k8s.audit.object_uid";
    /** {@code objectRef.resourceVersion}. */
    public static final String AUDIT_OBJECT_RESOURCE_VERSION = "k8s.audit.object_resource_version";
    /** Prefix of {@code responseStatus.<status|reason|message>}. */
    public static final String AUDIT_RESPONSE_PREFIX = "k8s.audit.response.";
    /** Prefix of {@code annotations.<key>}. */
    public static final String AUDIT_ANNOTATIONS_PREFIX = "k8s.audit.annotations.";
    /** {@code response_code} when the decision was derived from a 401/403 response. */
    public static final String AUDIT_DECISION_SOURCE = "k8s.audit.decision_source";
    /** {@code responseObject} when the object name came from the response. */
    public static final String AUDIT_OBJECT_NAME_SOURCE = "k8s.audit.object_name_source";
    /** The request body's {@code kind}. */
    public static final String AUDIT_REQUEST_OBJECT_KIND = "k8s.audit.request_object_kind";
    /** The request body as bounded compact JSON (Secret values redacted). */
    public static final String AUDIT_REQUEST_OBJECT = "k8s.audit.request_object";
    /**
     * The admission webhook that refused the request, from a response message {@code admission webhook "<name>" denied
     * the request: ...}.
     */
    public static final String AUDIT_ADMISSION_DENIED_BY = "k8s.audit.admission.denied_by";
    /**
     * Container images that mutating webhooks wrote (a tag resolved to a digest by Kyverno's {@code mutateDigest} or
     * the sigstore policy-controller), from the {@code patch.webhook.admission.k8s.io/*} annotations: compact JSON,
     * {@code [{"webhook": ..., "path": "/spec/containers/0/image", "image": ...}]}.
     */
    public static final String AUDIT_ADMISSION_IMAGE_PATCHES = "k8s.audit.admission.image_patches";
    /**
     * Why an image verification record in the event (a {@code kyverno.io/verify-images} annotation, a webhook patch)
     * could not be read; the event keeps the verdicts it could read.
     */
    public static final String AUDIT_IMAGE_VERIFICATION_UNREADABLE = "k8s.audit.image_verification.unreadable";

    /** Prefix of the parameters of an {@code exec}, {@code attach} or {@code portforward} request, e.g. {@code k8s.audit.exec.}. */
    public static String auditSubresourcePrefix(String subresource) {
        return "k8s.audit." + subresource + ".";
    }

    // ---- Runtime sources ----

    /** Tetragon {@code process.pod.workload_kind}. */
    public static final String WORKLOAD_KIND = "k8s.workload_kind";
    /** Prefix of Tetragon {@code process.pod.pod_annotations.<key>}. */
    public static final String POD_ANNOTATIONS_PREFIX = "k8s.pod.annotations.";
    /** Falco's field {@code k8s.ns.name} (Falco output fields are kept verbatim as attributes). */
    public static final String FALCO_NAMESPACE_NAME = "k8s.ns.name";
    /** Falco's field {@code k8s.pod.name}. */
    public static final String FALCO_POD_NAME = "k8s.pod.name";
    /** Falco's field {@code k8s.pod.uid}. */
    public static final String FALCO_POD_UID = "k8s.pod.uid";
}
