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
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The console end to end in headless Chromium (Debian's {@code chromium} and {@code chromium-driver}): a tenant logs in
 * and sees its isolation violations first and only its own findings; the SOC sees every tenant, reads hostile finding
 * fields as plain text, and triages; both open an incident's timeline and graph (the tenant its own side only) and go
 * from a finding to its incident. Screenshots go to {@code target/screenshots/}.
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

    /** Records the page's Content-Security-Policy violations from now on (until the next page load). */
    private static void watchCsp() {
        ((ChromeDriver) driver).executeScript("window.cspViolations = [];"
                + "document.addEventListener('securitypolicyviolation', e => window.cspViolations.push("
                + "e.violatedDirective + ' ' + e.blockedURI));");
    }

    @SuppressWarnings("unchecked")
    private static List<String> cspViolations() {
        return (List<String>) ((ChromeDriver) driver).executeScript("return window.cspViolations;");
    }

    private static List<String> ids(String rowsSelector) {
        return driver.findElements(By.cssSelector(rowsSelector)).stream()
                .map(row -> row.getDomAttribute("data-id")).toList();
    }

    private static List<String> awaitIncidentRows(int count) {
        await(d -> d.findElements(By.cssSelector("#incidents-body tr")).size() == count
                && !d.findElement(By.id("i-count")).getText().isEmpty());
        return ids("#incidents-body tr");
    }

    /** Opens an incident from the list and waits for its timeline and graph. */
    private static void openIncident(String id, int findings) {
        driver.findElement(By.cssSelector("#incidents-body tr[data-id='" + id + "']")).click();
        await(ExpectedConditions.textToBe(By.id("i-title"), "Incident " + id));
        await(d -> d.findElements(By.cssSelector("#i-timeline-body tr")).size() == findings);
        await(ExpectedConditions.attributeToBe(By.id("i-graph"), "data-drawn", "true"));
    }

    /** The entities the graph drew, from the container's data-nodes attribute. */
    private static List<String> graphNodes() throws Exception {
        List<String> nodes = new java.util.ArrayList<>();
        fixture.json.readTree(driver.findElement(By.id("i-graph")).getDomAttribute("data-nodes"))
                .forEach(n -> nodes.add(n.asText()));
        return nodes;
    }

    /** The graph is on screen: canvases of non-zero size with pixels painted on them. */
    private static void assertGraphPainted() {
        List<WebElement> canvases = driver.findElements(By.cssSelector("#i-graph canvas"));
        assertThat(canvases).as("the library's canvases").isNotEmpty();
        assertThat(canvases).anySatisfy(c -> {
            assertThat(c.getSize().getWidth()).isGreaterThan(200);
            assertThat(c.getSize().getHeight()).isGreaterThan(200);
        });
        long painted = await(d -> {
            Object count = ((ChromeDriver) d).executeScript(
                    "let n = 0; for (const c of document.querySelectorAll('#i-graph canvas')) {"
                    + " if (!c.width || !c.height) continue;"
                    + " const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
                    + " for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++; }"
                    + " return n;");
            long n = ((Number) count).longValue();
            return n > 500 ? n : null;
        });
        assertThat(painted).as("painted pixels").isGreaterThan(500);
    }

    /** A screenshot of the whole incident pane (the window made tall enough for it, then put back). */
    private static void tallScreenshot(String name) throws Exception {
        driver.manage().window().setSize(new Dimension(1400, 1900));
        try {
            await(ExpectedConditions.attributeToBe(By.id("i-graph"), "data-drawn", "true"));
            Thread.sleep(300); // the library redraws after the resize
            screenshot(name);
        } finally {
            driver.manage().window().setSize(new Dimension(1400, 1000));
        }
    }

    @Test
    void incidentsShowTheirTimelineAndGraphTheTenantItsOwnSideOnlyAndFindingsLinkToThem() throws Exception {
        // An incident whose timeline holds two indexed acme findings (a hostile user name among them), so that a
        // finding links to it.
        fixture.sendIncident(ApiFixture.incidentOf("inc-web", "pod:acme-web/api", List.of(
                ApiFixture.step("a-low", fixture.now - 180_000, "acme", List.of(), "acme-web", "api", XSS_SUMMARY,
                        null, "execution", List.of("pod:acme-web/api", "identity:" + XSS_SUMMARY)),
                ApiFixture.step("a-shell", fixture.now - 60_000, "acme", List.of(), "acme-web", "api", "root", null,
                        "execution", List.of("pod:acme-web/api", "identity:root")))));
        fixture.awaitIncident("inc-web", 2);

        // ---- tenant acme: its incidents, inc-cross cut to its own side
        login(ACME_TOKEN);
        watchCsp();
        driver.findElement(By.id("tab-incidents")).click();
        await(ExpectedConditions.attributeToBe(By.id("tab-incidents"), "aria-selected", "true"));
        assertThat(awaitIncidentRows(2)).containsExactly("inc-cross", "inc-web"); // latest first (by the whole incident)
        WebElement crossRow = driver.findElement(By.cssSelector("#incidents-body tr[data-id='inc-cross']"));
        assertThat(crossRow.getText()).contains("open", "acme + another tenant", "3 (+1 hidden)");
        openIncident("inc-cross", 3);
        assertThat(ids("#i-timeline-body tr")).containsExactly("i-shell", "i-download", "i-connect");
        List<WebElement> rows = driver.findElements(By.cssSelector("#i-timeline-body tr"));
        assertThat(rows.get(0).findElement(By.cssSelector("td.actor")).getText())
                .isEqualTo(ApiFixture.EXEC_USER + ", session s-1");
        assertThat(rows.get(0).findElement(By.cssSelector("td.pod")).getText()).isEqualTo("acme-web/api");
        assertThat(rows.get(2).findElement(By.cssSelector("td.tenant")).getText()).isEqualTo("another tenant");
        assertThat(rows.get(2).findElement(By.cssSelector("td.pod")).getText()).as("its own side of the connection")
                .isEqualTo("acme-web/api");
        assertThat(driver.findElement(By.id("i-hidden")).isDisplayed()).isTrue();
        assertThat(driver.findElement(By.id("i-hidden")).getText())
                .startsWith("Another tenant was involved (1 finding hidden)");
        assertThat(graphNodes()).containsExactlyInAnyOrder("tenant:acme", "pod:acme-web/api", "session:s-1",
                "identity:" + ApiFixture.EXEC_USER, "tenant:(another tenant)");
        assertThat(driver.findElement(By.id("i-graph")).getDomAttribute("data-edges")).isEqualTo("4");
        assertGraphPainted();
        driver.findElement(By.cssSelector("#incident details.links summary")).click();
        assertThat(driver.findElements(By.cssSelector("#i-links li"))).extracting(WebElement::getText)
                .contains("tenant another tenant \u2192 pod acme-web/api (peer link)");
        assertThat(driver.findElement(By.id("i-triage")).isDisplayed()).as("no triage for a tenant").isFalse();
        // Nothing of globex in the page; not even its name in the incident (acme's own isolation finding, loaded on
        // landing, names the tenant that read its secret, as findings do).
        assertThat(driver.getPageSource()).doesNotContain(GLOBEX_CANARY).doesNotContain(ApiFixture.GLOBEX_ADMIN)
                .doesNotContain("i-globex-own").doesNotContain("initech");
        assertThat(driver.findElement(By.id("incidents-view")).getDomProperty("outerHTML"))
                .contains("i-connect").doesNotContainIgnoringCase("globex");
        assertThat(driver.findElement(By.id("incidents-view")).getText()).contains("another tenant")
                .doesNotContainIgnoringCase("globex");
        tallScreenshot("incidents-tenant");

        // From a finding to its incident.
        driver.findElement(By.id("tab-all")).click();
        assertThat(awaitRows(3)).contains("a-shell");
        driver.findElement(By.cssSelector("#findings-body tr[data-id='a-shell']")).click();
        await(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#d-incidents button[data-incident]")));
        assertThat(driver.findElements(By.cssSelector("#d-incidents button")))
                .extracting(b -> b.getDomAttribute("data-incident")).containsExactly("inc-web");
        driver.findElement(By.cssSelector("#d-incidents button[data-incident='inc-web']")).click();
        await(ExpectedConditions.attributeToBe(By.id("tab-incidents"), "aria-selected", "true"));
        await(ExpectedConditions.textToBe(By.id("i-title"), "Incident inc-web"));
        await(d -> ids("#i-timeline-body tr").equals(List.of("a-low", "a-shell")));
        await(ExpectedConditions.attributeToBe(By.id("i-graph"), "data-drawn", "true"));
        assertThat(graphNodes()).containsExactlyInAnyOrder("tenant:acme", "pod:acme-web/api", "identity:root",
                "identity:" + XSS_SUMMARY);
        assertThat(driver.findElement(By.id("i-hidden")).isDisplayed()).isFalse();
        // The hostile user name is text in the timeline, never markup.
        assertThat(driver.findElement(By.id("i-timeline-body")).getText()).contains(XSS_SUMMARY);
        assertThat(driver.findElements(By.cssSelector("#incident img, #incident script"))).isEmpty();
        assertThat(driver.getTitle()).isEqualTo("Bulwark console");
        assertGraphPainted();
        assertThat(cspViolations()).as("nothing the page or the library does is refused by the CSP").isEmpty();
        screenshot("incidents-tenant-from-finding");

        // ---- SOC: every incident, inc-cross whole, triage
        driver.findElement(By.id("logout")).click();
        login(SOC_TOKEN);
        watchCsp();
        driver.findElement(By.id("tab-incidents")).click();
        assertThat(awaitIncidentRows(4)).containsExactly("inc-globex", "inc-initech", "inc-cross", "inc-web");
        new org.openqa.selenium.support.ui.Select(driver.findElement(By.id("i-sort"))).selectByValue("risk");
        await(d -> ids("#incidents-body tr").equals(List.of("inc-cross", "inc-web", "inc-globex", "inc-initech")));
        openIncident("inc-cross", 4);
        assertThat(ids("#i-timeline-body tr")).containsExactly("i-shell", "i-download", "i-connect", "i-globex-own");
        rows = driver.findElements(By.cssSelector("#i-timeline-body tr"));
        assertThat(rows.get(2).findElement(By.cssSelector("td.tenant")).getText()).isEqualTo("globex with acme");
        assertThat(rows.get(2).findElement(By.cssSelector("td.pod")).getText()).isEqualTo("globex-data/" + GLOBEX_CANARY);
        assertThat(rows.get(3).findElement(By.cssSelector("td.actor")).getText()).isEqualTo(ApiFixture.GLOBEX_ADMIN);
        assertThat(driver.findElement(By.id("i-hidden")).isDisplayed()).isFalse();
        assertThat(graphNodes()).containsExactlyInAnyOrder("tenant:acme", "pod:acme-web/api", "session:s-1",
                "identity:" + ApiFixture.EXEC_USER, "tenant:globex", "pod:globex-data/" + GLOBEX_CANARY,
                "identity:" + ApiFixture.GLOBEX_ADMIN);
        assertThat(driver.findElement(By.id("i-graph")).getDomAttribute("data-edges")).isEqualTo("6");
        assertGraphPainted();
        driver.findElement(By.cssSelector("#incident details.links summary")).click();
        assertThat(driver.findElements(By.cssSelector("#i-links li"))).extracting(WebElement::getText)
                .contains("pod globex-data/" + GLOBEX_CANARY + " \u2192 session s-1 (peer link)",
                        "tenant acme \u2192 pod acme-web/api");

        // Clicking a timeline row picks out its entities; triage from the pane.
        rows.get(3).click();
        await(d -> d.findElements(By.cssSelector("#i-timeline-body tr.hit")).size() == 1);
        await(ExpectedConditions.visibilityOfElementLocated(By.id("i-triage")));
        driver.findElement(By.id("i-triage-note")).sendKeys("lateral movement into globex");
        driver.findElement(By.cssSelector(".incident-triage-button[data-status=acknowledged]")).click();
        await(ExpectedConditions.textToBe(By.id("i-triage-result"), "Status set to acknowledged"));
        await(ExpectedConditions.textToBe(By.cssSelector("#incidents-body tr[data-id='inc-cross'] td.status"),
                "acknowledged"));
        assertThat(driver.findElement(By.id("i-fields")).getText()).contains("acknowledged by alice");
        await(ExpectedConditions.attributeToBe(By.id("i-graph"), "data-drawn", "true"));
        assertGraphPainted();
        tallScreenshot("incidents-soc");
        var stored = fixture.body(fixture.get(SOC_TOKEN, "/api/incidents/inc-cross"));
        assertThat(stored.at("/incident/triage/status").asText()).isEqualTo("acknowledged");
        assertThat(stored.at("/incident/triage/note").asText()).isEqualTo("lateral movement into globex");
        new org.openqa.selenium.support.ui.Select(driver.findElement(By.id("i-status"))).selectByValue("acknowledged");
        await(d -> ids("#incidents-body tr").equals(List.of("inc-cross")));

        // From a finding to its incident, as the SOC.
        driver.findElement(By.id("tab-all")).click();
        assertThat(awaitRows(5)).contains("a-shell");
        driver.findElement(By.cssSelector("#findings-body tr[data-id='a-shell']")).click();
        await(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#d-incidents button[data-incident='inc-web']")));
        screenshot("incidents-soc-finding-links-incident");
        driver.findElement(By.cssSelector("#d-incidents button[data-incident='inc-web']")).click();
        await(ExpectedConditions.textToBe(By.id("i-title"), "Incident inc-web"));
        await(d -> ids("#i-timeline-body tr").equals(List.of("a-low", "a-shell")));
        assertThat(driver.getTitle()).isEqualTo("Bulwark console");
        assertThat(cspViolations()).as("nothing the page or the library does is refused by the CSP").isEmpty();
        driver.findElement(By.id("tab-all")).click();
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
