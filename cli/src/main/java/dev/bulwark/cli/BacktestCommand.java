package dev.bulwark.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.bulwark.api.ApiException;
import dev.bulwark.api.Validation;
import dev.bulwark.schemas.Topics;
import dev.bulwark.sink.TenantNames;
import dev.bulwark.sigma.RuleDirectory;
import dev.bulwark.sigma.RuleSource;
import dev.bulwark.sigma.SigmaEngine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code bulwark rules backtest DIR|RULE_ID --from …}: what candidate rules would have found in retained events. */
@Command(name = "backtest", mixinStandardHelpOptions = true,
        description = {"Replay the retained events topic through candidate rules, in an isolated detection application, "
                + "and print per rule the findings they would have raised, the matches behind them, the repeats folded "
                + "into them, the distinct tenants, pods and users, and the first few findings; the same is written as "
                + "JSON.",
                "The same engine as the live detectors: field mapping, folding, correlations, tenant context and the "
                        + "per-tenant overrides. Nothing reaches the findings topic or Elasticsearch; the run's scratch "
                        + "topics, consumer group and state are deleted afterwards.",
                "Times select the events by when they reached Kafka; the only limit is the events topic's retention.",
                "Examples:",
                "  bulwark rules backtest my-rules/ --from 24h",
                "  bulwark rules backtest candidate.yml --from 2026-12-01T00:00:00Z --to 2026-12-02T00:00:00Z",
                "  bulwark rules backtest 7f734ed0-4f47-46c0-837f-6ee62505abd9 --from 7d --tenant acme"})
final class BacktestCommand implements Callable<Integer> {

    @ParentCommand
    RulesCommand rules;

    @Parameters(paramLabel = "DIR|RULE_ID", description = "Candidate rules: a rule folder or file (validated like "
            + "'rules push'), or the id of a rule on the rules topic.")
    String candidates;

    @Option(names = "--from", required = true, description = "Start: an instant (2026-12-01T00:00:00Z) or a period "
            + "before now (30m, 24h, 7d).")
    String from;

    @Option(names = "--to", description = "End (exclusive), like --from; default now.")
    String to;

    @Option(names = "--tenant", description = "Report only this tenant's findings (and those that name it).")
    String tenant;

    @Option(names = "--json", paramLabel = "FILE", description = "Where the JSON report goes; default "
            + "backtest-<id>.json in the current folder.")
    Path json;

    @Option(names = "--threads", description = "Stream threads of the replay; default the events topic's partitions "
            + "or the processors, whichever is fewer.")
    Integer threads;

    private boolean invalidLeftOut;

    @Override
    public Integer call() throws Exception {
        BulwarkConfig config = rules.parent.config();
        Instant now = Instant.now();
        Instant start = time("--from", from, now);
        Instant end = to == null ? now : time("--to", to, now);
        if (!start.isBefore(end)) {
            throw new IllegalArgumentException("--from (" + start + ") must be before --to (" + end + ")");
        }
        if (tenant != null) {
            TenantNames.require(tenant);
        }
        List<RuleDirectory.RuleRecord> records = candidates(config);
        byte[] random = new byte[4];
        new java.security.SecureRandom().nextBytes(random);
        String id = HexFormat.of().formatHex(random);
        Path out = json != null ? json : Path.of("backtest-" + id + ".json");
        int parallel = threads != null ? threads : Math.max(1, Math.min(config.kafka.partitions,
                Runtime.getRuntime().availableProcessors()));
        if (parallel < 1 || parallel > 64) {
            throw new IllegalArgumentException("--threads must be between 1 and 64");
        }
        Path state = Files.createTempDirectory("bulwark-backtest-");
        Backtest backtest = new Backtest(config, id, parallel, line -> System.err.println("[backtest] " + line));
        Backtest.Result result;
        try {
            result = backtest.run(records, start, end, state);
        } finally {
            Files.deleteIfExists(state);
        }
        BacktestReport report = BacktestReport.of(result.replay(), tenant,
                records.stream().map(RuleDirectory.RuleRecord::key).toList(), result.findings());
        report.print(System.out);
        new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(out.toFile(), report.json());
        System.out.println("report written to " + out);
        return invalidLeftOut ? 1 : 0;
    }

    private static Instant time(String option, String value, Instant now) {
        try {
            return Validation.time(option, value, now);
        } catch (ApiException e) {
            throw new IllegalArgumentException(e.getMessage());
        }
    }

    /** The candidate records: the applicable files of a folder or file, or the rules topic's record of a rule id. */
    private List<RuleDirectory.RuleRecord> candidates(BulwarkConfig config) throws Exception {
        Path path = Path.of(candidates);
        if (Files.exists(path)) {
            SigmaEngine engine = RulesCommand.engine(config);
            RuleDirectory.Validation validation = RuleDirectory.validate(engine, path, RuleSource.bundled(engine.loader()));
            RulesCommand.printValidation(validation, false, System.out, System.err);
            if (!validation.ok()) {
                System.err.println("bulwark: the invalid rule file(s) are left out of the backtest (exit code 1, as "
                        + "'rules push' would)");
                invalidLeftOut = true;
            }
            if (validation.records().isEmpty()) {
                throw new IllegalArgumentException("no applicable rule under " + path + ": nothing to backtest");
            }
            return validation.records();
        }
        if (!Topics.isOverrideTarget(candidates)) {
            throw new IllegalArgumentException(candidates + " is neither a rule file or folder nor a rule id");
        }
        var record = RulesCommand.readRecords(config, Topics.withPrefix(config.kafka.topicPrefix)).get(candidates);
        if (record == null) {
            throw new IllegalArgumentException("no file " + candidates + " and no rule with that id on the rules topic "
                    + "(see 'bulwark rules list'); give the rule's file or folder instead");
        }
        return List.of(new RuleDirectory.RuleRecord(record.key(), null, record.value()));
    }
}
