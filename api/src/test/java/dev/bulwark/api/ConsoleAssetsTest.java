package dev.bulwark.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.bulwark.sink.ElasticsearchClients;
import dev.bulwark.sink.FindingIndex;

/**
 * The console's files and its graph library as the server sends them: everything from this jar, under the console's
 * strict headers, the library with its licence. Nothing here reaches Elasticsearch, so it runs without the test stack.
 */
class ConsoleAssetsTest {

    private static ApiServer server;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        server = new ApiServer(new ApiServer.Settings("127.0.0.1", 0, 2),
                ApiTokens.of(ApiTokens.parseEnvironment("soc-token-0123456789abcdef=soc@alice")),
                new FindingsService(ElasticsearchClients.create("http://127.0.0.1:9"), new FindingIndex("none-findings"),
                        Clock.systemUTC()));
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static HttpResponse<String> request(String method, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(server.url() + path)).timeout(Duration.ofSeconds(10))
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theGraphLibraryIsServedFromTheJarUnderTheConsolesHeadersWithItsLicence() throws Exception {
        HttpResponse<String> console = request("GET", "/");
        HttpResponse<String> library = request("GET", "/vendor/cytoscape.min.js");
        assertThat(library.statusCode()).isEqualTo(200);
        assertThat(library.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("text/javascript"));
        assertThat(library.headers().firstValue("Content-Security-Policy"))
                .isEqualTo(console.headers().firstValue("Content-Security-Policy"));
        assertThat(library.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        assertThat(library.body()).hasSizeGreaterThan(100_000).contains("cytoscape")
                .contains("The Cytoscape Consortium");
        // The CSP has no 'unsafe-eval': a library that compiles code at run time would break under it.
        assertThat(library.body()).doesNotContain("new Function(").doesNotContain("eval(");

        HttpResponse<String> licence = request("GET", "/vendor/cytoscape.LICENSE.txt");
        assertThat(licence.statusCode()).isEqualTo(200);
        assertThat(licence.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("text/plain"));
        assertThat(licence.body()).contains("Permission is hereby granted, free of charge")
                .contains("The Cytoscape Consortium");

        assertThat(request("GET", "/vendor/cytoscape.js").statusCode()).isEqualTo(404);
        assertThat(request("GET", "/vendor/cytoscape.min.js?v=1").statusCode()).isEqualTo(400);
        assertThat(request("POST", "/vendor/cytoscape.min.js").statusCode()).isEqualTo(405);
        assertThat(request("HEAD", "/vendor/cytoscape.min.js").statusCode()).isEqualTo(200);
    }

    @Test
    void everyScriptAndStylesheetOfTheConsoleIsItsOwnAndServed() throws Exception {
        HttpResponse<String> console = request("GET", "/");
        assertThat(console.statusCode()).isEqualTo(200);
        String html = console.body();
        assertThat(html).doesNotContain("http://").doesNotContain("https://").doesNotContain("//cdn")
                .doesNotContain("<style").doesNotContain(" style=");
        List<String> sources = new ArrayList<>();
        Matcher matcher = Pattern.compile("(?:src|href)=\"([^\"]+)\"").matcher(html);
        while (matcher.find()) {
            sources.add(matcher.group(1));
        }
        assertThat(sources).contains("vendor/cytoscape.min.js", "console.js", "console.css",
                "vendor/cytoscape.LICENSE.txt");
        // The library before the console's script, both deferred, so they run in that order.
        assertThat(html.indexOf("vendor/cytoscape.min.js")).isLessThan(html.indexOf("\"console.js\""));
        for (String source : sources) {
            if (source.startsWith("/auth/")) {
                continue; // the sign-in link, not a file
            }
            assertThat(source).as("a relative path on this server").doesNotStartWith("/").doesNotContain("//");
            assertThat(request("GET", "/" + source).statusCode()).as(source).isEqualTo(200);
        }
    }
}
