package dev.bulwark.sigma;

import static dev.bulwark.sigma.ProcessorTestSupport.contents;
import static dev.bulwark.sigma.ProcessorTestSupport.drain;
import static dev.bulwark.sigma.ProcessorTestSupport.punctuator;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.Punctuator;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.bulwark.schemas.Evidence;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.FindingRule;
import dev.bulwark.schemas.Ids;
import dev.bulwark.sigma.FindingFolder.FoldState;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * The fold processor (and its {@link FindingFolder}) on its own: the first match of an episode goes out at once,
 * repeats are held and flushed by the wall-clock punctuation, an episode ends after the fold window plus the grace in
 * stream time, a resent event is not counted again, and a new processor over the same stores carries on.
 */
class FoldProcessorTest {

    static final String FOLD_KEY = "fold-key-whoami-c1";
    static final long T0 = 1_700_000_000_000L;
    static final long NOW = 1_800_000_000_000L;
    static final long WINDOW = Duration.ofMinutes(10).toMillis();
    static final long GRACE = Duration.ofSeconds(30).toMillis();

    private final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    private final SigmaSettings settings = SigmaSettings.from(Map.of("fold-window", "10m", "emit-interval", "30s",
            "grace", "30s", "max-evidence-events", "3"));
    private MockProcessorContext<String, Finding> context;
    private KeyValueStore<Bytes, byte[]> stateBytes;
    private KeyValueStore<String, FoldState> states;
    private KeyValueStore<String, Long> dirty;
    private FoldProcessor processor;

    @BeforeEach
    void setUp() {
        context = ProcessorTestSupport.context(0);
        stateBytes = Stores.inMemoryKeyValueStore("sigma-fold").get();
        states = ProcessorTestSupport.store(context, "sigma-fold", Serdes.String(), FindingFolder.STATE_SERDE,
                stateBytes);
        dirty = ProcessorTestSupport.store(context, "sigma-fold-dirty", Serdes.String(), Serdes.Long());
        processor = start(context);
    }

    private FoldProcessor start(MockProcessorContext<String, Finding> on) {
        on.setCurrentSystemTimeMs(NOW);
        FoldProcessor started = new FoldProcessor(new FindingFolder("sigma-fold", "sigma-fold-dirty", settings,
                metrics.counter("folded"), metrics.counter("duplicates")));
        started.init(on);
        return started;
    }

    /** The rule finding of one matching event, as the match processor makes it (its id is the fold key). */
    static Finding match(String eventId, long time) {
        return Finding.newBuilder()
                .setId(FOLD_KEY)
                .setDetector("sigma")
                .setRule(FindingRule.newBuilder().setId("r1").setName("Whoami run").build())
                .setSeverity("low")
                .setTenant("acme")
                .setSummary("whoami in c1")
                .setFirstSeen(time)
                .setLastSeen(time)
                .setEvidence(Evidence.newBuilder().setEventIds(List.of(eventId)).build())
                .build();
    }

    private void process(String eventId, long time) {
        context.setCurrentStreamTimeMs(Math.max(context.currentStreamTimeMs(), time));
        processor.process(new Record<>(FOLD_KEY, match(eventId, time), time));
    }

    private Punctuator wallClock() {
        return punctuator(context, PunctuationType.WALL_CLOCK_TIME);
    }

