package dev.bulwark.cli;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.ObjectMapper;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import dev.bulwark.sink.ElasticsearchClients;
import dev.bulwark.sink.FindingDocument;
import dev.bulwark.sink.FindingIndex;
import dev.bulwark.sink.FindingSearch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code bulwark findings}: search findings in Elasticsearch from the terminal. */
@Command(name = "findings", mixinStandardHelpOptions = true,
        description = "Search findings in Elasticsearch, newest first, as a table or as JSON lines.")
final class FindingsCommand implements Callable<Integer> {

    @ParentCommand
    BulwarkCommand parent;

    @Option(names = "--tenant", description = "Only this tenant's findings.")
    String tenant;

    @Option(names = "--severity", description = "low, medium, high or critical.")
    String severity;

    @Option(names = "--rule", description = "Rule id or exact rule name.")
    String rule;

    @Option(names = "--since", description = "Only findings seen within this period, e.g. 30m, 1h, 7d.")
    String since;

    @Option(names = {"-q", "--query"}, description = "Free text in the summary or rule name.")
    String query;

    @Option(names = "--limit", defaultValue = "50", description = "Maximum findings shown (default ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--json", description = "Print one JSON document per line.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        BulwarkConfig config = parent.config();
        if (severity != null && !List.of("low", "medium", "high", "critical").contains(severity.toLowerCase(Locale.ROOT))) {
            throw new IllegalArgumentException("--severity must be low, medium, high or critical, got " + severity);
        }
        FindingSearch search = new FindingSearch(tenant, severity == null ? null : severity.toLowerCase(Locale.ROOT), rule,
                since == null ? null : Instant.now().minus(parseDuration(since)), query, limit);
        ElasticsearchClient client = ElasticsearchClients.create(config.elasticsearch.url, config.elasticsearch.username,
                config.elasticsearch.password, config.elasticsearch.apiKey);
        try {
            List<FindingDocument> docs = search.run(client, new FindingIndex(config.elasticsearch.indexPrefix));
            if (json) {
                ObjectMapper mapper = new ObjectMapper();
                for (FindingDocument doc : docs) {
                    System.out.println(mapper.writeValueAsString(doc));
                }
            } else {
                printTable(docs, System.out);
            }
        } catch (java.net.ConnectException e) {
            throw new IllegalStateException("cannot reach Elasticsearch at " + config.elasticsearch.url
                    + "; start the stack with ./bulwark local up or set BULWARK_ES_URL", e);
        } finally {
            client._transport().close();
        }
        return 0;
    }

    /** Parses {@code 90s}, {@code 30m}, {@code 1h}, {@code 7d}. */
    static Duration parseDuration(String text) {
        var matcher = java.util.regex.Pattern.compile("(\\d{1,9})([smhd])").matcher(text.strip());
        if (!matcher.matches()) {
            throw new IllegalArgumentException("--since takes a number and a unit (s, m, h, d), e.g. 1h; got " + text);
        }
        long amount = Long.parseLong(matcher.group(1));
        return switch (matcher.group(2)) {
            case "s" -> Duration.ofSeconds(amount);
            case "m" -> Duration.ofMinutes(amount);
            case "h" -> Duration.ofHours(amount);
            default -> Duration.ofDays(amount);
        };
    }

    /** A readable table of findings. */
    static void printTable(List<FindingDocument> docs, PrintStream out) {
        if (docs.isEmpty()) {
            out.println("no findings match");
            return;
        }
        String format = "%-24s %-8s %-12s %-40s %s%n";
        out.printf(format, "LAST SEEN", "SEVERITY", "TENANT", "RULE", "SUMMARY");
        for (FindingDocument doc : docs) {
            out.printf(format, doc.timestamp(), doc.finding().severity(), clip(doc.tenant().name(), 12),
                    clip(doc.rule().name(), 40), clip(doc.message(), 120));
        }
        out.println(docs.size() + " finding(s)");
    }

    private static String clip(String value, int width) {
        if (value == null) {
            return "-";
        }
        return value.length() > width ? value.substring(0, width - 1) + "…" : value;
    }
}
