package dev.bulwark.ingest;

import java.io.IOException;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * JSON reading with hard limits for hostile input: nesting depth, string and number length, document size, strict
 * UTF-8 and no duplicate keys.
 *
 * <p>Why: every source is attacker-influenced (a process name, a log line, an audit request body); a parser must
 * never hang, crash or allocate without bound.
 */
public final class SafeJson {

    /** Deepest JSON nesting accepted (Kubernetes objects nest about 12 deep). */
    public static final int MAX_DEPTH = 64;
    /** Longest single JSON string accepted. */
    public static final int MAX_STRING_LENGTH = 1 << 20;

    private static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder()
                            .maxNestingDepth(MAX_DEPTH)
                            .maxStringLength(MAX_STRING_LENGTH)
                            .maxNumberLength(64)
                            .maxDocumentLength(16L << 20)
                            .maxNameLength(4096)
                            .build())
                    .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                    .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private SafeJson() {
    }

    /**
     * The offset of the first byte that is not strict UTF-8 (RFC 3629: no overlong forms, no encoded surrogates as in
     * CESU-8, nothing above U+10FFFF), or -1. Jackson's own decoder lets encoded surrogates through, so documents are
     * checked before parsing; pure ASCII, the common case, costs one scan.
     */
    public static int firstMalformedUtf8(byte[] bytes) {
        int i = 0;
        while (i < bytes.length && bytes[i] >= 0) {
            i++;
        }
        if (i == bytes.length) {
            return -1;
        }
        java.nio.charset.CharsetDecoder decoder = java.nio.charset.StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT);
        java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(bytes, i, bytes.length - i);
        java.nio.CharBuffer out = java.nio.CharBuffer.allocate(Math.min(bytes.length - i, 8192));
        while (true) {
            java.nio.charset.CoderResult result = decoder.decode(in, out, true);
            if (result.isError()) {
                return in.position();
            }
            if (result.isOverflow()) {
                out.clear();
                continue;
            }
            result = decoder.flush(out);
            return result.isError() ? in.position() : -1;
        }
    }

    /** The shared, limit-enforcing mapper. */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /**
     * Reads one JSON document that must be an object.
     *
     * @throws ParseException naming the problem and where it is
     */
    public static JsonNode readObject(byte[] bytes) throws ParseException {
        JsonNode node = read(bytes);
        if (!node.isObject()) {
            throw new ParseException("expected a JSON object, got " + describe(node));
        }
        return node;
    }

    /** Reads one JSON document of any type. */
    public static JsonNode read(byte[] bytes) throws ParseException {
        int malformed = firstMalformedUtf8(bytes);
        if (malformed >= 0) {
            throw new ParseException("invalid JSON at byte " + malformed + ": not strict UTF-8 (an overlong, surrogate "
                    + "or truncated sequence)");
        }
        try (JsonParser parser = MAPPER.createParser(bytes)) {
            JsonNode node = MAPPER.readTree(parser);
            if (node == null || node.isMissingNode()) {
                throw new ParseException("empty record: no JSON value");
            }
            return node;
        } catch (StreamConstraintsException e) {
            throw new ParseException("JSON exceeds a safety limit: " + firstLine(e.getOriginalMessage()));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            String where = e.getLocation() == null ? "" : " at byte " + e.getLocation().getByteOffset();
            throw new ParseException("invalid JSON" + where + ": " + firstLine(e.getOriginalMessage()));
        } catch (IOException e) {
            throw new ParseException("cannot read JSON: " + e.getMessage(), e);
        }
    }

    /** A short name of a node's type for error messages. */
    public static String describe(JsonNode node) {
        if (node == null || node.isMissingNode()) {
            return "nothing";
        }
        return switch (node.getNodeType()) {
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case NULL -> "null";
            default -> node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
        };
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unknown error";
        }
        int newline = message.indexOf('\n');
        String line = newline < 0 ? message : message.substring(0, newline);
        return line.length() > 300 ? line.substring(0, 300) + "..." : line;
    }
}
