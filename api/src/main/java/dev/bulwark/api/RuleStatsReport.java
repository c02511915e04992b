package dev.bulwark.api;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.bulwark.schemas.RuleStats;

/**
 * Per-rule telemetry added up over every detector instance: one row per detector and rule, sorted by cost (evaluation
 * time), noise (findings), matches, latency or rule id. Shared by {@code GET /api/rules} and
 * {@code bulwark rules list --stats}.
 */
public final class RuleStatsReport {

    /** The orders a report can be sorted in. */
    public static final List<String> SORTS = List.of("cost", "noise", "matches", "latency", "rule");

    /**
     * One rule's figures over every instance, each counted since that instance started.
     *
     * @param evaluationSeconds estimated evaluation time
     * @param latencyMeanMillis mean time from a finding's newest event to the finding being written, or NaN
     * @param lastMatch the last match over all instances, or null
     * @param instances how many instances reported the rule
     */
    public record Row(String detector, String rule, long evaluations, double evaluationSeconds, long matches,
                      long findings, long folded, double latencyMeanMillis, Instant lastMatch, Instant lastFinding,
                      int instances, long stateGroups, long stateEntries) {
    }

    private RuleStatsReport() {
    }

    /** The rows of {@code records}, sorted by {@code sort} (one of {@link #SORTS}; the largest first). */
    public static List<Row> rows(Collection<RuleStats> records, String sort) {
        Map<String, List<RuleStats>> byRule = new LinkedHashMap<>();
        for (RuleStats record : records) {
            byRule.computeIfAbsent(record.getDetector() + '\u0000' + record.getRule(), k -> new ArrayList<>()).add(record);
        }
        List<Row> rows = new ArrayList<>();
        byRule.values().forEach(list -> rows.add(row(list)));
        rows.sort(order(sort));
        return rows;
    }

    private static Row row(List<RuleStats> records) {
        long evaluations = 0;
        long nanos = 0;
        long matches = 0;
        long findings = 0;
        long folded = 0;
        long latencyCount = 0;
        long latencyMillis = 0;
        long lastMatch = 0;
        long lastFinding = 0;
        long groups = 0;
        long entries = 0;
        Set<String> instances = new HashSet<>();
        for (RuleStats r : records) {
            evaluations += r.getEvaluations();
            nanos += r.getEvaluationNanos();
            matches += r.getMatches();
            findings += r.getFindings();
            folded += r.getFolded();
            latencyCount += r.getLatencyCount();
            latencyMillis += r.getLatencyMillis();
            lastMatch = Math.max(lastMatch, r.getLastMatch());
            lastFinding = Math.max(lastFinding, r.getLastFinding());
            groups += r.getStateGroups();
            entries += r.getStateEntries();
            instances.add(r.getInstance());
        }
        RuleStats first = records.get(0);
        return new Row(first.getDetector(), first.getRule(), evaluations, nanos / 1e9, matches, findings, folded,
                latencyCount == 0 ? Double.NaN : latencyMillis / (double) latencyCount,
                lastMatch == 0 ? null : Instant.ofEpochMilli(lastMatch),
                lastFinding == 0 ? null : Instant.ofEpochMilli(lastFinding), instances.size(), groups, entries);
    }

    private static Comparator<Row> order(String sort) {
        Comparator<Row> byRule = Comparator.comparing(Row::rule).thenComparing(Row::detector);
        return switch (sort) {
            // time first; with too few evaluations to have timed one, the most evaluated
            case "cost" -> Comparator.comparingDouble(Row::evaluationSeconds).reversed()
                    .thenComparing(Comparator.comparingLong(Row::evaluations).reversed()).thenComparing(byRule);
            case "noise" -> Comparator.comparingLong(Row::findings).reversed().thenComparing(byRule);
            case "matches" -> Comparator.comparingLong(Row::matches).reversed().thenComparing(byRule);
            case "latency" -> Comparator.comparingDouble((Row r) -> Double.isNaN(r.latencyMeanMillis())
                    ? -1 : r.latencyMeanMillis()).reversed().thenComparing(byRule);
            case "rule" -> byRule;
            default -> throw new IllegalArgumentException("sort must be one of " + String.join(", ", SORTS));
        };
    }

    /** A row as the API shows it. */
    static Map<String, Object> json(Row row) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("detector", row.detector());
        out.put("rule", row.rule());
        out.put("evaluations", row.evaluations());
        out.put("evaluation_seconds", row.evaluationSeconds());
        out.put("matches", row.matches());
        out.put("findings", row.findings());
        out.put("folded", row.folded());
        out.put("latency_mean_ms", Double.isNaN(row.latencyMeanMillis()) ? null : row.latencyMeanMillis());
        out.put("last_match", row.lastMatch() == null ? null : row.lastMatch().toString());
        out.put("last_finding", row.lastFinding() == null ? null : row.lastFinding().toString());
        out.put("instances", row.instances());
        out.put("state_groups", row.stateGroups());
        out.put("state_entries", row.stateEntries());
        return out;
    }
}
