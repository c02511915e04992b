package dev.bulwark.sigma;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.Ids;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * The correlation types of the specification v2.1 that the stream evaluates, each with base-rule matches that must
 * fire and matches that must not, quoting the sentence checked: hits go through the correlation processor as the
 * repartitioned base-rule matches of the {@code sigma} detector, and the stream then advances past every interval.
 */
class SigmaCorrelationConformanceTest {

    private static final long T0 = 1_700_000_000_000L;
    private static final String WHOAMI = "whoami_run";
    private static final String ID = "id_run";

    /** A base-rule match: rule name, group-by value, aggregated value (value_count) and event time offset. */
    record Hit(String rule, String user, String value, long offset) {
        @Override
        public String toString() {
            return rule + "@" + offset / 1000 + "s/" + user + (value == null ? "" : "=" + value);
        }
    }

    static Hit hit(String rule, String user, long offsetSeconds) {
        return new Hit(rule, user, null, offsetSeconds * 1000);
    }

    static Hit valued(String user, String value, long offsetSeconds) {
        return new Hit(WHOAMI, user, value, offsetSeconds * 1000);
    }

    static Stream<Arguments> cases() {
        String count = "event_count: Counts events occurring in the given time frame ... The resulting query must count "
                + "events for each group specified by group-by separately";
        String values = "value_count: Counts values in a field defined by `field`. The resulting query must count field "
                + "values separately for each group";
        String temporal = "temporal: All events defined by the rules referred by the rule field must occur in the time "
                + "frame defined by timespan. The values of fields defined in group-by must all have the same value";
        String ordered = "temporal_ordered: behaves like temporal and requires in addition that the events appear in "
                + "the order provided in the rule attribute";
        String sum = "value_sum: Check if the `sum` of a number field match a limit";
        String avg = "value_avg: Check if the `average` of a number field match a limit";
        String percentile = "value_percentile: Check when a certain percentage of observed values occur. Hint: median "
                + "is a percentile 50";
        List<String> one = List.of(WHOAMI);
        List<String> two = List.of(WHOAMI, ID);
        return Stream.of(
                Arguments.of(count, "event_count", one, "gte: 3",
                        List.of(hit(WHOAMI, "alice", 0), hit(WHOAMI, "alice", 30), hit(WHOAMI, "alice", 60)), true),
                Arguments.of(count, "event_count", one, "gte: 3",
                        List.of(hit(WHOAMI, "alice", 0), hit(WHOAMI, "alice", 30), hit(WHOAMI, "alice", 61)), false),
                Arguments.of(count, "event_count", one, "gte: 3",
                        List.of(hit(WHOAMI, "alice", 0), hit(WHOAMI, "bob", 10), hit(WHOAMI, "alice", 20)), false),
                Arguments.of(count, "event_count", one, "lt: 3",
                        List.of(hit(WHOAMI, "alice", 0), hit(WHOAMI, "alice", 30)), true),
                Arguments.of(count, "event_count", one, "lt: 3",
                        List.of(hit(WHOAMI, "alice", 0), hit(WHOAMI, "alice", 30), hit(WHOAMI, "alice", 45)), false),
                Arguments.of(count, "event_count", one, "gt: 1\nlte: 2",
                        List.of(hit(WHOAMI, "alice", 0), hit(WHOAMI, "alice", 30)), true),
                Arguments.of(count, "event_count", one, "eq: 2",
                        List.of(hit(WHOAMI, "alice", 0)), false),
                Arguments.of(values, "value_count", one, "field: CommandLine\ngte: 2",
                        List.of(valued("alice", "id", 0), valued("alice", "whoami", 10)), true),
                Arguments.of(values, "value_count", one, "field: CommandLine\ngte: 2",
                        List.of(valued("alice", "id", 0), valued("alice", "id", 10), valued("alice", "id", 20)), false),
                Arguments.of(values, "value_count", one, "field: CommandLine\ngte: 2",
                        List.of(valued("alice", "id", 0), valued("bob", "whoami", 10)), false),
                Arguments.of(temporal, "temporal", two, null,
                        List.of(hit(ID, "alice", 0), hit(WHOAMI, "alice", 50)), true),
                Arguments.of(temporal, "temporal", two, null,
                        List.of(hit(ID, "alice", 0), hit(WHOAMI, "alice", 61)), false),
                Arguments.of(temporal, "temporal", two, null,
                        List.of(hit(ID, "alice", 0), hit(WHOAMI, "bob", 10)), false),
                Arguments.of(ordered, "temporal_ordered", two, null,
                        List.of(hit(WHOAMI, "alice", 0), hit(ID, "alice", 50)), true),
                Arguments.of(ordered, "temporal_ordered", two, null,
                        List.of(hit(ID, "alice", 0), hit(WHOAMI, "alice", 50)), false),
                Arguments.of(sum, "value_sum", one, "field: bytes_sent\ngt: 100",
                        List.of(valued("alice", "60", 0), valued("alice", "50", 30)), true),
                Arguments.of(sum, "value_sum", one, "field: bytes_sent\ngt: 100",
                        List.of(valued("alice", "60", 0), valued("alice", "40", 30)), false),
                Arguments.of(sum, "value_sum", one, "field: bytes_sent\ngt: 100",
                        List.of(valued("alice", "60", 0), valued("alice", "50", 61)), false),
                Arguments.of(sum, "value_sum", one, "field: bytes_sent\ngt: 100",
                        List.of(valued("alice", "60", 0), valued("bob", "50", 30)), false),
                Arguments.of(sum, "value_sum", one, "field: bytes_sent\nlte: 100",
                        List.of(valued("alice", "60", 0), valued("alice", "40", 30)), true),
                Arguments.of(sum, "value_sum", one, "field: bytes_sent\nlte: 100",
                        List.of(valued("alice", "60", 0), valued("alice", "40.5", 30)), false),
                Arguments.of(avg, "value_avg", one, "field: BytesOut\ngt: 500",
                        List.of(valued("alice", "400", 0), valued("alice", "700", 30)), true),
                Arguments.of(avg, "value_avg", one, "field: BytesOut\ngt: 500",
                        List.of(valued("alice", "400", 0), valued("alice", "600", 30)), false),
                Arguments.of(avg, "value_avg", one, "field: BytesOut\ngt: 500",
                        List.of(valued("alice", "900", 0), valued("alice", "100", 30)), false),
                Arguments.of(percentile, "value_percentile", one, "field: duration\npercentile: 50\ngt: 10",
                        List.of(valued("alice", "1", 0), valued("alice", "30", 10), valued("alice", "5", 20),
                                valued("alice", "20", 30)), true),
                Arguments.of(percentile, "value_percentile", one, "field: duration\npercentile: 50\ngt: 10",
                        List.of(valued("alice", "1", 0), valued("alice", "20", 10), valued("alice", "5", 20)), false),
                Arguments.of(percentile, "value_percentile", one, "field: duration\npercentile: 95\ngte: 100",
                        List.of(valued("alice", "1", 0), valued("alice", "2", 10), valued("alice", "3", 20),
                                valued("alice", "500", 30)), true));
    }

