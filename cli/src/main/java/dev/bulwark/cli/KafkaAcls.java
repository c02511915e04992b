package dev.bulwark.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

import dev.bulwark.schemas.Topics;

/**
 * The smallest set of Kafka ACLs each component needs, derived from the configuration (topic prefix, detection
 * application id), printable as {@code kafka-acls} arguments or Strimzi {@code KafkaUser} resources and appliable
 * through the Admin API.
 *
 * <p>Why here: the grants follow from what the code does (which topics each component reads and writes, which groups
 * and transactional ids it uses), so they are derived from the same names the code uses rather than copied into a
 * document that drifts. The admin principal is not listed: it creates the topics and manages ACLs, as a super user
 * or with CREATE on the topic prefix and ALTER on the cluster.
 */
final class KafkaAcls {

    /** One allowed set of operations of one component on one resource. */
    record Grant(KafkaSecurity.Component component, ResourceType type, String name, PatternType pattern,
                 List<AclOperation> operations, String why) {
    }

    private KafkaAcls() {
    }

    private static final List<AclOperation> WRITE = List.of(AclOperation.WRITE, AclOperation.DESCRIBE);
    private static final List<AclOperation> READ = List.of(AclOperation.READ, AclOperation.DESCRIBE);

    /** Every grant, component by component. */
    static List<Grant> grants(BulwarkConfig config) {
        Topics topics = Topics.withPrefix(config.kafka.topicPrefix);
        String app = config.detection.applicationId;
        List<Grant> grants = new ArrayList<>();
        var ingest = KafkaSecurity.Component.INGEST;
        grants.add(topic(ingest, topics.events().name(), WRITE, "normalized events"));
        grants.add(topic(ingest, topics.context().name(), WRITE, "Kubernetes objects (tenant context)"));
        grants.add(topic(ingest, topics.deadLetters().name(), WRITE, "records it cannot read"));

        var detectors = KafkaSecurity.Component.DETECTORS;
        grants.add(topic(detectors, topics.events().name(), READ, "events to detect on"));
        grants.add(topic(detectors, topics.context().name(), READ, "tenant context"));
        grants.add(topic(detectors, topics.rules().name(), READ, "Sigma rules pushed at run time"));
        grants.add(topic(detectors, topics.ruleOverrides().name(), READ, "per-tenant rule overrides"));
        grants.add(topic(detectors, topics.contextDirectory().name(),
                List.of(AclOperation.READ, AclOperation.WRITE, AclOperation.DESCRIBE), "the tenant directory it keeps"));
        grants.add(topic(detectors, topics.contextHistory().name(), List.of(AclOperation.WRITE, AclOperation.DESCRIBE),
                "each change of the tenant context, before and after (for backtests)"));
        grants.add(topic(detectors, topics.execSessions().name(),
                List.of(AclOperation.READ, AclOperation.WRITE, AclOperation.DESCRIBE),
                "the kubectl exec sessions it finds in the audit log and reads back on every instance"));
        grants.add(topic(detectors, topics.entityRisk().name(), List.of(AclOperation.WRITE, AclOperation.DESCRIBE),
                "entity risk scored from findings"));
        grants.add(topic(detectors, topics.incidents().name(), List.of(AclOperation.WRITE, AclOperation.DESCRIBE),
                "incidents grouped from findings"));
        grants.add(topic(detectors, topics.findings().name(),
                List.of(AclOperation.WRITE, AclOperation.READ, AclOperation.DESCRIBE, AclOperation.DESCRIBE_CONFIGS),
                "findings (and the size check of max.message.bytes at start); read back for entity risk and incidents"));
        grants.add(topic(detectors, topics.deadLetters().name(),
                List.of(AclOperation.WRITE, AclOperation.DESCRIBE, AclOperation.DESCRIBE_CONFIGS),
                "records a detector fails on"));
        grants.add(topic(detectors, topics.compliance().name(), List.of(AclOperation.WRITE, AclOperation.DESCRIBE),
                "compliance posture snapshots"));
        grants.add(topic(detectors, topics.ruleStats().name(), WRITE, "its per-rule telemetry"));
        grants.add(new Grant(detectors, ResourceType.TOPIC, app + "-", PatternType.PREFIXED,
                List.of(AclOperation.CREATE, AclOperation.READ, AclOperation.WRITE, AclOperation.DELETE,
                        AclOperation.DESCRIBE, AclOperation.DESCRIBE_CONFIGS),
                "its own Kafka Streams changelog and repartition topics"));
        grants.add(new Grant(detectors, ResourceType.GROUP, app, PatternType.LITERAL, READ,
                "its Kafka Streams consumer group"));
        grants.add(new Grant(detectors, ResourceType.TRANSACTIONAL_ID, app, PatternType.PREFIXED,
                List.of(AclOperation.WRITE, AclOperation.DESCRIBE), "exactly-once transactions (detection.exactlyOnce)"));

        var sink = KafkaSecurity.Component.SINK;
        grants.add(topic(sink, topics.findings().name(), READ, "findings to index"));
        grants.add(topic(sink, topics.deadLetters().name(), WRITE, "findings Elasticsearch refuses"));
        grants.add(new Grant(sink, ResourceType.GROUP, app + "-sink", PatternType.LITERAL, READ, "its consumer group"));
        grants.add(topic(sink, topics.compliance().name(), READ, "posture snapshots to index"));
        grants.add(new Grant(sink, ResourceType.GROUP, app + "-compliance-sink", PatternType.LITERAL, READ,
                "its consumer group for posture snapshots"));
        grants.add(topic(sink, topics.entityRisk().name(), READ, "entity risk to index"));
        grants.add(new Grant(sink, ResourceType.GROUP, app + "-entity-sink", PatternType.LITERAL, READ,
                "its consumer group for entity risk"));
        grants.add(topic(sink, topics.incidents().name(), READ, "incidents to index"));
        grants.add(new Grant(sink, ResourceType.GROUP, app + "-incident-sink", PatternType.LITERAL, READ,
                "its consumer group for incidents"));

        var context = KafkaSecurity.Component.CONTEXT;
        grants.add(topic(context, topics.context().name(), List.of(AclOperation.READ, AclOperation.WRITE, AclOperation.DESCRIBE),
                "the cluster's objects (bulwark context watch), and what it published before a restart"));
        grants.add(topic(context, topics.deadLetters().name(), WRITE, "objects it cannot read"));

        var api = KafkaSecurity.Component.API;
        grants.add(topic(api, topics.ruleOverrides().name(),
                List.of(AclOperation.READ, AclOperation.WRITE, AclOperation.DESCRIBE),
                "per-tenant rule overrides (GET, PUT and DELETE of the query API)"));
        grants.add(topic(api, topics.ruleStats().name(), READ, "per-rule telemetry (GET /api/rules)"));

        var notify = KafkaSecurity.Component.NOTIFY;
        grants.add(topic(notify, topics.findings().name(), READ, "findings to notify"));
        grants.add(topic(notify, topics.incidents().name(), READ, "incidents to notify"));
        grants.add(topic(notify, topics.deadLetters().name(), WRITE, "notifications no receiver took in time"));
        grants.add(new Grant(notify, ResourceType.GROUP, app + "-notify-", PatternType.PREFIXED, READ,
                "one consumer group per route"));

        var rules = KafkaSecurity.Component.RULES;
        grants.add(topic(rules, topics.rules().name(), List.of(AclOperation.READ, AclOperation.WRITE, AclOperation.DESCRIBE),
                "bulwark rules push, list and delete"));
        grants.add(topic(rules, topics.ruleOverrides().name(),
                List.of(AclOperation.READ, AclOperation.WRITE, AclOperation.DESCRIBE),
                "bulwark rules override and overrides"));
        grants.add(topic(rules, topics.ruleStats().name(), READ, "bulwark rules list --stats"));
        grants.add(topic(rules, topics.events().name(), READ, "bulwark rules backtest: the retained events it replays"));
        grants.add(topic(rules, topics.context().name(), READ, "bulwark rules backtest: the tenant context"));
        grants.add(topic(rules, topics.contextHistory().name(), READ,
                "bulwark rules backtest: the tenant context as of the replayed time"));
        List<AclOperation> own = List.of(AclOperation.CREATE, AclOperation.READ, AclOperation.WRITE, AclOperation.DELETE,
                AclOperation.DESCRIBE, AclOperation.DESCRIBE_CONFIGS);
        grants.add(new Grant(rules, ResourceType.TOPIC, Backtest.scratchPrefix(config), PatternType.PREFIXED, own,
                "bulwark rules backtest: its scratch topics, deleted after each run"));
        grants.add(new Grant(rules, ResourceType.TOPIC, Backtest.applicationPrefix(config), PatternType.PREFIXED, own,
                "bulwark rules backtest: its Kafka Streams changelog and repartition topics, deleted after each run"));
        grants.add(new Grant(rules, ResourceType.GROUP, Backtest.applicationPrefix(config), PatternType.PREFIXED,
                List.of(AclOperation.READ, AclOperation.DESCRIBE, AclOperation.DELETE),
                "bulwark rules backtest: its Kafka Streams consumer group, deleted after each run"));
        return grants;
    }

