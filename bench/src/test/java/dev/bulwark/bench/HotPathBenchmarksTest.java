package dev.bulwark.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.openjdk.jmh.infra.Blackhole;

import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.SecurityEvent;

/**
 * One invocation of each hot-path benchmark on its real workload, outside JMH.
 *
 * <p>Why: a benchmark whose setup finds no records, or whose workload stopped parsing, would report a meaningless
 * score instead of failing; these checks fail first.
 */
class HotPathBenchmarksTest {

    private static final Blackhole BLACKHOLE = new Blackhole(
            "Today's password is swordfish. I understand instantiating Blackholes directly is dangerous.");

    @Test
    void everyBundledFormatHasAParseBenchmarkWithOutputs() throws Exception {
        assertThat(Workloads.formats())
                .containsExactly("falco", "tetragon", "k8s-audit", "cri", "docker", "trivy", "k8s-objects");
        for (String format : Workloads.formats()) {
            ParseBenchmark benchmark = new ParseBenchmark();
            benchmark.format = format;
            benchmark.setUp();
            ParseBenchmark.Batch batch = ParseBenchmark.Batch.of(format);

            int outputs = benchmark.normalize(BLACKHOLE);

            assertThat(batch.templates()).as(format).isPositive();
            assertThat(outputs).as(format).isPositive().isEqualTo(batch.events() + batch.contextUpdates());
        }
    }

    @Test
    void containerLogOriginsCarryTheWorkload() throws Exception {
        for (String format : List.of("cri", "docker")) {
            SecurityEvent event = ParseBenchmark.events(format).get(0);
            assertThat(event.getContainer()).as(format).isNotNull();
            assertThat(event.getContainer().getId()).as(format).isEqualTo("ab".repeat(32));
        }
        assertThat(ParseBenchmark.events("cri").get(0).getKubernetes().getNamespace()).isEqualTo("bench-ns");
    }

    @Test
    void trivyAndAuditRecordsYieldSeveralEvents() throws Exception {
        assertThat(ParseBenchmark.Batch.of("trivy").eventsPerRecord()).isGreaterThan(1.0);
        assertThat(ParseBenchmark.Batch.of("k8s-objects").contextUpdatesPerRecord()).isPositive();
    }

    @Test
    void avroBenchmarksRoundTripEventsAndFindings() throws Exception {
        AvroSerdeBenchmark benchmark = new AvroSerdeBenchmark();
        AvroSerdeBenchmark.Events events = new AvroSerdeBenchmark.Events();
        events.setUp();
        AvroSerdeBenchmark.Findings findings = new AvroSerdeBenchmark.Findings();
        findings.setUp();

        long eventBytes = benchmark.serializeEvent(events, BLACKHOLE);
        SecurityEvent lastEvent = benchmark.deserializeEvent(events, BLACKHOLE);
        long findingBytes = benchmark.serializeFinding(findings, BLACKHOLE);
        Finding lastFinding = benchmark.deserializeFinding(findings, BLACKHOLE);

        assertThat(eventBytes).isEqualTo(Math.round(events.codec.meanBytes() * AvroSerdeBenchmark.BATCH));
        assertThat(events.codec.meanBytes()).isGreaterThan(100);
        assertThat(lastEvent).isEqualTo(events.codec.records.get(AvroSerdeBenchmark.BATCH - 1));
        assertThat(findingBytes).isEqualTo(Math.round(findings.codec.meanBytes() * AvroSerdeBenchmark.BATCH));
        assertThat(lastFinding).isEqualTo(findings.codec.records.get(AvroSerdeBenchmark.BATCH - 1));
        assertThat(lastFinding.getDetector()).isEqualTo("sigma");
        assertThat(findings.codec.cycled).isGreaterThan(1);
        assertThat(events.codec.cycled).isGreaterThan(Workloads.formats().size());
    }

    @Test
    void quickSettingsRunEveryHotPathWithFewerRuleSets() {
        JmhBench.Settings quick = JmhBench.Settings.quick();
        assertThat(quick.rules()).containsExactly("1", "all", "1000");
        assertThat(quick.options().getIncludes()).containsExactly(JmhBench.HOT_PATHS);
        assertThat(quick.options().getParameter("format").get()).containsExactlyElementsOf(Workloads.formats());
    }
}
