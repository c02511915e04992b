package dev.bulwark.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.bulwark.schemas.RuleStats;

class RuleStatsReportTest {

    private static RuleStats stats(String instance, String detector, String rule, long nanos, long findings,
                                   long latencyCount, long latencyMillis) {
        return RuleStats.newBuilder().setInstance(instance).setDetector(detector).setRule(rule).setSince(1).setAt(2)
                .setEvaluations(10).setEvaluationNanos(nanos).setMatches(findings).setFindings(findings)
                .setLatencyCount(latencyCount).setLatencyMillis(latencyMillis).build();
    }

    private final List<RuleStats> records = List.of(
            stats("a", "sigma", "r1", 5_000, 1, 1, 900),
            stats("b", "sigma", "r1", 5_000, 2, 2, 300),
            stats("a", "sigma", "r2", 50_000, 0, 0, 0),
            stats("a", "shell", "r1", 0, 7, 7, 70));

    @Test
    void theSameRuleOfTheSameDetectorAddsUpOverInstancesAndOtherDetectorsStayApart() {
        List<RuleStatsReport.Row> rows = RuleStatsReport.rows(records, "rule");
        assertThat(rows).extracting(r -> r.detector() + "/" + r.rule()).containsExactly("shell/r1", "sigma/r1",
                "sigma/r2");
        RuleStatsReport.Row r1 = rows.get(1);
        assertThat(r1.instances()).isEqualTo(2);
        assertThat(r1.evaluations()).isEqualTo(20);
        assertThat(r1.evaluationSeconds()).isEqualTo(10_000 / 1e9);
        assertThat(r1.latencyMeanMillis()).as("(900 + 300) / 3").isEqualTo(400.0);
        assertThat(rows.get(2).latencyMeanMillis()).isNaN();
    }

    @Test
    void sortsByCostNoiseAndLatencyLargestFirst() {
        assertThat(RuleStatsReport.rows(records, "cost").get(0).rule()).isEqualTo("r2");
        List<RuleStats> untimed = List.of(stats("a", "sigma", "few", 0, 0, 0, 0),
                RuleStats.newBuilder(stats("a", "sigma", "many", 0, 0, 0, 0)).setEvaluations(500).build());
        assertThat(RuleStatsReport.rows(untimed, "cost").get(0).rule()).as("none timed yet: the most evaluated first")
                .isEqualTo("many");
        assertThat(RuleStatsReport.rows(records, "noise").get(0).detector()).isEqualTo("shell");
        assertThat(RuleStatsReport.rows(records, "latency")).extracting(RuleStatsReport.Row::detector)
                .as("no latency last").containsExactly("sigma", "shell", "sigma");
        assertThatThrownBy(() -> RuleStatsReport.rows(records, "price")).hasMessageContaining("sort must be one of");
    }
}
