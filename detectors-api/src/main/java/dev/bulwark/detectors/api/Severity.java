package dev.bulwark.detectors.api;

import java.util.Locale;

/**
 * How bad a finding is, with the risk score (ECS {@code event.risk_score}, 0 to 100) that goes with it.
 *
 * <p>Why an enum: a severity spelled as free text ({@code "hihg"}) would index as a severity nobody filters for.
 */
public enum Severity {
    LOW(21), MEDIUM(47), HIGH(73), CRITICAL(99);

    private final int riskScore;

    Severity(int riskScore) {
        this.riskScore = riskScore;
    }

    /** The risk score indexed with findings of this severity. */
    public int riskScore() {
        return riskScore;
    }

    /** The name as findings carry it: {@code low}, {@code medium}, {@code high} or {@code critical}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The severity of a label, in any case.
     *
     * @throws IllegalArgumentException naming the four labels when {@code label} is none of them
     */
    public static Severity of(String label) {
        if (label != null) {
            for (Severity severity : values()) {
                if (severity.name().equalsIgnoreCase(label.strip())) {
                    return severity;
                }
            }
        }
        throw new IllegalArgumentException("severity must be low, medium, high or critical, not '" + label + "'");
    }
}
