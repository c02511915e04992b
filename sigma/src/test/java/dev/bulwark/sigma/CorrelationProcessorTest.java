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
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.Ids;
import dev.bulwark.sigma.FindingFolder.FoldState;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * The correlation processor on its own: the window state per group, sliding intervals for conditions that only grow
 * true, the stream-time punctuation deciding closed intervals for conditions with an upper bound, late hits, resent
 * events, bounded windows, rules that go away, and a restart over the same stores.
 */
class CorrelationProcessorTest {

    static final long T0 = 1_700_000_000_000L;
    static final long NOW = 1_800_000_000_000L;
    static final String WHOAMI_ID = "11111111-0000-4000-8000-000000000001";
    static final String CORRELATION_RECORD = "corr-record";
    static final String ALICE = Ids.of("corr-1", "alice");
    static final String BOB = Ids.of("corr-1", "bob");

    private final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    private final SigmaEngine engine = SigmaEngine.create();
    private final RuleSource source = RuleSource.of(engine, engine.loader().parse("whoami.yml", SigmaDetectorTest.WHOAMI));
    private MockProcessorContext<String, Finding> context;
    private KeyValueStore<Bytes, byte[]> windowBytes;
    private KeyValueStore<String, CorrelationWindow> windows;
    private KeyValueStore<String, FoldState> folds;
    private KeyValueStore<String, Long> dirty;
    private CorrelationProcessor processor;

    @BeforeEach
    void setUp() {
        context = ProcessorTestSupport.context(0);
        context.setCurrentSystemTimeMs(NOW);
        windowBytes = Stores.inMemoryKeyValueStore("sigma-correlation-windows").get();
        windows = ProcessorTestSupport.store(context, "sigma-correlation-windows", Serdes.String(),
                CorrelationWindow.SERDE, windowBytes);
        folds = ProcessorTestSupport.store(context, "sigma-correlation-fold", Serdes.String(),
                FindingFolder.STATE_SERDE);
        dirty = ProcessorTestSupport.store(context, "sigma-correlation-fold-dirty", Serdes.String(), Serdes.Long());
    }

    private void rule(String type, String condition) {
        source.put(CORRELATION_RECORD, SigmaDetectorTest.correlation(type, List.of("whoami_run"), "60s", condition, ""));
        assertThat(source.current().correlations()).as("the correlation is valid").containsKey("corr-1");
    }

    private CorrelationProcessor start(MockProcessorContext<String, Finding> on, Map<String, String> settings) {
        SigmaSettings parsed = SigmaSettings.from(settings);
        CorrelationProcessor started = new CorrelationProcessor(source, "sigma-correlation-windows",
                new FindingFolder("sigma-correlation-fold", "sigma-correlation-fold-dirty", parsed,
                        metrics.counter("folded"), metrics.counter("duplicates")),
                parsed, metrics.counter("late"), metrics.counter("fired"), metrics.counter("duplicates"),
                metrics.counter("not-numeric"));
        started.init(on);
        return started;
    }

    private void start() {
        processor = start(context, Map.of("grace", "30s"));
    }

    static CorrelationHit hit(String user, String eventId, long offset) {
        return new CorrelationHit("corr-1", List.of(user), WHOAMI_ID, "whoami_run", eventId, T0 + offset, null,
                SigmaStateSchemaTest.finding("match-" + eventId, 1, List.of(eventId)));
    }

    static CorrelationHit valued(String user, String eventId, long offset, String value) {
        return new CorrelationHit("corr-1", List.of(user), WHOAMI_ID, "whoami_run", eventId, T0 + offset, value,
                SigmaStateSchemaTest.finding("match-" + eventId, 1, List.of(eventId)));
    }

    /** Processes a hit as its task would: stream time is the largest event time seen. */
    private void process(CorrelationProcessor on, MockProcessorContext<String, Finding> in, String key,
                         CorrelationHit hit) {
        in.setCurrentStreamTimeMs(Math.max(in.currentStreamTimeMs(), hit.time()));
        on.process(new Record<>(key, hit, hit.time()));
    }

    private void process(String user, String eventId, long offset) {
        process(processor, context, Ids.of("corr-1", user), hit(user, eventId, offset));
    }

    private List<String> windowEvents(String key) {
        CorrelationWindow window = windows.get(key);
        return window == null ? List.of() : window.entries().stream().map(CorrelationWindow.Entry::eventId).toList();
    }

