package dev.bulwark.sigma;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where one Sigma field is in a {@link dev.bulwark.schemas.SecurityEvent}: one or more event paths (a match on any),
 * an optional separator that splits a joined attribute into a list, and an optional translation of values.
 *
 * <p>Why: the mapping entry of {@link FieldMapping}; compiled once per rule into a {@link CompiledField}.
 *
 * @param paths event paths, see {@link EventPaths}
 * @param split separator of a joined value, or null
 * @param values raw value to the value rules compare with (e.g. {@code egress} to {@code 'true'}), empty for none
 */
public record FieldTarget(List<String> paths, String split, Map<String, String> values) {

    public FieldTarget {
        paths = List.copyOf(paths);
        values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    /** A single path. */
    public static FieldTarget of(String path) {
        return new FieldTarget(List.of(path), null, Map.of());
    }

    /** Compiles the reads; the key is the same for equal targets, so rule sets share their index. */
    CompiledField compile() {
        List<FieldAccessor> reads = paths.stream().map(EventPaths::compile).toList();
        FieldAccessor accessor = reads.size() == 1 ? reads.get(0) : anyOf(reads);
        if (split != null) {
            accessor = splitting(accessor, split);
        }
        if (!values.isEmpty()) {
            accessor = translating(accessor, values);
        }
        StringBuilder key = new StringBuilder(String.join(" | ", paths));
        if (split != null) {
            key.append(" split '").append(split).append('\'');
        }
        if (!values.isEmpty()) {
            key.append(" values ").append(values);
        }
        return new CompiledField(key.toString(), String.join(" | ", paths), accessor);
    }

    /** Reads every path; one present value is returned as is, several as one flat list. */
    static FieldAccessor anyOf(List<FieldAccessor> reads) {
        FieldAccessor[] all = reads.toArray(FieldAccessor[]::new);
        return event -> {
            Object first = null;
            List<Object> many = null;
            for (FieldAccessor read : all) {
                Object value = read.get(event);
                if (FieldValues.isAbsent(value)) {
                    continue;
                }
                if (first == null) {
                    first = value;
                } else {
                    if (many == null) {
                        many = new ArrayList<>();
                        addFlat(many, first);
                    }
                    addFlat(many, value);
                }
            }
            return many != null ? many : first;
        };
    }

    private static void addFlat(List<Object> into, Object value) {
        if (value instanceof List<?> list) {
            into.addAll(list);
        } else {
            into.add(value);
        }
    }

    private static FieldAccessor splitting(FieldAccessor read, String separator) {
        return event -> {
            Object value = read.get(event);
            if (value instanceof String text) {
                return text.contains(separator) ? splitText(text, separator) : value;
            }
            if (value instanceof List<?> list) {
                List<Object> parts = new ArrayList<>();
                for (Object element : list) {
                    if (element instanceof String text && text.contains(separator)) {
                        parts.addAll(splitText(text, separator));
                    } else {
                        parts.add(element);
                    }
                }
                return parts;
            }
            return value;
        };
    }

    private static List<String> splitText(String text, String separator) {
        List<String> parts = new ArrayList<>();
        int start = 0;
        while (start <= text.length()) {
            int end = text.indexOf(separator, start);
            if (end < 0) {
                end = text.length();
            }
            String part = text.substring(start, end).strip();
            if (!part.isEmpty()) {
                parts.add(part);
            }
            start = end + separator.length();
        }
        return parts;
    }

    private static FieldAccessor translating(FieldAccessor read, Map<String, String> values) {
        return event -> {
            Object value = read.get(event);
            if (value instanceof List<?> list) {
                return list.stream().map(element -> element == null ? null
                        : (Object) values.getOrDefault(FieldValues.text(element), FieldValues.text(element))).toList();
            }
            return value == null ? null : values.getOrDefault(FieldValues.text(value), FieldValues.text(value));
        };
    }
}
