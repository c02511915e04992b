package dev.bulwark.compliance.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;

import javax.imageio.ImageIO;

import org.apache.pdfbox.Loader;
import org.apache.pdfbox.cos.COSName;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.graphics.form.PDFormXObject;
import org.apache.pdfbox.rendering.PDFRenderer;
import org.apache.pdfbox.text.PDFTextStripper;
import org.junit.jupiter.api.Test;

/** The PDF, read back with PDFBox: pages, text, and page 1 rendered to PNG ({@code target/report-pdf/}). */
class ReportPdfTest {

    private static final Path OUT = Path.of("target", "report-pdf");

    @Test
    void thePdfHasThePagesTheTextAndTheCharts() throws Exception {
        ComplianceReport report = SampleReports.ordinary();
        byte[] pdf = ReportRenderer.pdf(report);
        Files.createDirectories(OUT);
        Files.write(OUT.resolve("cis.pdf"), pdf);
        assertThat(new String(pdf, 0, 5, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("%PDF-");

        try (PDDocument document = Loader.loadPDF(pdf)) {
            int pages = document.getNumberOfPages();
            assertThat(pages).isBetween(2, 20);
            String text = new PDFTextStripper().getText(document);
            assertThat(text).contains(report.frameworkTitle(), "5.2.2", "pod/acme-db/postgres-0",
                    "clusterrole/wildcard-admin", "Page 1 of " + pages, "Page " + pages + " of " + pages);
            assertThat(document.getDocumentInformation().getTitle()).contains("Bulwark compliance report");

            // The charts are drawn as vector forms (the SVG through Batik), not left out.
            PDPage first = document.getPage(0);
            int forms = 0;
            for (COSName name : first.getResources().getXObjectNames()) {
                if (first.getResources().getXObject(name) instanceof PDFormXObject) {
                    forms++;
                }
            }
            assertThat(forms).as("SVG charts on page 1").isGreaterThan(1);

            BufferedImage image = new PDFRenderer(document).renderImageWithDPI(0, 96);
            ImageIO.write(image, "png", OUT.resolve("cis-page-1.png").toFile());
            int nonWhite = 0;
            int passGreen = 0;
            for (int y = 0; y < image.getHeight(); y++) {
                for (int x = 0; x < image.getWidth(); x++) {
                    int rgb = image.getRGB(x, y) & 0xFFFFFF;
                    if (rgb != 0xFFFFFF) {
                        nonWhite++;
                    }
                    if (near(rgb, 0x2E7D32)) {
                        passGreen++;
                    }
                }
            }
            assertThat(nonWhite).as("non-white pixels").isGreaterThan(image.getWidth() * image.getHeight() / 50);
            // The per-control bars are mostly green: far more green pixels than the word "passing" could make.
            assertThat(passGreen).as("pixels of the chart's pass colour").isGreaterThan(2_000);
        }
    }

    @Test
    void hostileNamesLayOutInThePdfToo() throws Exception {
        byte[] pdf = ReportRenderer.pdf(SampleReports.hostile());
        Files.createDirectories(OUT);
        Files.write(OUT.resolve("hostile.pdf"), pdf);
        try (PDDocument document = Loader.loadPDF(pdf)) {
            String lines = new PDFTextStripper().getText(document);
            String text = lines.replaceAll("\\s+", "");
            assertThat(text).contains("<script>alert('tenant')</script>", "<img", "<b>bold</b>", "morecharacters)");
            // The very long name wraps inside its cell instead of running off the page.
            assertThat(text).contains("x".repeat(400));
            assertThat(lines.lines().mapToInt(String::length).max().orElseThrow()).isLessThan(250);
            PDFRenderer renderer = new PDFRenderer(document);
            for (int i = 0; i < document.getNumberOfPages(); i++) {
                ImageIO.write(renderer.renderImageWithDPI(i, 72), "png",
                        OUT.resolve("hostile-page-" + (i + 1) + ".png").toFile());
            }
        }
    }

    private static boolean near(int rgb, int target) {
        int dr = Math.abs((rgb >> 16 & 0xFF) - (target >> 16 & 0xFF));
        int dg = Math.abs((rgb >> 8 & 0xFF) - (target >> 8 & 0xFF));
        int db = Math.abs((rgb & 0xFF) - (target & 0xFF));
        return dr + dg + db < 40;
    }
}
