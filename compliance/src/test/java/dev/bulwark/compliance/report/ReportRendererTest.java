package dev.bulwark.compliance.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;

import javax.xml.parsers.DocumentBuilderFactory;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NamedNodeMap;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

class ReportRendererTest {

    static final String XHTML = "http://www.w3.org/1999/xhtml";
    static final String SVG = "http://www.w3.org/2000/svg";

    static Document parse(String xhtml) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        return factory.newDocumentBuilder().parse(new InputSource(new StringReader(xhtml)));
    }

    static List<Element> elements(Document document) {
        List<Element> all = new ArrayList<>();
        NodeList nodes = document.getElementsByTagNameNS("*", "*");
        for (int i = 0; i < nodes.getLength(); i++) {
            all.add((Element) nodes.item(i));
        }
        return all;
    }

    @Test
    void jsonHasTheDocumentedSnakeCaseFields() throws Exception {
        JsonNode json = new ObjectMapper().readTree(ReportRenderer.json(SampleReports.ordinary()));

        assertThat(fields(json)).containsExactlyInAnyOrder("framework", "framework_title", "tenant", "generated_at",
                "snapshot_at", "trend_from", "trend_to", "controls", "trend");
        assertThat(json.get("framework").asText()).isEqualTo("cis");
        assertThat(json.get("tenant").isNull()).isTrue();
        assertThat(json.get("generated_at").asText()).isEqualTo("2026-12-07T12:00:00Z");
        assertThat(json.get("snapshot_at").asText()).isEqualTo("2026-12-07T10:00:00Z");
        assertThat(json.get("trend_from").asText()).isEqualTo("2026-11-08");
        assertThat(json.get("trend_to").asText()).isEqualTo("2026-12-07");

        JsonNode control = null;
        for (JsonNode c : json.get("controls")) {
            if (c.get("id").asText().equals("5.2.2")) {
                control = c;
            }
        }
        assertThat(control).isNotNull();
        assertThat(fields(control)).containsExactlyInAnyOrder("id", "title", "source", "note", "status", "passing",
                "failing", "none", "cluster_status", "failing_resources", "failing_total", "sources", "trend");
        assertThat(control.get("status").asText()).isEqualTo("fail");
        assertThat(control.get("passing").asInt()).isEqualTo(5);
        assertThat(control.get("failing").asInt()).isEqualTo(3);
        assertThat(control.get("failing_total").asInt()).isEqualTo(3);
        assertThat(fields(control.get("failing_resources").get(0)))
                .containsExactlyInAnyOrder("tenant", "namespace", "resource");
        assertThat(control.get("failing_resources").findValuesAsText("resource"))
                .contains("pod/acme-db/postgres-0", "pod/globex-prod/miner");
        assertThat(control.get("trend")).hasSize(30);
        JsonNode day = control.get("trend").get(29);
        assertThat(fields(day)).containsExactlyInAnyOrder("day", "snapshot_at", "carried", "pass", "fail", "none");
        assertThat(day.get("day").asText()).isEqualTo("2026-12-07");
        assertThat(day.get("carried").asBoolean()).isFalse();
        assertThat(json.get("trend").get(29).get("fail").asInt()).isGreaterThan(0);
        assertThat(json.get("trend").get(0).get("snapshot_at").asText()).isEqualTo("2026-11-08T10:00:00Z");
    }

    @Test
    void jsonKeepsHostileNamesWholeAndExact() throws Exception {
        JsonNode json = new ObjectMapper().readTree(ReportRenderer.json(SampleReports.hostile()));
        List<String> resources = json.findValuesAsText("resource");
        assertThat(resources).contains(SampleReports.HOSTILE_RESOURCE, SampleReports.LONG_NAME);
        assertThat(json.findValuesAsText("tenant")).contains(SampleReports.SCRIPT_TENANT);
        assertThat(json.findValuesAsText("title")).contains(SampleReports.HOSTILE_TITLE);
    }

    @Test
    void htmlIsOneWellFormedSelfContainedXhtmlDocumentWithCharts() throws Exception {
        ComplianceReport report = SampleReports.ordinary();
        String html = ReportRenderer.html(report);
        Document document = parse(html);

        Element root = document.getDocumentElement();
        assertThat(root.getNamespaceURI()).isEqualTo(XHTML);
        assertThat(root.getLocalName()).isEqualTo("html");
        assertThat(document.getElementsByTagNameNS(XHTML, "title").item(0).getTextContent())
                .contains("CIS Kubernetes Benchmark");
        assertThat(document.getElementsByTagNameNS(XHTML, "h1").item(0).getTextContent())
                .isEqualTo(report.frameworkTitle());
        // One chart overall, one per control.
        assertThat(document.getElementsByTagNameNS(SVG, "svg").getLength()).isEqualTo(1 + report.controls().size());
        assertThat(document.getElementsByTagNameNS(SVG, "polyline").getLength()).isEqualTo(2);
        assertThat(document.getElementsByTagNameNS(SVG, "rect").getLength()).isGreaterThan(30 * 3);
        String text = root.getTextContent();
        assertThat(text).contains("5.2.2", "pod/acme-db/postgres-0", "pod/globex-prod/miner",
                "clusterrole/wildcard-admin", "Every tenant");
        assertSelfContained(document, html);
    }

    @Test
    void aTenantsHtmlNamesOnlyThatTenant() throws Exception {
        String html = ReportRenderer.html(SampleReports.ordinary("acme"));
        Document document = parse(html);
        String text = document.getDocumentElement().getTextContent();
        assertThat(text).contains("Tenant acme", "pod/acme-db/postgres-0").doesNotContain("globex", "clusterrole/");
    }

    @Test
    void everyTextFromDataIsEscaped() throws Exception {
        String html = ReportRenderer.html(SampleReports.hostile());
        Document document = parse(html);

        // The hostile strings are text, not markup.
        String text = document.getDocumentElement().getTextContent();
        assertThat(text).contains(SampleReports.SCRIPT_TENANT, SampleReports.HOSTILE_RESOURCE,
                SampleReports.HOSTILE_TITLE, "9.9\"><script>x</script>", "<b>bold</b>", SampleReports.QUOTED_NAMESPACE);
        assertThat(text).contains("pod/a&b\"c'd/nul\uFFFDbell\uFFFDlone\uFFFDend");
        assertThat(elements(document)).extracting(Element::getLocalName).doesNotContain("script", "img", "b");
        assertThat(html).doesNotContain("<script", "<img", "<b>");
        // The very long name is cut, in the display only.
        assertThat(text).contains("x".repeat(400)).doesNotContain("x".repeat(ReportRenderer.MAX_TEXT + 1));
        assertThat(text).contains("more characters)");
        assertThat(html.length()).isLessThan(200_000);
        assertSelfContained(document, html);
    }

    @Test
    void escapingCoversMarkupQuotesAndCharactersXmlCannotHold() {
        assertThat(ReportRenderer.escape("<a href='x'>&\"</a>"))
                .isEqualTo("&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;");
        assertThat(ReportRenderer.escape("a\u0000b\u001Fc\td\ne\uFFFEf\uDC00g\uD83D\uDE00h"))
                .isEqualTo("a\uFFFDb\uFFFDc\td\ne\uFFFDf\uFFFDg\uD83D\uDE00h");
        assertThat(ReportRenderer.escape(null)).isEmpty();
        String cut = ReportRenderer.text("y".repeat(ReportRenderer.MAX_TEXT - 1) + "\uD83D\uDE00" + "z".repeat(10));
        assertThat(cut).startsWith("y".repeat(ReportRenderer.MAX_TEXT - 1) + "\u2026").doesNotContain("\uD83D");
    }

    /** No script, no event handler, nothing that loads: no src, href, url() or @import. */
    static void assertSelfContained(Document document, String html) {
        for (Element element : elements(document)) {
            assertThat(element.getLocalName()).isNotIn("script", "link", "img", "iframe", "object", "embed", "image",
                    "use", "foreignObject");
            NamedNodeMap attributes = element.getAttributes();
            for (int i = 0; i < attributes.getLength(); i++) {
                String name = attributes.item(i).getLocalName();
                assertThat(name).as(element.getLocalName()).doesNotStartWithIgnoringCase("on")
                        .isNotIn("src", "href", "style", "srcset", "action", "formaction");
            }
        }
        String style = document.getElementsByTagNameNS(XHTML, "style").item(0).getTextContent();
        assertThat(style).doesNotContain("url(", "@import");
        assertThat(html).doesNotContain("javascript:");
    }

    static List<String> fields(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
