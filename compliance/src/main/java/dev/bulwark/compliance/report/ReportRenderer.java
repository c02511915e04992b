package dev.bulwark.compliance.report;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;

import org.w3c.dom.Document;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.openhtmltopdf.outputdevice.helper.ExternalResourceControlPriority;
import com.openhtmltopdf.pdfboxout.PdfRendererBuilder;
import com.openhtmltopdf.svgsupport.BatikSVGDrawer;
import com.openhtmltopdf.svgsupport.BatikSVGDrawer.SvgExternalResourceMode;
import com.openhtmltopdf.svgsupport.BatikSVGDrawer.SvgScriptMode;
import com.openhtmltopdf.util.XRLog;

import dev.bulwark.compliance.report.ComplianceReport.ControlRow;
import dev.bulwark.compliance.report.ComplianceReport.Day;
import dev.bulwark.compliance.report.ComplianceReport.FailingResource;

/**
 * A {@link ComplianceReport} as JSON, as one self-contained XHTML document (inline CSS and SVG charts, no script, no
 * external resource) and as PDF laid out from that same document.
 *
 * <p>Every text from the report (titles, tenants, namespaces, resource names) is escaped; characters XML cannot hold
 * become U+FFFD and a text longer than {@value #MAX_TEXT} characters is cut (Kubernetes names are at most 253).
 */
public final class ReportRenderer {

    /** Longest text from data shown in HTML and PDF; JSON keeps it whole. */
    static final int MAX_TEXT = 512;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'")
            .withZone(ZoneOffset.UTC);

    static {
        XRLog.setLoggerImpl(new PdfLog());
    }

    private ReportRenderer() {
    }

    /** The report as JSON, with the field names {@code docs/compliance.md} lists. */
    public static String json(ComplianceReport report) {
        try {
            return JSON.writeValueAsString(report);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("the report cannot be written as JSON", e);
        }
    }