    @ParameterizedTest(name = "{1} {3} on {4}: fires {5}")
    @MethodSource("cases")
    void firesAsTheSpecificationSays(String spec, String type, List<String> rules, String condition, List<Hit> hits,
                                     boolean fires) {
        SigmaEngine engine = SigmaEngine.create();
        ParsedRules base = engine.loader().parse("whoami.yml", SigmaDetectorTest.WHOAMI)
                .plus(engine.loader().parse("id.yml", SigmaDetectorTest.ID));
        RuleSource source = RuleSource.of(engine, base);
        source.put("correlation", SigmaDetectorTest.correlation(type, rules, "60s", condition, ""));
        assertThat(source.current().correlations()).as("the correlation loads").containsKey("corr-1");

        MockProcessorContext<String, Finding> context = ProcessorTestSupport.context(0);
        context.setCurrentSystemTimeMs(T0 + 3_600_000);
        ProcessorTestSupport.store(context, "windows", Serdes.String(), CorrelationWindow.SERDE);
        ProcessorTestSupport.store(context, "fold", Serdes.String(), FindingFolder.STATE_SERDE);
        ProcessorTestSupport.store(context, "fold-dirty", Serdes.String(), Serdes.Long());
        SigmaSettings settings = SigmaSettings.from(Map.of("grace", "30s"));
        SimpleMeterRegistry metrics = new SimpleMeterRegistry();
        CorrelationProcessor processor = new CorrelationProcessor(source, "windows",
                new FindingFolder("fold", "fold-dirty", settings, metrics.counter("folded"),
                        metrics.counter("duplicates")),
                settings, metrics.counter("late"), metrics.counter("fired"), metrics.counter("duplicates"),
                metrics.counter("not-numeric"));
        processor.init(context);

        int n = 0;
        for (Hit hit : hits) {
            String ruleId = hit.rule().equals(WHOAMI) ? "11111111-0000-4000-8000-000000000001"
                    : "11111111-0000-4000-8000-000000000002";
            String eventId = "e" + n++;
            CorrelationHit record = new CorrelationHit("corr-1", List.of(hit.user()), ruleId, hit.rule(), eventId,
                    T0 + hit.offset(), hit.value(), SigmaStateSchemaTest.finding("m-" + eventId, 1, List.of(eventId)));
            context.setCurrentStreamTimeMs(Math.max(context.currentStreamTimeMs(), record.time()));
            processor.process(new Record<>(Ids.of("corr-1", hit.user()), record, record.time()));
        }
        long end = T0 + 600_000;
        context.setCurrentStreamTimeMs(end);
        ProcessorTestSupport.punctuator(context, PunctuationType.STREAM_TIME).punctuate(end);

        List<Finding> findings = new ArrayList<>(ProcessorTestSupport.drain(context));
        assertThat(findings).as("%s: %s", spec, hits).hasSize(fires ? 1 : 0);
    }

