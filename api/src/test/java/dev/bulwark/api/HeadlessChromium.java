package dev.bulwark.api;

import java.io.File;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Debian's Chromium and ChromeDriver, headless, for the console's browser tests: with an explicit driver path, so
 * Selenium Manager never runs and nothing is downloaded, and with the browser's background traffic off (this machine's
 * network is closed).
 *
 * <p>Without a browser the test fails with instructions ({@code ./bulwark test} installs one);
 * {@code BULWARK_SKIP_BROWSER_TESTS=1} skips it deliberately.
 */
final class HeadlessChromium {

    private HeadlessChromium() {
    }

    /** Checks the browser is there (or the test is skipped on request); call before starting anything else. */
    static void require() {
        Assumptions.assumeFalse("1".equals(System.getenv("BULWARK_SKIP_BROWSER_TESTS")),
                "BULWARK_SKIP_BROWSER_TESTS=1: browser test skipped on request");
        if (!chromium().canExecute() || !chromedriver().canExecute()) {
            throw new IllegalStateException("the browser test needs " + chromium() + " and " + chromedriver()
                    + " (Debian: apt-get install chromium chromium-driver; ./bulwark test installs them). "
                    + "Set BULWARK_SKIP_BROWSER_TESTS=1 to skip it deliberately.");
        }
    }

    /** A new browser; {@code extraArguments} such as {@code --ignore-certificate-errors} for a test certificate. */
    static WebDriver start(String... extraArguments) {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(chromium());
        List<String> arguments = new ArrayList<>(List.of("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                "--disable-gpu", "--window-size=1400,1000", "--no-first-run", "--no-default-browser-check",
                "--disable-extensions", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-features=Translate,OptimizationHints,MediaRouter", "--lang=en-US"));
        arguments.addAll(List.of(extraArguments));
        options.addArguments(arguments);
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(chromedriver())
                .usingAnyFreePort().build();
        WebDriver driver = new ChromeDriver(service, options);
        driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(30));
        return driver;
    }

    private static File chromium() {
        return new File(System.getenv().getOrDefault("BULWARK_CHROMIUM", "/usr/bin/chromium"));
    }

    private static File chromedriver() {
        return new File(System.getenv().getOrDefault("BULWARK_CHROMEDRIVER", "/usr/bin/chromedriver"));
    }
}
