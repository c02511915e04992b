package dev.bulwark.ingest.containerlogs;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.bulwark.ingest.RecordFramer;
import dev.bulwark.ingest.RecordFramer.Framed;
import dev.bulwark.ingest.RecordFramer.Line;

class ContainerLogFramerTest {

    private static final String T = "2024-03-01T10:00:00.123456789Z ";

    /** Feeds lines (numbered from 1) to a fresh CRI framer and returns the records, finishing the stream. */
    private static List<Framed> frameCri(int maxRecordBytes, String... lines) {
        return frame(new CriParser().framing().newFramer(maxRecordBytes), true, lines);
    }

    private static List<Framed> frame(RecordFramer framer, boolean finish, String... lines) {
        List<Framed> out = new ArrayList<>();
        long number = 0;
        for (String line : lines) {
            byte[] bytes = line.getBytes(UTF_8);
            framer.accept(new Line(bytes, ++number, bytes.length), out::add);
        }
        if (finish) {
            framer.finish(out::add);
        }
        return out;
    }

    private static String text(Framed framed) {
        return new String(framed.bytes(), UTF_8);
    }

    @Test
    void shouldJoinPartialChunksWithTheFinalChunkIntoOneRecord() {
        List<Framed> records = frameCri(1024,
                T + "stdout P first ",
                T + "stdout P:TAG1 second ",
                T + "stdout F third",
                T + "stdout F next message");
        assertThat(records).hasSize(2);
        assertThat(text(records.get(0))).isEqualTo(
                T + "stdout P first \n" + T + "stdout P:TAG1 second \n" + T + "stdout F third");
        assertThat(records.get(0).firstLine()).isEqualTo(1);
        assertThat(records.get(0).lastLine()).isEqualTo(3);
        assertThat(records.get(0).origin("f.log")).isEqualTo("f.log:1-3");
        assertThat(records.get(0).oversized()).isFalse();
        assertThat(text(records.get(1))).isEqualTo(T + "stdout F next message");
    }

    @Test
    void shouldJoinPartialsPerStreamWhenStdoutAndStderrInterleave() {
        List<Framed> records = frameCri(1024,
                T + "stdout P out-1 ",
                T + "stderr P err-1 ",
                T + "stdout P out-2 ",
                T + "stderr F err-2",
                T + "stdout F out-3");
        // Neither group is known to be complete before the end (a trace line could follow); the end emits the
        // older group first.
        assertThat(records).extracting(ContainerLogFramerTest::text).containsExactly(
                T + "stdout P out-1 \n" + T + "stdout P out-2 \n" + T + "stdout F out-3",
                T + "stderr P err-1 \n" + T + "stderr F err-2");
        assertThat(records.get(0).origin("f")).isEqualTo("f:1-5");
        assertThat(records.get(1).origin("f")).isEqualTo("f:2-4");
    }

    @Test
    void shouldKeepAJavaStackTraceWithCausedByAsOneRecord() {
        List<Framed> records = frameCri(1 << 16,
                T + "stdout F 10:00:00 INFO starting",
                T + "stderr F Exception in thread \"main\" java.lang.IllegalStateException: boom",
                T + "stderr F \tat com.example.App.run(App.java:42)",
                T + "stdout F 10:00:01 INFO still serving",
                T + "stderr F \tat com.example.App.main(App.java:7)",
                T + "stderr F Caused by: java.io.IOException: disk full",
                T + "stderr F \tat java.base/java.io.FileOutputStream.write(FileOutputStream.java:349)",
                T + "stderr F \t... 2 more",
                T + "stderr F 10:00:02 ERROR next problem");
        assertThat(records).extracting(ContainerLogFramerTest::text).containsExactly(
                T + "stdout F 10:00:00 INFO starting",
                String.join("\n",
                        T + "stderr F Exception in thread \"main\" java.lang.IllegalStateException: boom",
                        T + "stderr F \tat com.example.App.run(App.java:42)",
                        T + "stderr F \tat com.example.App.main(App.java:7)",
                        T + "stderr F Caused by: java.io.IOException: disk full",
                        T + "stderr F \tat java.base/java.io.FileOutputStream.write(FileOutputStream.java:349)",
                        T + "stderr F \t... 2 more"),
                T + "stdout F 10:00:01 INFO still serving",
                T + "stderr F 10:00:02 ERROR next problem");
    }

