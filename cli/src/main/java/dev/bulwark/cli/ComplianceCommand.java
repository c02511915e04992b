package dev.bulwark.cli;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import co.elastic.clients.elasticsearch._types.FieldValue;
import co.elastic.clients.elasticsearch._types.query_dsl.Query;
import dev.bulwark.compliance.ControlCatalogue;
import dev.bulwark.compliance.report.ComplianceReport;
import dev.bulwark.compliance.report.ReportRenderer;
import dev.bulwark.sink.ComplianceIndex;
import dev.bulwark.sink.ComplianceQuery;
import dev.bulwark.sink.FindingIndex;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code bulwark compliance report}: one framework's posture from the snapshots in Elasticsearch, per control with the
 * failing resources and a 30-day trend, as JSON, HTML or PDF.
 *
 * <p>Why the same model everywhere: the API, the console and this command hand the same snapshots to
 * {@link ComplianceReport}, so a report printed here says what the console shows.
 */
@Command(name = "compliance", mixinStandardHelpOptions = true,
        description = "Compliance posture (docs/compliance.md).",
        subcommands = {ComplianceCommand.Report.class})
final class ComplianceCommand implements Callable<Integer> {

    @ParentCommand
    BulwarkCommand parent;

    @Override
    public Integer call() {
        System.err.println("bulwark compliance: say what to do: report (see --help)");
        return 2;
    }

    @Command(name = "report", mixinStandardHelpOptions = true,
            description = {"One framework's posture, per control: namespaces passing and failing, failing resources,"
                    + " and the trend of the last 30 days.",
                    "Reads the snapshots in Elasticsearch as the API's user."})
    static final class Report implements Callable<Integer> {

        @ParentCommand
        ComplianceCommand compliance;

        @Option(names = "--framework", required = true,
                description = "pss-baseline, pss-restricted, cis or nsa.")
        String framework;

        @Option(names = "--tenant", description = "Only this tenant's namespaces (default: every tenant and the "
                + "cluster-wide results).")
        String tenant;

        @Option(names = "--namespace", description = "Only this namespace.")
        String namespace;

        @Option(names = "--format", defaultValue = "json", description = "json (default), html or pdf.")
        String format;

        @Option(names = {"-o", "--output"}, description = "Write to this file instead of standard output (required "
                + "for pdf).")
        Path output;

        @Override
        public Integer call() throws Exception {
            ControlCatalogue catalogue = ControlCatalogue.shipped();
            if (!catalogue.frameworks().contains(framework)) {
                System.err.println("bulwark: unknown framework '" + framework + "': use one of "
                        + String.join(", ", catalogue.frameworks()));
                return 2;
            }
            if (!List.of("json", "html", "pdf").contains(format)) {
                System.err.println("bulwark: --format takes json, html or pdf");
                return 2;
            }
            if ("pdf".equals(format) && output == null) {
                System.err.println("bulwark: a PDF goes to a file: add --output report.pdf");
                return 2;
            }
            if (tenant != null && !tenant.matches("[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?")) {
                System.err.println("bulwark: --tenant '" + tenant + "' is not a tenant name");
                return 2;
            }
            BulwarkConfig config = compliance.parent.config();
            ComplianceIndex index = ComplianceIndex.forFindings(new FindingIndex(config.elasticsearch.indexPrefix));
            Query scope = tenant == null ? null
                    : Query.of(q -> q.term(t -> t.field("tenant.name").value(FieldValue.of(tenant))));
            Instant now = Clock.systemUTC().instant();
            ComplianceQuery.History history;
            ElasticsearchClient client = config.elasticsearchClient(BulwarkConfig.EsUser.API);
            try {
                history = new ComplianceQuery(framework, scope, namespace, ComplianceReport.TREND_DAYS + 1)
                        .run(client, index, now);
            } catch (java.io.IOException | RuntimeException e) {
                System.err.println("bulwark: cannot read the compliance snapshots from Elasticsearch at "
                        + config.elasticsearch.url + " (" + e.getMessage() + "). Is the stack up (./bulwark local up) "
                        + "and the API user allowed to read " + index.prefix() + "*?");
                return 1;
            } finally {
                client._transport().close();
            }
            if (history.latest() == null) {
                System.err.println("bulwark: no compliance snapshot of " + framework + " yet"
                        + (tenant == null ? "" : " for tenant " + tenant) + ": the detectors take the first one within "
                        + config.detection.complianceInterval + " of starting, once tenant context has arrived.");
                return 1;
            }
            ComplianceReport report = ComplianceReport.of(catalogue, framework, tenant, history.latest(),
                    history.daily(), now);
            OutputStream out = output == null ? System.out : Files.newOutputStream(output);
            try {
                switch (format) {
                    case "pdf" -> ReportRenderer.pdf(report, out);
                    case "html" -> out.write(ReportRenderer.html(report).getBytes(StandardCharsets.UTF_8));
                    default -> out.write((ReportRenderer.json(report) + "\n").getBytes(StandardCharsets.UTF_8));
                }
                out.flush();
            } finally {
                if (output != null) {
                    out.close();
                }
            }
            if (output != null) {
                System.err.println("bulwark: wrote the " + framework + " report of " + report.snapshotAt() + " to "
                        + output);
            }
            return 0;
        }
    }
}
