package dev.bulwark.sigma;

import static dev.bulwark.sigma.ProcessorTestSupport.contents;
import static dev.bulwark.sigma.ProcessorTestSupport.drain;
import static dev.bulwark.sigma.ProcessorTestSupport.punctuator;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.bulwark.detectors.api.FindingBuilder;
import dev.bulwark.schemas.DeadLetter;
import dev.bulwark.schemas.Ids;
import dev.bulwark.schemas.SecurityEvent;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * The matching processor on its own: standalone matches become rule findings, matches of a correlation's base rule
 * become hits keyed by correlation and group, and rejected rules records are dead-lettered by the task of partition 0
 * only, once per record text and reason, also across a restart.
 */
class SigmaMatchProcessorTest {

    static final String BAD = """
            title: Broken rule
            id: bad-rule
            logsource: {product: linux, category: process_creation}
            detection:
                selection:
                    Image|nosuchmodifier: /bin/sh
                condition: selection
            """;

    private final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    private final SigmaEngine engine = SigmaEngine.create();
    private final RuleSource source = RuleSource.of(engine, engine.loader().parse("whoami.yml", SigmaDetectorTest.WHOAMI)
            .plus(engine.loader().parse("id.yml", SigmaDetectorTest.ID)));
    private MockProcessorContext<String, SigmaOutput> context;
    private KeyValueStore<String, String> rejections;
    private SigmaMatchProcessor processor;

    @BeforeEach
    void setUp() {
        context = ProcessorTestSupport.context(0);
        context.setCurrentSystemTimeMs(SigmaDetectorTest.T0);
        rejections = ProcessorTestSupport.store(context, "sigma-rule-rejections", Serdes.String(), Serdes.String());
        processor = start(context);
    }

    private SigmaMatchProcessor start(MockProcessorContext<String, SigmaOutput> on) {
        SigmaMatchProcessor started = new SigmaMatchProcessor(e -> new FindingBuilder("sigma", "1", n -> null, e),
                source, "bulwark.rules", "sigma-rule-rejections", metrics.counter("rejected"),
                metrics.counter("matched"), metrics.counter("filtered"));
        started.init(on);
        return started;
    }

    private void process(SigmaMatchProcessor on, SecurityEvent event) {
        on.process(new Record<>("container/" + event.getContainer().getId(), event, event.getTimestamp() / 1_000_000L));
    }

    private static SecurityEvent exec(String id, String executable) {
        return SigmaDetectorTest.exec(id, 5_000, "c1", executable, executable.substring(executable.lastIndexOf('/') + 1));
    }

    private List<DeadLetter> deadLetters(MockProcessorContext<String, SigmaOutput> of) {
        return drain(of).stream().map(SigmaOutput::deadLetter).toList();
    }

    // ---------------------------------------------------------------- matching

    @Test
    void aStandaloneMatchBecomesARuleFindingKeyedByItsFoldKey() {
        process(processor, exec("e1", "/usr/bin/id"));

        assertThat(context.forwarded()).singleElement().satisfies(f -> {
            SigmaOutput out = f.record().value();
            assertThat(out.finding()).isNotNull();
            assertThat(out.hit()).isNull();
            assertThat(f.record().key()).isEqualTo(out.finding().getId());
            assertThat(f.record().timestamp()).as("event time").isEqualTo(SigmaDetectorTest.T0 + 5_000);
            assertThat(out.finding().getRule().getName()).isEqualTo("Id run");
            assertThat(out.finding().getEvidence().getEventIds()).containsExactly("e1");
        });
        assertThat(metrics.counter("matched").count()).isEqualTo(1.0);
    }

    @Test
    void aMatchOfACorrelationsBaseRuleBecomesAHitKeyedByCorrelationAndGroup() {
        source.put("corr", SigmaDetectorTest.correlation("event_count", List.of("whoami_run"), "60s", "gte: 3", ""));

        process(processor, exec("e1", "/usr/bin/whoami"));

        assertThat(drain(context)).as("the base rule is not standalone: a hit, no finding").singleElement()
                .satisfies(out -> {
                    assertThat(out.finding()).isNull();
                    CorrelationHit hit = out.hit();
                    assertThat(hit.correlationKey()).isEqualTo("corr-1");
                    assertThat(hit.group()).containsExactly("root");
                    assertThat(hit.ruleName()).isEqualTo("whoami_run");
                    assertThat(hit.eventId()).isEqualTo("e1");
                    assertThat(hit.time()).isEqualTo(SigmaDetectorTest.T0 + 5_000);
                    assertThat(hit.context().getRule().getName()).isEqualTo("Whoami run");
                });
        process(processor, exec("e2", "/usr/bin/whoami"));
        assertThat(context.forwarded()).singleElement()
                .satisfies(f -> assertThat(f.record().key()).isEqualTo(Ids.of("corr-1", "root")));
    }

    // ---------------------------------------------------------------- filters

