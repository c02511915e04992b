package dev.bulwark.cli;

import java.util.List;

/**
 * Bulwark's least-privilege roles in Elasticsearch: one for the sink, one for the query API.
 *
 * <p>Why: the sink and the API hold credentials on hosts an attacker may reach. The sink may write findings and manage
 * their indices, template and aliases, and nothing else; the API may read findings and record triage (an update of
 * a finding), and nothing else; neither can read or change any other index, or administer the cluster. The roles are
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
     * @param indexPattern the indices it covers
     * @param indexPrivileges its privileges on them
     */
    record Role(BulwarkConfig.EsUser user, String name, List<String> cluster, String indexPattern,
                List<String> indexPrivileges) {
    }

    private ElasticsearchRoles() {
    }

    /** The sink's and the API's roles, named {@code <namePrefix>_sink} and {@code <namePrefix>_api}. */
    static List<Role> roles(String namePrefix, String indexPrefix) {
        return List.of(
                new Role(BulwarkConfig.EsUser.SINK, namePrefix + "_sink", List.of("manage_index_templates", "monitor"),
                        indexPrefix + "*", List.of("create_index", "write", "manage", "view_index_metadata")),
                new Role(BulwarkConfig.EsUser.API, namePrefix + "_api", List.of("monitor"),
                        indexPrefix + "*", List.of("read", "view_index_metadata", "index")));
    }

    /** The roles as {@code roles.yml} for indices whose names start with {@code indexPrefix}. */
    static String rolesYaml(String indexPrefix) {
        StringBuilder out = new StringBuilder(
                "# Bulwark's roles (bulwark security es-roles): the sink writes findings, the API reads them.\n");
        for (Role role : roles("bulwark", indexPrefix)) {
            out.append(role.name()).append(":\n")
                    .append("  cluster: [").append(String.join(", ", role.cluster())).append("]\n")
                    .append("  indices:\n")
                    .append("    - names: [\"").append(role.indexPattern()).append("\"]\n")
                    .append("      privileges: [").append(String.join(", ", role.indexPrivileges())).append("]\n");
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
                    .append(" \"indices\": [{\"names\": [\"").append(role.indexPattern()).append("\"], \"privileges\": ")
                    .append(jsonList(role.indexPrivileges())).append("}]}\n");
        }
        return out.toString();
    }

    private static String jsonList(List<String> values) {
        return "[\"" + String.join("\", \"", values) + "\"]";
    }
}