    // ---------------------------------------------------------------- conditions that grow true: on every hit

    @Test
    void aLowerBoundFiresOnTheHitThatCompletesAnIntervalAndConsumesItsMatches() {
        rule("event_count", "gte: 3");
        start();
        process("alice", "a1", 0);
        process("alice", "a2", 30_000);
        process("alice", "a3", 60_001);

        assertThat(context.forwarded()).as("a3 is 1 ms outside a1's interval").isEmpty();
        CorrelationWindow window = windows.get(ALICE);
        assertThat(window.correlationKey()).isEqualTo("corr-1");
        assertThat(window.group()).containsExactly("alice");
        assertThat(window.entries()).extracting(CorrelationWindow.Entry::time)
                .containsExactly(T0, T0 + 30_000, T0 + 60_001);
        assertThat(window.context().getId()).as("the latest match's finding").isEqualTo("match-a3");

        process("alice", "a4", 90_000);

        assertThat(drain(context)).singleElement().satisfies(f -> {
            assertThat(f.getId()).isEqualTo(Ids.of(ALICE, Long.toString(T0 + 30_000)));
            assertThat(f.getRule().getId()).isEqualTo("corr-1");
            assertThat(f.getEvidence().getEventIds()).containsExactly("a2", "a3", "a4");
            assertThat(f.getFirstSeen()).isEqualTo(T0 + 30_000);
            assertThat(f.getLastSeen()).isEqualTo(T0 + 90_000);
        });
        assertThat(windowEvents(ALICE)).as("contributing matches are consumed").containsExactly("a1");
        assertThat(folds.get(ALICE)).as("firings fold per group").isNotNull();
        assertThat(metrics.counter("fired").count()).isEqualTo(1.0);
    }

    @Test
    void anOutOfOrderHitCompletesAnIntervalInThePast() {
        rule("event_count", "gte: 3");
        start();
        process("alice", "a1", 0);
        process("alice", "a3", 50_000);
        process("alice", "x", 100_000);
        assertThat(context.forwarded()).isEmpty();

        process("alice", "a2", 20_000);

        assertThat(drain(context)).singleElement()
                .satisfies(f -> assertThat(f.getEvidence().getEventIds()).containsExactly("a1", "a2", "a3"));
        assertThat(windowEvents(ALICE)).containsExactly("x");
    }

    // ---------------------------------------------------------------- upper bounds: decided by the punctuation

    @Test
    void anUpperBoundIsDecidedByTheStreamTimePunctuationOnceTheIntervalAndGraceHavePassed() {
        rule("event_count", "lte: 2");
        start();
        process("alice", "a1", 0);
        process("alice", "a2", 10_000);
        process("bob", "b1", 0);
        process("bob", "b2", 1_000);
        process("bob", "b3", 2_000);
        assertThat(context.forwarded()).as("undecided while the interval may still grow").isEmpty();

        var sweep = punctuator(context, PunctuationType.STREAM_TIME);
        assertThat(context.scheduledPunctuators()).filteredOn(p -> p.getType() == PunctuationType.STREAM_TIME)
                .singleElement().satisfies(p -> assertThat(p.getInterval()).isEqualTo(Duration.ofSeconds(5)));
        sweep.punctuate(T0 + 90_000);
        assertThat(context.forwarded()).as("interval end (60 s) + grace (30 s) not passed yet").isEmpty();
        assertThat(windowEvents(ALICE)).containsExactly("a1", "a2");

        sweep.punctuate(T0 + 90_001);

        assertThat(drain(context)).as("alice: 2 events, bob: 3").singleElement().satisfies(f -> {
            assertThat(f.getId()).isEqualTo(Ids.of(ALICE, Long.toString(T0)));
            assertThat(f.getEvidence().getEventIds()).containsExactly("a1", "a2");
        });
        assertThat(contents(windows)).as("both intervals are decided and forgotten").isEmpty();
    }

    /*
     * After a quiet gap longer than 2 × timespan + grace (60 s, 30 s: 150 s), the pruning horizon has passed the
     * whole interval. The interval closed during the gap and must still be decided before its matches are forgotten:
     * on the punctuation when only other groups advance stream time, and on the group's own next hit.
     */

