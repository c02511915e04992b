package dev.bulwark.sigma;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.bulwark.schemas.Ids;

/**
 * The rules a running Sigma detector matches with: the files loaded at start (shipped rules and configured
 * directories) plus the records of the compacted rules topic, assembled into one {@link CompiledRuleSet}.
 *
 * <p>Why: every stream thread of an instance must see the same rules and pick up a change within seconds, without a
 * restart and without compiling the same rule once per task. The global rules store feeds this object (one per
 * topology, shared by all its tasks) through {@link #replaceAll}, {@link #put} and {@link #remove}; each call compiles
 * only the record that changed and bumps a version. {@link #current()} assembles a new {@link Snapshot} (indexes,
 * correlation validation) lazily when the version moved, so a burst of updates costs one assembly, and the old
 * snapshot keeps serving until the new one is swapped in.
 *
 * <p>Precedence: a topic record's rule replaces a file rule with the same key (id, else name); deleting the record
 * brings the file rule back; the same holds for filters ({@link SigmaFilter}), which are checked against the assembled
 * rules at every assembly (a filter naming a rule that is not loaded yet is kept, with a logged warning, and applies
 * once the rule arrives). A record whose rule key another record already provides is rejected for that rule. A bad
 * record (or bad rule inside a record) is a {@link Rejection} of the snapshot and never affects the other rules.
 * Thread-safe.
 */
public final class RuleSource {

    /** Classpath folder of the shipped rules, with an {@code index.txt} listing the files. */
    public static final String BUNDLED = "sigma/rules/";

    private static final Logger LOG = LoggerFactory.getLogger(RuleSource.class);

    private final SigmaEngine engine;
    private final Entry base;
    private final TreeMap<String, Entry> topic = new TreeMap<>();
    private volatile long version = 1;
    private volatile Snapshot snapshot;
    private Set<RuleProblem> filterWarnings = new HashSet<>();

    private RuleSource(SigmaEngine engine, ParsedRules baseRules) {
        this.engine = engine;
        this.base = compile(engine, null, null, baseRules);
        base.problems().forEach(p -> LOG.warn("Sigma rule skipped: {}", p));
        this.snapshot = assemble();
    }

    /** A source over these file rules; topic records come later. */
    public static RuleSource of(SigmaEngine engine, ParsedRules fileRules) {
        return new RuleSource(engine, fileRules);
    }

    /** A source over the shipped rules (when {@code settings.bundled()}) and the configured files and directories. */
    public static RuleSource load(SigmaEngine engine, SigmaSettings settings) {
        ParsedRules parsed = settings.bundled() ? bundled(engine.loader()) : ParsedRules.empty();
        for (Path path : settings.rulePaths()) {
            parsed = parsed.plus(engine.loader().parsePath(path));
        }
        return new RuleSource(engine, parsed);
    }

    /** Parses the rules shipped in the jar under {@value #BUNDLED}. */
    public static ParsedRules bundled(SigmaRuleLoader loader) {
        ParsedRules parsed = ParsedRules.empty();
        for (Map.Entry<String, String> file : bundledTexts().entrySet()) {
            parsed = parsed.plus(loader.parse(file.getKey(), file.getValue()));
        }
        return parsed;
    }

    /** The text of every rule file shipped in the jar, by resource name, in index order. */
    public static Map<String, String> bundledTexts() {
        Map<String, String> texts = new LinkedHashMap<>();
        for (String file : resourceLines(BUNDLED + "index.txt")) {
            texts.put(BUNDLED + file, resource(BUNDLED + file));
        }
        return texts;
    }

    /** The engine rules are compiled with. */
    public SigmaEngine engine() {
        return engine;
    }

    /** Problems of the file rules (logged at start; file rules are not dead-lettered). */
    public List<RuleProblem> fileProblems() {
        return base.problems();
    }

    /** Replaces every topic record (after the global store was restored from the topic). */
    public synchronized void replaceAll(Map<String, String> records) {
        topic.clear();
        records.forEach((key, text) -> topic.put(key, compile(engine, key, text, engine.loader().parse(key, text))));
        version++;
    }

    /** Adds or replaces one topic record. */
    public synchronized void put(String key, String text) {
        topic.put(key, compile(engine, key, text, engine.loader().parse(key, text)));
        version++;
    }

    /** Removes one topic record (a tombstone). */
    public synchronized void remove(String key) {
        if (topic.remove(key) != null) {
            version++;
        }
    }

    /** The version of the records; it changes with every update. */
    public long version() {
        return version;
    }

    /** The rules as of the latest update, assembled on first use after a change. */
    public Snapshot current() {
        Snapshot current = snapshot;
        if (current.version() == version) {
            return current;
        }
        synchronized (this) {
            if (snapshot.version() != version) {
                snapshot = assemble();
            }
            return snapshot;
        }
    }

