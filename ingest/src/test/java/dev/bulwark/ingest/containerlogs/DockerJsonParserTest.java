package dev.bulwark.ingest.containerlogs;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.bulwark.ingest.ParseException;
import dev.bulwark.schemas.SecurityEvent;

class DockerJsonParserTest {

    private static final String ID = "3f4e5d6c7b8a99887766554433221100ffeeddccbbaa00112233445566778899";
    private static final String FILE = "/var/lib/docker/containers/" + ID + "/" + ID + "-json.log";

    private final DockerJsonParser parser = new DockerJsonParser();

    private SecurityEvent parseOne(String record, String origin) throws ParseException {
        List<SecurityEvent> events = parser.parse(record.getBytes(UTF_8), origin);
        assertThat(events).hasSize(1);
        return events.get(0);
    }

    private ContainerLogSamples.Parsed sample() throws Exception {
        return ContainerLogSamples.parseSample(parser, "container_logs/docker_json_file_lines.log", FILE);
    }

    @Test
    void shouldParseEveryRealSampleLineAndRejectTheOneWithoutTime() throws Exception {
        ContainerLogSamples.Parsed parsed = sample();
        assertThat(parsed.events()).hasSize(10);
        assertThat(parsed.errors()).containsExactly(java.util.Map.entry(FILE + ":10", "missing required field 'time'"));
        assertThat(parsed.events().values()).allSatisfy(event -> {
            assertThat(event.getSourceFormat()).isEqualTo("docker");
            assertThat(event.getEvent().getDataset()).isEqualTo("container.logs");
            assertThat(event.getContainer().getId()).isEqualTo(ID);
            assertThat(event.getContainer().getRuntime()).isEqualTo("docker");
            assertThat(event.getKubernetes()).isNull();
        });
    }

    @Test
    void shouldMapACompleteLineWithoutItsNewline() throws Exception {
        SecurityEvent event = sample().event(FILE + ":1");
        assertThat(event.getLog().getMessage()).isEqualTo("Log line is here");
        assertThat(event.getLog().getStream()).isEqualTo("stdout");
        assertThat(event.getTimestamp()).isEqualTo(1_546_341_071_111_111_111L);
        assertThat(event.getOriginal())
                .isEqualTo("{\"log\":\"Log line is here\\n\",\"stream\":\"stdout\",\"time\":\"2019-01-01T11:11:11.111111111Z\"}");
    }

    @Test
    void shouldJoinASplitLineWithItsLastChunk() throws Exception {
        SecurityEvent event = sample().event(FILE + ":7-8");
        assertThat(event.getLog().getMessage()).isEqualTo("1:M 09 Nov 13:27:36.276 # User requested shutdown...");
        assertThat(event.getTimestamp()).isEqualTo(1_510_234_056_277_747_246L);
        assertThat(event.getAttributes()).containsEntry("log.lines", "2").doesNotContainKey("log.partial");
    }

    @Test
    void shouldJoinAChunkAcrossALineOfTheOtherStreamAndMarkAnUnfinishedOne() throws Exception {
        ContainerLogSamples.Parsed parsed = sample();
        // Lines 4 and 5 are chunks without newline on stdout and stderr: line 4 is completed by line 6 (stdout)...
        assertThat(parsed.event(FILE + ":4-6").getLog().getMessage())
                .isEqualTo("docker stdout test log1:M 09 Nov 13:27:36.276 # User requested shutdown...");
        // ...while the stderr chunk is never completed and is emitted at the end of the file, marked partial.
        SecurityEvent unfinished = parsed.event(FILE + ":5");
        assertThat(unfinished.getLog().getStream()).isEqualTo("stderr");
        assertThat(unfinished.getLog().getMessage()).isEqualTo("docker stderr test log");
        assertThat(unfinished.getAttributes()).containsEntry("log.partial", "true");
        assertThat(unfinished.getTimestamp()).isEqualTo(1_476_988_760_576_064_430L);
    }

