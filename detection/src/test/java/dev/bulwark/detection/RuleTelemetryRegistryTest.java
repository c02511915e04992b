package dev.bulwark.detection;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.bulwark.detectors.api.RuleTelemetry;
import dev.bulwark.schemas.Evidence;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.FindingRule;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

class RuleTelemetryRegistryTest {

    private final SimpleMeterRegistry metrics = new SimpleMeterRegistry();

    private double counter(String name, String detector, String rule) {
        var meter = metrics.find(name).tags("detector", detector, "rule", rule).functionCounter();
        return meter == null ? Double.NaN : meter.count();
    }

    private static Finding finding(String rule, long lastSeen) {
        return Finding.newBuilder().setId("f").setDetector("d")
                .setRule(FindingRule.newBuilder().setId(rule).setName("n").setVersion("1").build())
                .setSeverity("high").setTenant("acme").setSummary("s").setFirstSeen(lastSeen).setLastSeen(lastSeen)
                .setCount(1).setEvidence(Evidence.newBuilder().setEventIds(List.of("e")).setFields(Map.of()).build())
                .build();
    }

    @Test
    void eachRuleCountsUnderItsOwnLabelUpToTheBoundAndTheRestUnderOther() {
        RuleTelemetryRegistry registry = new RuleTelemetryRegistry(metrics, 2);
        RuleTelemetry sigma = registry.forDetector("sigma");
        for (String rule : List.of("r1", "r2", "r3", "r4", "r1")) {
            RuleTelemetry.Counters counters = sigma.rule(rule);
            counters.evaluated();
            counters.matched(1_000L);
        }
        assertThat(counter("bulwark.rule.evaluations", "sigma", "r1")).isEqualTo(2.0);
        assertThat(counter("bulwark.rule.matches", "sigma", "r2")).isEqualTo(1.0);
        assertThat(counter("bulwark.rule.evaluations", "sigma", "other")).as("r3 and r4").isEqualTo(2.0);
        assertThat(metrics.find("bulwark.rule.evaluations").functionCounters()).as("the series are bounded")
                .hasSize(3);
        assertThat(metrics.find("bulwark.rule.last.match.timestamp.seconds").tags("rule", "r1").gauge().value())
                .isEqualTo(1.0);
        assertThat(registry.snapshot()).as("every rule keeps its own counters for the rule-stats topic")
                .extracting(RuleTelemetryRegistry.Snapshot::rule).containsExactlyInAnyOrder("r1", "r2", "r3", "r4");
        assertThat(registry.snapshot()).filteredOn(x -> x.rule().equals("r1")).singleElement()
                .satisfies(x -> assertThat(x.evaluations()).isEqualTo(2));
    }

    @Test
    void findingsLatencyAndFoldsAreCountedPerRuleAndDetector() {
        RuleTelemetryRegistry registry = new RuleTelemetryRegistry(metrics, 10);
        registry.written("container-exec", finding("bulwark.container.interactive_shell", 1_000L), 1_250L);
        registry.written("container-exec", finding("bulwark.container.interactive_shell", 2_000L), 2_050L);
        registry.forDetector("container-exec").rule("bulwark.container.interactive_shell").folded();
        assertThat(counter("bulwark.rule.findings", "container-exec", "bulwark.container.interactive_shell"))
                .isEqualTo(2.0);
        assertThat(counter("bulwark.rule.folded", "container-exec", "bulwark.container.interactive_shell"))
                .isEqualTo(1.0);
        var latency = metrics.find("bulwark.rule.latency").tags("rule", "bulwark.container.interactive_shell")
                .functionTimer();
        assertThat(latency.count()).isEqualTo(2.0);
        assertThat(latency.totalTime(java.util.concurrent.TimeUnit.MILLISECONDS)).isEqualTo(300.0);
        assertThat(metrics.find("bulwark.rule.last.match.timestamp.seconds").gauge().value()).as("no match yet").isNaN();
    }

    @Test
    void evaluationTimeIsEstimatedFromTheSampledEvaluations() {
        RuleTelemetryRegistry registry = new RuleTelemetryRegistry(metrics, 10);
        RuleTelemetry.Counters counters = registry.forDetector("sigma").rule("r1");
        counters.evaluated(2_000L);
        counters.evaluated(4_000L);
        for (int i = 0; i < 98; i++) {
            counters.evaluated();
        }
        assertThat(counter("bulwark.rule.evaluation.seconds", "sigma", "r1")).as("mean 3 µs × 100 evaluations")
                .isCloseTo(300e-6, org.assertj.core.data.Offset.offset(1e-9));
        int sampled = 0;
        for (int i = 0; i < 64_000; i++) {
            sampled += counters.sample() ? 1 : 0;
        }
        assertThat(sampled).as("about one in 64").isBetween(700, 1300);
    }

    @Test
    void zeroRulesTurnsItOff() {
        RuleTelemetryRegistry registry = new RuleTelemetryRegistry(metrics, 0);
        assertThat(registry.forDetector("sigma").rule("r1")).isSameAs(RuleTelemetry.Counters.NONE);
        registry.written("sigma", finding("r1", 1L), 2L);
        assertThat(metrics.getMeters()).isEmpty();
    }
}
