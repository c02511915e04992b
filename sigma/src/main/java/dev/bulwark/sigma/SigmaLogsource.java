package dev.bulwark.sigma;

import java.util.ArrayList;
import java.util.List;

/**
 * A rule's {@code logsource}: which kind of events it is written for. Any part may be null.
 *
 * <p>Why: the engine routes an event only to the rules of the logsources it belongs to, and the field mapping is
 * chosen per logsource.
 */
public record SigmaLogsource(String product, String category, String service, String definition) {

    /** A logsource from its three selecting parts. */
    public static SigmaLogsource of(String product, String category, String service) {
        return new SigmaLogsource(product, category, service, null);
    }

    /** {@code product=linux category=process_creation}, leaving out missing parts. */
    @Override
    public String toString() {
        StringBuilder text = new StringBuilder();
        append(text, "product", product);
        append(text, "category", category);
        append(text, "service", service);
        return text.length() == 0 ? "(empty)" : text.toString();
    }

    /**
     * {@code product: windows, category: process_creation}, leaving out missing parts: the logsource as a rule author
     * writes it, for messages about whole logsources.
     */
    public String describe() {
        List<String> parts = new ArrayList<>();
        for (String[] part : new String[][] {{"product", product}, {"category", category}, {"service", service}}) {
            if (part[1] != null) {
                parts.add(part[0] + ": " + part[1]);
            }
        }
        return parts.isEmpty() ? "(empty)" : String.join(", ", parts);
    }

    private static void append(StringBuilder text, String key, String value) {
        if (value != null) {
            if (text.length() > 0) {
                text.append(' ');
            }
            text.append(key).append('=').append(value);
        }
    }
}
