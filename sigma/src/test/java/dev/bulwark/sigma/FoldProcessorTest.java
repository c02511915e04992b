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
import dev.bulwark.schemas.MitreAttack;
import dev.bulwark.sigma.FindingFolder.FoldState;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * The fold processor (and its {@link FindingFolder}) on its own: the first match of an episode goes out at once,
 * repeats are held and flushed by the wall-clock punctuation, an episode ends after the fold window plus the grace in
 * stream time, a resent event is not counted again, and a new processor over the same stores carries on; a repeat
 * that raises the severity, changes the acting user or adds a MITRE tactic starts a new finding linked to the open one.
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
                metrics.counter("folded"), metrics.counter("duplicates"), metrics.counter("escalated")));
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

    /** A match with this severity, acting user (null: none) and tactics. */
    static Finding match(String eventId, long time, String severity, String user, String... tactics) {
        Map<String, String> fields = new java.util.LinkedHashMap<>();
        fields.put("sigma.fold.entity", "container:c1");
        if (user != null) {
            fields.put(FindingFolder.USER_FIELD, user);
        }
        return Finding.newBuilder(match(eventId, time))
                .setSeverity(severity)
                .setMitre(MitreAttack.newBuilder().setTactics(List.of(tactics)).setTechniques(List.of()).build())
                .setEvidence(Evidence.newBuilder().setEventIds(List.of(eventId)).setFields(fields).build())
                .build();
    }

    private void process(String eventId, long time) {
        process(match(eventId, time));
    }

    private void process(Finding match) {
        long time = match.getLastSeen();
        context.setCurrentStreamTimeMs(Math.max(context.currentStreamTimeMs(), time));
        processor.process(new Record<>(FOLD_KEY, match, time));
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

    // ---------------------------------------------------------------- escalations

    @Test
    void aRepeatWithTheSameSeverityUserAndTacticsStillFolds() {
        process(match("e1", T0, "high", "www-data", "discovery", "execution"));
        String id = drain(context).get(0).getId();
        context.setCurrentSystemTimeMs(NOW + 30_000);

        process(match("e2", T0 + 1_000, "high", "www-data", "execution", "discovery"));
        process(match("e3", T0 + 2_000, "medium", "www-data", "discovery"));
        process(match("e4", T0 + 3_000, "high", null));
        wallClock().punctuate(NOW + 60_000);

        List<Finding> emitted = drain(context);
        assertThat(emitted).extracting(Finding::getId).containsOnly(id);
        assertThat(emitted.get(emitted.size() - 1).getCount())
                .as("the same or less severity, the same user or none, known tactics: all folded").isEqualTo(4);
        assertThat(emitted).allSatisfy(f -> assertThat(f.getEscalates()).isNull());
        assertThat(metrics.counter("escalated").count()).isZero();
        assertThat(metrics.counter("folded").count()).isEqualTo(3.0);
    }

    @Test
    void aRepeatOfHigherSeverityStartsANewFindingThatLinksToTheOpenOne() {
        process(match("e1", T0, "low", "root", "discovery"));
        Finding open = drain(context).get(0);
        context.setCurrentSystemTimeMs(NOW + 1_000);

        process(match("e2", T0 + 1_000, "high", "root", "discovery"));

        Finding escalation = drain(context).get(0);
        assertThat(escalation.getId()).as("deterministic: fold key, first_seen, the escalated finding")
                .isEqualTo(Ids.of(FOLD_KEY, Long.toString(T0 + 1_000), open.getId()))
                .isNotEqualTo(open.getId());
        assertThat(escalation.getEscalates()).isEqualTo(open.getId());
        assertThat(escalation.getSeverity()).isEqualTo("high");
        assertThat(escalation.getCount()).isEqualTo(1);
        assertThat(escalation.getFirstSeen()).isEqualTo(T0 + 1_000);
        assertThat(escalation.getEvidence().getEventIds()).containsExactly("e2");
        assertThat(escalation.getEvidence().getFields()).containsEntry(FindingFolder.ESCALATION_FIELD,
                "severity low -> high");
        assertThat(open.getEscalates()).isNull();
        assertThat(states.get(FOLD_KEY).finding()).as("the escalation is the open finding now").isEqualTo(escalation);
        assertThat(metrics.counter("escalated").count()).isEqualTo(1.0);
        assertThat(metrics.counter("folded").count()).isZero();
    }

    @Test
    void aRepeatByAnotherUserStartsANewFindingAndUsersTakingTurnsDoNotStartMore() {
        process(match("e1", T0, "medium", "www-data", "discovery"));
        Finding open = drain(context).get(0);

        process(match("e2", T0 + 1_000, "medium", "root", "discovery"));
        Finding escalation = drain(context).get(0);
        assertThat(escalation.getEscalates()).isEqualTo(open.getId());
        assertThat(escalation.getEvidence().getFields()).containsEntry(FindingFolder.ESCALATION_FIELD, "user root");

        context.setCurrentSystemTimeMs(NOW + 30_000);
        process(match("e3", T0 + 2_000, "medium", "www-data", "discovery"));
        process(match("e4", T0 + 3_000, "medium", "root", "discovery"));
        wallClock().punctuate(NOW + 60_000);
        List<Finding> later = drain(context);
        assertThat(later).as("both users are known to the episode now").extracting(Finding::getId)
                .containsOnly(escalation.getId());
        assertThat(later.get(later.size() - 1).getCount()).isEqualTo(3);

        process(match("e5", T0 + 4_000, "medium", "mallory", "discovery"));
        Finding third = drain(context).get(0);
        assertThat(third.getEscalates()).as("a third user escalates the latest finding").isEqualTo(escalation.getId());
    }

    @Test
    void aUserWhereTheOpenFindingHadNoneIsNoEscalationButIsRememberedAsTheEpisodesUser() {
        process(match("e1", T0, "medium", null, "discovery"));
        String id = drain(context).get(0).getId();
        context.setCurrentSystemTimeMs(NOW + 30_000);

        process(match("e2", T0 + 1_000, "medium", "root", "discovery"));
        assertThat(drain(context)).singleElement().satisfies(f -> {
            assertThat(f.getId()).isEqualTo(id);
            assertThat(f.getCount()).isEqualTo(2);
        });

        process(match("e3", T0 + 2_000, "medium", "www-data", "discovery"));
        assertThat(drain(context)).singleElement().satisfies(f -> assertThat(f.getEscalates()).isEqualTo(id));
    }

    @Test
    void aRepeatWithANewTacticStartsANewFinding() {
        process(match("e1", T0, "high", "root", "discovery"));
        Finding open = drain(context).get(0);

        process(match("e2", T0 + 1_000, "high", "root", "discovery", "privilege-escalation"));

        assertThat(drain(context)).singleElement().satisfies(f -> {
            assertThat(f.getEscalates()).isEqualTo(open.getId());
            assertThat(f.getMitre().getTactics()).containsExactly("discovery", "privilege-escalation");
            assertThat(f.getEvidence().getFields()).containsEntry(FindingFolder.ESCALATION_FIELD,
                    "tactic privilege-escalation");
        });
    }

    @Test
    void everythingThatRoseIsNamed() {
        process(match("e1", T0, "low", "www-data", "discovery"));
        drain(context);

        process(match("e2", T0 + 1_000, "critical", "root", "discovery", "privilege-escalation", "persistence"));

        assertThat(drain(context).get(0).getEvidence().getFields()).containsEntry(FindingFolder.ESCALATION_FIELD,
                "severity low -> critical; user root; tactic privilege-escalation, persistence");
        assertThat(metrics.counter("escalated").count()).isEqualTo(1.0);
    }

    @Test
    void theOpenFindingIsFlushedWithItsHeldRepeatsBeforeTheEscalationAndNotChangedByIt() {
        process(match("e1", T0, "low", "root", "discovery"));
        Finding open = drain(context).get(0);
        context.setCurrentSystemTimeMs(NOW + 1_000);
        process(match("e2", T0 + 1_000, "low", "root", "discovery"));
        assertThat(context.forwarded()).as("held within the interval").isEmpty();

        process(match("e3", T0 + 2_000, "high", "root", "discovery"));

        List<Finding> emitted = drain(context);
        assertThat(emitted).extracting(Finding::getId)
                .containsExactly(open.getId(), Ids.of(FOLD_KEY, Long.toString(T0 + 2_000), open.getId()));
        Finding flushed = emitted.get(0);
        assertThat(flushed.getCount()).isEqualTo(2);
        assertThat(flushed.getSeverity()).isEqualTo("low");
        assertThat(flushed.getEvidence().getEventIds()).containsExactly("e1", "e2");
        assertThat(flushed.getEscalates()).isNull();
        assertThat(contents(dirty)).isEmpty();

        wallClock().punctuate(NOW + 120_000);
        assertThat(context.forwarded()).as("the escalated finding is not emitted again").isEmpty();
    }

    @Test
    void aRepeatOfTheOldRuleVersionAfterAnEscalationFoldsIntoItInsteadOfEscalatingBack() {
        // A rule update (level low -> high, tactic execution -> privilege-escalation) reaches the instances one
        // after another: repeats of the old version still arrive after the first of the new one.
        process(match("e1", T0, "low", "root", "execution"));
        drain(context);
        process(match("e2", T0 + 1_000, "high", "root", "privilege-escalation"));
        Finding escalation = drain(context).get(0);
        context.setCurrentSystemTimeMs(NOW + 30_000);

        process(match("e3", T0 + 2_000, "low", "root", "execution"));
        process(match("e4", T0 + 3_000, "high", "root", "privilege-escalation"));
        wallClock().punctuate(NOW + 60_000);

        List<Finding> later = drain(context);
        assertThat(later).extracting(Finding::getId).containsOnly(escalation.getId());
        assertThat(later.get(later.size() - 1).getCount()).isEqualTo(3);
        assertThat(metrics.counter("escalated").count()).isEqualTo(1.0);
    }

    @Test
    void aResentEventOfTheEscalatedFindingIsNotCountedByTheEscalation() {
        process(match("e1", T0, "low", "root"));
        process(match("e2", T0 + 1_000, "low", "root"));
        process(match("e3", T0 + 2_000, "high", "root"));
        drain(context);
        FoldState before = states.get(FOLD_KEY);

        process(match("e2", T0 + 1_000, "low", "root"));
        process(match("e3", T0 + 2_000, "high", "root"));

        assertThat(metrics.counter("duplicates").count()).isEqualTo(2.0);
        assertThat(states.get(FOLD_KEY)).isEqualTo(before);
        assertThat(before.earlierEventIds()).containsExactly("e1", "e2");
        assertThat(context.forwarded()).isEmpty();
    }

    @Test
    void aReplayGivesTheSameIdsAndLinks() {
        List<Finding> sequence = List.of(match("e1", T0, "low", "www-data", "discovery"),
                match("e2", T0 + 1_000, "low", "root", "discovery"),
                match("e3", T0 + 2_000, "high", "root", "discovery"),
                match("e4", T0 + 3_000, "high", "root", "discovery", "persistence"));
        sequence.forEach(this::process);
        List<Finding> first = drain(context);

        MockProcessorContext<String, Finding> replay = ProcessorTestSupport.context(0);
        ProcessorTestSupport.store(replay, "sigma-fold", Serdes.String(), FindingFolder.STATE_SERDE);
        ProcessorTestSupport.store(replay, "sigma-fold-dirty", Serdes.String(), Serdes.Long());
        FoldProcessor again = start(replay);
        for (Finding match : sequence) {
            replay.setCurrentStreamTimeMs(match.getLastSeen());
            again.process(new Record<>(FOLD_KEY, match, match.getLastSeen()));
        }

        List<Finding> second = drain(replay);
        assertThat(first).hasSize(4);
        assertThat(second).extracting(Finding::getId).containsExactlyElementsOf(first.stream().map(Finding::getId).toList());
        assertThat(second).extracting(Finding::getEscalates)
                .containsExactly(null, first.get(0).getId(), first.get(1).getId(), first.get(2).getId());
    }

    @Test
    void anEscalationResumesAfterARestartWithWhatTheEpisodeHasSeen() {
        process(match("e1", T0, "medium", "www-data"));
        process(match("e2", T0 + 1_000, "medium", "root"));
        Finding escalation = drain(context).get(1);

        MockProcessorContext<String, Finding> restarted = ProcessorTestSupport.context(0);
        restarted.addStateStore(states);
        restarted.addStateStore(dirty);
        restarted.setCurrentStreamTimeMs(T0 + 1_000);
        FoldProcessor resumed = start(restarted);
        restarted.setCurrentSystemTimeMs(NOW + 30_000);
        resumed.process(new Record<>(FOLD_KEY, match("e3", T0 + 2_000, "medium", "www-data"), T0 + 2_000));

        assertThat(drain(restarted)).singleElement().satisfies(f -> {
            assertThat(f.getId()).as("www-data is known to the episode, also after a restart")
                    .isEqualTo(escalation.getId());
            assertThat(f.getCount()).isEqualTo(2);
        });
    }

    @Test
    void anEpisodeRemembersABoundedNumberOfUsers() {
        process(match("u0", T0, "low", "user-0"));
        for (int i = 1; i <= FindingFolder.MAX_SEEN + 5; i++) {
            process(match("u" + i, T0 + i, "low", "user-" + i));
        }
        assertThat(states.get(FOLD_KEY).seen().users()).hasSize(FindingFolder.MAX_SEEN)
                .endsWith("user-" + (FindingFolder.MAX_SEEN + 5));
        assertThat(contents(states)).hasSize(1);
    }

    @Test
    void aLateEventOfTheEscalatedFindingsTimeIsStillInTheEpisodeAndNeverReusesTheEscalatedId() {
        process(match("e1", T0, "low", "root"));
        Finding open = drain(context).get(0);
        process(match("e2", T0 + WINDOW / 2, "low", "root"));
        process(match("e3", T0 + WINDOW / 2 + WINDOW - 1_000, "high", "root"));
        Finding escalation = drain(context).get(1);
        assertThat(escalation.getFirstSeen() - WINDOW).as("e1 lies before the escalation's own window")
                .isGreaterThan(T0 + 1);
        context.setCurrentSystemTimeMs(NOW + 30_000);

        // e1 resent, and a new event as old as e1
        process(match("e1", T0, "low", "root"));
        process(match("e4", T0 + 1, "low", "root"));

        assertThat(metrics.counter("duplicates").count()).as("e1 was counted by the escalated finding").isEqualTo(1.0);
        assertThat(drain(context)).singleElement().satisfies(f -> {
            assertThat(f.getId()).as("not a new episode, whose id would be the escalated one's")
                    .isEqualTo(escalation.getId()).isNotEqualTo(open.getId());
            assertThat(f.getCount()).isEqualTo(2);
        });
        assertThat(states.get(FOLD_KEY).episodeFirstSeen()).isEqualTo(T0);
    }

    @Test
    void aMatchAfterTheFoldWindowStartsANewEpisodeNotAnEscalation() {
        process(match("e1", T0, "low", "www-data"));
        drain(context);

        process(match("e2", T0 + WINDOW + 1, "critical", "root", "impact"));

        assertThat(drain(context)).singleElement().satisfies(f -> {
            assertThat(f.getId()).isEqualTo(Ids.of(FOLD_KEY, Long.toString(T0 + WINDOW + 1)));
            assertThat(f.getEscalates()).isNull();
            assertThat(f.getEvidence().getFields()).doesNotContainKey(FindingFolder.ESCALATION_FIELD);
        });
    }
}
