package dev.bulwark.sigma;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.avro.Schema;
import org.apache.avro.generic.IndexedRecord;

import dev.bulwark.schemas.SecurityEvent;

/**
 * Compiles {@link SecurityEvent} paths such as {@code process.parent.executable}, {@code event.category} or
 * {@code attributes['k8s.pod.privileged']} into {@link FieldAccessor}s.
 *
 * <p>Why: the field mapping names event fields as text; this validates each path against the Avro schema once (a
 * typo is a mapping error, not a silent miss) and turns it into positional reads, which are as fast as the generated
 * getters. Segments are the schema's field names (snake_case); a map field takes {@code ['key']} or
 * {@code ["key"]}.
 */
public final class EventPaths {

    private EventPaths() {
    }

    /** A parsed path segment: a record field name and, for map fields, a key. */
    private record Segment(String name, String key) {
    }

    /**
     * Compiles a path.
     *
     * @throws IllegalArgumentException naming the first segment that does not exist in the schema
     */
    public static FieldAccessor compile(String path) {
        List<Segment> segments = parse(path);
        Schema schema = SecurityEvent.getClassSchema();
        FieldAccessor accessor = event -> event;
        StringBuilder walked = new StringBuilder();
        for (Segment segment : segments) {
            Schema record = nonNull(schema);
            if (record.getType() != Schema.Type.RECORD) {
                throw new IllegalArgumentException("'" + walked + "' is not a record, so '" + path + "' does not exist");
            }
            Schema.Field field = record.getField(segment.name());
            if (field == null) {
                throw new IllegalArgumentException("no field '" + segment.name() + "' in "
                        + (walked.length() == 0 ? "SecurityEvent" : "'" + walked + "'") + " (path '" + path + "')");
            }
            if (walked.length() > 0) {
                walked.append('.');
            }
            walked.append(segment.name());
            accessor = field(accessor, field.pos());
            schema = field.schema();
            if (segment.key() != null) {
                if (nonNull(schema).getType() != Schema.Type.MAP) {
                    throw new IllegalArgumentException("'" + walked + "' is not a map, so it takes no ['key'] (path '"
                            + path + "')");
                }
                accessor = mapEntry(accessor, segment.key());
                schema = nonNull(schema).getValueType();
            }
        }
        return accessor;
    }

    /** The segments of a path as (field name, map key or null) pairs, unchecked against the schema. */
    static List<String[]> segments(String path) {
        return parse(path).stream().map(s -> new String[] {s.name(), s.key()}).toList();
    }

    /** True when {@code path} compiles. */
    public static boolean isValid(String path) {
        try {
            compile(path);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static FieldAccessor field(FieldAccessor parent, int position) {
        return event -> {
            Object value = parent.get(event);
            return value == null ? null : ((IndexedRecord) value).get(position);
        };
    }

    private static FieldAccessor mapEntry(FieldAccessor parent, String key) {
        return event -> {
            Object value = parent.get(event);
            return value == null ? null : ((Map<?, ?>) value).get(key);
        };
    }

    private static Schema nonNull(Schema schema) {
        if (schema.getType() == Schema.Type.UNION) {
            for (Schema branch : schema.getTypes()) {
                if (branch.getType() != Schema.Type.NULL) {
                    return branch;
                }
            }
        }
        return schema;
    }

    private static List<Segment> parse(String path) {
        if (path == null || path.isBlank()) {
            throw new IllegalArgumentException("empty event path");
        }
        List<Segment> segments = new ArrayList<>();
        int i = 0;
        while (i < path.length()) {
            int start = i;
            while (i < path.length() && path.charAt(i) != '.' && path.charAt(i) != '[') {
                i++;
            }
            String name = path.substring(start, i);
            if (name.isEmpty()) {
                throw new IllegalArgumentException("empty segment in event path '" + path + "'");
            }
            String key = null;
            if (i < path.length() && path.charAt(i) == '[') {
                if (i + 1 >= path.length() || (path.charAt(i + 1) != '\'' && path.charAt(i + 1) != '"')) {
                    throw new IllegalArgumentException("expected a quoted key after '[' in event path '" + path + "'");
                }
                char quote = path.charAt(i + 1);
                int end = path.indexOf(quote, i + 2);
                if (end < 0 || end + 1 >= path.length() || path.charAt(end + 1) != ']') {
                    throw new IllegalArgumentException("unclosed ['key'] in event path '" + path + "'");
                }
                key = path.substring(i + 2, end);
                i = end + 2;
            }
            segments.add(new Segment(name, key));
            if (i < path.length()) {
                if (path.charAt(i) != '.') {
                    throw new IllegalArgumentException("expected '.' at position " + (i + 1) + " of event path '" + path + "'");
                }
                i++;
                if (i == path.length()) {
                    throw new IllegalArgumentException("event path '" + path + "' ends with '.'");
                }
            }
        }
        return segments;
    }
}
