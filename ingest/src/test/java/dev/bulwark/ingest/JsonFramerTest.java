package dev.bulwark.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class JsonFramerTest {

    private static List<RecordFramer.Framed> frame(String input, int maxRecordBytes) throws IOException {
        RecordReader reader = new RecordReader(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)), maxRecordBytes);
        RecordFramer framer = Framing.JSON.newFramer(maxRecordBytes);
        List<RecordFramer.Framed> out = new ArrayList<>();
        for (RecordReader.Record line = reader.next(); line != null; line = reader.next()) {
            framer.accept(new RecordFramer.Line(line.bytes(), line.line(), line.size()), out::add);
        }
        framer.finish(out::add);
        return out;
    }

    private static String text(RecordFramer.Framed framed) {
        return new String(framed.bytes(), StandardCharsets.UTF_8);
    }

    @Test
    void ndjsonIsOneRecordPerLine() throws IOException {
        List<RecordFramer.Framed> records = frame("{\"a\":1}\n{\"b\":\"}{\"}\n[1,2]\n", 1024);
        assertThat(records).extracting(JsonFramerTest::text).containsExactly("{\"a\":1}", "{\"b\":\"}{\"}", "[1,2]");
        assertThat(records).extracting(RecordFramer.Framed::firstLine).containsExactly(1L, 2L, 3L);
    }

    @Test
    void prettyPrintedDocumentsSpanLines() throws Exception {
        String input = """
                {
                  "kind": "List",
                  "items": [
                    {"name": "a \\" } ]"},
                    {"name": "b"}
                  ]
                }
                {
                  "second": true
                }
                """;
        List<RecordFramer.Framed> records = frame(input, 4096);
        assertThat(records).hasSize(2);
        assertThat(records.get(0).firstLine()).isEqualTo(1);
        assertThat(records.get(0).lastLine()).isEqualTo(7);
        assertThat(records.get(0).origin("f.json")).isEqualTo("f.json:1-7");
        assertThat(SafeJson.readObject(records.get(0).bytes()).get("items").size()).isEqualTo(2);
        assertThat(SafeJson.readObject(records.get(1).bytes()).get("second").asBoolean()).isTrue();
    }

    @Test
    void aTruncatedLineDoesNotSwallowTheGoodLinesAfterIt() throws IOException {
        List<RecordFramer.Framed> records = frame("{\"a\":{\"b\":\n{\"good\":1}\n{\"good\":2}\n", 1024);
        assertThat(records).extracting(JsonFramerTest::text).containsExactly("{\"a\":{\"b\":", "{\"good\":1}", "{\"good\":2}");
    }

    @Test
    void aTruncatedLineDoesNotSwallowAPlainLineAfterIt() throws IOException {
        List<RecordFramer.Framed> records = frame("{\"a\":[[[\nplain text\n  indented\n", 1024);
        assertThat(records).extracting(JsonFramerTest::text).containsExactly("{\"a\":[[[", "plain text", "  indented");
    }

    @Test
    void documentsConcatenatedWithoutANewlineAreSplit() throws IOException {
        List<RecordFramer.Framed> records = frame("{\n  \"a\": 1\n}{\n  \"b\": \"}{\"\n}{\"c\":3} {\"d\":4}\n", 1024);
        assertThat(records).extracting(JsonFramerTest::text)
                .containsExactly("{\n  \"a\": 1\n}", "{\n  \"b\": \"}{\"\n}", "{\"c\":3}", "{\"d\":4}");
    }

    @Test
    void nonJsonLinesAreRecordsOfTheirOwn() throws IOException {
        List<RecordFramer.Framed> records = frame("2024-01-01T00:00:00Z stdout F hello\n{\"a\":1}\nplain text\n", 1024);
        assertThat(records).extracting(JsonFramerTest::text)
                .containsExactly("2024-01-01T00:00:00Z stdout F hello", "{\"a\":1}", "plain text");
    }

    @Test
    void anUnterminatedDocumentAtEndOfStreamIsEmittedForTheDeadLetterTopic() throws IOException {
        List<RecordFramer.Framed> records = frame("{\n  \"a\": [1,\n", 1024);
        assertThat(records).hasSize(1);
        assertThat(text(records.get(0))).isEqualTo("{\n  \"a\": [1,");
    }

    @Test
    void anOversizedDocumentKeepsItsStartAndFullSizeAndTheNextDocumentSurvives() throws IOException {
        StringBuilder big = new StringBuilder("{\n");
        for (int i = 0; i < 200; i++) {
            big.append("  \"k").append(i).append("\": \"").append("x".repeat(50)).append("\",\n");
        }
        big.append("  \"end\": 1\n}\n{\"next\":1}\n");
        List<RecordFramer.Framed> records = frame(big.toString(), 1000);
        assertThat(records).hasSize(2);
        assertThat(records.get(0).oversized()).isTrue();
        assertThat(records.get(0).bytes()).hasSize(1000);
        assertThat(records.get(0).size()).isGreaterThan(10_000);
        assertThat(text(records.get(1))).isEqualTo("{\"next\":1}");
    }

    @Test
    void anOverlongLineIsOversizedAndAlone() throws IOException {
        String input = "{\"a\":\"" + "y".repeat(5000) + "\"}\n{\"b\":2}\n";
        List<RecordFramer.Framed> records = frame(input, 100);
        assertThat(records).hasSize(2);
        assertThat(records.get(0).oversized()).isTrue();
        assertThat(text(records.get(1))).isEqualTo("{\"b\":2}");
    }
}
