package dev.bulwark.sigma;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Turns a directory of rule files into rules-topic records (one per file, keyed by the file's rule id) after
 * validating every file the way the running detector will, and puts every file in one class: <b>applicable</b> (it
 * loads and is published), <b>not applicable</b> (valid Sigma, but no source Bulwark receives serves a logsource of
 * it; not published, and not an error) or <b>invalid</b> (with file, line and reason; not published).
 *
 * <p>Why: {@code bulwark rules push} must never publish a rule the detector would reject, must say what is wrong
 * with {@code file:line:column: reason}, and must still publish the files that are fine. A file travels whole, so a
 * correlation keeps its base rules and a rule collection keeps its {@code action: global} document. Its key is the id
 * (else the name) of its first correlation, else of its first rule, else of its first filter; a file without one is
 * refused, since a record
 * needs a stable key to be replaced or deleted later.
 */
public final class RuleDirectory {

    private RuleDirectory() {
    }

    /**
     * A rules-topic record made from one file.
     *
     * @param key the record key
     * @param file the file
     * @param text the record value (the file's text)
     */
    public record RuleRecord(String key, Path file, String text) {
    }

    /**
     * The outcome of validating a directory: each file is in exactly one of {@code records} (applicable),
     * {@code notApplicable} and {@code invalidFiles}.
     *
     * @param records the records of the applicable files, in path order
     * @param problems every problem of the invalid files, with file, line, column and reason
     * @param invalidFiles the invalid files
     * @param notApplicable the files that are valid but not applicable, each with (the first of) its rules that no
     *     logsource of the field mapping serves, in path order
     * @param warnings problems of the applicable files that do not prevent loading (e.g. unmapped fields)
     */
    public record Validation(List<RuleRecord> records, List<RuleProblem> problems, Set<Path> invalidFiles,
                             Map<Path, LoadReport.NotApplicable> notApplicable, List<RuleProblem> warnings) {

        public Validation {
            records = List.copyOf(records);
            problems = List.copyOf(problems);
            invalidFiles = Set.copyOf(invalidFiles);
            notApplicable = Collections.unmodifiableMap(new LinkedHashMap<>(notApplicable));
            warnings = List.copyOf(warnings);
        }

        /** True when no file is invalid (not-applicable files and warnings do not count). */
        public boolean ok() {
            return invalidFiles.isEmpty();
        }

        /** How many not-applicable files each logsource has, most first, then by name. */
        public Map<String, Integer> notApplicableByLogsource() {
            return LoadReport.countByLogsource(notApplicable.values().stream()
                    .map(LoadReport.NotApplicable::logsource).toList());
        }
    }

    /** The rule files under a directory (or the file itself), sorted, leaving out {@code *.tests.yml}. */
    public static List<Path> files(Path path) {
        return Files.isDirectory(path) ? SigmaRuleLoader.ruleFiles(path) : List.of(path);
    }

    /**
     * Validates every rule file under {@code path} and builds the records of the valid ones.
     *
     * @param engine the engine (its field mapping must be the detector's)
     * @param path a directory or one file
     * @param available rules already available to the detector (the shipped ones) that correlations may reference;
     *     a file's rule with the same key replaces one of them, as it does in the detector
     */
    public static Validation validate(SigmaEngine engine, Path path, ParsedRules available) {
        Map<Path, ParsedRules> parsed = new LinkedHashMap<>();
        Map<Path, String> texts = new LinkedHashMap<>();
        List<RuleProblem> problems = new ArrayList<>();
        Set<Path> invalid = new HashSet<>();
        for (Path file : files(path)) {
            ParsedRules rules = engine.loader().parseFile(file);
            parsed.put(file, rules);
            try {
                texts.put(file, Files.readString(file, StandardCharsets.UTF_8));
            } catch (IOException | RuntimeException e) {
                texts.put(file, null);
            }
        }
        Map<String, Path> byName = new HashMap<>();
        parsed.keySet().forEach(file -> byName.put(file.toString(), file));
        ParsedRules all = ParsedRules.empty();
        Set<String> own = new HashSet<>();
        for (ParsedRules rules : parsed.values()) {
            all = all.plus(rules);
            rules.rules().forEach(r -> own.add(r.key()));
        }
        List<SigmaRule> context = available.rules().stream().filter(r -> !own.contains(r.key())).toList();
        LoadReport report = engine.load(new ParsedRules(concat(context, all.rules()), all.correlations(),
                all.filters(), all.failures()));
        for (RuleProblem problem : report.skipped()) {
            Path file = fileOf(problem, byName);
            if (file != null) {
                problems.add(problem);
                invalid.add(file);
            }
        }
        Map<Path, LoadReport.NotApplicable> notApplicable = new TreeMap<>();
        for (LoadReport.NotApplicable rule : report.notApplicable()) {
            Path file = fileOf(rule.location(), byName);
            if (file != null && !invalid.contains(file)) {
                notApplicable.putIfAbsent(file, rule);
            }
        }
        List<RuleRecord> records = new ArrayList<>();
        Map<String, Path> keys = new LinkedHashMap<>();
        for (Map.Entry<Path, ParsedRules> entry : parsed.entrySet()) {
            Path file = entry.getKey();
            if (notApplicable.containsKey(file) && !invalid.contains(file)) {
                continue;
            }
            String key = keyOf(entry.getValue());
            if (key == null) {
                if (invalid.contains(file)) {
                    continue;
                }
                problems.add(new RuleProblem(SourceLocation.of(file.toString()), null, entry.getValue().isEmpty()
                        ? "the file holds no rule"
                        : "a rule or filter published to the rules topic needs an 'id' (or a 'name'): it is the record "
                                + "key"));
                invalid.add(file);
                continue;
            }
            Path other = keys.putIfAbsent(key, file);
            if (other != null) {
                problems.add(new RuleProblem(SourceLocation.of(file.toString()), key, "record key '" + key
                        + "' is also the key of " + other));
                invalid.add(file);
                continue;
            }
            if (texts.get(file) == null) {
                invalid.add(file);
                continue;
            }
            if (!invalid.contains(file)) {
                records.add(new RuleRecord(key, file, texts.get(file)));
            }
        }
        notApplicable.keySet().removeAll(invalid);
        Set<Path> published = new HashSet<>();
        records.forEach(record -> published.add(record.file()));
        List<RuleProblem> warnings = report.warnings().stream()
                .filter(warning -> published.contains(fileOf(warning.location(), byName))).toList();
        return new Validation(records, problems, invalid, notApplicable, warnings);
    }

    /**
     * The record key of a file's rules: id, else name, of the first correlation, else of the first rule, else of the
     * first filter.
     */
    public static String keyOf(ParsedRules rules) {
        if (!rules.correlations().isEmpty()) {
            SigmaCorrelation correlation = rules.correlations().get(0);
            return correlation.id() != null ? correlation.id() : correlation.name();
        }
        if (!rules.rules().isEmpty()) {
            SigmaRule rule = rules.rules().get(0);
            return rule.id() != null ? rule.id() : rule.name();
        }
        if (!rules.filters().isEmpty()) {
            SigmaFilter filter = rules.filters().get(0);
            return filter.id() != null ? filter.id() : filter.name();
        }
        return null;
    }

    private static Path fileOf(RuleProblem problem, Map<String, Path> files) {
        return fileOf(problem.location(), files);
    }

    private static Path fileOf(SourceLocation location, Map<String, Path> files) {
        return location.file() == null ? null : files.get(location.file());
    }

    private static <T> List<T> concat(List<T> first, List<T> second) {
        List<T> all = new ArrayList<>(first);
        all.addAll(second);
        return all;
    }
}
