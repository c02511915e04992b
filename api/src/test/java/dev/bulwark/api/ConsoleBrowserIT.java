package dev.bulwark.api;

import static dev.bulwark.api.ApiFixture.ACME_TOKEN;
import static dev.bulwark.api.ApiFixture.GLOBEX_CANARY;
import static dev.bulwark.api.ApiFixture.SHADOW_RULE;
import static dev.bulwark.api.ApiFixture.SOC_TOKEN;
import static dev.bulwark.api.ApiFixture.XSS_FIELD;
import static dev.bulwark.api.ApiFixture.XSS_SUMMARY;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The console end to end in headless Chromium (Debian's {@code chromium} and {@code chromium-driver}): a tenant logs in
 * and sees its isolation violations first and only its own findings; the SOC sees every tenant, reads hostile finding
 * fields as plain text, and triages. Screenshots go to {@code target/screenshots/}.
 *
 * <p>Without a browser the test fails with instructions ({@code ./bulwark test} installs one); set
 * {@code BULWARK_SKIP_BROWSER_TESTS=1} to skip it deliberately.
 */
class ConsoleBrowserIT {

    private static final Path SCREENSHOTS = Path.of("target", "screenshots");

    private static ApiFixture fixture;
    private static WebDriver driver;

    @BeforeAll
    static void start() throws Exception {
        HeadlessChromium.require();
        Files.createDirectories(SCREENSHOTS);
        fixture = new ApiFixture();
        driver = HeadlessChromium.start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (driver != null) {
            driver.quit();
        }
        if (fixture != null) {
            fixture.close();
        }
    }

    private static <T> T await(Function<WebDriver, T> condition) {
        return new WebDriverWait(driver, Duration.ofSeconds(30)).until(condition);
    }

    private static void screenshot(String name) throws Exception {
        File file = ((ChromeDriver) driver).getScreenshotAs(OutputType.FILE);
        Files.copy(file.toPath(), SCREENSHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
    }

    private static void login(String token) {
        driver.manage().deleteAllCookies();
        driver.get(fixture.server.url() + "/");
        ((ChromeDriver) driver).executeScript("sessionStorage.clear()");
        driver.navigate().refresh();
        WebElement input = await(ExpectedConditions.visibilityOfElementLocated(By.id("token")));
        input.sendKeys(token);
        driver.findElement(By.id("login")).click();
        await(ExpectedConditions.visibilityOfElementLocated(By.id("app-view")));
    }

    private static List<String> rowIds() {
        return driver.findElements(By.cssSelector("#findings-body tr")).stream()
                .map(row -> row.getDomAttribute("data-id")).toList();
    }

    private static List<String> awaitRows(int count) {
        await(d -> d.findElements(By.cssSelector("#findings-body tr")).size() == count
                && !d.findElement(By.id("result-count")).getText().isEmpty());
        return rowIds();
    }

    @Test
    void aTenantSeesItsIsolationViolationsFirstAndOnlyItsOwnFindingsWhileTheSocSeesAllAndTriages() throws Exception {
        // ---- tenant acme
        login(ACME_TOKEN);
        assertThat(driver.findElement(By.id("principal")).getText()).contains("tenant:acme");
        await(ExpectedConditions.attributeToBe(By.id("tab-isolation"), "aria-selected", "true"));
        assertThat(driver.findElement(By.id("view-title")).getText()).startsWith("Isolation violations");
        assertThat(awaitRows(1)).containsExactly("a-iso");
        await(ExpectedConditions.textToBe(By.cssSelector("#severity-counts [data-severity=critical] strong"), "1"));
        assertThat(driver.findElements(By.cssSelector("#histogram .bar"))).isNotEmpty();
        screenshot("01-tenant-isolation-violations");

        driver.findElement(By.id("tab-all")).click();
        assertThat(awaitRows(3)).containsExactlyInAnyOrder("a-shell", "a-iso", "a-low");
        for (WebElement cell : driver.findElements(By.cssSelector("#findings-body tr td:nth-child(3)"))) {
            assertThat(cell.getText()).isEqualTo("acme");
        }
        assertThat(driver.getPageSource()).doesNotContain(GLOBEX_CANARY).doesNotContain("g-secret").doesNotContain("g-xss");
        assertThat(driver.findElement(By.id("f-tenant")).isEnabled()).isFalse();

        driver.findElement(By.cssSelector("#findings-body tr[data-id='a-shell']")).click();
        await(ExpectedConditions.visibilityOfElementLocated(By.id("details")));
        await(ExpectedConditions.textToBePresentInElementLocated(By.id("d-evidence-body"), "process.name"));
        assertThat(driver.findElement(By.id("d-evidence-body")).getText()).contains("bash");
        assertThat(driver.findElement(By.id("triage")).isDisplayed()).isFalse();
        screenshot("02-tenant-details");

        // Free text search narrows within the tenant.
        WebElement q = driver.findElement(By.id("q"));
        q.sendKeys("bash");
        driver.findElement(By.id("search")).click();
        assertThat(awaitRows(1)).containsExactly("a-shell");

        // Compliance: acme's own namespaces, a hostile resource name shown as text, the trend drawn.
        driver.findElement(By.id("tab-compliance")).click();
        await(d -> !d.findElements(By.cssSelector("#controls-body tr[data-control='privileged-containers']")).isEmpty());
        assertThat(driver.findElements(By.cssSelector("#controls-body tr")))
                .as("every baseline control of the catalogue").hasSize(7);
        WebElement privileged = driver.findElement(By.cssSelector("#controls-body tr[data-control='privileged-containers']"));
        assertThat(privileged.findElement(By.cssSelector("td.status")).getText()).isEqualTo("fail");
        assertThat(privileged.findElement(By.cssSelector("td.resources")).getText())
                .isEqualTo("pod/acme-web/" + XSS_SUMMARY);
        assertThat(driver.findElements(By.cssSelector("#c-trend rect.bar-fail"))).as("yesterday and today").hasSize(2);
        assertThat(driver.getTitle()).isEqualTo("Bulwark console");
        assertThat(driver.getPageSource()).doesNotContain(GLOBEX_CANARY).doesNotContain("globex-data");
        screenshot("02b-tenant-compliance");
        assertThat(driver.findElement(By.id("tab-shadow")).isDisplayed()).as("no shadow tab for a tenant").isFalse();
        assertThat(driver.findElement(By.id("tab-rules")).isDisplayed()).as("no rules tab for a tenant").isFalse();

        // Tuning: acme sees how its rules are tuned, never another tenant's tuning; hostile notes stay text.
        fixture.overrides.put(dev.bulwark.schemas.RuleOverride.newBuilder().setTenant("acme")
                .setTarget("bulwark.container.interactive_shell").setSeverity("low").setThreshold(7L)
                .setException("title: x\nfilter: {}").setUpdatedBy("alice")
                .setUpdatedAt(fixture.now).setNote(XSS_SUMMARY).build());
        fixture.overrides.put(dev.bulwark.schemas.RuleOverride.newBuilder().setTenant("globex")
                .setTarget(GLOBEX_CANARY).setDisabled(true).setUpdatedBy("alice").setUpdatedAt(fixture.now).build());
        try {
            driver.findElement(By.id("tab-overrides")).click();
            await(d -> !d.findElements(By.cssSelector("#overrides-body tr")).isEmpty());
            assertThat(driver.findElements(By.cssSelector("#overrides-body tr"))).singleElement().satisfies(row -> {
                assertThat(row.getAttribute("data-tenant")).isEqualTo("acme");
                assertThat(row.getText()).contains("severity low, exception, threshold 7", XSS_SUMMARY);
            });
            assertThat(driver.getPageSource()).doesNotContain(GLOBEX_CANARY);
            assertThat(driver.getTitle()).isEqualTo("Bulwark console");
            screenshot("02c-tenant-tuning");
        } finally {
            fixture.overrides.held.clear();
        }
        driver.findElement(By.id("tab-all")).click();

        // ---- SOC
        driver.findElement(By.id("logout")).click();
        login(SOC_TOKEN);
        assertThat(driver.findElement(By.id("principal")).getText()).contains("alice (soc)");
        await(ExpectedConditions.attributeToBe(By.id("tab-all"), "aria-selected", "true"));
        assertThat(awaitRows(5)).containsExactlyInAnyOrder("a-shell", "a-iso", "a-low", "g-secret", "g-xss");
        assertThat(driver.findElement(By.id("findings-body")).getText()).contains("globex").contains("acme");

        // Hostile finding fields are shown as text, never run.
        WebElement xssRow = driver.findElement(By.cssSelector("#findings-body tr[data-id='g-xss']"));
        assertThat(xssRow.getText()).contains(XSS_SUMMARY);
        assertThat(driver.findElements(By.cssSelector("#findings-body img"))).isEmpty();
        xssRow.click();
        await(ExpectedConditions.textToBePresentInElementLocated(By.id("d-evidence-body"), XSS_FIELD));
        assertThat(driver.findElements(By.cssSelector("#details script, #details img"))).isEmpty();
        assertThat(driver.getTitle()).isEqualTo("Bulwark console");
        screenshot("03-soc-all-tenants-hostile-fields-as-text");

        // Triage from the details pane.
        driver.findElement(By.cssSelector("#findings-body tr[data-id='g-secret']")).click();
        await(ExpectedConditions.textToBePresentInElementLocated(By.id("d-title"), GLOBEX_CANARY));
        await(ExpectedConditions.visibilityOfElementLocated(By.id("triage")));
        driver.findElement(By.id("triage-note")).sendKeys("escalated to globex on-call");
        driver.findElement(By.cssSelector(".triage-button[data-status=acknowledged]")).click();
        await(ExpectedConditions.textToBe(By.id("triage-result"), "Status set to acknowledged"));
        await(ExpectedConditions.textToBe(By.cssSelector("#findings-body tr[data-id='g-secret'] td.status"), "acknowledged"));
        assertThat(driver.findElement(By.id("d-fields")).getText()).contains("acknowledged by alice");
        screenshot("04-soc-triaged");

        // Shadow rules: the SOC's tab lists the rule under test with its hits; its finding is in no findings view.
        driver.findElement(By.id("tab-shadow")).click();
        await(d -> !d.findElements(By.cssSelector("#shadow-body tr[data-rule='" + SHADOW_RULE + "']")).isEmpty());
        WebElement shadowRow = driver.findElement(By.cssSelector("#shadow-body tr[data-rule='" + SHADOW_RULE + "']"));
        assertThat(shadowRow.findElements(By.tagName("td"))).extracting(WebElement::getText)
                .startsWith(SHADOW_RULE, SHADOW_RULE, "1", "3");
        screenshot("04b-soc-shadow-rules");

        // Rules: every rule's cost and noise, the costliest first, and re-sorted by noise.
        driver.findElement(By.id("tab-rules")).click();
        await(d -> d.findElements(By.cssSelector("#rules-body tr")).size() == 3);
        assertThat(driver.findElements(By.cssSelector("#rules-body tr")).get(0).getAttribute("data-rule"))
                .isEqualTo("whoami_run");
        new org.openqa.selenium.support.ui.Select(driver.findElement(By.id("r-sort"))).selectByValue("noise");
        await(d -> "bulwark.container.interactive_shell".equals(
                d.findElements(By.cssSelector("#rules-body tr")).get(0).getAttribute("data-rule")));
        screenshot("04c-soc-rules-by-noise");
        driver.findElement(By.id("tab-all")).click();
        assertThat(awaitRows(5)).doesNotContain("a-shadow");
        var stored = fixture.body(fixture.get(SOC_TOKEN, "/api/findings/g-secret"));
        assertThat(stored.at("/finding/triage/status").asText()).isEqualTo("acknowledged");
        assertThat(stored.at("/finding/triage/updated_by").asText()).isEqualTo("alice");
        assertThat(stored.at("/finding/triage/note").asText()).isEqualTo("escalated to globex on-call");
    }

    @Test
    void aBadTokenIsRefusedAtLogin() throws Exception {
        driver.get(fixture.server.url() + "/");
        ((ChromeDriver) driver).executeScript("sessionStorage.clear()");
        driver.navigate().refresh();
        WebElement input = await(ExpectedConditions.visibilityOfElementLocated(By.id("token")));
        input.sendKeys("not-a-valid-token-0123456789");
        driver.findElement(By.id("login")).click();
        await(ExpectedConditions.textToBe(By.id("login-error"), "That token was not accepted: unknown, expired, or not issued for Bulwark."));
        assertThat(driver.findElement(By.id("app-view")).isDisplayed()).isFalse();
        screenshot("05-bad-token");
    }
}