    private Snapshot assemble() {
        long at = version;
        Map<String, CompiledRule> rules = new LinkedHashMap<>();
        Map<String, String> ruleOwner = new HashMap<>();
        Map<String, List<RuleProblem>> problems = new TreeMap<>();
        for (CompiledRule rule : base.rules()) {
            rules.put(rule.key(), rule);
        }
        for (Entry entry : topic.values()) {
            List<RuleProblem> rejected = new ArrayList<>(entry.problems());
            for (CompiledRule rule : entry.rules()) {
                String owner = ruleOwner.putIfAbsent(rule.key(), entry.key());
                if (owner != null) {
                    rejected.add(new RuleProblem(rule.rule().location(), rule.key(), "duplicate rule key '"
                            + rule.key() + "': rules record '" + owner + "' already provides it"));
                } else {
                    rules.put(rule.key(), rule);
                }
            }
            problems.put(entry.key(), rejected);
        }
        List<SigmaCorrelation> candidates = new ArrayList<>(base.correlations());
        List<String> owners = new ArrayList<>(Collections.nCopies(candidates.size(), (String) null));
        for (Entry entry : topic.values()) {
            for (SigmaCorrelation correlation : entry.correlations()) {
                candidates.add(correlation);
                owners.add(entry.key());
            }
        }
        Collection<SigmaRule> loaded = rules.values().stream().map(CompiledRule::rule).toList();
        Map<String, SigmaCorrelation> correlations = new LinkedHashMap<>();
        Map<String, String> correlationKeyOwner = new HashMap<>();
        List<SigmaRuleException> refused = engine.validateAll(candidates, loaded, correlation -> { });
        for (int i = 0; i < candidates.size(); i++) {
            SigmaCorrelation correlation = candidates.get(i);
            String owner = owners.get(i);
            try {
                if (refused.get(i) != null) {
                    throw refused.get(i);
                }
                if (owner != null && correlationKeyOwner.containsKey(correlation.key())) {
                    throw new SigmaRuleException(correlation.location(), "duplicate correlation key '"
                            + correlation.key() + "': rules record '" + correlationKeyOwner.get(correlation.key())
                            + "' already provides it");
                }
                correlations.put(correlation.key(), correlation);
                if (owner != null) {
                    correlationKeyOwner.put(correlation.key(), owner);
                }
            } catch (SigmaRuleException e) {
                RuleProblem problem = RuleProblem.of(e, correlation.key());
                if (owner == null) {
                    LOG.warn("Sigma correlation skipped: {}", problem);
                } else {
                    problems.get(owner).add(problem);
                }
            }
        }
        Map<String, CompiledFilter> filterByKey = new LinkedHashMap<>();
        Map<String, String> filterOwner = new HashMap<>();
        base.filters().forEach(filter -> filterByKey.put(filter.key(), filter));
        for (Entry entry : topic.values()) {
            for (CompiledFilter filter : entry.filters()) {
                String owner = filterOwner.putIfAbsent(filter.key(), entry.key());
                if (owner != null) {
                    problems.get(entry.key()).add(new RuleProblem(filter.filter().location(), filter.key(),
                            "duplicate filter key '" + filter.key() + "': rules record '" + owner
                                    + "' already provides it"));
                } else {
                    filterByKey.put(filter.key(), filter); // replaces a file filter with the same key
                }
            }
        }
        List<CompiledFilter> filters = List.copyOf(filterByKey.values());
        List<CompiledFilter> accepted = new ArrayList<>();
        List<SigmaEngine.FilterCheck> checks = engine.checkFilters(filters, rules.values());
        for (int i = 0; i < checks.size(); i++) {
            SigmaEngine.FilterCheck check = checks.get(i);
            if (check.problem() != null) {
                String owner = filterOwner.get(check.filter().key());
                if (owner == null) {
                    if (!filterWarnings.contains(check.problem())) {
                        LOG.warn("Sigma filter skipped: {}", check.problem());
                    }
                } else {
                    problems.get(owner).add(check.problem());
                }
                continue;
            }
            accepted.add(check.filter());
            for (RuleProblem warning : check.warnings()) {
                if (!filterWarnings.contains(warning)) {
                    LOG.warn("Sigma filter warning: {}", warning);
                }
            }
        }
        filterWarnings = new HashSet<>();
        checks.forEach(check -> {
            filterWarnings.addAll(check.warnings());
            if (check.problem() != null) {
                filterWarnings.add(check.problem());
            }
        });
        CompiledRuleSet ruleSet = engine.ruleSet(rules.values(), List.copyOf(correlations.values()), accepted);
        Map<String, List<SigmaCorrelation>> byRule = new HashMap<>();
        for (CompiledRule rule : ruleSet.rules()) {
            List<SigmaCorrelation> using = ruleSet.correlationsOf(rule.rule());
            if (!using.isEmpty()) {
                byRule.put(rule.key(), using);
            }
        }
        Map<String, Rejection> rejections = new TreeMap<>();
        problems.forEach((key, list) -> {
            if (!list.isEmpty()) {
                rejections.put(key, new Rejection(key, topic.get(key).text(), list));
            }
        });
        Map<String, Rejection> before = snapshot == null ? Map.of() : snapshot.rejections();
        for (Rejection rejection : rejections.values()) {
            if (!rejection.equals(before.get(rejection.key()))) {
                rejection.problems().forEach(p -> LOG.warn("Sigma rules record '{}' rejected: {}", rejection.key(), p));
            }
        }
        // The rule set's correlations: shadow mode carried over from the shadow rules they count.
        return new Snapshot(at, ruleSet, ruleSet.correlationsByKey(), byRule, rejections, topic.size());
    }