    private static Grant topic(KafkaSecurity.Component component, String name, List<AclOperation> operations, String why) {
        return new Grant(component, ResourceType.TOPIC, name, PatternType.LITERAL, operations, why);
    }

    /** The grants as Kafka ACL bindings, each component as {@code User:<its user>}. */
    static List<AclBinding> bindings(List<Grant> grants, Function<KafkaSecurity.Component, String> users) {
        List<AclBinding> bindings = new ArrayList<>();
        for (Grant grant : grants) {
            for (AclOperation operation : grant.operations()) {
                bindings.add(new AclBinding(new ResourcePattern(grant.type(), grant.name(), grant.pattern()),
                        new AccessControlEntry("User:" + users.apply(grant.component()), "*", operation,
                                AclPermissionType.ALLOW)));
            }
        }
        return bindings;
    }

    /**
     * Creates every component's ACLs for {@code config}, connecting as the admin user (creating an existing binding
     * changes nothing).
     *
     * @return how many ACL entries that is
     */
    static int grantAll(BulwarkConfig config) throws InterruptedException {
        List<AclBinding> bindings = bindings(grants(config), SecurityCommand.users(config));
        try (Admin admin = new KafkaClients(config).admin()) {
            apply(admin, bindings);
        }
        return bindings.size();
    }

