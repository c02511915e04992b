package dev.bulwark.cli;

import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Function;


import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code bulwark security acls}: each component's Kafka ACLs, printed or applied. */
@Command(name = "security", mixinStandardHelpOptions = true,
        description = "Least-privilege settings for a secured cluster (docs/security.md).",
        subcommands = {SecurityCommand.Acls.class, SecurityCommand.EsRoles.class, SecurityCommand.EsSetup.class})
final class SecurityCommand implements Callable<Integer> {

    @ParentCommand
    BulwarkCommand parent;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(System.out);
        return 0;
    }

    /** The ACLs of every component, for the configured topic prefix and application id. */
    @Command(name = "acls", mixinStandardHelpOptions = true,
            description = "Print the smallest ACL set of each component (ingest, detectors, sink, rules, context) as a table, as "
                    + "kafka-acls commands or as Strimzi KafkaUser resources; --apply creates them as the admin user.")
    static final class Acls implements Callable<Integer> {
        @ParentCommand
        SecurityCommand security;

        @Option(names = "--format", defaultValue = "table", description = "table, kafka or strimzi (default: ${DEFAULT-VALUE}).")
        String format;

        @Option(names = "--cluster", defaultValue = "my-cluster",
                description = "Strimzi: the Kafka cluster the users belong to (label strimzi.io/cluster).")
        String cluster;

        @Option(names = "--apply", description = "Create the ACLs on the cluster, connecting as the admin user.")
        boolean apply;

        @Override
        public Integer call() throws Exception {
            BulwarkConfig config = BulwarkConfig.load(security.parent.config, System.getenv());
            List<KafkaAcls.Grant> grants = KafkaAcls.grants(config);
            Function<KafkaSecurity.Component, String> users = users(config);
            if (apply) {
                String admin = new KafkaClients(config).principal();
                BulwarkCommand.say("created " + KafkaAcls.grantAll(config) + " ACL entries on " + config.kafka.bootstrap
                        + " as " + (admin == null ? "an anonymous user" : admin));
                return 0;
            }
            switch (format) {
                case "kafka" -> System.out.print(KafkaAcls.kafkaAclsCommands(grants, users));
                case "strimzi" -> System.out.print(KafkaAcls.strimziUsers(grants, users, cluster));
                case "table" -> System.out.print(table(grants, users));
                default -> throw new IllegalArgumentException("--format must be table, kafka or strimzi, not " + format);
            }
            return 0;
        }
    }

    /** Prints the Elasticsearch roles of the sink and the API. */
    @Command(name = "es-roles", mixinStandardHelpOptions = true,
            description = "Print the Elasticsearch roles bulwark_sink and bulwark_api for elasticsearch.indexPrefix, as a "
                    + "roles.yml (file-based roles) or as PUT _security/role requests (--format requests).")
    static final class EsRoles implements Callable<Integer> {
        @ParentCommand
        SecurityCommand security;

        @Option(names = "--format", defaultValue = "yaml", description = "yaml or requests (default: ${DEFAULT-VALUE}).")
        String format;

        @Override
        public Integer call() throws Exception {
            BulwarkConfig config = BulwarkConfig.load(security.parent.config, System.getenv());
            switch (format) {
                case "yaml" -> System.out.print(ElasticsearchRoles.rolesYaml(config.elasticsearch.indexPrefix));
                case "requests" -> System.out.print(ElasticsearchRoles.roleRequests(config.elasticsearch.indexPrefix));
                default -> throw new IllegalArgumentException("--format must be yaml or requests, not " + format);
            }
            return 0;
        }
    }

    /** Creates the roles and a user or API key for the sink and the API, as the admin, and writes their credentials. */
    @Command(name = "es-setup", mixinStandardHelpOptions = true,
            description = {"Create the Elasticsearch roles <prefix>_sink and <prefix>_api for elasticsearch.indexPrefix, "
                    + "and a user (or with --api-keys an API key) for each, through the security API of a cluster with "
                    + "the native realm; write their credentials to --write, readable by the owner only. Connects as the "
                    + "admin: the admin entry of elasticsearch.credentialsFile, else elasticsearch.username with "
                    + "BULWARK_ES_PASSWORD or elasticsearch.passwordFile (a user with manage_security). Running it again "
                    + "rotates the passwords or makes new keys."})
    static final class EsSetup implements Callable<Integer> {
        @ParentCommand
        SecurityCommand security;

        @Option(names = "--write", required = true, paramLabel = "FILE",
                description = "The credentials file to write (sink. and api. entries; its other lines are kept).")
        java.nio.file.Path write;

        @Option(names = "--name-prefix", defaultValue = "bulwark",
                description = "Roles <prefix>_sink and <prefix>_api, users or keys <prefix>-sink and <prefix>-api "
                        + "(default: ${DEFAULT-VALUE}).")
        String namePrefix;

        @Option(names = "--api-keys", description = "Create API keys instead of users.")
        boolean apiKeys;

        @Override
        public Integer call() throws Exception {
            BulwarkConfig config = BulwarkConfig.load(security.parent.config, System.getenv());
            var admin = config.elasticsearchClient(BulwarkConfig.EsUser.ADMIN);
            try {
                ElasticsearchSetup.Result result = ElasticsearchSetup.run(admin, namePrefix,
                        config.elasticsearch.indexPrefix, apiKeys, write);
                BulwarkCommand.say("created roles " + String.join(", ", result.roles()) + " on " + config.elasticsearch.url
                        + " for indices " + config.elasticsearch.indexPrefix + "*, and " + (apiKeys ? "API keys " : "users ")
                        + String.join(", ", result.principals()));
                BulwarkCommand.say("wrote their credentials to " + write.toAbsolutePath()
                        + " (owner only): set elasticsearch.credentialsFile (BULWARK_ES_CREDENTIALS_FILE) to it");
                return 0;
            } finally {
                admin._transport().close();
            }
        }
    }

    /** The grants as a table, one line per resource (the form docs/security.md shows). */
    static String table(List<KafkaAcls.Grant> grants, Function<KafkaSecurity.Component, String> users) {
        StringBuilder out = new StringBuilder(String.format("%-10s %-18s %-45s %-9s %s%n", "component", "user", "resource",
                "pattern", "operations"));
        for (KafkaAcls.Grant grant : grants) {
            out.append(String.format("%-10s %-18s %-45s %-9s %s%n", grant.component().key(), users.apply(grant.component()),
                    grant.type().name().toLowerCase(java.util.Locale.ROOT) + ":" + grant.name(),
                    grant.pattern().name().toLowerCase(java.util.Locale.ROOT),
                    String.join(",", grant.operations().stream().map(o -> KafkaAcls.camel(o.name())).toList())));
        }
        return out.toString();
    }

    /** Each component's user: from the configuration when SASL is on, else {@code bulwark-<component>}. */
    static Function<KafkaSecurity.Component, String> users(BulwarkConfig config) {
        return component -> {
            String user = KafkaSecurity.hasUser(config.kafka.security, component)
                    ? KafkaSecurity.principal(config.kafka.security, component) : null;
            return user != null ? user : "bulwark-" + component.key();
        };
    }
}