    @Test
    void anUpperBoundIntervalIsDecidedOnThePunctuationAfterAQuietGapInsteadOfBeingPrunedUnseen() {
        rule("event_count", "lte: 2");
        start();
        process("alice", "a1", 0);
        process("alice", "a2", 10_000);

        process("bob", "b1", 200_000); // the only traffic for 190 s is another group's
        punctuator(context, PunctuationType.STREAM_TIME).punctuate(T0 + 200_000);

        assertThat(drain(context)).as("alice's interval [0 s, 60 s] held 2 events").singleElement()
                .satisfies(f -> assertThat(f.getEvidence().getEventIds()).containsExactly("a1", "a2"));
        assertThat(windowEvents(ALICE)).isEmpty();
        assertThat(windowEvents(BOB)).as("bob's interval is still open").containsExactly("b1");
    }

    @Test
    void anEqualityIntervalIsDecidedOnThePunctuationAfterAQuietGap() {
        rule("event_count", "eq: 1");
        start();
        process("alice", "a1", 0);

        process("bob", "b1", 151_000);
        punctuator(context, PunctuationType.STREAM_TIME).punctuate(T0 + 151_000);

        assertThat(drain(context)).singleElement()
                .satisfies(f -> assertThat(f.getEvidence().getEventIds()).containsExactly("a1"));
    }

    @Test
    void aRangeIntervalIsDecidedOnTheGroupsNextHitAfterAQuietGap() {
        rule("event_count", "gt: 1\nlte: 3");
        start();
        process("alice", "a1", 0);
        process("alice", "a2", 20_000);
        process("alice", "a3", 40_000);

        process("alice", "a4", 400_000);

        assertThat(drain(context)).as("[0 s, 60 s] held 3 events: more than 1, at most 3").singleElement()
                .satisfies(f -> assertThat(f.getEvidence().getEventIds()).containsExactly("a1", "a2", "a3"));
        assertThat(windowEvents(ALICE)).as("a4 opens the next interval").containsExactly("a4");
    }

    @Test
    void aNotEqualIntervalIsDecidedOnTheGroupsNextHitAfterAQuietGap() {
        rule("event_count", "neq: 2");
        start();
        process("alice", "a1", 0);

        process("alice", "a2", 1_000_000);

        assertThat(drain(context)).singleElement()
                .satisfies(f -> assertThat(f.getEvidence().getEventIds()).containsExactly("a1"));
        assertThat(windowEvents(ALICE)).containsExactly("a2");
    }

    @Test
    void anUpperBoundIntervalThatDoesNotHoldIsDroppedAfterAQuietGapWithoutFiring() {
        rule("event_count", "lt: 2");
        start();
        process("alice", "a1", 0);
        process("alice", "a2", 30_000);

        process("alice", "a3", 300_000);
        punctuator(context, PunctuationType.STREAM_TIME).punctuate(T0 + 300_000);

        assertThat(context.forwarded()).as("[0 s, 60 s] held 2 events, not fewer than 2").isEmpty();
        assertThat(windowEvents(ALICE)).containsExactly("a3");
    }

    // ---------------------------------------------------------------- late, resent and bounded

    @Test
    void aHitWhoseLastIntervalClosedMoreThanTheGraceAgoIsDroppedAsLate() {
        rule("event_count", "gte: 3");
        start();
        context.setCurrentStreamTimeMs(T0 + 200_000);

        process("alice", "late", 109_999);
        process("alice", "in-time", 110_000);

        assertThat(metrics.counter("late").count()).isEqualTo(1.0);
        assertThat(windowEvents(ALICE)).as("time + timespan = stream time - grace is not late")
                .containsExactly("in-time");
    }

    @Test
    void aResentEventCountsOnceInTheWindow() {
        rule("event_count", "gte: 3");
        start();
        process("alice", "a1", 0);
        process("alice", "a2", 1_000);
        process("alice", "a1", 0);
        process("alice", "a2", 1_000);

        assertThat(metrics.counter("duplicates").count()).isEqualTo(2.0);
        assertThat(windowEvents(ALICE)).containsExactly("a1", "a2");
        assertThat(context.forwarded()).as("two events, each sent twice, are not three").isEmpty();
    }

