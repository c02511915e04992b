package dev.bulwark.cli;

import java.util.List;

import dev.bulwark.sink.ComplianceIndex;
import dev.bulwark.sink.FindingIndex;

/**
 * Bulwark's least-privilege roles in Elasticsearch: one for the sink, one for the query API.
 *
 * <p>Why: the sink and the API hold credentials on hosts an attacker may reach. The sink may write findings and
 * compliance snapshots and shadow rules' findings and manage their indices, templates and aliases, and nothing else;
 * the API may read findings and record triage (an update of a finding), and read compliance snapshots and shadow
 * findings, and nothing else; neither can read or change any other index, or administer the cluster. The roles are
 * printed as a {@code roles.yml} (file-based roles, which the local secured stack uses) or as the bodies of
 * {@code PUT _security/role/<name>} requests, and created through the API by {@code bulwark security es-setup}
 * ({@link ElasticsearchSetup}); all three come from {@link #roles}.
 */
final class ElasticsearchRoles {

    static final String SINK_ROLE = "bulwark_sink";
    static final String API_ROLE = "bulwark_api";

    /**
     * One role.
     *
     * @param user the Elasticsearch user of Bulwark that holds it ({@code sink} or {@code api})
     * @param name the role's name
     * @param cluster cluster privileges
     * @param indices its privileges, per index pattern
     */
    record Role(BulwarkConfig.EsUser user, String name, List<String> cluster, List<IndexGrant> indices) {
    }

    /**
     * Privileges on the indices matching a pattern.
     *
     * @param pattern the indices it covers
     * @param privileges its privileges on them
     */
    record IndexGrant(String pattern, List<String> privileges) {
    }

    private ElasticsearchRoles() {
    }

    /**
     * The sink's and the API's roles, named {@code <namePrefix>_sink} and {@code <namePrefix>_api}, over the findings
     * indices ({@code indexPrefix*}), the compliance indices ({@link ComplianceIndex#prefixFor}), the shadow findings'
     * indices ({@link FindingIndex#shadowPrefixFor}), the entity index ({@link dev.bulwark.sink.EntityIndex#prefixFor})
     * and the incident index ({@link dev.bulwark.sink.IncidentIndex#prefixFor}).
     */
    static List<Role> roles(String namePrefix, String indexPrefix) {
        String compliance = ComplianceIndex.prefixFor(indexPrefix) + "*";
        String entities = dev.bulwark.sink.EntityIndex.prefixFor(indexPrefix) + "*";
        String shadow = FindingIndex.shadowPrefixFor(indexPrefix) + "*";
        String incidents = dev.bulwark.sink.IncidentIndex.prefixFor(indexPrefix) + "*";
        List<String> owns = List.of("create_index", "write", "manage", "view_index_metadata");
        List<String> reads = List.of("read", "view_index_metadata");
        return List.of(
                new Role(BulwarkConfig.EsUser.SINK, namePrefix + "_sink", List.of("manage_index_templates", "monitor"),
                        List.of(new IndexGrant(indexPrefix + "*", owns), new IndexGrant(compliance, owns),
                                new IndexGrant(shadow, owns), new IndexGrant(entities, owns),
                                new IndexGrant(incidents, owns))),
                new Role(BulwarkConfig.EsUser.API, namePrefix + "_api", List.of("monitor"),
                        List.of(new IndexGrant(indexPrefix + "*", List.of("read", "view_index_metadata", "index")),
                                new IndexGrant(compliance, reads), new IndexGrant(shadow, reads),
                                new IndexGrant(entities, reads),
                                new IndexGrant(incidents, List.of("read", "view_index_metadata", "index")))));
    }

    /** The roles as {@code roles.yml} for indices whose names start with {@code indexPrefix}. */
    static String rolesYaml(String indexPrefix) {
        StringBuilder out = new StringBuilder(
                "# Bulwark's roles (bulwark security es-roles): the sink writes findings, compliance snapshots, "
                        + "shadow findings, entity risk and incidents, the API reads them (and triages findings and incidents).\n");
        for (Role role : roles("bulwark", indexPrefix)) {
            out.append(role.name()).append(":\n")
                    .append("  cluster: [").append(String.join(", ", role.cluster())).append("]\n")
                    .append("  indices:\n");
            for (IndexGrant grant : role.indices()) {
                out.append("    - names: [\"").append(grant.pattern()).append("\"]\n")
                        .append("      privileges: [").append(String.join(", ", grant.privileges())).append("]\n");
            }
        }
        return out.toString();
    }

    /** The roles as {@code PUT _security/role/<name>} requests (Dev Tools console syntax). */
    static String roleRequests(String indexPrefix) {
        StringBuilder out = new StringBuilder();
        for (Role role : roles("bulwark", indexPrefix)) {
            if (out.length() > 0) {
                out.append('\n');
            }
            out.append("PUT _security/role/").append(role.name()).append('\n')
                    .append("{\"cluster\": ").append(jsonList(role.cluster())).append(",\n")
                    .append(" \"indices\": [");
            for (int i = 0; i < role.indices().size(); i++) {
                IndexGrant grant = role.indices().get(i);
                out.append(i == 0 ? "" : ",\n              ").append("{\"names\": [\"").append(grant.pattern())
                        .append("\"], \"privileges\": ").append(jsonList(grant.privileges())).append('}');
            }
            out.append("]}\n");
        }
        return out.toString();
    }

    private static String jsonList(List<String> values) {
        return "[\"" + String.join("\", \"", values) + "\"]";
    }
}
