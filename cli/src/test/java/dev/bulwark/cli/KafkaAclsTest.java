package dev.bulwark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.Test;

class KafkaAclsTest {

    private static BulwarkConfig config() throws Exception {
        BulwarkConfig config = BulwarkConfig.load(null, Map.of("BULWARK_TOPIC_PREFIX", "prod."));
        config.detection.applicationId = "prod-detect";
        return config;
    }

    @Test
    void eachComponentGetsOnlyWhatItUses() throws Exception {
        List<KafkaAcls.Grant> grants = KafkaAcls.grants(config());
        assertThat(grants).filteredOn(g -> g.component() == KafkaSecurity.Component.INGEST)
                .extracting(KafkaAcls.Grant::name).containsExactlyInAnyOrder("prod.events", "prod.context", "prod.dlq");
        assertThat(grants).filteredOn(g -> g.component() == KafkaSecurity.Component.INGEST)
                .allSatisfy(g -> assertThat(g.operations()).doesNotContain(AclOperation.READ));
        assertThat(grants).as("the notifier reads findings and incidents, its groups by prefix, and nothing else")
                .filteredOn(g -> g.component() == KafkaSecurity.Component.NOTIFY)
                .extracting(KafkaAcls.Grant::name).containsExactlyInAnyOrder("prod.findings", "prod.incidents",
                        "prod.dlq", "prod-detect-notify-");
        assertThat(grants).filteredOn(g -> g.component() == KafkaSecurity.Component.NOTIFY
                        && !g.name().equals("prod.dlq"))
                .allSatisfy(g -> assertThat(g.operations()).doesNotContain(AclOperation.WRITE));
        assertThat(grants).filteredOn(g -> g.component() == KafkaSecurity.Component.SINK)
                .extracting(KafkaAcls.Grant::name).containsExactlyInAnyOrder("prod.findings", "prod.dlq", "prod-detect-sink",
                        "prod.compliance", "prod-detect-compliance-sink", "prod.entity-risk", "prod-detect-entity-sink",
                        "prod.incidents", "prod-detect-incident-sink");
        assertThat(grants).as("the detectors read findings back (entity risk, incidents)")
                .filteredOn(g -> g.name().equals("prod.findings") && g.operations().contains(AclOperation.READ))
                .extracting(KafkaAcls.Grant::component)
                .contains(KafkaSecurity.Component.DETECTORS, KafkaSecurity.Component.SINK);
        assertThat(grants).as("nobody but the detectors writes entity risk")
                .filteredOn(g -> g.name().equals("prod.entity-risk") && g.operations().contains(AclOperation.WRITE))
                .extracting(KafkaAcls.Grant::component).containsExactly(KafkaSecurity.Component.DETECTORS);
        assertThat(grants).as("nobody but the detectors writes posture snapshots")
                .filteredOn(g -> g.name().equals("prod.compliance") && g.operations().contains(AclOperation.WRITE))
                .extracting(KafkaAcls.Grant::component).containsExactly(KafkaSecurity.Component.DETECTORS);
        assertThat(grants).as("nobody but the detectors writes findings")
                .filteredOn(g -> g.name().equals("prod.findings") && g.operations().contains(AclOperation.WRITE))
                .extracting(KafkaAcls.Grant::component).containsExactly(KafkaSecurity.Component.DETECTORS);
        assertThat(grants).as("the detectors' internal topics, by prefix")
                .anySatisfy(g -> {
                    assertThat(g.type()).isEqualTo(ResourceType.TOPIC);
                    assertThat(g.name()).isEqualTo("prod-detect-");
                    assertThat(g.pattern()).isEqualTo(PatternType.PREFIXED);
                    assertThat(g.operations()).contains(AclOperation.CREATE).doesNotContain(AclOperation.ALL);
                });
        assertThat(grants).noneMatch(g -> g.operations().contains(AclOperation.ALL) || g.type() == ResourceType.CLUSTER);
    }

    @Test
    void printedAsKafkaAclsCommandsAndStrimziUsers() throws Exception {
        BulwarkConfig config = config();
        var users = SecurityCommand.users(config);
        String kafka = KafkaAcls.kafkaAclsCommands(KafkaAcls.grants(config), users);
        assertThat(kafka).contains("--allow-principal User:bulwark-ingest --operation Write --operation Describe --topic prod.events")
                .contains("--allow-principal User:bulwark-detectors --operation Write --operation Describe --transactional-id prod-detect --resource-pattern-type prefixed");
        String strimzi = KafkaAcls.strimziUsers(KafkaAcls.grants(config), users, "prod-kafka");
        assertThat(strimzi).contains("kind: KafkaUser", "name: bulwark-sink", "strimzi.io/cluster: prod-kafka",
                "type: scram-sha-512", "type: transactionalId", "operations: [Read, Describe]");
        assertThat(strimzi.split("kind: KafkaUser", -1)).hasSize(8); // ingest, detectors, sink, rules, context, api, notify
        assertThat(KafkaAcls.bindings(KafkaAcls.grants(config), users)).allSatisfy(b -> assertThat(b.entry().principal())
                .startsWith("User:bulwark-"));
    }

    @Test
    void theSecurityGuideShowsTheAclsOfTheDefaultConfiguration() throws Exception {
        BulwarkConfig defaults = BulwarkConfig.load(null, Map.of());
        String table = SecurityCommand.table(KafkaAcls.grants(defaults), SecurityCommand.users(defaults));
        String guide = java.nio.file.Files.readString(java.nio.file.Path.of("../docs/security.md"));
        assertThat(guide).as("docs/security.md: paste the output of ./bulwark security acls (default configuration)")
                .contains(table);
    }

    @Test
    void theLocalSecuredStackDefinesTheSameElasticsearchRolesAsEsRoles() throws Exception {
        String script = java.nio.file.Files.readString(java.nio.file.Path.of("../deploy/local/stack.sh"));
        assertThat(script).as("deploy/local/stack.sh roles.yml: paste ElasticsearchRoles.rolesYaml(\"*-findings\")")
                .contains(ElasticsearchRoles.rolesYaml("*-findings"));
        assertThat(ElasticsearchRoles.rolesYaml("prod-findings")).contains("names: [\"prod-findings*\"]")
                .doesNotContain("delete_index").doesNotContain("all");
        assertThat(ElasticsearchRoles.roleRequests("prod-findings")).contains("PUT _security/role/bulwark_api")
                .contains("\"privileges\": [\"read\", \"view_index_metadata\", \"index\"]");
        // Compliance snapshots are history: the API reads them and can change none.
        var api = ElasticsearchRoles.roles("bulwark", "prod-findings").get(1);
        assertThat(api.indices()).contains(new ElasticsearchRoles.IndexGrant("prod-compliance*",
                java.util.List.of("read", "view_index_metadata")));
    }
}
