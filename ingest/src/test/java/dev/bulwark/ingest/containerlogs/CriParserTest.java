package dev.bulwark.ingest.containerlogs;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.bulwark.ingest.ParseException;
import dev.bulwark.schemas.SecurityEvent;

class CriParserTest {

    private static final String CONTAINER_ID = "aeeccc7a9f00f6e4e066aeff0434cf80621215071f1b20a51e8340aa7c35eac6";
    /** The real /var/log/containers name from the Fluent Bit docs (see log_paths_naming.md). */
    private static final String SYMLINK = "/var/log/containers/apache-logs-annotated_default_apache-" + CONTAINER_ID + ".log";
    private static final String POD_UID = "0b5c2f1e-7a3d-4c1e-9f00-6d2b8e4a1c33";
    private static final String PODS_FILE = "/var/log/pods/default_apache-logs-annotated_" + POD_UID + "/apache/2.log";

    private final CriParser parser = new CriParser();

    private SecurityEvent parseOne(String record, String origin) throws ParseException {
        List<SecurityEvent> events = parser.parse(record.getBytes(UTF_8), origin);
        assertThat(events).hasSize(1);
        return events.get(0);
    }

    @Test
    void shouldParseEveryRealSampleLineAndRejectTheTruncatedOne() throws Exception {
        ContainerLogSamples.Parsed parsed = ContainerLogSamples.parseSample(parser, "container_logs/cri_log_lines.log", SYMLINK);
        assertThat(parsed.events()).hasSize(8);
        assertThat(parsed.errors()).containsOnlyKeys(SYMLINK + ":12");
        assertThat(parsed.errors().get(SYMLINK + ":12")).contains("truncated CRI log line");
        assertThat(parsed.events().values()).allSatisfy(event -> {
            assertThat(event.getSourceFormat()).isEqualTo("cri");
            assertThat(event.getEvent().getKind()).isEqualTo("event");
            assertThat(event.getEvent().getDataset()).isEqualTo("container.logs");
            assertThat(event.getKubernetes().getNamespace()).isEqualTo("default");
            assertThat(event.getContainer().getId()).isEqualTo(CONTAINER_ID);
        });
    }

    @Test
    void shouldMapAFullLineWithNanosecondTimeStreamAndPathMetadata() throws Exception {
        ContainerLogSamples.Parsed parsed = ContainerLogSamples.parseSample(parser, "container_logs/cri_log_lines.log", SYMLINK);
        SecurityEvent event = parsed.event(SYMLINK + ":3");
        // 2016-10-20T18:39:20.57606443Z: eight fraction digits, as RFC3339Nano trims trailing zeros.
        assertThat(event.getTimestamp()).isEqualTo(1_476_988_760_576_064_430L);
        assertThat(event.getLog().getMessage()).isEqualTo("cri stdout test log");
        assertThat(event.getLog().getStream()).isEqualTo("stdout");
        assertThat(event.getOriginal()).isEqualTo("2016-10-20T18:39:20.57606443Z stdout F cri stdout test log");
        assertThat(event.getKubernetes().getPod()).isEqualTo("apache-logs-annotated");
        assertThat(event.getKubernetes().getNamespace()).isEqualTo("default");
        assertThat(event.getKubernetes().getPodUid()).isNull();
        assertThat(event.getContainer().getName()).isEqualTo("apache");
        assertThat(event.getContainer().getId()).isEqualTo(CONTAINER_ID);
        assertThat(event.getContainer().getRuntime()).isNull();
        assertThat(event.getEvent().getCategory()).isEmpty();
        assertThat(event.getAttributes())
                .containsEntry("log.file.path", SYMLINK)
                .containsEntry("log.origin", SYMLINK + ":3")
                .containsEntry("log.time", "2016-10-20T18:39:20.57606443Z")
                .doesNotContainKeys("log.lines", "log.partial");
        assertThat(parsed.event(SYMLINK + ":4").getLog().getStream()).isEqualTo("stderr");
    }