    @Test
    void aWindowKeepsAtMostMaxGroupEventsDroppingTheOldest() {
        rule("event_count", "gte: 5");
        processor = start(context, Map.of("grace", "30s", "max-group-events", "2"));
        process("alice", "a2", 2_000);
        process("alice", "a3", 3_000);
        process("alice", "a1", 1_000);

        assertThat(windowEvents(ALICE)).containsExactly("a2", "a3");
    }

    // ---------------------------------------------------------------- rules that change, restarts, old state

    @Test
    void windowsOfADeletedCorrelationAreForgotten() {
        rule("event_count", "gte: 3");
        start();
        process("alice", "a1", 0);
        process("bob", "b1", 0);
        assertThat(contents(windows)).hasSize(2);

        source.remove(CORRELATION_RECORD);
        process("alice", "a2", 1_000);
        assertThat(windows.get(ALICE)).as("a hit of an unknown correlation deletes its group").isNull();
        assertThat(windows.get(BOB)).isNotNull();

        punctuator(context, PunctuationType.STREAM_TIME).punctuate(T0 + 1_000);
        assertThat(contents(windows)).as("the sweep forgets the rest").isEmpty();
        assertThat(context.forwarded()).isEmpty();
    }

    @Test
    void aNewProcessorOverTheSameStoresCarriesTheWindowOn() {
        rule("event_count", "gte: 3");
        start();
        process("alice", "a1", 0);
        process("alice", "a2", 1_000);

        MockProcessorContext<String, Finding> restarted = ProcessorTestSupport.context(0);
        restarted.setCurrentSystemTimeMs(NOW);
        restarted.setCurrentStreamTimeMs(context.currentStreamTimeMs());
        restarted.addStateStore(windows);
        restarted.addStateStore(folds);
        restarted.addStateStore(dirty);
        CorrelationProcessor resumed = start(restarted, Map.of("grace", "30s"));

        process(resumed, restarted, ALICE, hit("alice", "a1", 0));
        assertThat(restarted.forwarded()).as("a1 was counted before the restart").isEmpty();
        process(resumed, restarted, ALICE, hit("alice", "a3", 2_000));
        assertThat(drain(restarted)).singleElement()
                .satisfies(f -> assertThat(f.getEvidence().getEventIds()).containsExactly("a1", "a2", "a3"));
    }

    @Test
    void stateAndHitsOfTheFormatBeforeAvroAreDropped() throws IOException {
        rule("event_count", "gte: 2");
        start();
        windowBytes.put(Bytes.wrap(ALICE.getBytes(StandardCharsets.UTF_8)), legacy());
        windowBytes.put(Bytes.wrap(BOB.getBytes(StandardCharsets.UTF_8)), legacy());

        processor.process(new Record<>(ALICE, null, T0)); // an old hit on the repartition topic reads as null
        process("alice", "a1", 0);
        assertThat(windowEvents(ALICE)).as("the old window is not read").containsExactly("a1");

        punctuator(context, PunctuationType.STREAM_TIME).punctuate(T0);
        assertThat(contents(windows)).extracting(kv -> kv.key).as("the sweep deletes the old record")
                .containsExactly(ALICE);
        assertThat(context.forwarded()).isEmpty();
    }

