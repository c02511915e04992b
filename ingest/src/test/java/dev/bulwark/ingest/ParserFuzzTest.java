package dev.bulwark.ingest;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Tag;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided fuzzing of every parser and its framing: whatever the bytes, a parser returns output or throws
 * {@link ParseException}; anything else (an unchecked exception, a stack overflow, an out-of-memory, a hang caught by
 * the per-input timeout) is a finding and fails the build with the input that caused it.
 *
 * <p>Runs over its seed inputs with the unit tests, and for real (coverage-guided, {@code JAZZER_FUZZ=1}) in its own
 * Surefire execution, bounded by {@code maxDuration}. New crash inputs land in
 * {@code src/test/resources/dev/bulwark/ingest/ParserFuzzTestInputs/} and then replay as regression tests.
 */
@Tag("fuzzing")
class ParserFuzzTest {

    private static final List<SourceParser> PARSERS = Parsers.formats().stream().map(Parsers::forFormat).toList();

    @FuzzTest(maxDuration = "40s")
    void parsersNeverFailExceptWithParseException(FuzzedDataProvider data) throws IOException {
        SourceParser parser = PARSERS.get(data.consumeInt(0, PARSERS.size() - 1));
        byte[] input = data.consumeRemainingAsBytes();
        // The record as framed from a stream, as the ingest path does it.
        RecordReader reader = new RecordReader(new ByteArrayInputStream(input), 4096);
        RecordFramer framer = parser.framing().newFramer(4096);
        List<RecordFramer.Framed> records = new ArrayList<>();
        for (RecordReader.Record line = reader.next(); line != null; line = reader.next()) {
            framer.accept(new RecordFramer.Line(line.bytes(), line.line(), line.size()), records::add);
        }
        framer.idle(records::add);
        framer.finish(records::add);
        for (RecordFramer.Framed record : records) {
            normalize(parser, record.bytes());
        }
        // And the raw bytes as one record, as an HTTP body reaches a parser.
        normalize(parser, input);
    }

    private static void normalize(SourceParser parser, byte[] record) {
        try {
            Normalized normalized = parser.normalize(record, "fuzz:1");
            if (normalized.isEmpty()) {
                throw new AssertionError(parser.format() + " returned nothing without a ParseException");
            }
        } catch (ParseException expected) {
            if (expected.getMessage() == null || expected.getMessage().isBlank()) {
                throw new AssertionError(parser.format() + " threw a ParseException without a reason", expected);
            }
        }
    }
}
