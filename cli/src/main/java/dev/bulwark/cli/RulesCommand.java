package dev.bulwark.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.Future;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import dev.bulwark.ingest.EventPublisher;
import dev.bulwark.schemas.Topics;
import dev.bulwark.sigma.ParsedRules;
import dev.bulwark.sigma.RuleDirectory;
import dev.bulwark.sigma.RuleProblem;
import dev.bulwark.sigma.RuleSource;
import dev.bulwark.sigma.RuleTestReport;
import dev.bulwark.sigma.RuleTestResult;
import dev.bulwark.sigma.RuleTestRunner;
import dev.bulwark.sigma.SigmaEngine;
import dev.bulwark.sigma.SigmaFindings;
import dev.bulwark.sigma.ShadowMode;
import dev.bulwark.sigma.SigmaCorrelation;
import dev.bulwark.sigma.SigmaRule;
import dev.bulwark.sigma.SigmaSettings;
import dev.bulwark.sink.FindingIndex;
import dev.bulwark.sink.ShadowFindings;

/**
 * {@code bulwark rules}: validate, test, publish, list and delete the Sigma rules the running detectors use.
 *
 * <p>Why: rules change without a restart through the compacted rules topic; this command is the safe way onto it:
 * nothing invalid is published, rule tests run like unit tests, and the topic's content can be seen and pruned.
 */
@Command(name = "rules", mixinStandardHelpOptions = true,
        description = {"Manage the Sigma rules of the running detectors (the compacted rules topic).",
                "Examples:",
                "  bulwark rules test my-rules/",
                "  bulwark rules push my-rules/ --prune",
                "  bulwark rules backtest candidate.yml --from 24h",
                "  bulwark rules push candidate.yml --shadow",
                "  bulwark rules promote 7f734ed0-4f47-46c0-837f-6ee62505abd9",
                "  bulwark rules override bulwark.container.interactive_shell --tenant acme --severity low",
                "  bulwark rules overrides --tenant acme",
                "  bulwark rules list",
                "  bulwark rules delete 7f734ed0-4f47-46c0-837f-6ee62505abd9"},
        subcommands = {RulesCommand.Push.class, RulesCommand.Test.class, RulesCommand.ListRules.class,
                RulesCommand.Promote.class, RulesCommand.Delete.class, BacktestCommand.class,
                RuleOverrideCommands.SetOverride.class,
                RuleOverrideCommands.ListOverrides.class})
final class RulesCommand implements Callable<Integer> {