    @Test
    void shouldJoinPartialChunksWithTheirFinalChunk() throws Exception {
        ContainerLogSamples.Parsed parsed = ContainerLogSamples.parseSample(parser, "container_logs/cri_log_lines.log", SYMLINK);
        SecurityEvent joined = parsed.event(SYMLINK + ":5-7");
        assertThat(joined.getLog().getMessage()).isEqualTo("cri stdout partial test logcri stdout partial test log"
                + "2017-09-12 22:32:21.212 [INFO][88] table.go 710: Invalidating dataplane cache");
        assertThat(joined.getTimestamp()).isEqualTo(1_476_988_760_576_064_430L);
        assertThat(joined.getAttributes()).containsEntry("log.lines", "3").containsEntry("cri.tags", "TAG1:TAG2")
                .doesNotContainKey("log.partial");
        assertThat(joined.getOriginal()).hasLineCount(3);

        // The final chunk's message starts with a space; it is kept.
        SecurityEvent split = parsed.event(SYMLINK + ":10-11");
        assertThat(split.getLog().getMessage())
                .isEqualTo("2017-10-12 13:32:21.212 [INFO][88] table.go 710: Invalidating dataplane cache error");
        assertThat(split.getTimestamp()).isEqualTo(1_507_815_141_232_861_448L);
    }

    @Test
    void shouldAcceptLegacyLinesWithoutATag() throws Exception {
        ContainerLogSamples.Parsed parsed = ContainerLogSamples.parseSample(parser, "container_logs/cri_log_lines.log", SYMLINK);
        SecurityEvent legacy = parsed.event(SYMLINK + ":1");
        assertThat(legacy.getLog().getMessage()).isEqualTo("The content of the log entry 1");
        assertThat(legacy.getTimestamp()).isEqualTo(1_475_713_029_669_794_202L);
        assertThat(parsed.event(SYMLINK + ":8").getLog().getMessage())
                .isEqualTo("2017-09-12 22:32:21.212 [INFO][88] table.go 710: Invalidating dataplane cache");
    }

    @Test
    void shouldJoinAStackTraceIntoOneMessage() throws Exception {
        String t = "2024-03-01T10:00:00.000000001Z stderr F ";
        ContainerLogSamples.Parsed parsed = ContainerLogSamples.parse(parser, PODS_FILE,
                t + "java.lang.IllegalStateException: boom",
                t + "\tat com.example.App.run(App.java:42)",
                t + "Caused by: java.io.IOException: disk full",
                t + "\t... 1 more");
        SecurityEvent event = parsed.event(PODS_FILE + ":1-4");
        assertThat(event.getLog().getMessage()).isEqualTo("java.lang.IllegalStateException: boom\n"
                + "\tat com.example.App.run(App.java:42)\nCaused by: java.io.IOException: disk full\n\t... 1 more");
        assertThat(event.getTimestamp()).isEqualTo(1_709_287_200_000_000_001L);
        assertThat(event.getAttributes()).containsEntry("log.lines", "4");
    }

    @Test
    void shouldReadMetadataFromTheVarLogPodsLayout() throws Exception {
        SecurityEvent event = parseOne("2024-03-01T10:00:00Z stdout F hello", PODS_FILE + ":7");
        assertThat(event.getKubernetes().getNamespace()).isEqualTo("default");
        assertThat(event.getKubernetes().getPod()).isEqualTo("apache-logs-annotated");
        assertThat(event.getKubernetes().getPodUid()).isEqualTo(POD_UID);
        assertThat(event.getContainer().getName()).isEqualTo("apache");
        assertThat(event.getContainer().getId()).isNull();
        assertThat(event.getAttributes()).containsEntry("kubernetes.container.restart_count", "2")
                .containsEntry("log.file.path", PODS_FILE);
    }

    @Test
    void shouldHaveNoKubernetesOrContainerGroupWithoutARecognizablePath() throws Exception {
        SecurityEvent event = parseOne("2024-03-01T10:00:00Z stdout F hello", "stdin:1");
        assertThat(event.getKubernetes()).isNull();
        assertThat(event.getContainer()).isNull();
        assertThat(event.getAttributes()).containsEntry("log.file.path", "stdin");
        SecurityEvent noOrigin = parseOne("2024-03-01T10:00:00Z stdout F hello", null);
        assertThat(noOrigin.getAttributes()).doesNotContainKeys("log.file.path", "log.origin");
    }