    @Test
    void shouldKeepDockerAttrsAsAttributes() throws Exception {
        SecurityEvent event = sample().event(FILE + ":9");
        assertThat(event.getLog().getMessage()).isEqualTo("hello");
        assertThat(event.getAttributes()).containsEntry("docker.attrs.KEY1", "value1").containsEntry("docker.attrs.KEY2", "value2");
    }

    @Test
    void shouldKeepJsonInsideTheLogAsText() throws Exception {
        ContainerLogSamples.Parsed parsed = sample();
        assertThat(parsed.event(FILE + ":12").getLog().getMessage())
                .startsWith("{\"level\":\"info\",\"time\":\"2018-09-21T02:56:05.979833Z\",\"instance\":\"tcpaccesslog")
                .endsWith("\"totalSentBytes\":1671996}");
        assertThat(parsed.event(FILE + ":12").getTimestamp()).isEqualTo(1_537_498_566_978_292_233L);
        assertThat(parsed.event(FILE + ":13").getLog().getMessage()).isEqualTo(
                "{\"stringified-json\":\"{\\\"stringified-json\\\":\\\"{\\\\\\\"stringified-json\\\\\\\":\\\\\\\"\\\\\\\"}\\\"}\",\"text\":\"quoted \\\"text with embedded quoted \\\\\\\"text\\\\\\\"\\\"\"}");
    }

    @Test
    void shouldReadKubernetesMetadataFromAContainersSymlinkOfADockershimNode() throws Exception {
        String symlink = "/var/log/containers/web-7d9f8c-x2x4q_shop_nginx-" + ID + ".log";
        SecurityEvent event = parseOne("{\"log\":\"GET /\\n\",\"stream\":\"stdout\",\"time\":\"2024-03-01T10:00:00Z\"}", symlink + ":1");
        assertThat(event.getKubernetes().getNamespace()).isEqualTo("shop");
        assertThat(event.getKubernetes().getPod()).isEqualTo("web-7d9f8c-x2x4q");
        assertThat(event.getContainer().getName()).isEqualTo("nginx");
        assertThat(event.getContainer().getId()).isEqualTo(ID);
    }

    @Test
    void shouldJoinAStackTraceAcrossJsonLines() throws Exception {
        String t = "\",\"stream\":\"stderr\",\"time\":\"2024-03-01T10:00:00.25Z\"}";
        ContainerLogSamples.Parsed parsed = ContainerLogSamples.parse(parser, "f",
                "{\"log\":\"Error: connect ECONNREFUSED\\n" + t,
                "{\"log\":\"    at TCPConnectWrap.afterConnect (node:net:1555:16)\\n" + t,
                "{\"log\":\"listening\\n" + t);
        assertThat(parsed.event("f:1-2").getLog().getMessage())
                .isEqualTo("Error: connect ECONNREFUSED\n    at TCPConnectWrap.afterConnect (node:net:1555:16)");
        assertThat(parsed.event("f:3").getLog().getMessage()).isEqualTo("listening");
    }

    @Test
    void shouldStripACarriageReturnBeforeTheNewline() throws Exception {
        SecurityEvent event = parseOne("{\"log\":\"dos line\\r\\n\",\"stream\":\"stdout\",\"time\":\"2024-03-01T10:00:00Z\"}", "f:1");
        assertThat(event.getLog().getMessage()).isEqualTo("dos line");
    }

