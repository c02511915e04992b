package dev.bulwark.sigma;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Reads Sigma rule files: YAML (safely, see {@link SafeYaml}) into {@link SigmaRule}s and {@link SigmaCorrelation}s.
 *
 * <p>Why: the one entry point for rule text, whether it comes from a directory, a file or a Kafka record. A file may
 * hold several documents: plain rules, correlation rules (with their base rules), and Sigma 1 rule collections
 * ({@code action: global} is merged into each following document, {@code action: reset} clears it,
 * {@code action: repeat} reuses the previous document with changes), and Sigma filter documents ({@code filter:}, see
 * {@link SigmaFilter}). A bad document is reported with its location and the others are still read.
 */
public final class SigmaRuleLoader {

    /** Suffix of rule test files, which directory loading leaves out. */
    public static final String TESTS_SUFFIX = ".tests.yml";

    /**
     * Reads every document of one source.
     *
     * @param source file name or record key, used in locations
     * @param yaml the YAML text
     */
    public ParsedRules parse(String source, String yaml) {
        List<YamlNode> documents;
        try {
            documents = SafeYaml.readAll(source, yaml);
        } catch (SigmaRuleException e) {
            return new ParsedRules(List.of(), List.of(), List.of(), List.of(RuleProblem.of(e, null)));
        }
        List<SigmaRule> rules = new ArrayList<>();
        List<SigmaCorrelation> correlations = new ArrayList<>();
        List<SigmaFilter> filters = new ArrayList<>();
        List<RuleProblem> failures = new ArrayList<>();
        YamlNode global = null;
        YamlNode previous = null;
        for (YamlNode document : documents) {
            if (document instanceof YamlNode.ScalarNode scalar && scalar.isNull()) {
                continue;
            }
            try {
                YamlNode.MapNode map = YamlReader.map(document, "a rule document");
                String action = YamlReader.optionalString(map, "action");
                YamlNode.MapNode content = map.without("action");
                if ("global".equals(action)) {
                    global = global == null ? content : YamlNode.merge(global, content);
                    continue;
                }
                if ("reset".equals(action)) {
                    global = null;
                    continue;
                }
                if ("repeat".equals(action)) {
                    if (previous == null) {
                        throw new SigmaRuleException(map.location(), "'action: repeat' without a previous rule");
                    }
                    content = (YamlNode.MapNode) YamlNode.merge(previous, content);
                } else if (action != null) {
                    throw new SigmaRuleException(map.get("action").location(), "unknown action '" + action
                            + "' (known: global, reset, repeat)");
                } else if (global != null) {
                    content = (YamlNode.MapNode) YamlNode.merge(global, content);
                }
                previous = content;
                readDocument(content, rules, correlations, filters);
            } catch (SigmaRuleException e) {
                failures.add(RuleProblem.of(e, titleOf(document)));
            }
        }
        return new ParsedRules(rules, correlations, filters, failures);
    }

    /**
     * Reads exactly one rule (e.g. a record of the rules topic).
     *
     * @throws SigmaRuleException when the source is not exactly one valid detection rule
     */
    public SigmaRule parseRule(String source, String yaml) throws SigmaRuleException {
        ParsedRules parsed = parse(source, yaml);
        if (!parsed.failures().isEmpty()) {
            RuleProblem first = parsed.failures().get(0);
            throw new SigmaRuleException(first.location(), first.reason());
        }
        if (parsed.rules().size() != 1 || !parsed.correlations().isEmpty() || !parsed.filters().isEmpty()) {
            throw new SigmaRuleException(SourceLocation.of(source), "expected exactly one detection rule, found "
                    + parsed.rules().size() + " rules, " + parsed.correlations().size() + " correlations and "
                    + parsed.filters().size() + " filters");
        }
        return parsed.rules().get(0);
    }

    /** Reads one file (UTF-8); an unreadable file becomes a failure. */
    public ParsedRules parseFile(Path file) {
        String source = file.toString();
        try {
            byte[] bytes = Files.readAllBytes(file);
            if (bytes.length > SafeYaml.MAX_CHARS * 4L) {
                return failure(source, "file is too large: " + bytes.length + " bytes");
            }
            String text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
            return parse(source, text);
        } catch (CharacterCodingException e) {
            return failure(source, "file is not valid UTF-8");
        } catch (IOException e) {
            return failure(source, "cannot read file: " + e.getMessage());
        }
    }

    /**
     * Reads every {@code *.yml} and {@code *.yaml} file under {@code directory}, recursively and in path order,
     * leaving out rule test files ({@value #TESTS_SUFFIX}). A single file is read as such.
     */
    public ParsedRules parsePath(Path directory) {
        if (!Files.isDirectory(directory)) {
            return parseFile(directory);
        }
        ParsedRules all = ParsedRules.empty();
        for (Path file : ruleFiles(directory)) {
            all = all.plus(parseFile(file));
        }
        return all;
    }

    /** The rule files under a directory, sorted: {@code *.yml}/{@code *.yaml} except test files. */
    static List<Path> ruleFiles(Path directory) {
        try (Stream<Path> files = Files.walk(directory)) {
            return files.filter(Files::isRegularFile)
                    .filter(f -> {
                        String name = f.getFileName().toString();
                        return (name.endsWith(".yml") || name.endsWith(".yaml")) && !isTestFile(f);
                    })
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new IllegalStateException("cannot list " + directory + ": " + e.getMessage(), e);
        }
    }

    static boolean isTestFile(Path file) {
        String name = file.getFileName().toString();
        return name.endsWith(TESTS_SUFFIX) || name.endsWith(".tests.yaml");
    }

    private static void readDocument(YamlNode.MapNode doc, List<SigmaRule> rules, List<SigmaCorrelation> correlations,
                                     List<SigmaFilter> filters) throws SigmaRuleException {
        if (doc.get("correlation") != null) {
            correlations.add(CorrelationParser.parse(doc));
        } else if (doc.get("filter") != null && doc.get("detection") == null) {
            filters.add(FilterParser.parse(doc));
        } else {
            rules.add(RuleParser.parse(doc));
        }
    }

    private static ParsedRules failure(String source, String reason) {
        return new ParsedRules(List.of(), List.of(), List.of(), List.of(new RuleProblem(SourceLocation.of(source), null, reason)));
    }

    private static String titleOf(YamlNode document) {
        if (document instanceof YamlNode.MapNode map) {
            for (String key : List.of("id", "name", "title")) {
                if (map.get(key) instanceof YamlNode.ScalarNode scalar && scalar.isString()) {
                    return scalar.text();
                }
            }
        }
        return null;
    }
}
