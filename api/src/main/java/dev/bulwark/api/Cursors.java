package dev.bulwark.api;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;

import co.elastic.clients.elasticsearch._types.FieldValue;
import dev.bulwark.sink.FindingSort;

/**
 * Opaque pagination cursors: a page's last sort values ({@code search_after}) as base64url JSON.
 *
 * <p>Why: callers page with {@code after=<cursor>} without knowing the sort internals. A cursor is only a position:
 * it is decoded strictly (exactly the sort's number of values, a number then a finding id) and goes into
 * {@code search_after}, never into the query, so a forged cursor can skip around the caller's own results but never
 * reach others.
 */
public final class Cursors {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_LENGTH = 512;

    private Cursors() {
    }

    /** The cursor for sort values, or null when there is no next page. */
    public static String encode(List<FieldValue> sortValues) {
        if (sortValues == null || sortValues.isEmpty()) {
            return null;
        }
        ArrayNode array = JSON.createArrayNode();
        for (FieldValue value : sortValues) {
            if (value.isLong()) {
                array.add(value.longValue());
            } else if (value.isDouble()) {
                array.add(value.doubleValue());
            } else if (value.isString()) {
                array.add(value.stringValue());
            } else if (value.isBoolean()) {
                array.add(value.booleanValue());
            } else {
                array.addNull();
            }
        }
        return Base64.getUrlEncoder().withoutPadding().encodeToString(array.toString().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The sort values in {@code cursor} for {@code sort}, empty when {@code cursor} is null.
     *
     * @throws ApiException 400 for anything that is not a cursor this API issued for that sort
     */
    public static List<FieldValue> decode(String cursor, FindingSort sort) {
        if (cursor == null) {
            return List.of();
        }
        ApiException invalid = ApiException.badRequest("after is not a valid cursor for sort " + sort.apiName()
                + "; use the 'next' value of the previous page");
        if (cursor.length() > MAX_LENGTH) {
            throw invalid;
        }
        JsonNode node;
        try {
            node = JSON.readTree(Base64.getUrlDecoder().decode(cursor));
        } catch (IllegalArgumentException | java.io.IOException e) {
            throw invalid;
        }
        if (node == null || !node.isArray() || node.size() != sort.cursorLength()) {
            throw invalid;
        }
        List<FieldValue> values = new ArrayList<>();
        JsonNode first = node.get(0);
        if (!first.isIntegralNumber() || !first.canConvertToLong()) {
            throw invalid;
        }
        values.add(FieldValue.of(first.longValue()));
        JsonNode id = node.get(1);
        if (!id.isTextual()) {
            throw invalid;
        }
        Validation.findingId(id.textValue());
        values.add(FieldValue.of(id.textValue()));
        return values;
    }
}
