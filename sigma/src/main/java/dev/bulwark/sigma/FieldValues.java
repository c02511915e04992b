package dev.bulwark.sigma;

import java.util.List;
import java.util.Map;

/**
 * How field values read from events are seen by matchers: absence, list elements and text.
 *
 * <p>Why: one definition for every matcher. A field is absent when null or an empty list or map; a list field
 * matches when any element does; numbers and booleans are compared as their text ({@code 4444}, {@code true}).
 */
final class FieldValues {

    private FieldValues() {
    }

    /** True when the value counts as absent. */
    static boolean isAbsent(Object value) {
        return value == null || (value instanceof List<?> list && list.isEmpty())
                || (value instanceof Map<?, ?> map && map.isEmpty());
    }

    /** The value as text for string matching. */
    static String text(Object value) {
        if (value instanceof String s) {
            return s;
        }
        return String.valueOf(value);
    }

    /** True when {@code matcher} accepts the value or, for a list, any of its elements. */
    static boolean anyElement(Object value, ValueMatcher matcher, dev.bulwark.schemas.SecurityEvent event) {
        if (value instanceof List<?> list) {
            for (Object element : list) {
                if (element != null && matcher.test(element, event)) {
                    return true;
                }
            }
            return false;
        }
        return matcher.test(value, event);
    }

    /** The first element (or the value itself) that {@code matcher} accepts, as text; null when none. */
    static String firstMatching(Object value, ValueMatcher matcher, dev.bulwark.schemas.SecurityEvent event) {
        if (value instanceof List<?> list) {
            for (Object element : list) {
                if (element != null && matcher.test(element, event)) {
                    return text(element);
                }
            }
            return null;
        }
        return matcher.test(value, event) ? text(value) : null;
    }
}