    static final String NOT_ROOT = """
            title: Root is expected here
            id: filter-root
            logsource: {product: linux}
            filter:
                rules: [id_run, whoami_run]
                selection:
                    User: root
                condition: not selection
            """;

    @Test
    void aFilteredMatchIsCountedAndBecomesNeitherAFindingNorACorrelationHit() {
        source.put("corr", SigmaDetectorTest.correlation("event_count", List.of("whoami_run"), "60s", "gte: 1", ""));
        source.put("filter-root", NOT_ROOT);

        process(processor, exec("e1", "/usr/bin/id"));
        process(processor, exec("e2", "/usr/bin/whoami"));

        assertThat(context.forwarded()).as("both matches suppressed: the events' user is root").isEmpty();
        assertThat(metrics.counter("filtered").count()).isEqualTo(2.0);
        assertThat(metrics.counter("matched").count()).isZero();

        source.remove("filter-root");
        process(processor, exec("e3", "/usr/bin/whoami"));
        assertThat(drain(context)).as("the tombstone lifts the filter; the correlation is fed again")
                .singleElement().satisfies(out -> assertThat(out.hit()).isNotNull());
        assertThat(metrics.counter("filtered").count()).isEqualTo(2.0);
    }

    // ---------------------------------------------------------------- rejected rules records

    @Test
    void task0DeadLettersARejectedRecordOnceWithKeyLineAndReason() {
        source.put("bad-rule", BAD);

        process(processor, exec("e1", "/usr/bin/true"));

        assertThat(deadLetters(context)).singleElement().satisfies(letter -> {
            assertThat(letter.getStage()).isEqualTo("rules");
            assertThat(letter.getOrigin()).isEqualTo("bulwark.rules:bad-rule");
            assertThat(letter.getError()).startsWith("bad-rule:6:").contains("nosuchmodifier");
            assertThat(StandardCharsets.UTF_8.decode(letter.getOriginal()).toString()).isEqualTo(BAD);
        });
        assertThat(contents(rejections)).extracting(kv -> kv.key).containsExactly("bad-rule");
        assertThat(rejections.get("bad-rule")).isEqualTo(source.current().rejections().get("bad-rule").fingerprint());
        assertThat(metrics.counter("rejected").count()).isEqualTo(1.0);

        punctuator(context, PunctuationType.WALL_CLOCK_TIME).punctuate(SigmaDetectorTest.T0 + 1_000);
        process(processor, exec("e2", "/usr/bin/true"));
        assertThat(context.forwarded()).as("reported once").isEmpty();
    }

    @Test
    void theWallClockPunctuationReportsWhenNoEventsFlow() {
        assertThat(context.scheduledPunctuators()).singleElement().satisfies(p -> {
            assertThat(p.getType()).isEqualTo(PunctuationType.WALL_CLOCK_TIME);
            assertThat(p.getInterval()).isEqualTo(Duration.ofSeconds(1));
        });
        source.put("bad-rule", BAD);

        punctuator(context, PunctuationType.WALL_CLOCK_TIME).punctuate(SigmaDetectorTest.T0 + 1_000);

        assertThat(deadLetters(context)).hasSize(1);
    }

    @Test
    void aRestartedTaskDoesNotReportAgainAndAFixedRecordIsForgotten() {
        source.put("bad-rule", BAD);
        process(processor, exec("e1", "/usr/bin/true"));
        assertThat(deadLetters(context)).hasSize(1);

        MockProcessorContext<String, SigmaOutput> restarted = ProcessorTestSupport.context(0);
        restarted.setCurrentSystemTimeMs(SigmaDetectorTest.T0 + 60_000);
        restarted.addStateStore(rejections);
        SigmaMatchProcessor resumed = start(restarted);
        process(resumed, exec("e2", "/usr/bin/true"));
        assertThat(restarted.forwarded()).as("remembered by fingerprint in the store").isEmpty();

        source.put("bad-rule", BAD.replace("Image|nosuchmodifier", "Image|endswith"));
        process(resumed, exec("e3", "/usr/bin/true"));
        assertThat(restarted.forwarded()).isEmpty();
        assertThat(contents(rejections)).as("fixed: nothing to remember").isEmpty();

        source.put("bad-rule", BAD);
        process(resumed, exec("e4", "/usr/bin/true"));
        assertThat(deadLetters(restarted)).as("broken again: reported again").hasSize(1);
    }

    @Test
    void otherTasksNeitherReportNorTouchTheRejectionStore() {
        MockProcessorContext<String, SigmaOutput> task1 = ProcessorTestSupport.context(1);
        SigmaMatchProcessor other = start(task1);
        source.put("bad-rule", BAD);

        process(other, exec("e1", "/usr/bin/id"));

        assertThat(task1.scheduledPunctuators()).isEmpty();
        assertThat(drain(task1)).singleElement().satisfies(out -> {
            assertThat(out.deadLetter()).isNull();
            assertThat(out.finding()).isNotNull();
        });
        assertThat(contents(rejections)).isEmpty();
        assertThat(metrics.counter("rejected").count()).isZero();
    }
}