    /** The report as a PDF: {@link #html} laid out on A4 pages, the charts drawn as vectors. */
    public static byte[] pdf(ComplianceReport report) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        pdf(report, out);
        return out.toByteArray();
    }

    /** Writes the report as a PDF to {@code out} (left open). */
    public static void pdf(ComplianceReport report, OutputStream out) {
        Document document = parse(html(report));
        PdfRendererBuilder builder = new PdfRendererBuilder();
        builder.useFastMode();
        builder.withW3cDocument(document, "about:blank");
        builder.useSVGDrawer(new BatikSVGDrawer(SvgScriptMode.SECURE, SvgExternalResourceMode.SECURE));
        // The document is self-contained: nothing may be fetched while laying it out.
        builder.useExternalResourceAccessControl((uri, type) -> false,
                ExternalResourceControlPriority.RUN_BEFORE_RESOLVING_URI);
        builder.useExternalResourceAccessControl((uri, type) -> false,
                ExternalResourceControlPriority.RUN_AFTER_RESOLVING_URI);
        builder.withProducer("Bulwark");
        builder.toStream(out);
        try {
            builder.run();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Document parse(String xhtml) {
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setNamespaceAware(true);
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            factory.setFeature("http://xml.org/sax/features/external-general-entities", false);
            factory.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
            factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
            factory.setExpandEntityReferences(false);
            DocumentBuilder builder = factory.newDocumentBuilder();
            return builder.parse(new InputSource(new StringReader(xhtml)));
        } catch (ParserConfigurationException | SAXException | IOException e) {
            throw new IllegalStateException("the report's XHTML is not well-formed", e);
        }
    }

    /** The report as one self-contained, well-formed XHTML document. */
    public static String html(ComplianceReport report) {
        String scope = report.tenant() == null ? "every tenant and cluster-wide results"
                : "tenant " + report.tenant();
        int failing = 0;
        int passing = 0;
        int none = 0;
        for (ControlRow row : report.controls()) {
            switch (row.status()) {
                case "fail" -> failing++;
                case "pass" -> passing++;
                default -> none++;
            }
        }
        StringBuilder h = new StringBuilder(16_384);
        h.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE html>\n")
                .append("<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\" xml:lang=\"en\">\n<head>\n")
                .append("<meta charset=\"UTF-8\"/>\n")
                .append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; ")
                .append("style-src 'unsafe-inline'\"/>\n")
                .append("<title>Bulwark compliance report: ").append(text(report.frameworkTitle())).append(" (")
                .append(text(scope)).append(")</title>\n")
                .append("<style>\n").append(CSS).append("</style>\n</head>\n<body>\n");

        h.append("<h1>").append(text(report.frameworkTitle())).append("</h1>\n");
        h.append("<table class=\"meta\">\n");
        meta(h, "Framework", "<code>" + text(report.framework()) + "</code>");
        meta(h, "Scope", report.tenant() == null ? "Every tenant, and cluster-wide results"
                : "Tenant <strong>" + text(report.tenant()) + "</strong> (its namespaces only)");
        meta(h, "Snapshot", text(time(report.snapshotAt())));
        meta(h, "Generated", text(time(report.generatedAt())));
        meta(h, "Controls", "<span class=\"fail\">" + failing + " failing</span>, <span class=\"pass\">" + passing
                + " passing</span>, " + none + " with nothing to judge");
        h.append("</table>\n");

        h.append("<h2>Trend, ").append(report.trendFrom()).append(" to ").append(report.trendTo())
                .append(" (UTC)</h2>\n<div class=\"chart\">")
                .append(TrendChart.lines(report.trend(), "Results passing and failing per day, all controls"))
                .append("</div>\n");
        h.append("<p class=\"legend\"><span class=\"key pass-bg\">&#160;</span> passing "
                + "<span class=\"key fail-bg\">&#160;</span> failing "
                + "<span class=\"key none-bg\">&#160;</span> nothing to judge; per day (UTC) the state of the "
                + "day's last snapshot, or the one before; results are namespaces")
                .append(report.tenant() == null ? " and the cluster-wide result" : "").append(".</p>\n");

        h.append("<h2>Controls</h2>\n<table class=\"controls\">\n<thead><tr><th class=\"id\">Control</th>")
                .append("<th>Title</th><th class=\"status\">Status</th><th class=\"n\">Pass</th>")
                .append("<th class=\"n\">Fail</th><th class=\"n\">None</th><th class=\"spark\">30 days</th>")
                .append("</tr></thead>\n<tbody>\n");
        for (ControlRow row : report.controls()) {
            h.append("<tr><td class=\"id\">").append(text(row.id())).append("</td><td class=\"wrap\">")
                    .append(text(row.title())).append("</td><td class=\"status ").append(row.status())
                    .append("\">").append(statusLabel(row)).append("</td><td class=\"n\">")
                    .append(row.passing()).append("</td><td class=\"n\">").append(row.failing())
                    .append("</td><td class=\"n\">").append(row.none()).append("</td><td class=\"spark\">")
                    .append(TrendChart.bars(row.trend(), "Trend of control " + row.id()))
                    .append("</td></tr>\n");
        }
        h.append("</tbody>\n</table>\n");

        h.append("<h2>Control details</h2>\n");
        for (ControlRow row : report.controls()) {
            h.append("<div class=\"control\">\n<h3><span class=\"status-tag ").append(row.status()).append("\">")
                    .append(statusLabel(row)).append("</span> ").append(text(row.id())).append(": ")
                    .append(text(row.title())).append("</h3>\n<p class=\"about\">");
            h.append(row.passing()).append(" passing, ").append(row.failing()).append(" failing, ")
                    .append(row.none()).append(" with nothing to judge");
            if (row.clusterStatus() != null) {
                h.append("; cluster-wide: ").append(statusLabel(row.clusterStatus()));
            }
            if (!row.sources().isEmpty()) {
                h.append("; judged by ").append(text(String.join(", ", row.sources())));
            }
            h.append(".</p>\n");
            if (row.source() != null) {
                h.append("<p class=\"about wrap\">Source: ").append(text(row.source())).append("</p>\n");
            }
            if (row.note() != null) {
                h.append("<p class=\"about wrap\">").append(text(row.note())).append("</p>\n");
            }
            if (row.failingTotal() > 0 || !row.failingResources().isEmpty()) {
                h.append("<table class=\"resources\">\n<thead><tr>");
                if (report.tenant() == null) {
                    h.append("<th class=\"tenant\">Tenant</th>");
                }
                h.append("<th class=\"ns\">Namespace</th><th>Failing resource</th></tr></thead>\n<tbody>\n");
                for (FailingResource resource : row.failingResources()) {
                    h.append("<tr>");
                    if (report.tenant() == null) {
                        h.append("<td class=\"tenant wrap\">").append(text(resource.tenant() == null ? "(cluster)"
                                : resource.tenant())).append("</td>");
                    }
                    h.append("<td class=\"ns wrap\">").append(text(resource.namespace() == null ? "(cluster-wide)"
                            : resource.namespace())).append("</td><td class=\"wrap\">")
                            .append(text(resource.resource())).append("</td></tr>\n");
                }
                h.append("</tbody>\n</table>\n");
                int unlisted = row.failingTotal() - row.failingResources().size();
                if (unlisted > 0) {
                    h.append("<p class=\"about\">").append(unlisted).append(" more failing resources, ")
                            .append(row.failingTotal()).append(" in all.</p>\n");
                }
            }
            h.append("</div>\n");
        }
        h.append("<p class=\"footer\">Bulwark compliance report, framework ").append(text(report.framework()))
                .append(", snapshot ").append(text(time(report.snapshotAt()))).append(".</p>\n");
        return h.append("</body>\n</html>\n").toString();
    }

    private static void meta(StringBuilder h, String label, String valueXhtml) {
        h.append("<tr><th>").append(label).append("</th><td class=\"wrap\">").append(valueXhtml)
                .append("</td></tr>\n");
    }

    /** The control's status; "No results" when no result judged it at all. */
    private static String statusLabel(ControlRow row) {
        return row.passing() + row.failing() + row.none() == 0 ? "No results" : statusLabel(row.status());
    }

    private static String statusLabel(String status) {
        return switch (status) {
            case "fail" -> "Fail";
            case "pass" -> "Pass";
            default -> "None";
        };
    }

    private static String time(Instant at) {
        return TIME.format(at);
    }

    /** Data as text: cut to {@value #MAX_TEXT} characters, then escaped. */
    static String text(String value) {
        if (value == null) {
            return "";
        }
        if (value.length() > MAX_TEXT) {
            int cut = Character.isHighSurrogate(value.charAt(MAX_TEXT - 1)) ? MAX_TEXT - 1 : MAX_TEXT;
            value = value.substring(0, cut) + "\u2026 (" + (value.length() - cut) + " more characters)";
        }
        return escape(value);
    }

    /**
     * Escapes text for XHTML content and attribute values: {@code & < > " '} as references, and characters XML 1.0
     * cannot hold (controls other than tab, newline and return, lone surrogates, U+FFFE, U+FFFF) as U+FFFD.
     */
    static String escape(String value) {
        if (value == null) {
            return "";
        }
        StringBuilder out = new StringBuilder(value.length() + 16);
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> {
                    if (Character.isHighSurrogate(c) && i + 1 < value.length()
                            && Character.isLowSurrogate(value.charAt(i + 1))) {
                        out.append(c).append(value.charAt(++i));
                    } else if (Character.isSurrogate(c) || c < 0x20 && c != '\t' && c != '\n' && c != '\r'
                            || c == 0xFFFE || c == 0xFFFF) {
                        out.append('\uFFFD');
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }

    private static final String CSS = """
            @page { size: A4 landscape; margin: 14mm 12mm 16mm 12mm;
              @bottom-right { content: "Page " counter(page) " of " counter(pages); font-family: Helvetica, Arial, sans-serif;
                font-size: 8pt; color: #616161; } }
            body { font-family: Helvetica, Arial, sans-serif; font-size: 10pt; color: #212121; margin: 0 auto;
              max-width: 1200px; padding: 8px; }
            h1 { font-size: 18pt; margin: 0 0 8px 0; }
            h2 { font-size: 13pt; margin: 18px 0 6px 0; border-bottom: 1px solid #bdbdbd; }
            h3 { font-size: 11pt; margin: 12px 0 4px 0; }
            table { border-collapse: collapse; width: 100%; table-layout: fixed; }
            th, td { text-align: left; vertical-align: top; padding: 3px 6px; border-bottom: 1px solid #e0e0e0; }
            tr { page-break-inside: avoid; }
            thead { display: table-header-group; }
            table.meta { width: auto; }
            table.meta th { width: 90px; color: #616161; font-weight: normal; }
            .wrap, td { word-wrap: break-word; }
            th.id, td.id { width: 70px; }
            th.status, td.status { width: 70px; }
            th.n, td.n { width: 40px; text-align: right; }
            th.spark, td.spark { width: 190px; }
            th.tenant, td.tenant { width: 22%; }
            th.ns, td.ns { width: 22%; }
            .pass { color: #2e7d32; } .fail { color: #c62828; } .none { color: #616161; }
            td.status { font-weight: bold; }
            .status-tag { font-size: 9pt; padding: 1px 4px; border: 1px solid #bdbdbd; }
            .status-tag.fail { border-color: #c62828; }
            .status-tag.pass { border-color: #2e7d32; }
            .about { margin: 2px 0; color: #424242; }
            .legend { font-size: 9pt; color: #424242; }
            .key { display: inline-block; width: 10px; height: 10px; }
            .pass-bg { background: #2e7d32; } .fail-bg { background: #c62828; } .none-bg { background: #9e9e9e; }
            .control { page-break-inside: auto; }
            .footer { margin-top: 18px; font-size: 8pt; color: #757575; }
            code { font-family: Courier, monospace; }
            """;
}