    @Test
    void shouldGiveTheSameIdForTheSameLineThroughTheSymlinkAndThePodsFile() throws Exception {
        String line = "2024-03-01T10:00:00Z stdout F hello";
        String viaSymlink = parseOne(line, SYMLINK + ":1").getId();
        assertThat(parseOne(line, SYMLINK + ":1").getId()).isEqualTo(viaSymlink);
        assertThat(parseOne(line, PODS_FILE + ":1").getId()).isEqualTo(viaSymlink);
        String otherContainer = SYMLINK.replace("_apache-", "_sidecar-");
        assertThat(parseOne(line, otherContainer + ":1").getId()).isNotEqualTo(viaSymlink);
        assertThat(parseOne(line + "!", SYMLINK + ":1").getId()).isNotEqualTo(viaSymlink);
    }

    @Test
    void shouldConvertLocalTimeWithAnOffsetToUtcNanos() throws Exception {
        SecurityEvent event = parseOne("2024-03-01T11:00:00.5+01:00 stdout F local node time", "x.log:1");
        assertThat(event.getTimestamp()).isEqualTo(1_709_287_200_500_000_000L);
        assertThat(event.getAttributes()).containsEntry("log.time", "2024-03-01T11:00:00.5+01:00");
    }

    @Test
    void shouldMarkARecordThatEndsInAPartialChunk() throws Exception {
        SecurityEvent event = parseOne("2024-03-01T10:00:00Z stdout P first\n2024-03-01T10:00:00Z stdout P second", "x.log:1-2");
        assertThat(event.getLog().getMessage()).isEqualTo("firstsecond");
        assertThat(event.getAttributes()).containsEntry("log.partial", "true");
    }

    @Test
    void shouldKeepEmptyAndWhitespaceMessages() throws Exception {
        assertThat(parseOne("2024-03-01T10:00:00Z stdout F ", "x").getLog().getMessage()).isEmpty();
        assertThat(parseOne("2024-03-01T10:00:00Z stdout F", "x").getLog().getMessage()).isEmpty();
        assertThat(parseOne("2024-03-01T10:00:00Z stdout F   indented", "x").getLog().getMessage()).isEqualTo("  indented");
        assertThat(parseOne("2024-03-01T10:00:00Z stdout F msg\r", "x").getLog().getMessage()).isEqualTo("msg");
    }

    @Test
    void shouldRejectBrokenLinesWithPreciseReasons() {
        assertReason("2017-09-12T22:32:21.212861448Z stdout", "truncated CRI log line: no tag and no message");
        assertReason("2017-09-12T22:32:21.212861448Z", "not a CRI log line");
        assertReason("yesterday stdout F hello", "CRI log line does not start with an RFC 3339 time: \"yesterday\"");
        assertReason("2017-13-45T25:61:61Z stdout F hello", "does not start with an RFC 3339 time");
        assertReason("2017-09-12T22:32:21Z stdlog F hello", "unknown stream \"stdlog\" (expected stdout or stderr)");
        assertReason("2017-09-12T22:32:21Z  F hello", "unknown stream \"\"");
        assertReason("x".repeat(100) + " stdout F hello", "not a CRI log line");
        assertReason("", "empty record");
        assertReason("\n \n", "empty record");
        assertReason("{\"log\":\"docker line\\n\",\"stream\":\"stdout\",\"time\":\"2017-09-12T22:32:21Z\"}", "does not start with an RFC 3339 time");
    }

    @Test
    void shouldRejectALineOfTheOtherStreamInsideARecord() {
        assertReason("2024-03-01T10:00:00Z stdout P a\n2024-03-01T10:00:00Z stderr F b",
                "line 2 of the record is on stderr but the record started on stdout");
        assertReason("2024-03-01T10:00:00Z stdout P a\nbroken", "line 2 of the record: not a CRI log line");
    }

    @Test
    void shouldRejectInvalidUtf8NamingTheByte() {
        byte[] line = "2024-03-01T10:00:00Z stdout F caf\u00e9!".getBytes(UTF_8);
        byte[] broken = java.util.Arrays.copyOf(line, line.length);
        broken[broken.length - 2] = (byte) 0x41; // keep the lead byte 0xC3, break its continuation byte
        assertThatThrownBy(() -> parser.parse(broken, "x.log:1"))
                .isInstanceOf(ParseException.class)
                .hasMessageContaining("invalid UTF-8 in the CRI log message at byte " + (broken.length - 3));
        byte[] truncatedSequence = java.util.Arrays.copyOf(line, line.length - 2);
        assertThatThrownBy(() -> parser.parse(truncatedSequence, "x.log:1"))
                .isInstanceOf(ParseException.class).hasMessageContaining("invalid UTF-8");
    }

