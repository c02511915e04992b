package dev.bulwark.compliance.report;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTML report opened from a file in headless Chromium, as a reader opens it: a screenshot, and the DOM as the
 * browser's HTML parser (not an XML parser) made it. Chromium's own command line does it, no driver.
 *
 * <p>Needs Debian's Chromium like the console's browser tests ({@code ./bulwark test} installs it); without it the
 * test fails with instructions, and {@code BULWARK_SKIP_BROWSER_TESTS=1} skips it deliberately.
 */
@Timeout(240)
class ReportBrowserTest {

    private static final Path OUT = Path.of("target", "report-browser");

    @TempDir
    Path profile;

    @Test
    void theReportOpensInHeadlessChromium() throws Exception {
        File chromium = requireChromium();
        Files.createDirectories(OUT);
        Path page = OUT.resolve("cis.html").toAbsolutePath();
        Files.writeString(page, ReportRenderer.html(SampleReports.ordinary()), UTF_8);
        Path screenshot = OUT.resolve("cis.png").toAbsolutePath();
        Files.deleteIfExists(screenshot);

        run(chromium, "--screenshot=" + screenshot, "--window-size=1400,1400", page.toUri().toString());
        BufferedImage image = ImageIO.read(screenshot.toFile());
        assertThat(image).as("screenshot").isNotNull();
        int nonWhite = 0;
        int red = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int rgb = image.getRGB(x, y) & 0xFFFFFF;
                nonWhite += rgb != 0xFFFFFF ? 1 : 0;
                red += (rgb >> 16 & 0xFF) > 150 && (rgb >> 8 & 0xFF) < 80 && (rgb & 0xFF) < 80 ? 1 : 0;
            }
        }
        assertThat(nonWhite).as("non-white pixels").isGreaterThan(image.getWidth() * image.getHeight() / 50);
        assertThat(red).as("pixels of the failing colour (charts)").isGreaterThan(500);

        String dom = run(chromium, "--dump-dom", page.toUri().toString());
        assertThat(dom).contains("<title>Bulwark compliance report: CIS Kubernetes Benchmark",
                "<h1>CIS Kubernetes Benchmark", "<svg", "pod/acme-db/postgres-0");
    }

    @Test
    void hostileNamesStayTextInTheBrowser() throws Exception {
        File chromium = requireChromium();
        Files.createDirectories(OUT);
        Path page = OUT.resolve("hostile.html").toAbsolutePath();
        Files.writeString(page, ReportRenderer.html(SampleReports.hostile()), UTF_8);

        String dom = run(chromium, "--dump-dom", page.toUri().toString());
        assertThat(dom).contains("<h1>CIS Kubernetes Benchmark", "&lt;script&gt;alert('tenant')&lt;/script&gt;",
                "&lt;img src=x onerror=alert(1)&gt;", "&lt;b&gt;bold&lt;/b&gt;");
        assertThat(dom).doesNotContain("<script", "<img", "<b>");
    }

    /** Chromium's path, or the test fails saying how to get it; skipped when BULWARK_SKIP_BROWSER_TESTS=1. */
    private static File requireChromium() {
        Assumptions.assumeFalse("1".equals(System.getenv("BULWARK_SKIP_BROWSER_TESTS")),
                "BULWARK_SKIP_BROWSER_TESTS=1: browser test skipped on request");
        File chromium = new File(System.getenv().getOrDefault("BULWARK_CHROMIUM", "/usr/bin/chromium"));
        if (!chromium.canExecute()) {
            throw new IllegalStateException("the browser test needs " + chromium
                    + " (Debian: apt-get install chromium; ./bulwark test installs it). "
                    + "Set BULWARK_SKIP_BROWSER_TESTS=1 to skip it deliberately.");
        }
        return chromium;
    }

    /** Runs headless Chromium with the browser's background traffic off; its standard output. */
    private String run(File chromium, String... arguments) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(chromium.getPath(), "--headless=new", "--no-sandbox",
                "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
                "--disable-extensions", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-features=Translate,OptimizationHints,MediaRouter", "--lang=en-US",
                "--hide-scrollbars", "--user-data-dir=" + profile.toAbsolutePath()));
        command.addAll(List.of(arguments));
        Path stdout = Files.createTempFile(profile, "stdout", ".txt");
        Path stderr = Files.createTempFile(profile, "stderr", ".txt");
        Process process = new ProcessBuilder(command).redirectOutput(stdout.toFile()).redirectError(stderr.toFile())
                .start();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("Chromium did not finish in 120 s: " + Files.readString(stderr));
        }
        assertThat(process.exitValue()).as("Chromium's exit code; its output: %s", Files.readString(stderr))
                .isZero();
        return Files.readString(stdout, UTF_8);
    }
}
