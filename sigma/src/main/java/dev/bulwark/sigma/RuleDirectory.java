package dev.bulwark.sigma;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns a directory of rule files into rules-topic records (one per file, keyed by the file's rule id) after
 * validating every file the way the running detector will.
 *
 * <p>Why: {@code bulwark rules push} must never publish a rule the detector would reject, must say what is wrong
 * with {@code file:line:column: reason}, and must still publish the files that are fine. A file travels whole, so a
 * correlation keeps its base rules and a rule collection keeps its {@code action: global} document. Its key is the id
 * (else the name) of its first correlation, else of its first rule; a file without one is refused, since a record
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
     * The outcome of validating a directory.
     *
     * @param records the records of the valid files, in path order
     * @param problems every problem, with file, line, column and reason
     * @param invalidFiles the files that are not published
     */
    public record Validation(List<RuleRecord> records, List<RuleProblem> problems, Set<Path> invalidFiles) {

        public Validation {
            records = List.copyOf(records);
            problems = List.copyOf(problems);
            invalidFiles = Set.copyOf(invalidFiles);
        }

        /** True when every file is valid. */
        public boolean ok() {
            return invalidFiles.isEmpty();
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
        ParsedRules all = ParsedRules.empty();
        Set<String> own = new HashSet<>();
        for (ParsedRules rules : parsed.values()) {
            all = all.plus(rules);
            rules.rules().forEach(r -> own.add(r.key()));
        }
        List<SigmaRule> context = available.rules().stream().filter(r -> !own.contains(r.key())).toList();
        LoadReport report = engine.load(new ParsedRules(concat(context, all.rules()), all.correlations(),
                all.failures()));
        for (RuleProblem problem : report.skipped()) {
            Path file = fileOf(problem, parsed.keySet());
            if (file != null) {
                problems.add(problem);
                invalid.add(file);
            }
        }
        Collection<CompiledRule> compiled = report.ruleSet().rules();
        for (SigmaCorrelation correlation : report.correlations()) {
            try {
                RuleSource.checkStreamable(correlation, compiled);
            } catch (SigmaRuleException e) {
                Path file = fileOf(RuleProblem.of(e, correlation.key()), parsed.keySet());
                problems.add(RuleProblem.of(e, correlation.key()));
                if (file != null) {
                    invalid.add(file);
                }
            }
        }
        List<RuleRecord> records = new ArrayList<>();
        Map<String, Path> keys = new LinkedHashMap<>();
        for (Map.Entry<Path, ParsedRules> entry : parsed.entrySet()) {
            Path file = entry.getKey();
            String key = keyOf(entry.getValue());
            if (key == null) {
                if (invalid.contains(file)) {
                    continue;
                }
                problems.add(new RuleProblem(SourceLocation.of(file.toString()), null, entry.getValue().rules().isEmpty()
                        && entry.getValue().correlations().isEmpty() ? "the file holds no rule"
                        : "a rule published to the rules topic needs an 'id' (or a 'name'): it is the record key"));
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
        return new Validation(records, problems, invalid);
    }

    /** The record key of a file's rules: id, else name, of the first correlation, else of the first rule. */
    public static String keyOf(ParsedRules rules) {
        if (!rules.correlations().isEmpty()) {
            SigmaCorrelation correlation = rules.correlations().get(0);
            return correlation.id() != null ? correlation.id() : correlation.name();
        }
        if (!rules.rules().isEmpty()) {
            SigmaRule rule = rules.rules().get(0);
            return rule.id() != null ? rule.id() : rule.name();
        }
        return null;
    }

    private static Path fileOf(RuleProblem problem, Set<Path> files) {
        String name = problem.location().file();
        for (Path file : files) {
            if (file.toString().equals(name)) {
                return file;
            }
        }
        return null;
    }

    private static <T> List<T> concat(List<T> first, List<T> second) {
        List<T> all = new ArrayList<>(first);
        all.addAll(second);
        return all;
    }
}
