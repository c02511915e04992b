package dev.bulwark.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulwark.schemas.EventInfo;
import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.schemas.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

class FileFollowerTest {

    /** One event per line, its id the line's text; lines starting with "bad" are rejected. */
    static final class LineParser implements EventParser {
        @Override
        public String format() {
            return "test-lines";
        }

        @Override
        public Framing framing() {
            return Framing.LINES;
        }

        @Override
        public List<SecurityEvent> parse(byte[] record, String origin) throws ParseException {
            String text = new String(record, StandardCharsets.UTF_8);
            if (text.startsWith("bad")) {
                throw new ParseException("bad line");
            }
            return List.of(SecurityEvent.newBuilder().setId(text).setTimestamp(0).setSourceFormat(format())
                    .setEvent(EventInfo.newBuilder().setKind("event").build()).build());
        }
    }

    @TempDir
    Path dir;
    Path log;
    Path state;
    MockProducer<String, byte[]> producer;
    Topics topics = Topics.withPrefix("bulwark.");
    IngestStats stats;
    EventPublisher publisher;

    @BeforeEach
    void setUp() {
        log = dir.resolve("app.log");
        state = dir.resolve("state").resolve("follow.json");
        producer = new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
        stats = new IngestStats(new SimpleMeterRegistry(), "test-lines");
        publisher = new EventPublisher(producer, topics, stats);
    }

    private FileFollower follower(String pattern) {
        return new FileFollower(List.of(pattern), new LineParser(), publisher, state, 1024, Duration.ofMillis(10),
                Duration.ofSeconds(1), Clock.systemUTC());
    }

    private List<String> published() {
        return producer.history().stream()
                .filter(r -> r.topic().equals(topics.events().name()))
                .map(r -> r.key().substring("event/".length()))
                .toList();
    }

    private void append(Path file, String text) throws IOException {
        Files.writeString(file, text, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    @Test
    void readsAppendedLinesAndWaitsForAnUnfinishedLine() throws Exception {
        append(log, "one\ntwo\nthr");
        FileFollower follower = follower(log.toString());
        follower.pollOnce();
        assertThat(published()).containsExactly("one", "two");
        append(log, "ee\nfour\n");
        follower.pollOnce();
        assertThat(published()).containsExactly("one", "two", "three", "four");
        assertThat(follower.positions().get(log.toAbsolutePath()).offset()).isEqualTo(Files.size(log));
    }

    @Test
    void followsThroughRenameRotationWithoutLosingTheOldFilesTail() throws Exception {
        append(log, "a1\n");
        FileFollower follower = follower(log.toString());
        follower.pollOnce();
        append(log, "a2\n");
        Files.move(log, dir.resolve("app.log.1"));
        append(dir.resolve("app.log.1"), "a3\n");
        append(log, "b1\n");
        follower.pollOnce();
        follower.pollOnce();
        assertThat(published()).containsExactly("a1", "a2", "a3", "b1");
    }

    @Test
    void aRestartResumesWhereItStoppedReadingNothingTwice() throws Exception {
        append(log, "one\ntwo\n");
        follower(log.toString()).run(countdown(2));
        append(log, "three\n");
        follower(log.toString()).run(countdown(2));
        assertThat(published()).containsExactly("one", "two", "three");
        assertThat(Files.readString(state)).contains("\"offset\" : " + Files.size(log));
    }

    @Test
    void aFileRotatedWhileStoppedIsReadToItsEndBeforeTheNewOne() throws Exception {
        append(log, "one\n");
        follower(log.toString()).run(countdown(1));
        append(log, "two\n");
        Files.move(log, dir.resolve("app.log.1"));
        append(log, "new1\n");
        follower(log.toString()).run(countdown(2));
        assertThat(published()).containsExactly("one", "two", "new1");
    }

    @Test
    void aTruncatedFileIsReadFromTheStart() throws Exception {
        append(log, "one\ntwo\n");
        FileFollower follower = follower(log.toString());
        follower.pollOnce();
        Files.writeString(log, "x\n");
        follower.pollOnce();
        follower.pollOnce();
        assertThat(published()).containsExactly("one", "two", "x");
    }

    @Test
    void globsPickUpNewFilesAndBadLinesAreDeadLettered() throws Exception {
        append(dir.resolve("a.log"), "a1\nbad one\n");
        FileFollower follower = follower(dir.resolve("*.log").toString());
        follower.pollOnce();
        append(dir.resolve("b.log"), "b1\n");
        follower.pollOnce();
        assertThat(published()).containsExactly("a1", "b1");
        assertThat(stats.deadLettered()).isEqualTo(1);
        assertThat(stats.balanced()).isTrue();
        assertThat(stats.recordsIn()).isEqualTo(3);
    }

    @Test
    void anOverlongLineIsDeadLetteredWithoutHoldingItInMemory() throws Exception {
        append(log, "x".repeat(100_000) + "\nok\n");
        follower(log.toString()).pollOnce();
        assertThat(published()).containsExactly("ok");
        assertThat(stats.deadLettered()).isEqualTo(1);
    }

    private static java.util.function.BooleanSupplier countdown(int rounds) {
        int[] left = {rounds};
        return () -> left[0]-- > 0;
    }
}
