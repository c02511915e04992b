package dev.bulwark.notify;

import java.util.List;
import java.util.Locale;

/** The four severities in order. */
final class Severity {

    static final List<String> ORDER = List.of("low", "medium", "high", "critical");

    private Severity() {
    }

    /** 0 (low) to 3 (critical), or -1 for anything else. */
    static int rank(String severity) {
        return severity == null ? -1 : ORDER.indexOf(severity.toLowerCase(Locale.ROOT));
    }

    /** The severity as one of the four words; anything unknown reads as "low" (hostile input must not escalate). */
    static String normalise(String severity) {
        int rank = rank(severity);
        return ORDER.get(Math.max(0, rank));
    }
}