    @Test
    void shouldRejectWrongTypesAndValuesWithPreciseReasons() {
        String time = ",\"time\":\"2024-03-01T10:00:00Z\"}";
        assertReason("{\"stream\":\"stdout\"" + time, "missing required field 'log'");
        assertReason("{\"log\":null,\"stream\":\"stdout\"" + time, "missing required field 'log'");
        assertReason("{\"log\":42,\"stream\":\"stdout\"" + time, "field 'log' must be a string, got a number");
        assertReason("{\"log\":\"x\\n\",\"stream\":[\"stdout\"]" + time, "field 'stream' must be a string, got an array");
        assertReason("{\"log\":\"x\\n\",\"stream\":\"stdlog\"" + time, "field 'stream' has unknown value \"stdlog\"");
        assertReason("{\"log\":\"x\\n\",\"stream\":\"stdout\",\"time\":1546341071}", "field 'time' must be a string, got a number");
        assertReason("{\"log\":\"x\\n\",\"stream\":\"stdout\",\"time\":\"2019-01-01 11:11:11\"}", "field 'time' is not an RFC 3339 timestamp");
        assertReason("{\"log\":\"x\\n\",\"stream\":\"stdout\",\"attrs\":[1]" + time, "field 'attrs' must be an object");
        assertReason("[\"log\",\"stream\",\"time\"]", "expected a JSON object, got an array");
        assertReason("{\"log\":\"x\\n\",\"stream\":\"stdout\",\"time\":\"2024-03-01T10", "invalid JSON");
        assertReason("{\"log\":\"x\\n\",\"log\":\"y\\n\",\"stream\":\"stdout\"" + time, "Duplicate field");
        assertReason("{\"log\":\"x\\n\",\"stream\":\"stdout\"" + time + " {}", "invalid JSON");
        assertReason("2024-03-01T10:00:00Z stdout F a CRI line", "invalid JSON");
    }

    @Test
    void shouldRejectDeeplyNestedJsonAndInvalidUtf8() {
        String deep = "{\"log\":\"x\\n\",\"stream\":\"stdout\",\"time\":\"2024-03-01T10:00:00Z\",\"attrs\":{\"a\":"
                + "[".repeat(50_000) + "]".repeat(50_000) + "}}";
        assertReason(deep, "safety limit");
        byte[] bytes = "{\"log\":\"caf\u00e9\\n\",\"stream\":\"stdout\",\"time\":\"2024-03-01T10:00:00Z\"}".getBytes(UTF_8);
        bytes[12] = (byte) 0x41; // break the continuation byte of the é
        assertThatThrownBy(() -> parser.parse(bytes, "f:1")).isInstanceOf(ParseException.class).hasMessageContaining("UTF-8");
    }

    @Test
    void shouldParseAHugeLogLine() throws Exception {
        String big = "{\"log\":\"" + "x".repeat(900_000) + "\\n\",\"stream\":\"stdout\",\"time\":\"2024-03-01T10:00:00Z\"}";
        assertThat(parseOne(big, "f:1").getLog().getMessage()).hasSize(900_000);
        String tooLong = "{\"log\":\"" + "x".repeat(2 << 20) + "\\n\",\"stream\":\"stdout\",\"time\":\"2024-03-01T10:00:00Z\"}";
        assertReason(tooLong, "safety limit");
    }

    @Test
    void shouldRecognizeDockerLinesForFormatDetection() {
        assertThat(DockerJsonParser.looksLike("{\"log\":\"x\\n\",\"stream\":\"stdout\",\"time\":\"2019-01-01T11:11:11Z\"}".getBytes(UTF_8))).isTrue();
        assertThat(DockerJsonParser.looksLike("  {\"log\":\"x\",\"stream\":\"stderr\",\"attrs\":{},\"time\":\"t\"}".getBytes(UTF_8))).isTrue();
        assertThat(DockerJsonParser.looksLike("{\"rule\":\"r\",\"priority\":\"Notice\",\"time\":\"2019-01-01T11:11:11Z\"}".getBytes(UTF_8))).isFalse();
        assertThat(DockerJsonParser.looksLike("{\"log\":\"x\\n\",\"stream\":\"stdout\"}".getBytes(UTF_8))).isFalse();
        assertThat(DockerJsonParser.looksLike("{\"log\":".getBytes(UTF_8))).isFalse();
        assertThat(DockerJsonParser.looksLike("2016-10-20T18:39:20.57606443Z stdout F x".getBytes(UTF_8))).isFalse();
        assertThat(DockerJsonParser.looksLike(new byte[0])).isFalse();
        assertThat(DockerJsonParser.looksLike(null)).isFalse();
    }

    private void assertReason(String record, String reason) {
        assertThatThrownBy(() -> parser.parse(record.getBytes(UTF_8), "f:1"))
                .isInstanceOf(ParseException.class)
                .hasMessageContaining(reason);
    }
}
