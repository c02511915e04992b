package dev.bulwark.api;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.io.ByteArrayOutputStream;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The query string of a request, decoded strictly.
 *
 * <p>Why: lenient decoding hides attacks. Here a malformed percent escape, invalid UTF-8, a parameter given twice
 * (HTTP parameter pollution: which one wins differs between layers) or a parameter the endpoint does not know is a 400
 * naming the problem, and the whole query string is bounded.
 */
public final class QueryParams {

    /** Longest raw query string accepted. */
    public static final int MAX_QUERY_LENGTH = 4096;

    private final Map<String, String> values;

    private QueryParams(Map<String, String> values) {
        this.values = values;
    }

    /**
     * Parses {@code rawQuery} (still percent-encoded, may be null) allowing only {@code allowed} names.
     *
     * @throws ApiException 400 for anything malformed, repeated or unknown
     */
    public static QueryParams parse(String rawQuery, Set<String> allowed) {
        Map<String, String> values = new LinkedHashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return new QueryParams(values);
        }
        if (rawQuery.length() > MAX_QUERY_LENGTH) {
            throw ApiException.badRequest("the query string is longer than " + MAX_QUERY_LENGTH + " characters");
        }
        for (String pair : rawQuery.split("&", -1)) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = decode(eq < 0 ? pair : pair.substring(0, eq));
            String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
            if (!allowed.contains(name)) {
                throw ApiException.badRequest("unknown parameter \"" + Validation.printable(name, 40)
                        + "\"; this endpoint takes " + String.join(", ", allowed.stream().sorted().toList()));
            }
            if (values.put(name, value) != null) {
                throw ApiException.badRequest("parameter " + name + " is given more than once");
            }
        }
        return new QueryParams(values);
    }

    /**
     * Parameters given as a map (the command line builds them so), checked against {@code allowed} like a query string.
     *
     * @throws ApiException 400 for an unknown name
     */
    public static QueryParams of(Map<String, String> given, Set<String> allowed) {
        Map<String, String> values = new LinkedHashMap<>();
        given.forEach((name, value) -> {
            if (!allowed.contains(name)) {
                throw ApiException.badRequest("unknown parameter \"" + Validation.printable(name, 40) + "\"");
            }
            if (value != null) {
                values.put(name, value);
            }
        });
        return new QueryParams(values);
    }

    /** The value of {@code name}, or null when absent or empty. */
    public String get(String name) {
        String value = values.get(name);
        return value == null || value.isEmpty() ? null : value;
    }

    /** All values, in order. */
    public Map<String, String> asMap() {
        return Collections.unmodifiableMap(values);
    }

    /** Percent-decoding where '+' is a space, rejecting bad escapes and invalid UTF-8. */
    static String decode(String encoded) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(encoded.length());
        for (int i = 0; i < encoded.length(); i++) {
            char c = encoded.charAt(i);
            if (c == '%') {
                if (i + 2 >= encoded.length()) {
                    throw ApiException.badRequest("malformed percent escape in the query string");
                }
                int hi = Character.digit(encoded.charAt(i + 1), 16);
                int lo = Character.digit(encoded.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    throw ApiException.badRequest("malformed percent escape in the query string");
                }
                bytes.write(hi * 16 + lo);
                i += 2;
            } else if (c == '+') {
                bytes.write(' ');
            } else if (c < 0x80) {
                bytes.write(c);
            } else {
                byte[] utf8 = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                bytes.write(utf8, 0, utf8.length);
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes.toByteArray())).toString();
        } catch (CharacterCodingException e) {
            throw ApiException.badRequest("the query string is not valid UTF-8");
        }
    }
}