    @ParentCommand
    BulwarkCommand parent;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(System.out);
        return 0;
    }

    /** The engine with the detector's field mapping (and its override file, when configured). */
    static SigmaEngine engine(BulwarkConfig config) throws Exception {
        SigmaSettings settings = SigmaSettings.from(config.detection.detectors.getOrDefault("sigma", Map.of()));
        var mapping = dev.bulwark.sigma.FieldMapping.defaults();
        if (settings.mapping() != null) {
            mapping = mapping.withOverrides(settings.mapping());
        }
        return SigmaEngine.create(mapping);
    }

    /** {@code bulwark rules push DIR}. */
    @Command(name = "push", mixinStandardHelpOptions = true,
            description = {"Validate every rule file under DIR and publish the applicable ones to the rules topic, one "
                    + "record per file keyed by its rule id (a filter file by its filter id); running detectors apply "
                    + "them within seconds.",
                    "Each file is applicable (published), not applicable (valid Sigma, but no source Bulwark receives "
                            + "serves its logsource; not published, not an error) or invalid (listed as "
                            + "file:line:column: reason, not published). Load warnings, such as an unmapped field, are "
                            + "listed too.",
                    "Exit code 1 when a file is invalid, or with --strict when there is a warning (nothing is then "
                            + "published)."})
    static final class Push implements Callable<Integer> {

        @ParentCommand
        RulesCommand rules;

        @Parameters(paramLabel = "DIR", description = "Rule directory (recursive; *.tests.yml are left out) or one file.")
        Path directory;

        @Option(names = "--prune", description = "Also delete records on the topic whose key no file under DIR has "
                + "(a record whose file is invalid or not applicable right now is kept).")
        boolean prune;

        @Option(names = "--dry-run", description = "Validate only; publish nothing.")
        boolean dryRun;

        @Option(names = "--strict", description = "Make every load warning an error: exit 1 and publish nothing.")
        boolean strict;

        @Option(names = "--shadow", description = "Publish the rules and correlations in shadow mode (each document gets "
                + "shadow: true): they run live, but their findings go to the shadow findings index only, never to the "
                + "findings index, tenants or notifications, until 'rules promote'. Filters cannot be shadowed.")
        boolean shadow;

        @Override
        public Integer call() throws Exception {
            BulwarkConfig config = rules.parent.config();
            if (!Files.exists(directory)) {
                throw new IllegalArgumentException(directory + " does not exist");
            }
            SigmaEngine engine = engine(config);
            ParsedRules shipped = RuleSource.bundled(engine.loader());
            RuleDirectory.Validation validation = RuleDirectory.validate(engine, directory, shipped);
            PrintStream out = System.out;
            printValidation(validation, strict, out, System.err);
            if (strict && !validation.warnings().isEmpty()) {
                out.println("nothing published: --strict and " + validation.warnings().size() + " warning(s)");
                return 1;
            }
            List<RuleDirectory.RuleRecord> records = validation.records();
            if (shadow) {
                records = shadowed(engine, records);
            }
            if (dryRun) {
                out.println("dry run: nothing published");
                return validation.ok() ? 0 : 1;
            }
            Topics topics = Topics.withPrefix(config.kafka.topicPrefix);
            BulwarkRuntime.ensureTopics(config);
            Map<String, String> present = prune ? readAll(config, topics) : Map.of();
            try (KafkaProducer<String, String> producer = producer(config)) {
                List<Future<RecordMetadata>> sent = new ArrayList<>();
                for (RuleDirectory.RuleRecord record : records) {
                    sent.add(producer.send(new ProducerRecord<>(topics.rules().name(), record.key(), record.text())));
                    out.println("published " + record.key() + "  (" + record.file() + ")" + (shadow ? " in shadow mode" : ""));
                }
                if (prune) {
                    java.util.Set<String> keep = new java.util.HashSet<>();
                    validation.records().forEach(r -> keep.add(r.key()));
                    keep.addAll(keysOfUnpublishedFiles(validation));
                    for (String key : present.keySet()) {
                        if (!keep.contains(key)) {
                            sent.add(producer.send(new ProducerRecord<>(topics.rules().name(), key, null)));
                            out.println("deleted   " + key);
                        }
                    }
                }
                for (Future<RecordMetadata> future : sent) {
                    future.get();
                }
            }
            return validation.ok() ? 0 : 1;
        }

        /**
         * The records with every rule and correlation document marked {@code shadow: true}; a filter refuses (it would
         * suppress live matches at once), as does a file the marking would not parse back to all-shadow.
         */
        private static List<RuleDirectory.RuleRecord> shadowed(SigmaEngine engine, List<RuleDirectory.RuleRecord> records) {
            List<RuleDirectory.RuleRecord> marked = new ArrayList<>();
            for (RuleDirectory.RuleRecord record : records) {
                ParsedRules before = engine.loader().parse(record.key(), record.text());
                if (!before.filters().isEmpty()) {
                    throw new IllegalArgumentException(record.file() + " holds a filter, and filters cannot run in "
                            + "shadow mode (they suppress live matches); push it without --shadow, or test it with "
                            + "'rules test' first");
                }
                String text = ShadowMode.mark(record.text());
                ParsedRules after = engine.loader().parse(record.key(), text);
                if (!after.failures().isEmpty() || !ShadowMode.allShadow(after)) {
                    throw new IllegalArgumentException("cannot put " + record.file() + " in shadow mode: write "
                            + "'shadow: true' at the top level of each of its documents yourself"
                            + (after.failures().isEmpty() ? "" : " (" + after.failures().get(0) + ")"));
                }
                marked.add(new RuleDirectory.RuleRecord(record.key(), record.file(), text));
            }
            return marked;
        }

        /**
         * The keys of the files that are invalid or not applicable now: their records are kept, since pruning must not
         * delete a rule because of a typo (a misspelt logsource makes a rule not applicable).
         */
        private static java.util.Set<String> keysOfUnpublishedFiles(RuleDirectory.Validation validation) {
            java.util.Set<String> keys = new java.util.HashSet<>();
            java.util.Set<Path> files = new java.util.HashSet<>(validation.invalidFiles());
            files.addAll(validation.notApplicable().keySet());
            for (Path file : files) {
                String key = RuleDirectory.keyOf(new dev.bulwark.sigma.SigmaRuleLoader().parseFile(file));
                if (key != null) {
                    keys.add(key);
                }
            }
            return keys;
        }
    }

    /**
     * Prints how the files of a directory load: each invalid file's problems and each warning (to {@code err}), then
     * the counts of applicable, not-applicable and invalid files and the not-applicable ones per logsource, most
     * first (to {@code out}).
     */
    static void printValidation(RuleDirectory.Validation validation, boolean strict, PrintStream out, PrintStream err) {
        for (RuleProblem problem : validation.problems()) {
            err.println(problem);
        }
        for (RuleProblem warning : validation.warnings()) {
            err.println((strict ? "error (--strict): " : "warning: ") + warning);
        }
        int applicable = validation.records().size();
        int notApplicable = validation.notApplicable().size();
        int invalid = validation.invalidFiles().size();
        out.println((applicable + notApplicable + invalid) + " rule file(s): " + applicable + " applicable, "
                + notApplicable + " not applicable, " + invalid + " invalid");
        if (notApplicable > 0) {
            out.println("not applicable (valid Sigma, but no source Bulwark receives serves the logsource):");
            validation.notApplicableByLogsource().forEach((logsource, count) ->
                    out.printf("  %6d  %s%n", count, logsource));
        }
        if (invalid > 0) {
            out.println("invalid: " + invalid + " file(s), each problem printed as file:line:column: [rule] reason");
        }
        if (!validation.warnings().isEmpty()) {
            out.println(validation.warnings().size() + " warning(s) in applicable files" + (strict
                    ? " (errors with --strict)" : " (the rules load; --strict makes warnings errors)"));
        }
    }

    /** {@code bulwark rules test DIR}. */
    @Command(name = "test", mixinStandardHelpOptions = true,
            description = {"Validate the rule files like 'rules push --dry-run' (counts of applicable, not applicable "
                    + "and invalid files, each problem and warning), then run the test cases kept beside the rules "
                    + "(x.tests.yml for x.yml) and print one line per case.",
                    "Exit code 1 when a case fails, there is no case at all, a rule file is invalid, or with --strict "
                            + "there is a warning."})
    static final class Test implements Callable<Integer> {

        @ParentCommand
        RulesCommand rules;

        @Parameters(paramLabel = "DIR", description = "Rule directory (recursive) or one rule file.")
        Path directory;

        @Option(names = "--untested", description = "Also list the rule files that have no test file.")
        boolean untested;

        @Option(names = "--strict", description = "Make every load warning an error (exit 1).")
        boolean strict;

        @Override
        public Integer call() throws Exception {
            if (!Files.exists(directory)) {
                throw new IllegalArgumentException(directory + " does not exist");
            }
            SigmaEngine engine = engine(rules.parent.config());
            RuleDirectory.Validation validation = RuleDirectory.validate(engine, directory,
                    RuleSource.bundled(engine.loader()));
            printValidation(validation, strict, System.out, System.err);
            System.out.println();
            RuleTestReport report = new RuleTestRunner(engine).run(directory);
            printReport(report, untested, System.out);
            boolean failed = !report.ok() || !validation.ok() || (strict && !validation.warnings().isEmpty());
            return failed ? 1 : 0;
        }
    }

    /** Prints a rule test report like a test runner. */
    static void printReport(RuleTestReport report, boolean listUntested, PrintStream out) {
        String currentRule = null;
        for (RuleTestResult result : report.results()) {
            String rule = result.rule() == null ? result.location().file() : result.rule();
            if (!rule.equals(currentRule)) {
                out.println(rule);
                currentRule = rule;
            }
            String kind = result.expectMatch() ? "match" : "no match";
            if (result.passed()) {
                out.println("  ✓ " + result.name() + " (" + kind + ")");
            } else {
                out.println("  ✗ " + result.name() + " (" + kind + ", " + result.location() + ")");
                out.println("      " + result.reason());
            }
        }
        if (listUntested && !report.untested().isEmpty()) {
            out.println("without tests:");
            report.untested().forEach(file -> out.println("  - " + file));
        }
        out.println();
        out.println(report.passed() + " passed, " + report.failed() + " failed"
                + (report.untested().isEmpty() ? "" : " (" + report.untested().size() + " rule file(s) without tests)"));
        if (report.results().isEmpty()) {
            out.println("no test cases found: put them beside the rules as x.tests.yml");
        }
    }

    /** {@code bulwark rules list}. */
    @Command(name = "list", mixinStandardHelpOptions = true,
            description = {"Show the records of the rules topic: key, rules (or correlation, or filters) in it, level, "
                    + "title, and whether the detector accepts them.",
                    "With --stats: every rule's telemetry instead, over all detector instances (each since it started): "
                            + "evaluations, estimated evaluation time, matches, findings, folded repeats, mean "
                            + "event-to-finding latency and last match, for the shipped, configured and pushed rules "
                            + "and the built-in detectors alike."})
    static final class ListRules implements Callable<Integer> {

        @ParentCommand
        RulesCommand rules;

        @Option(names = "--stats", description = "Per-rule telemetry of the running detectors (the rule-stats topic).")
        boolean stats;

        @Option(names = "--sort", defaultValue = "cost", description = "With --stats: cost (evaluation time), noise "
                + "(findings), matches, latency or rule (default ${DEFAULT-VALUE}).")
        String sort;

        @Option(names = "--top", defaultValue = "50", description = "With --stats: at most this many rows (default "
                + "${DEFAULT-VALUE}).")
        int top;

        @Override
        public Integer call() throws Exception {
            BulwarkConfig config = rules.parent.config();
            if (stats) {
                if (!dev.bulwark.api.RuleStatsReport.SORTS.contains(sort)) {
                    throw new IllegalArgumentException("--sort must be one of "
                            + String.join(", ", dev.bulwark.api.RuleStatsReport.SORTS));
                }
                if (top < 1) {
                    throw new IllegalArgumentException("--top must be at least 1");
                }
                printStats(dev.bulwark.api.RuleStatsReport.rows(new KafkaRuleStatsStore(config,
                        KafkaSecurity.Component.RULES).all(), sort), top, System.out);
                return 0;
            }
            Topics topics = Topics.withPrefix(config.kafka.topicPrefix);
            Map<String, ConsumerRecord<String, String>> held = readRecords(config, topics);
            Map<String, String> records = new TreeMap<>();
            held.forEach((key, record) -> records.put(key, record.value()));
            if (records.isEmpty()) {
                System.out.println("the rules topic " + topics.rules().name() + " holds no rules (the detectors use their "
                        + "shipped and configured rule files)");
                return 0;
            }
            SigmaEngine engine = engine(config);
            RuleSource source = RuleSource.of(engine, RuleSource.bundled(engine.loader()));
            source.replaceAll(records);
            RuleSource.Snapshot snapshot = source.current();
            Map<String, ParsedRules> parsedRecords = new TreeMap<>();
            records.forEach((key, text) -> parsedRecords.put(key, engine.loader().parse(key, text)));
            Map<String, ShadowFindings.Hits> hits = shadowHits(config, held, parsedRecords);
            String format = "%-38s %-9s %-13s %-40s %-30s %s%n";
            System.out.printf(format, "KEY", "LEVEL", "KIND", "TITLE", "MODE", "STATUS");
            for (Map.Entry<String, String> record : records.entrySet()) {
                ParsedRules parsed = parsedRecords.get(record.getKey());
                String kind = !parsed.correlations().isEmpty() ? parsed.correlations().get(0).type().sigmaName()
                        : !parsed.rules().isEmpty() || parsed.filters().isEmpty() ? parsed.rules().size() + " rule(s)"
                        : parsed.filters().size() + " filter(s)";
                String title = !parsed.correlations().isEmpty() ? parsed.correlations().get(0).title()
                        : !parsed.rules().isEmpty() ? parsed.rules().get(0).title()
                        : parsed.filters().isEmpty() ? "-" : parsed.filters().get(0).title();
                String level = !parsed.correlations().isEmpty() ? parsed.correlations().get(0).level()
                        : parsed.rules().isEmpty() ? null : parsed.rules().get(0).level();
                RuleSource.Rejection rejection = snapshot.rejections().get(record.getKey());
                String status = rejection == null ? "ok" : "REJECTED: " + rejection.problems().get(0);
                String mode = !ShadowMode.anyShadow(parsed) ? "live"
                        : "shadow " + describe(hits.get(record.getKey()));
                System.out.printf(format, record.getKey(), level == null ? "-" : level, kind, clip(title, 40), mode, status);
            }
            System.out.println(records.size() + " record(s); " + snapshot.rejections().size() + " rejected");
            return 0;
        }
    }

    /** Per-rule telemetry as a table, the first {@code top} rows. */
    static void printStats(List<dev.bulwark.api.RuleStatsReport.Row> rows, int top, PrintStream out) {
        if (rows.isEmpty()) {
            out.println("no per-rule telemetry yet: the detectors publish it every detection.ruleStatsInterval "
                    + "(default 15 s) once they run with detection.ruleTelemetry above 0");
            return;
        }
        String format = "%-38s %-30s %12s %10s %9s %9s %8s %10s %7s  %s%n";
        out.printf(format, "RULE", "DETECTOR", "EVALUATIONS", "COST (ms)", "MATCHES", "FINDINGS", "FOLDED",
                "LATENCY ms", "GROUPS", "LAST MATCH");
        for (dev.bulwark.api.RuleStatsReport.Row row : rows.subList(0, Math.min(top, rows.size()))) {
            out.printf(java.util.Locale.ROOT, format, clip(dev.bulwark.api.Validation.printable(row.rule(), 80), 38),
                    clip(row.detector(), 30), row.evaluations(), String.format(java.util.Locale.ROOT, "%.1f",
                            row.evaluationSeconds() * 1000), row.matches(), row.findings(), row.folded(),
                    Double.isNaN(row.latencyMeanMillis()) ? "-"
                            : String.format(java.util.Locale.ROOT, "%.0f", row.latencyMeanMillis()),
                    row.stateGroups(), row.lastMatch() == null ? "-" : row.lastMatch().toString());
        }
        out.println(rows.size() + " rule(s)" + (rows.size() > top ? ", the first " + top + " shown" : "")
                + "; counted by each detector instance since it started");
    }

    /**
     * Per shadow record: the hits of its rules and correlations in the shadow findings index since the record was
     * pushed. Empty, with a note on stderr, when Elasticsearch cannot be asked.
     */
    static Map<String, ShadowFindings.Hits> shadowHits(BulwarkConfig config,
                                                       Map<String, ConsumerRecord<String, String>> records,
                                                       Map<String, ParsedRules> parsedRecords) {
        Map<String, ShadowFindings.Hits> hits = new TreeMap<>();
        FindingIndex shadowIndex = new FindingIndex(config.elasticsearch.indexPrefix).shadow();
        ElasticsearchClient client = null;
        try {
            for (ConsumerRecord<String, String> record : records.values()) {
                ParsedRules parsed = parsedRecords.get(record.key());
                if (!ShadowMode.anyShadow(parsed)) {
                    continue;
                }
                if (client == null) {
                    client = config.elasticsearchClient(BulwarkConfig.EsUser.API);
                }
                List<String> ids = new ArrayList<>();
                parsed.rules().stream().filter(SigmaRule::shadow).forEach(r -> ids.add(SigmaFindings.ruleId(r)));
                parsed.correlations().stream().filter(SigmaCorrelation::shadow)
                        .forEach(c -> ids.add(SigmaFindings.correlationId(c)));
                long findings = 0;
                long matches = 0;
                java.time.Instant last = null;
                for (String id : ids) {
                    ShadowFindings.Hits one = ShadowFindings.since(client, shadowIndex, id,
                            java.time.Instant.ofEpochMilli(record.timestamp()));
                    findings += one.findings();
                    matches += one.matches();
                    last = last == null || (one.lastSeen() != null && one.lastSeen().isAfter(last)) ? one.lastSeen() : last;
                }
                hits.put(record.key(), new ShadowFindings.Hits(findings, matches, last));
            }
        } catch (Exception e) {
            System.err.println("shadow hits unknown: cannot search " + shadowIndex.alias() + " in Elasticsearch ("
                    + e.getMessage() + "); check elasticsearch.* in the configuration");
            return Map.of();
        }
        return hits;
    }

    /** A shadow record's hits as a column: {@code 3 findings/17 matches}, or {@code hits unknown}. */
    static String describe(ShadowFindings.Hits hits) {
        return hits == null ? "(hits unknown)" : hits.findings() + " findings/" + hits.matches() + " matches";
    }

    /** {@code bulwark rules promote ID}. */
    @Command(name = "promote", mixinStandardHelpOptions = true,
            description = {"Make a shadow rule or correlation live: its record on the rules topic is published again "
                    + "without 'shadow: true'. Running detectors apply it within seconds, without a restart; its next "
                    + "matches are findings in the findings index (its shadow findings stay in the shadow index).",
                    "ID is a record key, or the id or name of a rule or correlation in a record."})
    static final class Promote implements Callable<Integer> {

        @ParentCommand
        RulesCommand rules;

        @Parameters(paramLabel = "ID", description = "Record key, rule id or name, or correlation id or name.")
        String id;

        @Override
        public Integer call() throws Exception {
            BulwarkConfig config = rules.parent.config();
            Topics topics = Topics.withPrefix(config.kafka.topicPrefix);
            SigmaEngine engine = engine(config);
            Map<String, String> records = readAll(config, topics);
            String key = promotable(engine, records, id);
            String text = ShadowMode.unmark(records.get(key));
            ParsedRules after = engine.loader().parse(key, text);
            if (!after.failures().isEmpty() || ShadowMode.anyShadow(after)) {
                throw new IllegalStateException("cannot take record " + key + " out of shadow mode: remove its "
                        + "'shadow' attribute in the file and push it again");
            }
            try (KafkaProducer<String, String> producer = producer(config)) {
                producer.send(new ProducerRecord<>(topics.rules().name(), key, text)).get();
            }
            System.out.println("promoted " + key + ": the running detectors apply it within seconds, and its next "
                    + "matches are live findings");
            return 0;
        }

        /** The key of the record holding {@code id} in shadow mode, or an error saying what the topic holds instead. */
        static String promotable(SigmaEngine engine, Map<String, String> records, String id) {
            String found = null;
            ParsedRules parsed = null;
            if (records.containsKey(id)) {
                found = id;
                parsed = engine.loader().parse(id, records.get(id));
            }
            for (Map.Entry<String, String> record : records.entrySet()) {
                if (found != null) {
                    break;
                }
                ParsedRules candidate = engine.loader().parse(record.getKey(), record.getValue());
                if (candidate.rules().stream().anyMatch(r -> id.equals(r.id()) || id.equals(r.name()))
                        || candidate.correlations().stream().anyMatch(c -> id.equals(c.id()) || id.equals(c.name()))) {
                    found = record.getKey();
                    parsed = candidate;
                }
            }
            if (found == null) {
                throw new IllegalArgumentException("no record on the rules topic is or holds '" + id
                        + "'; 'bulwark rules list' shows what it holds");
            }
            if (!ShadowMode.anyShadow(parsed)) {
                throw new IllegalArgumentException("record " + found + " is live already: nothing to promote");
            }
            return found;
        }
    }

    /** {@code bulwark rules delete ID...}. */
    @Command(name = "delete", mixinStandardHelpOptions = true,
            description = "Delete rules records by key (a tombstone on the compacted topic); running detectors drop them "
                    + "within seconds.")
    static final class Delete implements Callable<Integer> {

        @ParentCommand
        RulesCommand rules;

        @Parameters(paramLabel = "KEY", arity = "1..*", description = "Record keys (rule ids) as shown by 'rules list'.")
        List<String> keys;

        @Override
        public Integer call() throws Exception {
            BulwarkConfig config = rules.parent.config();
            Topics topics = Topics.withPrefix(config.kafka.topicPrefix);
            Map<String, String> present = readAll(config, topics);
            int missing = 0;
            try (KafkaProducer<String, String> producer = producer(config)) {
                for (String key : keys) {
                    if (!present.containsKey(key)) {
                        System.err.println("no record with key " + key + " on " + topics.rules().name());
                        missing++;
                        continue;
                    }
                    producer.send(new ProducerRecord<>(topics.rules().name(), key, null)).get();
                    System.out.println("deleted " + key);
                }
            }
            return missing == 0 ? 0 : 1;
        }
    }

    static KafkaProducer<String, String> producer(BulwarkConfig config) {
        return new KafkaProducer<>(new KafkaClients(config).as(KafkaSecurity.Component.RULES).producer("bulwark-rules"), new StringSerializer(),
                new StringSerializer());
    }

    /** Every live record of the rules topic (tombstones applied), by key in order. */
    static Map<String, String> readAll(BulwarkConfig config, Topics topics) {
        Map<String, String> texts = new TreeMap<>();
        readRecords(config, topics).forEach((key, record) -> texts.put(key, record.value()));
        return texts;
    }

    /** The live records of the rules topic by key: the latest record of each key that is not a tombstone. */
    static Map<String, ConsumerRecord<String, String>> readRecords(BulwarkConfig config, Topics topics) {
        return readCompacted(config, topics.rules().name(), new StringDeserializer());
    }

    /**
     * The live records of a compacted topic the {@code rules} principal reads, by key: the latest record of each key
     * that is not a tombstone.
     */
    static <V> Map<String, ConsumerRecord<String, V>> readCompacted(BulwarkConfig config, String topic,
                                                                    org.apache.kafka.common.serialization.Deserializer<V> values) {
        return readCompacted(config, topic, values, KafkaSecurity.Component.RULES);
    }

    /** {@link #readCompacted(BulwarkConfig, String, org.apache.kafka.common.serialization.Deserializer)} as {@code as}. */
    static <V> Map<String, ConsumerRecord<String, V>> readCompacted(BulwarkConfig config, String topic,
                                                                    org.apache.kafka.common.serialization.Deserializer<V> values,
                                                                    KafkaSecurity.Component as) {
        Map<String, ConsumerRecord<String, V>> records = new TreeMap<>();
        readToEnd(config, topic, values, as, Duration.ofSeconds(60), record -> {
            if (record.key() == null) {
                return;
            }
            if (record.value() == null) {
                records.remove(record.key());
            } else {
                records.put(record.key(), record);
            }
        });
        return records;
    }

    /**
     * Hands every record of {@code topic} from its beginning to its end (as of the call) to {@code each}, in order per
     * partition, reading as {@code as} outside any consumer group.
     *
     * @param timeout how long the whole read may take, or null for no limit
     */
    static <V> void readToEnd(BulwarkConfig config, String topic,
                              org.apache.kafka.common.serialization.Deserializer<V> values, KafkaSecurity.Component as,
                              Duration timeout, java.util.function.Consumer<ConsumerRecord<String, V>> each) {
        try (KafkaConsumer<String, V> consumer = new KafkaConsumer<>(new KafkaClients(config).as(as).reader(),
                new StringDeserializer(), values)) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            if (partitions.isEmpty()) {
                return;
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            long deadline = timeout == null ? 0 : System.nanoTime() + timeout.toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                if (timeout != null && System.nanoTime() > deadline) {
                    throw new IllegalStateException("timed out reading " + topic);
                }
                for (ConsumerRecord<String, V> record : consumer.poll(Duration.ofMillis(500))) {
                    if (record.offset() < end.get(new TopicPartition(record.topic(), record.partition()))) {
                        each.accept(record);
                    }
                }
            }
        }
    }

    private static String clip(String value, int width) {
        if (value == null) {
            return "-";
        }
        return value.length() > width ? value.substring(0, width - 1) + "…" : value;
    }
}