    @Test
    void shouldParseAHugeLineQuicklyAndSurviveAHostileOrigin() throws Exception {
        String huge = "2024-03-01T10:00:00Z stdout F " + "(".repeat(1 << 20);
        SecurityEvent event = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(5),
                () -> parseOne(huge, "/var/log/containers/" + "a".repeat(5000) + "_b_c-d.log:1"));
        assertThat(event.getLog().getMessage()).hasSize(1 << 20);
        assertThat(event.getKubernetes()).isNull();
        org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(5),
                () -> parseOne("2024-03-01T10:00:00Z stdout F x",
                        "/var/log/containers/" + "a-".repeat(120) + "_" + "b".repeat(60) + "_" + "c-".repeat(1000) + ".log:1"));
    }

    @Test
    void shouldRecognizeCriLinesForFormatDetection() {
        assertThat(CriParser.looksLike("2016-10-20T18:39:20.57606443Z stdout F cri stdout test log".getBytes(UTF_8))).isTrue();
        assertThat(CriParser.looksLike("2016-10-06T00:17:09.669794202Z stderr The content".getBytes(UTF_8))).isTrue();
        assertThat(CriParser.looksLike("2024-03-01T11:00:00+01:00 stdout P x".getBytes(UTF_8))).isTrue();
        assertThat(CriParser.looksLike("2017-09-12T22:32:21.212861448Z stdout".getBytes(UTF_8))).isTrue();
        assertThat(CriParser.looksLike("2017-09-12T22:32:21Z stdlog F x".getBytes(UTF_8))).isFalse();
        assertThat(CriParser.looksLike("{\"log\":\"x\\n\",\"stream\":\"stdout\",\"time\":\"2019-01-01T11:11:11Z\"}".getBytes(UTF_8))).isFalse();
        assertThat(CriParser.looksLike(new byte[0])).isFalse();
        assertThat(CriParser.looksLike(null)).isFalse();
    }

    private void assertReason(String record, String reason) {
        assertThatThrownBy(() -> parser.parse(record.getBytes(UTF_8), "x.log:1"))
                .isInstanceOf(ParseException.class)
                .hasMessageContaining(reason);
    }

    @Test
    void shouldTakeEachRecordsMetadataFromItsOwnFileWhateverTheLine() throws Exception {
        String line = "2024-03-01T10:00:00Z stdout F hello";
        String other = "/var/log/containers/web-0_shop_nginx-" + "0".repeat(64) + ".log";
        for (int n = 1; n <= 3; n++) {
            for (String origin : new String[] {SYMLINK + ":" + n, PODS_FILE + ":" + n + "-" + (n + 2), other + ":" + n, "app.log:" + n}) {
                SecurityEvent event = parseOne(line, origin);
                assertThat(event.getAttributes()).as(origin).containsEntry("log.origin", origin);
                if (origin.startsWith(SYMLINK)) {
                    assertThat(event.getKubernetes().getPod()).isEqualTo("apache-logs-annotated");
                    assertThat(event.getKubernetes().getPodUid()).isNull();
                    assertThat(event.getContainer().getId()).isEqualTo(CONTAINER_ID);
                    assertThat(event.getAttributes()).containsEntry("log.file.path", SYMLINK);
                } else if (origin.startsWith(PODS_FILE)) {
                    assertThat(event.getKubernetes().getPodUid()).isEqualTo(POD_UID);
                    assertThat(event.getContainer().getId()).isNull();
                    assertThat(event.getAttributes()).containsEntry("log.file.path", PODS_FILE)
                            .containsEntry("kubernetes.container.restart_count", "2");
                } else if (origin.startsWith(other)) {
                    assertThat(event.getKubernetes().getNamespace()).isEqualTo("shop");
                    assertThat(event.getKubernetes().getPod()).isEqualTo("web-0");
                    assertThat(event.getContainer().getName()).isEqualTo("nginx");
                    assertThat(event.getContainer().getId()).isEqualTo("0".repeat(64));
                } else {
                    assertThat(event.getKubernetes()).isNull();
                    assertThat(event.getContainer()).isNull();
                    assertThat(event.getAttributes()).containsEntry("log.file.path", "app.log");
                }
            }
        }
    }
}