    /**
     * The specification's example "Failed Logins Followed by Successful Login", with whoami standing for a failed and
     * id for a successful login: a temporal_ordered correlation over an event_count correlation and a rule.
     */
    static final String FAILED_THEN_SUCCESSFUL = """
            title: Correlation - Multiple Failed Logins Followed by Successful Login
            id: corr-1
            status: experimental
            correlation:
                type: temporal_ordered
                rules:
                    - multiple_failed_login
                    - id_run
                group-by:
                    - User
                timespan: 10m
            level: high
            ---
            title: Multiple failed logons
            id: a8418a5a-5fc4-46b5-b23b-6c73beb19d41
            name: multiple_failed_login
            correlation:
                type: event_count
                rules:
                    - whoami_run
                group-by:
                    - User
                timespan: 10m
                condition:
                    gte: 10
            """;

    @TempDir
    Path rulesDir;

    @TempDir
    Path stateDir;

    static Stream<Arguments> chains() {
        String chain = "Correlations can be chained to express more complex use cases (the failed-then-successful "
                + "login example); the correlation rule only uses its own group-by";
        List<Hit> tenFailed = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            tenFailed.add(hit(WHOAMI, "root", i * 10));
        }
        List<Hit> thenSuccess = new ArrayList<>(tenFailed);
        thenSuccess.add(hit(ID, "root", 200));
        List<Hit> nineFailed = new ArrayList<>(tenFailed.subList(1, 10));
        nineFailed.add(hit(ID, "root", 200));
        List<Hit> otherUser = new ArrayList<>(tenFailed);
        otherUser.add(hit(ID, "alice", 200));
        List<Hit> successFirst = new ArrayList<>();
        successFirst.add(hit(ID, "root", 0));
        tenFailed.forEach(h -> successFirst.add(hit(WHOAMI, "root", h.offset() / 1000 + 10)));
        List<Hit> tooLate = new ArrayList<>(tenFailed);
        tooLate.add(hit(ID, "root", 90 + 601));
        return Stream.of(
                Arguments.of(chain, thenSuccess, true),
                Arguments.of(chain, nineFailed, false),
                Arguments.of(chain, otherUser, false),
                Arguments.of(chain, successFirst, false),
                Arguments.of(chain, tooLate, false));
    }

    @ParameterizedTest(name = "chain on {1}: fires {2}")
    @MethodSource("chains")
    void chainedCorrelationsFireAsTheSpecificationSays(String spec, List<Hit> hits, boolean fires) throws IOException {
        SigmaDetectorTest topology = new SigmaDetectorTest();
        topology.rulesDir = rulesDir;
        topology.stateDir = stateDir;
        try {
            topology.start(Map.of(), SigmaDetectorTest.WHOAMI, SigmaDetectorTest.ID, FAILED_THEN_SUCCESSFUL);
            int n = 0;
            for (Hit hit : hits) {
                String executable = hit.rule().equals(WHOAMI) ? "/usr/bin/whoami" : "/usr/bin/id";
                var event = SigmaDetectorTest.exec("e" + n++, hit.offset(), "c1", executable, executable);
                event.getProcess().setUserName(hit.user());
                topology.pipe(event);
            }
            assertThat(topology.allFindings()).as("%s: %s", spec, hits)
                    .extracting(f -> f.getRule().getId())
                    .as("only the outermost correlation reports")
                    .containsExactlyElementsOf(fires ? List.of("corr-1") : List.of());
        } finally {
            topology.tearDown();
        }
    }
}