    /** Some bytes of the hand-written format of earlier releases (its version byte first). */
    private static byte[] legacy() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(1);
            out.writeInt(6);
            out.write("corr-1".getBytes(StandardCharsets.UTF_8));
            out.writeInt(0);
            out.writeInt(0);
        }
        return bytes.toByteArray();
    }

    // ---------------------------------------------------------------- value_sum, value_avg, value_percentile

    private void processValued(String user, String eventId, long offset, String value) {
        process(processor, context, Ids.of("corr-1", user), valued(user, eventId, offset, value));
    }

    @Test
    void anUpperBoundOnASumIsDecidedOnlyOnceTheIntervalIsComplete() {
        rule("value_sum", "field: bytes\nlt: 100");
        start();
        processValued("alice", "a1", 0, "30");
        processValued("alice", "a2", 10_000, "40");
        processValued("bob", "b1", 0, "30");
        processValued("bob", "b2", 20_000, "80");
        assertThat(context.forwarded()).as("a later match may still push the sum over the bound").isEmpty();

        punctuator(context, PunctuationType.STREAM_TIME).punctuate(T0 + 90_001);

        assertThat(drain(context)).as("alice: 70, bob: 110").singleElement().satisfies(f -> {
            assertThat(f.getEvidence().getEventIds()).containsExactly("a1", "a2");
            assertThat(f.getEvidence().getFields()).containsEntry("sigma.correlation.value", "70");
        });
    }

    @Test
    void aLowerBoundOnASumFiresOnTheMatchThatReachesIt() {
        rule("value_sum", "field: bytes\ngte: 100");
        start();
        processValued("alice", "a1", 0, "60");
        assertThat(context.forwarded()).isEmpty();
        processValued("alice", "a2", 10_000, "40.0");
        assertThat(drain(context)).singleElement()
                .satisfies(f -> assertThat(f.getEvidence().getEventIds()).containsExactly("a1", "a2"));
    }

    @Test
    void valuesThatAreAbsentOrNotNumbersAreLeftOutOfTheAggregateAndCounted() {
        rule("value_sum", "field: bytes\ngte: 100");
        start();
        processValued("alice", "a1", 0, "60");
        processValued("alice", "a2", 1_000, "lots");
        processValued("alice", "a3", 2_000, null);
        processValued("alice", "a4", 3_000, "NaN");
        assertThat(windowEvents(ALICE)).containsExactly("a1");
        assertThat(metrics.counter("not-numeric").count()).isEqualTo(3.0);
        processValued("alice", "a5", 4_000, "4e1");
        assertThat(drain(context)).singleElement()
                .satisfies(f -> assertThat(f.getEvidence().getEventIds()).containsExactly("a1", "a5"));
    }

    @Test
    void aGroupWithoutNumericValuesHasAnEmptyWindowAndNeverFiresEvenOnAnUpperBound() {
        rule("value_avg", "field: bytes\nlt: 10");
        start();
        processValued("alice", "a1", 0, "x");
        processValued("alice", "a2", 1_000, "");
        punctuator(context, PunctuationType.STREAM_TIME).punctuate(T0 + 500_000);
        assertThat(context.forwarded()).as("an empty window has no average").isEmpty();
        assertThat(contents(windows)).isEmpty();
        assertThat(metrics.counter("not-numeric").count()).isEqualTo(2.0);
    }

    @Test
    void anAverageIsDecidedOnTheCompleteInterval() {
        rule("value_avg", "field: bytes\ngt: 500");
        start();
        processValued("alice", "a1", 0, "900");
        assertThat(context.forwarded()).as("900 alone is above 500, but the interval is still open").isEmpty();
        processValued("alice", "a2", 30_000, "100");
        punctuator(context, PunctuationType.STREAM_TIME).punctuate(T0 + 100_000);
        assertThat(context.forwarded()).as("the average over [0 s, 60 s] is 500").isEmpty();
    }

    @Test
    void percentilesInterpolateLinearlyBetweenTheClosestRanks() {
        assertThat(CorrelationProcessor.percentile(new double[] {7}, 95)).isEqualTo(7.0);
        assertThat(CorrelationProcessor.percentile(new double[] {1, 2, 3, 4}, 0)).isEqualTo(1.0);
        assertThat(CorrelationProcessor.percentile(new double[] {1, 2, 3, 4}, 100)).isEqualTo(4.0);
        assertThat(CorrelationProcessor.percentile(new double[] {1, 2, 3, 4}, 50)).isEqualTo(2.5);
        assertThat(CorrelationProcessor.percentile(new double[] {1, 5, 20}, 50)).isEqualTo(5.0);
        assertThat(CorrelationProcessor.percentile(new double[] {10, 20, 30, 40, 50}, 90)).isEqualTo(46.0);
    }

    @Test
    void aPercentileIsDecidedOnTheCompleteIntervalOverItsNumericValues() {
        rule("value_percentile", "field: duration\npercentile: 50\nlte: 5");
        start();
        processValued("alice", "a1", 0, "1");
        processValued("alice", "a2", 10_000, "9");
        processValued("alice", "a3", 20_000, "5");
        processValued("alice", "a4", 30_000, "slow");
        punctuator(context, PunctuationType.STREAM_TIME).punctuate(T0 + 100_000);
        assertThat(drain(context)).singleElement().satisfies(f -> {
            assertThat(f.getEvidence().getEventIds()).containsExactly("a1", "a2", "a3");
            assertThat(f.getEvidence().getFields()).containsEntry("sigma.correlation.value", "5");
        });
    }
}
