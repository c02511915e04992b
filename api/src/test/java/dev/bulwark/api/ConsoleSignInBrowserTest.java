package dev.bulwark.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import dev.bulwark.http.HttpLimits;
import dev.bulwark.http.TestCertificates;
import dev.bulwark.http.oidc.OidcProvider;
import dev.bulwark.http.oidc.OidcVerifier;
import dev.bulwark.http.oidc.TestTokens;

/**
 * The console's sign-in in a real browser (headless Chromium): the sign-in link, the provider's redirects, the
 * {@code __Host-} session cookie over HTTPS, and signing out, as a user does them. The provider (mock-oauth2-server,
 * a separate process) lets a browser it does not show its login form through as {@link OidcProvider#DEFAULT_USER}.
 *
 * <p>Needs Chromium and its driver like the console's other browser test ({@code ./bulwark test} installs them);
 * {@code BULWARK_SKIP_BROWSER_TESTS=1} skips it.
 */
@Timeout(180)
class ConsoleSignInBrowserTest {

    private static final Path SCREENSHOTS = Path.of("target", "screenshots");

    @TempDir
    static Path dir;
    private static OidcProvider provider;
    private static ElasticsearchRecorder elasticsearch;
    private static ApiServer api;
    private static WebDriver driver;

    @BeforeAll
    static void start() throws Exception {
        HeadlessChromium.require();
        Files.createDirectories(SCREENSHOTS);
        provider = OidcProvider.start(TestTokens.scenarios(), dir.resolve("provider"));
        TestCertificates certificates = TestCertificates.create(dir.resolve("tls"), "EC");
        elasticsearch = new ElasticsearchRecorder();
        OidcPrincipals oidc = new OidcPrincipals(new OidcVerifier(new OidcVerifier.Settings(provider.issuer(),
                Set.of(TestTokens.API_AUDIENCE), Duration.ofSeconds(30))), OidcPrincipals.Mapping.defaults());
        IOException last = null;
        for (int attempt = 0; attempt < 3 && api == null; attempt++) {
            int port;
            try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                port = socket.getLocalPort();
            }
            try {
                api = new ApiServer(new ApiServer.Settings("127.0.0.1", port, 4, HttpLimits.defaults(),
                        certificates.pemTls()), ApiTokens.of(List.of()), oidc,
                        new ConsoleLogin.Settings(URI.create("https://127.0.0.1:" + port), "bulwark-console"),
                        elasticsearch.service("browser-findings"));
            } catch (IOException e) {
                last = e;
            }
        }
        if (api == null) {
            throw last;
        }
        // The test certificate is not in the browser's trust store; everything else is as for any HTTPS site.
        driver = HeadlessChromium.start("--ignore-certificate-errors");
    }

    @AfterAll
    static void stop() {
        if (driver != null) {
            driver.quit();
        }
        if (api != null) {
            api.close();
        }
        if (elasticsearch != null) {
            elasticsearch.close();
        }
        if (provider != null) {
            provider.close();
        }
    }

    private static <T> T await(Function<WebDriver, T> condition) {
        return new WebDriverWait(driver, Duration.ofSeconds(30)).until(condition);
    }

    private static void screenshot(String name) throws IOException {
        File file = ((ChromeDriver) driver).getScreenshotAs(OutputType.FILE);
        Files.copy(file.toPath(), SCREENSHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
    }

    /** Runs {@code fetch} in the page and returns the response status. */
    private static long fetchStatus(String path, String method, String headers) {
        Object status = ((JavascriptExecutor) driver).executeAsyncScript("const done = arguments[arguments.length - 1];"
                + "fetch('" + path + "', {method: '" + method + "', credentials: 'same-origin', headers: " + headers
                + (method.equals("GET") ? "" : ", body: JSON.stringify({status: 'acknowledged'})")
                + "}).then(r => done(r.status), e => done(-1));");
        return ((Number) status).longValue();
    }

    @Test
    void anAnalystSignsInThroughTheProviderAndOutAgainWithoutTheTokenEverReachingThePage() throws Exception {
        driver.get(api.url() + "/");
        await(ExpectedConditions.visibilityOfElementLocated(By.id("sso-login")));
        assertThat(driver.findElement(By.id("token")).isDisplayed()).as("the paste-a-token form stays").isTrue();
        screenshot("console-sign-in");

        driver.findElement(By.id("sso-login")).click();
        await(ExpectedConditions.visibilityOfElementLocated(By.id("app-view")));
        assertThat(driver.getCurrentUrl()).isEqualTo(api.url() + "/");
        await(ExpectedConditions.textToBePresentInElementLocated(By.id("principal"),
                "Signed in as " + OidcProvider.DEFAULT_USER + " (soc) through your identity provider"));
        assertThat(driver.findElement(By.id("logout")).getText()).isEqualTo("Sign out");
        screenshot("console-signed-in");

        JavascriptExecutor page = (JavascriptExecutor) driver;
        assertThat((String) page.executeScript("return document.cookie")).as("the session cookie is HttpOnly")
                .doesNotContain("bulwark-session");
        assertThat(page.executeScript("return sessionStorage.getItem('bulwark.token')")).isNull();
        assertThat(driver.manage().getCookieNamed("__Host-bulwark-session")).satisfies(cookie -> {
            assertThat(cookie.isHttpOnly()).isTrue();
            assertThat(cookie.isSecure()).isTrue();
            assertThat(cookie.getSameSite()).isEqualTo("Strict");
            assertThat(cookie.getPath()).isEqualTo("/");
        });

        // The page's own change requests carry the console header; the same request without it is refused.
        assertThat(fetchStatus("/api/findings/f-1", "PATCH", "{'Content-Type': 'application/json'}")).isEqualTo(403);
        assertThat(fetchStatus("/api/findings/f-1", "PATCH",
                "{'Content-Type': 'application/json', 'X-Bulwark-Console': '1'}")).isEqualTo(404);

        driver.findElement(By.id("logout")).click();
        await(ExpectedConditions.visibilityOfElementLocated(By.id("login-view")));
        await(ExpectedConditions.visibilityOfElementLocated(By.id("sso-login")));
        assertThat(driver.manage().getCookieNamed("__Host-bulwark-session")).isNull();
        assertThat(fetchStatus("/api/whoami", "GET", "{}")).isEqualTo(401);
    }
}
