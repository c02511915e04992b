package dev.bulwark.schemas;

import java.util.List;
import java.util.Map;

import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * The immutable registry of Bulwark's topics under one name prefix (default {@code bulwark.}).
 *
 * <p>Why: every component and test gets topic names and serdes from here, and tests get isolated topic sets by using a
 * prefix of their own.
 */
public final class Topics {

    /** The prefix used when none is configured. */
    public static final String DEFAULT_PREFIX = "bulwark.";

    private static final Map<String, String> COMPACTED = Map.of(
            TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT,
            TopicConfig.MIN_COMPACTION_LAG_MS_CONFIG, "0");

    private final String prefix;
    private final Topic<String, SecurityEvent> events;
    private final Topic<String, TenantContext> context;
    private final Topic<String, TenantContext> contextDirectory;
    private final Topic<String, ContextChange> contextHistory;
    private final Topic<String, ExecSession> execSessions;
    private final Topic<String, EntityRisk> entityRisk;
    private final Topic<String, Incident> incidents;
    private final Topic<String, String> rules;
    private final Topic<String, Finding> findings;
    private final Topic<String, DeadLetter> deadLetters;
    private final Topic<String, ComplianceResult> compliance;
    private final Topic<String, RuleOverride> ruleOverrides;
    private final Topic<String, RuleStats> ruleStats;

    private Topics(String prefix) {
        if (prefix == null || !prefix.matches("[a-zA-Z0-9._-]*")) {
            throw new IllegalArgumentException("topic prefix may only hold letters, digits, '.', '_' and '-': " + prefix);
        }
        this.prefix = prefix;
        Serde<String> keys = Serdes.String();
        this.events = new Topic<>(prefix + "events", keys, AvroSerde.of(SecurityEvent.class), Map.of());
        this.context = new Topic<>(prefix + "context", keys, AvroSerde.of(TenantContext.class), COMPACTED);
        this.contextDirectory = new Topic<>(prefix + "context-directory", keys, AvroSerde.of(TenantContext.class), COMPACTED);
        this.contextHistory = new Topic<>(prefix + "context-history", keys, AvroSerde.of(ContextChange.class), Map.of());
        this.execSessions = new Topic<>(prefix + "exec-sessions", keys, AvroSerde.of(ExecSession.class), Map.of());
        this.entityRisk = new Topic<>(prefix + "entity-risk", keys, AvroSerde.of(EntityRisk.class), COMPACTED);
        this.incidents = new Topic<>(prefix + "incidents", keys, AvroSerde.of(Incident.class), COMPACTED);
        this.rules = new Topic<>(prefix + "rules", keys, Serdes.String(), COMPACTED);
        this.findings = new Topic<>(prefix + "findings", keys, AvroSerde.of(Finding.class), Map.of());
        this.deadLetters = new Topic<>(prefix + "dlq", keys, AvroSerde.of(DeadLetter.class), Map.of());
        this.compliance = new Topic<>(prefix + "compliance", keys, AvroSerde.of(ComplianceResult.class), Map.of());
        this.ruleOverrides = new Topic<>(prefix + "rule-overrides", keys, AvroSerde.of(RuleOverride.class), COMPACTED);
        this.ruleStats = new Topic<>(prefix + "rule-stats", keys, AvroSerde.of(RuleStats.class), COMPACTED);
    }

    /** Topics under the given prefix, e.g. {@code "bulwark."} gives {@code bulwark.events}. */
    public static Topics withPrefix(String prefix) {
        return new Topics(prefix);
    }

    /** Topics under {@link #DEFAULT_PREFIX}. */
    public static Topics defaults() {
        return new Topics(DEFAULT_PREFIX);
    }

    public String prefix() {
        return prefix;
    }

    /** Normalized {@link SecurityEvent}s from every source. */
    public Topic<String, SecurityEvent> events() {
        return events;
    }

    /** Compacted {@link TenantContext} records (RBAC and ownership). */
    public Topic<String, TenantContext> context() {
        return context;
    }