    @Test
    void shouldKeepPythonTracebacksWithChainedExceptionsAsOneRecord() {
        List<Framed> records = frameCri(1 << 16,
                T + "stderr F Traceback (most recent call last):",
                T + "stderr F   File \"/app/main.py\", line 3, in <module>",
                T + "stderr F     1 / 0",
                T + "stderr F ZeroDivisionError: division by zero",
                T + "stderr F ",
                T + "stderr F During handling of the above exception, another exception occurred:",
                T + "stderr F ",
                T + "stderr F Traceback (most recent call last):",
                T + "stderr F   File \"/app/main.py\", line 5, in <module>",
                T + "stderr F NameError: name 'x' is not defined",
                T + "stderr F INFO after the crash");
        assertThat(records).hasSize(2);
        assertThat(records.get(0).origin("f")).isEqualTo("f:1-10");
        assertThat(records.get(1).origin("f")).isEqualTo("f:11");
    }

    @Test
    void shouldKeepAGoPanicWithItsGoroutineDumpAsOneRecord() {
        List<Framed> records = frameCri(1 << 16,
                T + "stderr F panic: runtime error: invalid memory address or nil pointer dereference",
                T + "stderr F [signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x48f4a5]",
                T + "stderr F ",
                T + "stderr F goroutine 1 [running]:",
                T + "stderr F main.(*server).handle(0x0, {0x4c2f40, 0xc000012018})",
                T + "stderr F \t/src/main.go:12 +0x25",
                T + "stderr F created by main.main in goroutine 1",
                T + "stderr F \t/src/main.go:20 +0x1d",
                T + "stderr F level=info msg=restarted");
        assertThat(records).extracting(r -> r.origin("f")).containsExactly("f:1-8", "f:9");
    }

    @Test
    void shouldEmitAMalformedLineAloneWithoutBreakingTheGroupsAroundIt() {
        List<Framed> records = frameCri(1024,
                T + "stdout P part one ",
                "2024-03-01T10:00:00Z stdout",
                T + "stdout F part two",
                "garbage in the middle",
                T + "stdout F \tcontinued",
                T + "stdlog F unknown stream",
                "not-a-time stdout F x");
        assertThat(records).extracting(ContainerLogFramerTest::text).containsExactly(
                "2024-03-01T10:00:00Z stdout",
                "garbage in the middle",
                T + "stdlog F unknown stream",
                "not-a-time stdout F x",
                T + "stdout P part one \n" + T + "stdout F part two\n" + T + "stdout F \tcontinued");
        assertThat(records.get(0).origin("f")).isEqualTo("f:2");
        assertThat(records.get(4).origin("f")).isEqualTo("f:1-5");
    }

    @Test
    void shouldEmitThePendingGroupWhenTheFileGoesIdle() {
        RecordFramer framer = new CriParser().framing().newFramer(1024);
        List<Framed> out = new ArrayList<>();
        framer.accept(line(1, T + "stdout F message"), out::add);
        framer.accept(line(2, T + "stdout F \tat frame"), out::add);
        framer.accept(line(3, T + "stderr P half a line "), out::add);
        assertThat(out).isEmpty();
        framer.idle(out::add);
        assertThat(out).extracting(r -> r.origin("f")).containsExactly("f:1-2", "f:3");
        framer.idle(out::add);
        framer.finish(out::add);
        assertThat(out).hasSize(2);
        framer.accept(line(4, T + "stdout F \tat late frame"), out::add);
        framer.finish(out::add);
        assertThat(out).extracting(r -> r.origin("f")).containsExactly("f:1-2", "f:3", "f:4");
    }

    @Test
    void shouldCapAGroupAtTheRecordLimitAndStartANewOne() {
        String chunk = T + "stdout P " + "x".repeat(60);
        int lineBytes = chunk.getBytes(UTF_8).length;
        int limit = lineBytes * 3 + 2; // exactly three lines joined by two newlines
        List<Framed> records = frameCri(limit, chunk, chunk, chunk, chunk, T + "stdout F end");
        assertThat(records).hasSize(2);
        assertThat(records.get(0).bytes()).hasSize(limit);
        assertThat(records.get(0).origin("f")).isEqualTo("f:1-3");
        assertThat(records.get(1).origin("f")).isEqualTo("f:4-5");
        assertThat(records).allSatisfy(r -> assertThat(r.oversized()).isFalse());
        assertThat(records).allSatisfy(r -> assertThat(r.bytes().length).isLessThanOrEqualTo(limit));
    }