    @Test
    void theFirstMatchOfAnEpisodeIsEmittedAtOnceUnderTheEpisodeId() {
        process("e1", T0);

        assertThat(context.forwarded()).singleElement().satisfies(f -> {
            assertThat(f.record().key()).isEqualTo(Ids.of(FOLD_KEY, Long.toString(T0)));
            assertThat(f.record().value().getId()).isEqualTo(f.record().key());
            assertThat(f.record().value().getCount()).isEqualTo(1);
            assertThat(f.record().timestamp()).as("the finding's last_seen").isEqualTo(T0);
        });
        FoldState state = states.get(FOLD_KEY);
        assertThat(state.dirty()).isFalse();
        assertThat(state.lastEmitted()).isEqualTo(NOW);
        assertThat(contents(dirty)).isEmpty();
        assertThat(wallClock()).isNotNull();
        assertThat(context.scheduledPunctuators().get(0).getInterval())
                .as("a tick of the emit interval, at most 10 s").isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void repeatsAreHeldUntilTheEmitIntervalPassesThenFlushedOnceWithTheSameId() {
        process("e1", T0);
        String id = drain(context).get(0).getId();
        context.setCurrentSystemTimeMs(NOW + 1_000);
        process("e2", T0 + 1_000);
        process("e3", T0 + 2_000);

        assertThat(context.forwarded()).as("held back within the interval").isEmpty();
        assertThat(states.get(FOLD_KEY).dirty()).isTrue();
        assertThat(states.get(FOLD_KEY).finding().getCount()).isEqualTo(3);
        assertThat(dirty.get(FOLD_KEY)).as("dirty since the last emission").isEqualTo(NOW);

        wallClock().punctuate(NOW + 29_999);
        assertThat(context.forwarded()).as("interval not over yet").isEmpty();

        wallClock().punctuate(NOW + 30_000);
        List<Finding> flushed = drain(context);
        assertThat(flushed).singleElement().satisfies(f -> {
            assertThat(f.getId()).isEqualTo(id);
            assertThat(f.getCount()).isEqualTo(3);
            assertThat(f.getFirstSeen()).isEqualTo(T0);
            assertThat(f.getLastSeen()).isEqualTo(T0 + 2_000);
            assertThat(f.getEvidence().getEventIds()).containsExactly("e1", "e2", "e3");
        });
        assertThat(states.get(FOLD_KEY).dirty()).isFalse();
        assertThat(states.get(FOLD_KEY).lastEmitted()).isEqualTo(NOW + 30_000);
        assertThat(contents(dirty)).isEmpty();
        assertThat(metrics.counter("folded").count()).isEqualTo(2.0);

        wallClock().punctuate(NOW + 60_000);
        assertThat(context.forwarded()).as("nothing changed, nothing emitted").isEmpty();
    }

    @Test
    void aRepeatAfterTheIntervalIsEmittedAtOnceAndEvidenceStaysBounded() {
        process("e1", T0);
        process("e2", T0 + 1_000);
        process("e3", T0 + 2_000);
        drain(context);
        context.setCurrentSystemTimeMs(NOW + 30_000);

        process("e4", T0 + 3_000);

        assertThat(drain(context)).singleElement().satisfies(f -> {
            assertThat(f.getCount()).isEqualTo(4);
            assertThat(f.getEvidence().getEventIds()).as("the first event and the latest, at most 3")
                    .containsExactly("e1", "e3", "e4");
        });
        assertThat(states.get(FOLD_KEY).dirty()).isFalse();
        assertThat(contents(dirty)).isEmpty();
    }

    @Test
    void anEpisodeEndsAfterTheFoldWindowPlusGraceInStreamTimeAndIsFlushedIfDirty() {
        process("e1", T0);
        process("e2", T0 + 1_000);
        drain(context);
        long end = T0 + 1_000 + WINDOW + GRACE;

        context.setCurrentStreamTimeMs(end);
        wallClock().punctuate(NOW + 1_000);
        assertThat(states.get(FOLD_KEY)).as("still inside fold window + grace").isNotNull();
        assertThat(context.forwarded()).isEmpty();

        context.setCurrentStreamTimeMs(end + 1);
        wallClock().punctuate(NOW + 2_000);
        assertThat(drain(context)).as("the held repeat is flushed before the episode goes")
                .singleElement().satisfies(f -> assertThat(f.getCount()).isEqualTo(2));
        assertThat(contents(states)).isEmpty();
        assertThat(contents(dirty)).isEmpty();
    }

    @Test
    void aMatchBeyondTheFoldWindowStartsANewEpisodeAfterFlushingTheOldOne() {
        process("e1", T0);
        String first = drain(context).get(0).getId();
        process("e2", T0 + 1_000);

        process("e3", T0 + 1_000 + WINDOW + 1);

        List<Finding> emitted = drain(context);
        assertThat(emitted).extracting(Finding::getId).containsExactly(first, Ids.of(FOLD_KEY,
                Long.toString(T0 + 1_000 + WINDOW + 1)));
        assertThat(emitted).extracting(Finding::getCount).containsExactly(2L, 1L);
        assertThat(states.get(FOLD_KEY).finding().getId()).isEqualTo(emitted.get(1).getId());
    }

    @Test
    void aResentEventIsNotCountedAgain() {
        process("e1", T0);
        process("e2", T0 + 1_000);
        FoldState before = states.get(FOLD_KEY);
        drain(context);

        process("e2", T0 + 1_000);
        process("e1", T0);

        assertThat(metrics.counter("duplicates").count()).isEqualTo(2.0);
        assertThat(states.get(FOLD_KEY)).isEqualTo(before);
        assertThat(context.forwarded()).isEmpty();
    }

    @Test
    void aNewProcessorOverTheSameStoresResumesTheEpisodes() {
        process("e1", T0);
        String id = drain(context).get(0).getId();
        process("e2", T0 + 1_000);

        // a restart: another task instance (empty caches) over the restored stores
        MockProcessorContext<String, Finding> restarted = ProcessorTestSupport.context(0);
        restarted.addStateStore(states);
        restarted.addStateStore(dirty);
        restarted.setCurrentStreamTimeMs(T0 + 1_000);
        FoldProcessor resumed = start(restarted);

        punctuator(restarted, PunctuationType.WALL_CLOCK_TIME).punctuate(NOW + 30_000);
        assertThat(drain(restarted)).as("the repeat held before the restart").singleElement().satisfies(f -> {
            assertThat(f.getId()).isEqualTo(id);
            assertThat(f.getCount()).isEqualTo(2);
        });

        resumed.process(new Record<>(FOLD_KEY, match("e2", T0 + 1_000), T0 + 1_000));
        assertThat(restarted.forwarded()).as("e2 was counted before the restart").isEmpty();
        restarted.setCurrentSystemTimeMs(NOW + 60_000);
        resumed.process(new Record<>(FOLD_KEY, match("e3", T0 + 2_000), T0 + 2_000));
        assertThat(drain(restarted)).singleElement().satisfies(f -> {
            assertThat(f.getId()).isEqualTo(id);
            assertThat(f.getCount()).isEqualTo(3);
            assertThat(f.getEvidence().getEventIds()).containsExactly("e1", "e2", "e3");
        });
    }

    @Test
    void foldStateOfTheFormatBeforeAvroIsDroppedAndTheEpisodeStartsAgain() throws IOException {
        stateBytes.put(Bytes.wrap(FOLD_KEY.getBytes(StandardCharsets.UTF_8)), legacyFoldState());
        stateBytes.put(Bytes.wrap("other-key".getBytes(StandardCharsets.UTF_8)), legacyFoldState());

        process("e1", T0);
        assertThat(drain(context)).singleElement().satisfies(f -> assertThat(f.getCount()).isEqualTo(1));

        wallClock().punctuate(NOW + 1_000);
        assertThat(context.forwarded()).isEmpty();
        assertThat(contents(states)).as("the old record is deleted, the new episode stays")
                .extracting(kv -> kv.key).containsExactly(FOLD_KEY);
    }

    /** Fold state as the hand-written codec of earlier releases wrote it. */
    private static byte[] legacyFoldState() throws IOException {
        byte[] finding = StateSerde.FINDINGS.encode(match("old", T0 - 1_000));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(1);
            out.writeLong(NOW - 1_000);
            out.writeBoolean(true);
            out.writeInt(finding.length);
            out.write(finding);
        }
        return bytes.toByteArray();
    }
}
