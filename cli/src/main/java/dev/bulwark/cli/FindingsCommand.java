package dev.bulwark.cli;

import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import dev.bulwark.api.ApiException;
import dev.bulwark.api.FindingsService;
import dev.bulwark.api.QueryParams;
import dev.bulwark.sink.FindingDocument;
import dev.bulwark.sink.FindingIndex;
import dev.bulwark.sink.FindingSearch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code bulwark findings}: search findings from the terminal, directly in Elasticsearch or through the query API.
 *
 * <p>Why: the options are the query API's parameters under the same names and go through the same validation
 * ({@link FindingsService#search}), so the CLI, the API and the console always agree on what a filter means.
 */
@Command(name = "findings", mixinStandardHelpOptions = true,
        description = {"Search findings, newest first, as a table or as JSON lines.",
                "Reads Elasticsearch directly, or the query API with --api URL --token T (or BULWARK_API_TOKEN)."})
final class FindingsCommand implements Callable<Integer> {

    @ParentCommand
    BulwarkCommand parent;

    @Option(names = "--tenant", description = "Only this tenant's findings.")
    String tenant;

    @Option(names = "--severity", description = "low, medium, high or critical (comma-separated for several).")
    String severity;

    @Option(names = "--rule", description = "Rule id or exact rule name.")
    String rule;

    @Option(names = "--namespace", description = "Kubernetes namespace.")
    String namespace;

    @Option(names = "--pod", description = "Kubernetes pod.")
    String pod;

    @Option(names = "--image", description = "Container image.")
    String image;

    @Option(names = "--status", description = "Triage status: open, acknowledged, resolved, false_positive (comma-separated).")
    String status;

    @Option(names = "--isolation", description = "Only isolation violations.")
    boolean isolation;

    @Option(names = "--since", description = "Only findings last seen within this period (30m, 1h, 7d) or since an "
            + "ISO-8601 instant.")
    String since;

    @Option(names = "--until", description = "Only findings last seen before this instant or period ago.")
    String until;

    @Option(names = {"-q", "--query"}, description = "Free text (summary, rule, command line, pod, image, user).")
    String query;

    @Option(names = "--sort", defaultValue = "newest", description = "newest, oldest, risk or count (default ${DEFAULT-VALUE}).")
    String sort;

    @Option(names = "--limit", defaultValue = "50", description = "Maximum findings shown, 1-500 (default ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--json", description = "Print one JSON document per line.")
    boolean json;

    @Option(names = "--api", description = "Query API base URL, e.g. http://127.0.0.1:8080 (default: read Elasticsearch).")
    String api;

    @Option(names = "--token", description = "Bearer token for --api (default: $BULWARK_API_TOKEN).")
    String token;

    /** The options as query API parameters. */
    Map<String, String> parameters() {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("tenant", tenant);
        params.put("severity", severity);
        params.put("rule", rule);
        params.put("namespace", namespace);
        params.put("pod", pod);
        params.put("image", image);
        params.put("status", status);
        params.put("isolation", isolation ? "true" : null);
        params.put("from", since);
        params.put("to", until);
        params.put("q", query);
        params.put("sort", sort);
        params.put("size", Integer.toString(limit));
        params.values().removeIf(java.util.Objects::isNull);
        return params;
    }

    @Override
    public Integer call() throws Exception {
        BulwarkConfig config = parent.config();
        Map<String, String> params = parameters();
        List<JsonNode> findings = api != null ? viaApi(params) : direct(config, params);
        if (json) {
            ObjectMapper mapper = new ObjectMapper();
            for (JsonNode finding : findings) {
                System.out.println(mapper.writeValueAsString(finding));
            }
        } else {
            printRows(findings, System.out);
        }
        return 0;
    }

    private List<JsonNode> direct(BulwarkConfig config, Map<String, String> params) throws Exception {
        FindingIndex index = new FindingIndex(config.elasticsearch.indexPrefix);
        FindingSearch search;
        try {
            search = new FindingsService(null, index, Clock.systemUTC())
                    .search(QueryParams.of(params, FindingsService.SEARCH_PARAMS));
        } catch (ApiException e) {
            throw new IllegalArgumentException(e.getMessage().replace("size must", "--limit must"), e);
        }
        ElasticsearchClient client = config.elasticsearchClient(BulwarkConfig.EsUser.API);
        try {
            ObjectMapper mapper = new ObjectMapper();
            List<JsonNode> rows = new ArrayList<>();
            for (FindingSearch.Found found : search.page(client, index.alias(), null).hits()) {
                rows.add(mapper.valueToTree(found.document()));
            }
            return rows;
        } catch (java.net.ConnectException e) {
            throw new IllegalStateException("cannot reach Elasticsearch at " + config.elasticsearch.url
                    + "; start the stack with ./bulwark local up or set BULWARK_ES_URL", e);
        } finally {
            client._transport().close();
        }
    }

    private List<JsonNode> viaApi(Map<String, String> params) throws Exception {
        String bearer = token != null ? token : System.getenv("BULWARK_API_TOKEN");
        if (bearer == null || bearer.isBlank()) {
            throw new IllegalArgumentException("--api needs a token: --token T or BULWARK_API_TOKEN");
        }
        String queryString = params.entrySet().stream()
                .map(e -> e.getKey() + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        URI uri = URI.create(api.replaceAll("/+$", "") + "/api/findings?" + queryString);
        HttpResponse<String> response;
        try {
            response = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build().send(
                    HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + bearer)
                            .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (java.net.ConnectException e) {
            throw new IllegalStateException("cannot reach the query API at " + api + "; start it with ./bulwark serve", e);
        }
        JsonNode body = new ObjectMapper().readTree(response.body());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("the query API answered " + response.statusCode() + ": "
                    + body.at("/error/message").asText("(no message)"));
        }
        List<JsonNode> rows = new ArrayList<>();
        body.get("findings").forEach(rows::add);
        return rows;
    }

    /** A readable table of finding documents. */
    static void printTable(List<FindingDocument> docs, PrintStream out) {
        ObjectMapper mapper = new ObjectMapper();
        printRows(docs.stream().<JsonNode>map(mapper::valueToTree).toList(), out);
    }

    /** A readable table of findings as JSON (a document or an API response item). */
    static void printRows(List<JsonNode> findings, PrintStream out) {
        if (findings.isEmpty()) {
            out.println("no findings match");
            return;
        }
        String format = "%-24s %-8s %-12s %-13s %-40s %s%n";
        out.printf(format, "LAST SEEN", "SEVERITY", "TENANT", "STATUS", "RULE", "SUMMARY");
        for (JsonNode f : findings) {
            out.printf(format, text(f.get("@timestamp"), 24), text(f.at("/finding/severity"), 8),
                    text(f.at("/tenant/name"), 12), f.at("/triage/status").isMissingNode() ? "open"
                            : text(f.at("/triage/status"), 13),
                    text(f.at("/rule/name"), 40), text(f.get("message"), 120));
        }
        out.println(findings.size() + " finding(s)");
    }

    private static String text(JsonNode node, int width) {
        if (node == null || node.isMissingNode() || node.isNull()) {
            return "-";
        }
        // Finding fields are attacker-influenced: no terminal control sequences reach the terminal.
        String value = node.asText().replaceAll("\\p{Cntrl}", "?");
        return value.length() > width ? value.substring(0, width - 1) + "…" : value;
    }
}