    private static Entry compile(SigmaEngine engine, String key, String text, ParsedRules parsed) {
        List<RuleProblem> problems = new ArrayList<>(parsed.failures());
        List<CompiledRule> compiled = new ArrayList<>();
        Set<String> keys = new HashSet<>();
        for (SigmaRule rule : parsed.rules()) {
            if (!keys.add(rule.key())) {
                problems.add(new RuleProblem(rule.location(), rule.key(), "duplicate rule key '" + rule.key() + "'"));
                continue;
            }
            try {
                CompiledRule result = engine.compile(rule);
                result.warnings().forEach(w -> LOG.info("Sigma rule warning: {}", w));
                compiled.add(result);
            } catch (SigmaRuleException e) {
                problems.add(RuleProblem.of(e, rule.id() != null ? rule.id() : rule.title()));
            }
        }
        if (key != null && parsed.isEmpty() && problems.isEmpty()) {
            problems.add(new RuleProblem(SourceLocation.of(key), null, "the record holds no rule"));
        }
        List<CompiledFilter> filters = new ArrayList<>();
        Set<String> filterKeys = new HashSet<>();
        for (CompiledFilter filter : engine.compileFilters(parsed.filters())) {
            if (!filterKeys.add(filter.key())) {
                problems.add(new RuleProblem(filter.filter().location(), filter.key(), "duplicate filter key '"
                        + filter.key() + "'"));
            } else {
                filters.add(filter);
            }
        }
        return new Entry(key, text, compiled, parsed.correlations(), filters, problems);
    }

    private static List<String> resourceLines(String name) {
        List<String> lines = new ArrayList<>();
        try (InputStream in = RuleSource.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("resource " + name + " is missing from the class path");
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                String trimmed = line.strip();
                if (!trimmed.isEmpty() && !trimmed.startsWith("#")) {
                    lines.add(trimmed);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return lines;
    }

    private static String resource(String name) {
        try (InputStream in = RuleSource.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("resource " + name + " is missing from the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One rule source compiled: a topic record (key and text) or the file rules (key null). */
    private record Entry(String key, String text, List<CompiledRule> rules, List<SigmaCorrelation> correlations,
                         List<CompiledFilter> filters, List<RuleProblem> problems) {
    }

    /**
     * A rules record that is (partly) rejected: its key, its text and what is wrong.
     *
     * @param key the record key
     * @param text the record value
     * @param problems each problem with file (the key), line, column and reason
     */
    public record Rejection(String key, String text, List<RuleProblem> problems) {

        public Rejection {
            problems = List.copyOf(problems);
        }

        /** Identifies this rejection: the same text rejected for the same reasons gives the same fingerprint. */
        public String fingerprint() {
            List<String> parts = new ArrayList<>();
            parts.add(text);
            problems.forEach(p -> parts.add(p.toString()));
            return Ids.of(parts.toArray(String[]::new));
        }
    }

    /**
     * The assembled rules at one version: immutable, shared by every task of the instance.
     *
     * @param version the record version it was assembled at
     * @param ruleSet the compiled rules and the correlations the streaming detector evaluates
     * @param correlations those correlations by key
     * @param correlationsByRule rule key to the correlations that reference the rule
     * @param rejections rejected topic records by key
     * @param records how many topic records there are
     */
    public record Snapshot(long version, CompiledRuleSet ruleSet, Map<String, SigmaCorrelation> correlations,
                           Map<String, List<SigmaCorrelation>> correlationsByRule, Map<String, Rejection> rejections,
                           int records) {

        public Snapshot {
            correlations = Collections.unmodifiableMap(new LinkedHashMap<>(correlations));
            correlationsByRule = Map.copyOf(correlationsByRule);
            rejections = Collections.unmodifiableMap(new TreeMap<>(rejections));
        }

        /** The correlations that reference the rule with this key (empty when none). */
        public List<SigmaCorrelation> correlationsOf(String ruleKey) {
            return correlationsByRule.getOrDefault(ruleKey, List.of());
        }
    }
}
