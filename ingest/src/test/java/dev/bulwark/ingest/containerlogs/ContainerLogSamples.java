package dev.bulwark.ingest.containerlogs;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.bulwark.ingest.EventParser;
import dev.bulwark.ingest.ParseException;
import dev.bulwark.ingest.RecordFramer;
import dev.bulwark.ingest.RecordFramer.Framed;
import dev.bulwark.samples.Samples;
import dev.bulwark.schemas.SecurityEvent;

/** Frames and parses container log text the way ingest does, for tests. */
final class ContainerLogSamples {

    /** What each record of a stream became: an event, or the parse error's message. */
    record Parsed(Map<String, SecurityEvent> events, Map<String, String> errors) {
        SecurityEvent event(String origin) {
            SecurityEvent event = events.get(origin);
            if (event == null) {
                throw new AssertionError("no event from " + origin + "; events from " + events.keySet() + ", errors " + errors);
            }
            return event;
        }
    }

    private ContainerLogSamples() {
    }

    static Parsed parseSample(EventParser parser, String sample, String fileName) throws Exception {
        List<String> lines = Files.readAllLines(Samples.path(sample), UTF_8);
        return parse(parser, fileName, lines.toArray(String[]::new));
    }

    /** Frames {@code lines} (numbered from 1) with the parser's framing and parses each record. */
    static Parsed parse(EventParser parser, String fileName, String... lines) {
        RecordFramer framer = parser.framing().newFramer(1 << 20);
        List<Framed> records = new ArrayList<>();
        long number = 0;
        for (String line : lines) {
            byte[] bytes = line.getBytes(UTF_8);
            framer.accept(new RecordFramer.Line(bytes, ++number, bytes.length), records::add);
        }
        framer.finish(records::add);
        Map<String, SecurityEvent> events = new LinkedHashMap<>();
        Map<String, String> errors = new LinkedHashMap<>();
        for (Framed record : records) {
            String origin = record.origin(fileName);
            try {
                List<SecurityEvent> parsed = parser.parse(record.bytes(), origin);
                if (parsed.size() != 1) {
                    throw new AssertionError("expected one event per record, got " + parsed.size());
                }
                events.put(origin, parsed.get(0));
            } catch (ParseException e) {
                errors.put(origin, e.getMessage());
            }
        }
        return new Parsed(events, errors);
    }
}
