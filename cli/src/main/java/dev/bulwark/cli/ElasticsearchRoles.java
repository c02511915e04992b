package dev.bulwark.cli;

/**
 * Bulwark's least-privilege roles in Elasticsearch: one for the sink, one for the query API.
 *
 * <p>Why: the sink and the API hold credentials on hosts an attacker may reach. The sink may write findings and manage
 * their indices, template and aliases, and nothing else; the API may read findings and record triage (an update of
 * a finding), and nothing else; neither can read or change any other index, or administer the cluster. The roles are
 * printed as a {@code roles.yml} (file-based roles, which the local secured stack uses) or as the bodies of
 * {@code PUT _security/role/<name>} requests for clusters with the native realm.
 */
final class ElasticsearchRoles {

    static final String SINK_ROLE = "bulwark_sink";
    static final String API_ROLE = "bulwark_api";

    private ElasticsearchRoles() {
    }

    /** The roles as {@code roles.yml} for indices whose names start with {@code indexPrefix}. */
    static String rolesYaml(String indexPrefix) {
        return """
                # Bulwark's roles (bulwark security es-roles): the sink writes findings, the API reads them.
                %s:
                  cluster: [manage_index_templates, monitor]
                  indices:
                    - names: ["%s*"]
                      privileges: [create_index, write, manage, view_index_metadata]
                %s:
                  cluster: [monitor]
                  indices:
                    - names: ["%s*"]
                      privileges: [read, view_index_metadata, index]
                """.formatted(SINK_ROLE, indexPrefix, API_ROLE, indexPrefix);
    }

    /** The roles as {@code PUT _security/role/<name>} requests (Dev Tools console syntax). */
    static String roleRequests(String indexPrefix) {
        return """
                PUT _security/role/%s
                {"cluster": ["manage_index_templates", "monitor"],
                 "indices": [{"names": ["%s*"], "privileges": ["create_index", "write", "manage", "view_index_metadata"]}]}

                PUT _security/role/%s
                {"cluster": ["monitor"],
                 "indices": [{"names": ["%s*"], "privileges": ["read", "view_index_metadata", "index"]}]}
                """.formatted(SINK_ROLE, indexPrefix, API_ROLE, indexPrefix);
    }
}