    @Test
    void shouldEmitACutLineAloneAsOversized() {
        RecordFramer framer = new CriParser().framing().newFramer(128);
        List<Framed> out = new ArrayList<>();
        framer.accept(line(1, T + "stdout F a"), out::add);
        byte[] start = (T + "stdout F " + "y".repeat(200)).getBytes(UTF_8);
        byte[] cut = java.util.Arrays.copyOf(start, 128);
        framer.accept(new Line(cut, 2, 100_000), out::add);
        framer.accept(line(3, T + "stdout F \tat b"), out::add);
        framer.finish(out::add);
        assertThat(out).hasSize(2);
        assertThat(out.get(0).oversized()).isTrue();
        assertThat(out.get(0).size()).isEqualTo(100_000);
        assertThat(out.get(0).origin("f")).isEqualTo("f:2");
        assertThat(out.get(1).origin("f")).isEqualTo("f:1-3");
        assertThat(out.get(1).oversized()).isFalse();
    }

    @Test
    void shouldEmitAQuietStreamsGroupAfterManyLinesOfTheOtherStream() {
        List<String> lines = new ArrayList<>();
        lines.add(T + "stdout F quiet stream");
        for (int i = 0; i < ContainerLogFramer.MAX_INTERLEAVED_LINES + 1; i++) {
            lines.add(T + "stderr F busy " + i);
        }
        List<Framed> records = frame(new CriParser().framing().newFramer(1024), false, lines.toArray(String[]::new));
        assertThat(records).extracting(ContainerLogFramerTest::text).contains(T + "stdout F quiet stream");
    }

    @Test
    void shouldJoinDockerChunksWithoutNewlineAndKeepTracesTogether() {
        RecordFramer framer = new DockerJsonParser().framing().newFramer(1 << 16);
        String a = "{\"log\":\"first half \",\"stream\":\"stdout\",\"time\":\"2024-03-01T10:00:00.1Z\"}";
        String b = "{\"log\":\"second half\\n\",\"stream\":\"stdout\",\"time\":\"2024-03-01T10:00:00.2Z\"}";
        String c = "{\"log\":\"\\tat x.Y.z(Y.java:1)\\n\",\"stream\":\"stdout\",\"time\":\"2024-03-01T10:00:00.3Z\"}";
        String bad = "{\"log\":\"no time\\n\",\"stream\":\"stdout\"}";
        String d = "{\"log\":\"next\\n\",\"stream\":\"stdout\",\"time\":\"2024-03-01T10:00:00.4Z\"}";
        List<Framed> records = frame(framer, true, a, b, bad, c, d);
        assertThat(records).extracting(ContainerLogFramerTest::text).containsExactly(bad, a + "\n" + b + "\n" + c, d);
    }

    @Test
    void shouldFrameTheRealCriSampleIntoMessagesAndOneMalformedLine() throws Exception {
        List<Framed> records = frameSample(new CriParser(), "container_logs/cri_log_lines.log");
        assertThat(records).extracting(r -> r.origin("f")).containsExactly(
                "f:1", "f:2", "f:3", "f:5-7", "f:4", "f:8", "f:12", "f:9", "f:10-11");
    }

    @Test
    void shouldFrameTheRealDockerSampleIntoMessagesAndOneMalformedLine() throws Exception {
        List<Framed> records = frameSample(new DockerJsonParser(), "container_logs/docker_json_file_lines.log");
        assertThat(records).extracting(r -> r.origin("f")).containsExactly(
                "f:1", "f:2", "f:3", "f:4-6", "f:7-8", "f:10", "f:9", "f:11", "f:12", "f:5", "f:13");
    }

    static List<Framed> frameSample(dev.bulwark.ingest.SourceParser parser, String sample) throws Exception {
        List<String> lines = java.nio.file.Files.readAllLines(dev.bulwark.samples.Samples.path(sample), UTF_8);
        return frame(parser.framing().newFramer(1 << 20), true, lines.toArray(String[]::new));
    }

    private static Line line(long number, String text) {
        byte[] bytes = text.getBytes(UTF_8);
        return new Line(bytes, number, bytes.length);
    }
}