    /**
     * The detectors' own compacted copy of {@link #context()}, read as a global store on every instance. Kafka Streams
     * cannot read one topic both as a stream and as a global store, and detectors need both: the stream for changes
     * (RBAC drift), the store for lookups.
     */
    public Topic<String, TenantContext> contextDirectory() {
        return contextDirectory;
    }

    /**
     * {@link ContextChange}s: every change of the tenant context as the detectors applied it, before and after,
     * time-retained (the broker's {@code retention.ms}, as the events topic), so a backtest can rebuild the context as
     * of any retained time; a compacted topic keeps only the newest version of each object.
     */
    public Topic<String, ContextChange> contextHistory() {
        return contextHistory;
    }

    /**
     * {@link ExecSession}s (keyed by {@code <namespace>/<pod>}, time-retained): the {@code kubectl exec} and
     * {@code attach} sessions the detectors found in the audit log, read back by every detector instance as a global
     * store so process events on any partition can join the session that started them.
     */
    public Topic<String, ExecSession> execSessions() {
        return execSessions;
    }

    /**
     * {@link EntityRisk} (compacted, keyed {@code <tenant>|<type>|<id>}): each entity's current risk as the detectors
     * score it from findings, which the sink indexes into {@code bulwark-entities}.
     */
    public Topic<String, EntityRisk> entityRisk() {
        return entityRisk;
    }

    /**
     * {@link Incident}s (compacted, keyed by incident id): related findings told as one story, each update carrying
     * the whole incident.
     */
    public Topic<String, Incident> incidents() {
        return incidents;
    }

    /** Compacted detection rules, keyed by rule id; value is the rule text. */
    public Topic<String, String> rules() {
        return rules;
    }

    /** {@link Finding}s produced by detectors. */
    public Topic<String, Finding> findings() {
        return findings;
    }

    /** {@link DeadLetter}s: everything that could not be processed, with its reason. */
    public Topic<String, DeadLetter> deadLetters() {
        return deadLetters;
    }

    /**
     * {@link ComplianceResult}s: posture snapshots the detectors take (daily and on every change), which the sink
     * indexes into {@code bulwark-compliance-*}.
     */
    public Topic<String, ComplianceResult> compliance() {
        return compliance;
    }

    /**
     * {@link RuleOverride}s (compacted, keyed {@code <tenant>/<target>}): per-tenant tuning of rules and detectors,
     * read by every detector instance as a global store and applied to findings within seconds.
     */
    public Topic<String, RuleOverride> ruleOverrides() {
        return ruleOverrides;
    }

    /**
     * {@link RuleStats} (compacted, keyed {@code <instance>/<detector>/<rule>}): each detector instance's per-rule
     * telemetry since it started, which the query API and {@code bulwark rules list --stats} add up.
     */
    public Topic<String, RuleStats> ruleStats() {
        return ruleStats;
    }

    /** The longest note an override keeps. */
    public static final int MAX_OVERRIDE_NOTE = 1024;
    /** The longest exception (a Sigma filter document) an override keeps, in characters. */
    public static final int MAX_OVERRIDE_EXCEPTION = 16 * 1024;
    /** The largest per-tenant correlation threshold. */
    public static final long MAX_OVERRIDE_THRESHOLD = 1_000_000;

    /**
     * True for what an override may target, a rule id or detector name: 1-256 printable ASCII characters without
     * spaces or {@code /} (the key's separator).
     */
    public static boolean isOverrideTarget(String target) {
        return target != null && !target.isEmpty() && target.length() <= 256 && target.matches("[\\x21-\\x7e&&[^/]]+");
    }

    /** The key of the override of {@code target} for {@code tenant} on {@link #ruleOverrides()}. */
    public static String overrideKey(String tenant, String target) {
        return tenant + "/" + target;
    }

    /** All topics, for creation and checks. */
    public List<Topic<String, ?>> all() {
        return List.of(events, context, contextDirectory, contextHistory, execSessions, rules, findings, deadLetters, compliance, ruleOverrides,
                ruleStats, entityRisk, incidents);
    }
}
