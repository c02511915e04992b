package dev.bulwark.schemas;

/**
 * The {@code policy.*} keys the policy-report parser writes into {@link SecurityEvent} attributes, next to the typed
 * {@link PolicyResult}: every one is defined here, once.
 *
 * <p>Why: the facts a detector or the compliance posture reasons about (policy, rule, result, severity, the resource)
 * are typed; these keys describe the report a result came from, so an analyst can find it in the cluster and a replay
 * keeps what the source said. Naming them in one place keeps ingest, readers and docs/sources.md from drifting apart.
 */
public final class PolicyAttributes {

    private PolicyAttributes() {
    }

    /** The report's {@code apiVersion}: {@code wgpolicyk8s.io/v1alpha2} or {@code openreports.io/v1alpha1}. */
    public static final String REPORT_API_VERSION = "policy.report.api_version";
    /** The report's {@code kind}: PolicyReport, ClusterPolicyReport, Report or ClusterReport. */
    public static final String REPORT_KIND = "policy.report.kind";
    /** {@code metadata.name}. */
    public static final String REPORT_NAME = "policy.report.name";
    /** {@code metadata.namespace} (namespaced reports). */
    public static final String REPORT_NAMESPACE = "policy.report.namespace";
    /** {@code metadata.uid}. */
    public static final String REPORT_UID = "policy.report.uid";
    /** {@code metadata.creationTimestamp}, RFC 3339 as given. */
    public static final String REPORT_CREATED = "policy.report.created";
    /** The report-level {@code source} (openreports.io), which a result's own {@code source} overrides. */
    public static final String REPORT_SOURCE = "policy.report.source";
    /** Prefix of {@code metadata.labels.<key>}, e.g. {@code app.kubernetes.io/managed-by}. */
    public static final String REPORT_LABELS_PREFIX = "policy.report.labels.";
    /** Prefix of {@code metadata.annotations.<key>} (adapters name the benchmark and its version there). */
    public static final String REPORT_ANNOTATIONS_PREFIX = "policy.report.annotations.";
    /** Prefix of the report's {@code summary.<pass|fail|warn|error|skip>} counts, as the source wrote them. */
    public static final String REPORT_SUMMARY_PREFIX = "policy.report.summary.";
    /** Number of results in the report. */
    public static final String REPORT_RESULTS = "policy.report.results";
    /** Prefix of the report's {@code scope} reference: {@code api_version}, {@code kind}, {@code namespace}, {@code name}, {@code uid}. */
    public static final String SCOPE_PREFIX = "policy.scope.";
    /** The report's {@code scopeSelector} as compact JSON. */
    public static final String SCOPE_SELECTOR = "policy.scope_selector";
    /** Where {@code policy.resource} came from: {@code result} (its resources), {@code scope} (the report's scope) or {@code none}. */
    public static final String RESOURCE_SOURCE = "policy.resource_source";
    /** The result's {@code resourceSelector} as compact JSON. */
    public static final String RESOURCE_SELECTOR = "policy.resource_selector";
    /** Prefix of the result's {@code properties.<key>}. */
    public static final String PROPERTIES_PREFIX = "policy.properties.";
    /**
     * What {@code @timestamp} came from: {@code result} (the result's own timestamp), {@code report_created} (the
     * report's {@code metadata.creationTimestamp}) or {@code ingested} (neither was given).
     */
    public static final String TIME_SOURCE = "policy.time_source";
    /** The full length of a result message that was cut to the first 8 KiB in {@code policy.message}. */
    public static final String MESSAGE_ORIGINAL_LENGTH = "policy.message.original_length";
}
