package dev.bulwark.cli;

import java.io.PrintStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import dev.bulwark.api.Validation;
import dev.bulwark.schemas.Finding;

/**
 * What a backtest found, per rule: the findings the rule would have raised, the matches behind them, the repeats that
 * folded into them, and the distinct tenants, pods and users, with the first few findings as examples.
 *
 * <p>Built from every emission of the backtest's findings topic: a folded finding is emitted again with a growing
 * count under the same id, so a finding is counted once, with its last (largest) count, exactly as the sink's
 * upsert by id keeps it in the live index.
 *
 * @param tenant the tenant the report is limited to (its own findings and those that name it), or null for all
 */
record BacktestReport(Backtest.Replay replay, String tenant, List<RuleStats> rules) {

    /**
     * One rule's (or correlation's) results.
     *
     * @param findings distinct findings (ids) the rule would have raised
     * @param matches events (or correlation firings) behind them: the sum of their counts
     * @param folded repeats folded into a finding instead of raising one: {@code matches - findings}
     */
    record RuleStats(String ruleId, String ruleName, long findings, long matches, long folded, List<String> tenants,
                     List<String> pods, List<String> users, List<Example> examples) {
    }

    /** One finding, as the report shows it. */
    record Example(String id, String firstSeen, String lastSeen, long count, String severity, String tenant,
                   String namespace, String pod, String summary) {
    }

    /**
     * The report of {@code findings}: a row per rule that raised one, and an empty row for each candidate key that
     * raised none (so a rule that never fires is shown, not left out).
     */
    static BacktestReport of(Backtest.Replay replay, String tenant, Collection<String> candidateKeys,
                             List<Finding> findings) {
        Map<String, Map<String, Finding>> latest = new TreeMap<>();
        for (Finding finding : findings) {
            if (tenant != null && !tenant.equals(finding.getTenant()) && !finding.getOtherTenants().contains(tenant)) {
                continue;
            }
            latest.computeIfAbsent(finding.getRule().getId(), k -> new LinkedHashMap<>())
                    .merge(finding.getId(), finding, (a, b) -> b.getCount() >= a.getCount() ? b : a);
        }
        List<RuleStats> rows = new ArrayList<>();
        latest.forEach((ruleId, byId) -> rows.add(stats(ruleId, byId.values())));
        for (String key : new TreeSet<>(candidateKeys)) {
            if (!latest.containsKey(key)) {
                rows.add(new RuleStats(key, null, 0, 0, 0, List.of(), List.of(), List.of(), List.of()));
            }
        }
        rows.sort(Comparator.comparingLong(RuleStats::findings).reversed().thenComparing(RuleStats::ruleId));
        return new BacktestReport(replay, tenant, List.copyOf(rows));
    }

    private static RuleStats stats(String ruleId, Collection<Finding> findings) {
        long matches = 0;
        TreeSet<String> tenants = new TreeSet<>();
        TreeSet<String> pods = new TreeSet<>();
        TreeSet<String> users = new TreeSet<>();
        String name = null;
        for (Finding finding : findings) {
            matches += finding.getCount();
            tenants.add(finding.getTenant());
            tenants.addAll(finding.getOtherTenants());
            if (finding.getPod() != null) {
                pods.add((finding.getNamespace() == null ? "" : finding.getNamespace() + "/") + finding.getPod());
            }
            String user = finding.getEvidence().getFields().get(dev.bulwark.sigma.SigmaFindings.USER_FIELD);
            if (user != null) {
                users.add(user);
            }
            name = finding.getRule().getName();
        }
        List<Example> examples = findings.stream().sorted(Comparator.comparingLong(Finding::getFirstSeen)
                        .thenComparing(Finding::getId)).limit(Backtest.EXAMPLES)
                .map(f -> new Example(f.getId(), Instant.ofEpochMilli(f.getFirstSeen()).toString(),
                        Instant.ofEpochMilli(f.getLastSeen()).toString(), f.getCount(), f.getSeverity(), f.getTenant(), f.getNamespace(), f.getPod(), f.getSummary()))
                .toList();
        return new RuleStats(ruleId, name, findings.size(), matches, matches - findings.size(), List.copyOf(tenants),
                List.copyOf(pods), List.copyOf(users), examples);
    }

    /** The report as JSON-ready values: the replay's figures, the tenant and the rows. */
    Map<String, Object> json() {
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("from", replay.from().toString());
        figures.put("to", replay.to().toString());
        figures.put("events", replay.events());
        figures.put("dead_lettered", replay.deadLettered());
        figures.put("context_records", replay.contextRecords());
        figures.put("context_changes", replay.contextChanges());
        figures.put("context_unreadable", replay.contextUnreadable());
        figures.put("copy_seconds", seconds(replay.copyTime()));
        figures.put("start_seconds", seconds(replay.startTime()));
        figures.put("detect_seconds", seconds(replay.drainTime()));
        figures.put("events_per_second", Math.round(replay.eventsPerSecond()));
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("replay", figures);
        json.put("tenant", tenant);
        json.put("rules", rules);
        return json;
    }

    private static double seconds(java.time.Duration duration) {
        return duration.toMillis() / 1000.0;
    }

    /** The report as a table, the replay's figures first. */
    void print(PrintStream out) {
        out.printf(Locale.ROOT, "replayed %d event(s) that reached Kafka from %s to %s%s: %d dead-lettered; detection "
                        + "at %.0f events/s (copy %.1f s, start %.1f s, detection %.1f s)%n", replay.events(),
                replay.from(), replay.to(), tenant == null ? "" : ", findings of tenant " + tenant, replay.deadLettered(),
                replay.eventsPerSecond(), seconds(replay.copyTime()), seconds(replay.startTime()),
                seconds(replay.drainTime()));
        out.printf(Locale.ROOT, "%-38s %8s %8s %7s %7s %6s %6s  %s%n", "RULE", "FINDINGS", "MATCHES", "FOLDED", "TENANTS",
                "PODS", "USERS", "TITLE");
        for (RuleStats row : rules) {
            out.printf(Locale.ROOT, "%-38s %8d %8d %7d %7d %6d %6d  %s%n", row.ruleId(), row.findings(), row.matches(),
                    row.folded(), row.tenants().size(), row.pods().size(), row.users().size(),
                    row.ruleName() == null ? "(no finding)" : Validation.printable(row.ruleName(), 120));
            for (Example example : row.examples()) {
                String pod = example.pod() == null ? "-"
                        : (example.namespace() == null ? "" : example.namespace() + "/") + example.pod();
                out.printf(Locale.ROOT, "    %s  %-8s %-12s %s x%d  %s%n", example.firstSeen(), example.severity(),
                        Validation.printable(example.tenant(), 64), Validation.printable(pod, 128), example.count(),
                        Validation.printable(example.summary(), 200));
            }
        }
    }
}
