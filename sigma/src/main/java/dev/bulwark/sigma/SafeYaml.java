package dev.bulwark.sigma;

import java.io.IOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.yaml.snakeyaml.LoaderOptions;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;

/**
 * Reads YAML documents into {@link YamlNode}s with hard limits: size, nesting depth, no anchors or aliases, no
 * duplicate keys.
 *
 * <p>Why: rules arrive from users and from a Kafka topic; a hostile file (an alias bomb, a deeply nested document, a
 * huge scalar) must be refused quickly with a clear reason, and every node keeps its line for later errors. Jackson's
 * YAML parser does not expand aliases (it reports them as the anchor's name), which would silently change a rule, so
 * they are refused outright; Sigma rules have no use for them.
 */
final class SafeYaml {

    /** Largest accepted source, in characters. */
    static final int MAX_CHARS = 1 << 20;
    /** Deepest accepted nesting of maps and lists. */
    static final int MAX_DEPTH = 32;
    /** Most YAML documents accepted in one source. */
    static final int MAX_DOCUMENTS = 1000;

    private static final YAMLFactory FACTORY = YAMLFactory.builder()
            .loaderOptions(loaderOptions())
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(MAX_DEPTH + 1)
                    .maxStringLength(MAX_CHARS)
                    .maxNumberLength(64)
                    .maxNameLength(4096)
                    .build())
            .enable(YAMLParser.Feature.EMPTY_STRING_AS_NULL)
            .build();

    private SafeYaml() {
    }

    private static LoaderOptions loaderOptions() {
        LoaderOptions options = new LoaderOptions();
        options.setMaxAliasesForCollections(0);
        options.setNestingDepthLimit(MAX_DEPTH);
        options.setCodePointLimit(MAX_CHARS);
        options.setAllowRecursiveKeys(false);
        return options;
    }

    /**
     * All documents of a YAML source, in order.
     *
     * @param source file name or record key, used in locations
     * @param text the YAML text
     * @throws SigmaRuleException on a syntax error or a safety limit, with its location
     */
    static List<YamlNode> readAll(String source, String text) throws SigmaRuleException {
        if (text.length() > MAX_CHARS) {
            throw new SigmaRuleException(SourceLocation.of(source),
                    "file is too large: " + text.length() + " characters, at most " + MAX_CHARS);
        }
        List<YamlNode> documents = new ArrayList<>();
        try (YAMLParser parser = (YAMLParser) FACTORY.createParser(text)) {
            JsonToken token;
            while ((token = parser.nextToken()) != null) {
                if (documents.size() == MAX_DOCUMENTS) {
                    throw new SigmaRuleException(location(source, parser.currentTokenLocation()),
                            "more than " + MAX_DOCUMENTS + " YAML documents in one file");
                }
                documents.add(read(source, parser, token, 0));
            }
        } catch (JsonProcessingException e) {
            throw new SigmaRuleException(location(source, e.getLocation()), "invalid YAML: " + yamlProblem(e));
        } catch (IOException e) {
            throw new SigmaRuleException(SourceLocation.of(source), "cannot read YAML: " + e.getMessage());
        }
        return documents;
    }

    private static YamlNode read(String source, YAMLParser parser, JsonToken token, int depth)
            throws IOException, SigmaRuleException {
        SourceLocation at = location(source, parser.currentTokenLocation());
        if (parser.getObjectId() != null) {
            throw new SigmaRuleException(at, "YAML anchors (&" + parser.getObjectId() + ") are not allowed in rules");
        }
        if (parser.isCurrentAlias()) {
            throw new SigmaRuleException(at, "YAML aliases (*" + parser.getText() + ") are not allowed in rules");
        }
        if (token == JsonToken.START_OBJECT || token == JsonToken.START_ARRAY) {
            if (depth >= MAX_DEPTH) {
                throw new SigmaRuleException(at, "YAML nesting deeper than " + MAX_DEPTH + " levels");
            }
        }
        switch (token) {
            case START_OBJECT -> {
                Map<String, YamlNode> entries = new LinkedHashMap<>();
                Map<String, SourceLocation> keys = new LinkedHashMap<>();
                while ((token = parser.nextToken()) != JsonToken.END_OBJECT) {
                    String key = parser.currentName();
                    SourceLocation keyAt = location(source, parser.currentTokenLocation());
                    if (entries.containsKey(key)) {
                        throw new SigmaRuleException(keyAt, "duplicate key '" + key + "' (first at line "
                                + keys.get(key).line() + ")");
                    }
                    YamlNode value = read(source, parser, parser.nextToken(), depth + 1);
                    entries.put(key, value);
                    keys.put(key, keyAt);
                }
                return new YamlNode.MapNode(entries, keys, at);
            }
            case START_ARRAY -> {
                List<YamlNode> items = new ArrayList<>();
                while ((token = parser.nextToken()) != JsonToken.END_ARRAY) {
                    items.add(read(source, parser, token, depth + 1));
                }
                return new YamlNode.ListNode(items, at);
            }
            case VALUE_NULL -> {
                return new YamlNode.ScalarNode(null, parser.getText(), at);
            }
            case VALUE_TRUE, VALUE_FALSE -> {
                return new YamlNode.ScalarNode(token == JsonToken.VALUE_TRUE, parser.getText(), at);
            }
            case VALUE_NUMBER_INT -> {
                Number number = parser.getNumberValue();
                Object value = number instanceof BigInteger ? parser.getText() : Long.valueOf(number.longValue());
                return new YamlNode.ScalarNode(value, parser.getText(), at);
            }
            case VALUE_NUMBER_FLOAT -> {
                return new YamlNode.ScalarNode(parser.getDoubleValue(), parser.getText(), at);
            }
            case VALUE_STRING -> {
                return new YamlNode.ScalarNode(parser.getText(), parser.getText(), at);
            }
            default -> throw new SigmaRuleException(at, "unexpected YAML token " + token);
        }
    }

    private static SourceLocation location(String source, JsonLocation location) {
        if (location == null) {
            return SourceLocation.of(source);
        }
        return new SourceLocation(source, Math.max(0, location.getLineNr()), Math.max(0, location.getColumnNr()));
    }

    /** The parser's problem statement without its source excerpt and caret lines. */
    private static String yamlProblem(JsonProcessingException e) {
        String message = e.getOriginalMessage() == null ? e.getClass().getSimpleName() : e.getOriginalMessage();
        return message.lines()
                .filter(line -> !line.isBlank())
                .filter(line -> !line.startsWith(" in ") && !line.startsWith("    ") && !line.strip().equals("^"))
                .map(String::strip)
                .collect(Collectors.joining("; "));
    }
}