    /** Creates the bindings (creating an existing binding changes nothing). */
    static void apply(Admin admin, List<AclBinding> bindings) throws InterruptedException {
        try {
            admin.createAcls(bindings).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            throw new IllegalStateException("cannot create the ACLs: " + cause.getMessage()
                    + " (the admin user needs ALTER on the cluster, and the broker an authorizer)", cause);
        }
    }

    /** One {@code kafka-acls.sh} command per grant. */
    static String kafkaAclsCommands(List<Grant> grants, Function<KafkaSecurity.Component, String> users) {
        StringBuilder out = new StringBuilder();
        for (Grant grant : grants) {
            out.append("# ").append(grant.component().key()).append(": ").append(grant.why()).append('\n');
            out.append("kafka-acls.sh --bootstrap-server \"$BOOTSTRAP\" --command-config admin.properties --add")
                    .append(" --allow-principal User:").append(users.apply(grant.component()));
            for (AclOperation operation : grant.operations()) {
                out.append(" --operation ").append(camel(operation.name()));
            }
            out.append(switch (grant.type()) {
                case TOPIC -> " --topic ";
                case GROUP -> " --group ";
                case TRANSACTIONAL_ID -> " --transactional-id ";
                default -> throw new IllegalStateException("no flag for " + grant.type());
            }).append(grant.name());
            if (grant.pattern() == PatternType.PREFIXED) {
                out.append(" --resource-pattern-type prefixed");
            }
            out.append('\n');
        }
        return out.toString();
    }

    /** One Strimzi {@code KafkaUser} per component (SCRAM-SHA-512 authentication, simple authorization). */
    static String strimziUsers(List<Grant> grants, Function<KafkaSecurity.Component, String> users, String cluster) {
        StringBuilder out = new StringBuilder();
        for (KafkaSecurity.Component component : KafkaSecurity.Component.values()) {
            List<Grant> own = grants.stream().filter(g -> g.component() == component).toList();
            if (own.isEmpty()) {
                continue;
            }
            out.append("---\napiVersion: kafka.strimzi.io/v1beta2\nkind: KafkaUser\nmetadata:\n  name: ")
                    .append(users.apply(component)).append("\n  labels:\n    strimzi.io/cluster: ").append(cluster)
                    .append("\nspec:\n  authentication:\n    type: scram-sha-512\n  authorization:\n    type: simple\n    acls:\n");
            for (Grant grant : own) {
                out.append("      # ").append(grant.why()).append('\n')
                        .append("      - resource:\n          type: ").append(strimziType(grant.type()))
                        .append("\n          name: ").append(grant.name())
                        .append("\n          patternType: ").append(grant.pattern().name().toLowerCase(Locale.ROOT))
                        .append("\n        operations: [")
                        .append(String.join(", ", grant.operations().stream().map(o -> camel(o.name())).toList()))
                        .append("]\n        host: \"*\"\n");
            }
        }
        return out.toString();
    }

    private static String strimziType(ResourceType type) {
        return switch (type) {
            case TOPIC -> "topic";
            case GROUP -> "group";
            case TRANSACTIONAL_ID -> "transactionalId";
            default -> throw new IllegalStateException("no Strimzi type for " + type);
        };
    }

    /** {@code DESCRIBE_CONFIGS} as {@code DescribeConfigs}, as kafka-acls and Strimzi spell operations. */
    static String camel(String name) {
        StringBuilder out = new StringBuilder();
        for (String word : name.split("_")) {
            out.append(word.charAt(0)).append(word.substring(1).toLowerCase(Locale.ROOT));
        }
        return out.toString();
    }
}
