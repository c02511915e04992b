package dev.bulwark.api;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.bulwark.sink.TenantNames;

/**
 * Checks for every value a caller can send, each with a message that says what is accepted.
 *
 * <p>Why: validating at the edge keeps nonsense out of Elasticsearch queries (where it would surface as opaque 500s or
 * expensive queries), and the messages make the API usable without reading its source.
 */
public final class Validation {

    /** Longest free-text query. */
    public static final int MAX_TEXT = 512;
    /** Largest page. */
    public static final int MAX_PAGE_SIZE = 500;
    /** Page size when none is given. */
    public static final int DEFAULT_PAGE_SIZE = 50;

    private static final Pattern FINDING_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    private static final Pattern DNS_SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");
    private static final Pattern RELATIVE = Pattern.compile("(\\d{1,6})([smhd])");
    private static final Instant EARLIEST = Instant.parse("1970-01-01T00:00:00Z");
    private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59Z");

    private Validation() {
    }

    /** A finding id: 1-128 letters, digits, '.', '_', ':' or '-'. */
    public static String findingId(String value) {
        if (value == null || !FINDING_ID.matcher(value).matches()) {
            throw ApiException.badRequest("a finding id is 1-128 letters, digits, '.', '_', ':' or '-'");
        }
        return value;
    }

    /** Free text: at most {@link #MAX_TEXT} characters, no control characters. */
    public static String text(String name, String value, int max) {
        if (value == null) {
            return null;
        }
        if (value.length() > max) {
            throw ApiException.badRequest(name + " is longer than " + max + " characters");
        }
        if (value.chars().anyMatch(c -> Character.isISOControl(c) || c == 0x2028 || c == 0x2029)
                || value.codePoints().anyMatch(c -> Character.getType(c) == Character.SURROGATE)) {
            throw ApiException.badRequest(name + " contains control characters");
        }
        String stripped = value.strip();
        return stripped.isEmpty() ? null : stripped;
    }

    /** A tenant name ({@link TenantNames}). */
    public static String tenant(String value) {
        if (value == null) {
            return null;
        }
        if (!TenantNames.isValid(value)) {
            throw ApiException.badRequest("tenant names are 1-63 lower-case letters, digits, '.', '_' or '-'");
        }
        return value;
    }

    /**
     * A request body that must be one JSON object holding only {@code fields}: {@code example} shows its shape in the
     * error, {@code what} names it ("a triage change") when a field is unknown.
     */
    static com.fasterxml.jackson.databind.JsonNode jsonObject(byte[] body, java.util.Set<String> fields, String example,
                                                              String what) {
        com.fasterxml.jackson.databind.JsonNode node;
        try {
            node = JSON.readTree(body);
        } catch (java.io.IOException e) {
            throw ApiException.badRequest("the body is not valid JSON");
        }
        if (node == null || !node.isObject()) {
            throw ApiException.badRequest("the body must be a JSON object like " + example);
        }
        node.fieldNames().forEachRemaining(name -> {
            if (!fields.contains(name)) {
                throw ApiException.badRequest("unknown field \"" + printable(name, 40) + "\"; " + what + " has "
                        + String.join(", ", new java.util.TreeSet<>(fields)));
            }
        });
        return node;
    }

    /** Request bodies: a key given twice is an error, not "the last one wins". */
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = com.fasterxml.jackson.databind.json.JsonMapper
            .builder().enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY).build();

    /** A rule id or detector name as an override's target: 1-256 printable characters without spaces. */
    public static String ruleTarget(String value) {
        if (!dev.bulwark.schemas.Topics.isOverrideTarget(value)) {
            throw ApiException.badRequest("a rule id or detector name is 1-256 printable characters without spaces or '/'");
        }
        return value;
    }

    /** A Kubernetes namespace (DNS label). */
    public static String namespace(String value) {
        if (value != null && !DNS_LABEL.matcher(value).matches()) {
            throw ApiException.badRequest("namespace must be a Kubernetes namespace name (lower-case DNS label, 1-63 characters)");
        }
        return value;
    }

    /** A Kubernetes pod name (DNS subdomain). */
    public static String pod(String value) {
        if (value != null && !DNS_SUBDOMAIN.matcher(value).matches()) {
            throw ApiException.badRequest("pod must be a Kubernetes pod name (lower-case DNS subdomain, 1-253 characters)");
        }
        return value;
    }

    /** An image reference: 1-512 printable characters without spaces. */
    public static String image(String value) {
        if (value != null && (value.length() > 512 || !value.chars().allMatch(c -> c > 0x20 && c < 0x7f))) {
            throw ApiException.badRequest("image must be an image reference (printable ASCII without spaces, at most 512)");
        }
        return value;
    }

    /** A comma-separated list of values from {@code allowed}. */
    public static List<String> oneOf(String name, String value, List<String> allowed) {
        if (value == null) {
            return List.of();
        }
        List<String> values = new ArrayList<>();
        for (String part : value.split(",", -1)) {
            String v = part.strip().toLowerCase(Locale.ROOT);
            if (!allowed.contains(v)) {
                throw ApiException.badRequest(name + " takes " + String.join(", ", allowed)
                        + " (comma-separated for several)");
            }
            if (!values.contains(v)) {
                values.add(v);
            }
        }
        return values;
    }

    /** A single value from {@code allowed}. */
    public static String single(String name, String value, List<String> allowed) {
        if (value == null || !allowed.contains(value)) {
            throw ApiException.badRequest(name + " must be one of " + String.join(", ", allowed));
        }
        return value;
    }

    /** A page size between 1 and {@link #MAX_PAGE_SIZE}, {@link #DEFAULT_PAGE_SIZE} when absent. */
    public static int size(String value) {
        if (value == null) {
            return DEFAULT_PAGE_SIZE;
        }
        if (!value.matches("\\d{1,4}")) {
            throw ApiException.badRequest("size must be a whole number from 1 to " + MAX_PAGE_SIZE);
        }
        int size = Integer.parseInt(value);
        if (size < 1 || size > MAX_PAGE_SIZE) {
            throw ApiException.badRequest("size must be a whole number from 1 to " + MAX_PAGE_SIZE);
        }
        return size;
    }

    /** true or false. */
    public static boolean bool(String name, String value) {
        if (value == null) {
            return false;
        }
        return switch (value) {
            case "true", "1" -> true;
            case "false", "0" -> false;
            default -> throw ApiException.badRequest(name + " must be true or false");
        };
    }

    /**
     * A point in time: an ISO-8601 instant ({@code 2026-03-01T10:00:00Z}) or a period before now ({@code 15m},
     * {@code 24h}, {@code 7d}).
     */
    public static Instant time(String name, String value, Instant now) {
        if (value == null) {
            return null;
        }
        Matcher relative = RELATIVE.matcher(value);
        Instant instant;
        if (relative.matches()) {
            long amount = Long.parseLong(relative.group(1));
            Duration duration = switch (relative.group(2)) {
                case "s" -> Duration.ofSeconds(amount);
                case "m" -> Duration.ofMinutes(amount);
                case "h" -> Duration.ofHours(amount);
                default -> Duration.ofDays(amount);
            };
            instant = now.minus(duration);
        } else {
            try {
                instant = value.length() > 40 ? null : Instant.parse(value);
            } catch (DateTimeParseException e) {
                instant = null;
            }
            if (instant == null) {
                throw ApiException.badRequest(name + " must be an ISO-8601 instant like 2026-03-01T10:00:00Z or a period "
                        + "before now like 15m, 24h, 7d");
            }
        }
        if (instant.isBefore(EARLIEST) || instant.isAfter(LATEST)) {
            throw ApiException.badRequest(name + " must lie between 1970 and 9999");
        }
        return instant;
    }

    /** {@code value} cut to {@code max} characters with anything outside printable ASCII escaped, for messages. */
    public static String printable(String value, int max) {
        String clipped = value.length() > max ? value.substring(0, max) + "..." : value;
        StringBuilder out = new StringBuilder();
        clipped.codePoints().forEach(c -> {
            if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
                out.appendCodePoint(c);
            } else {
                out.append(String.format("\\u%04x", c & 0xffff));
            }
        });
        return out.toString();
    }
}
