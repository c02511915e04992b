package dev.bulwark.cli;

import dev.bulwark.schemas.RuleOverride;
import dev.bulwark.schemas.Topics;
import dev.bulwark.sigma.SigmaEngine;

/**
 * What the command line and the query API refuse before an override reaches the topic: an exception the detectors
 * could not apply, or one on a target that has no events to judge, and a threshold out of range.
 *
 * <p>Why at write time: the detectors would log a broken exception and go on without it, so the analyst would
 * believe a tenant's noise was tuned away while it was not. Refusing at once says so where the analyst is looking.
 */
final class OverrideChecks {

    private OverrideChecks() {
    }

    /** @throws IllegalArgumentException saying what is wrong and what to do */
    static void check(SigmaEngine engine, RuleOverride override) {
        String target = override.getTarget();
        if (override.getException() != null) {
            if (override.getException().length() > Topics.MAX_OVERRIDE_EXCEPTION) {
                throw new IllegalArgumentException("an exception holds at most " + Topics.MAX_OVERRIDE_EXCEPTION
                        + " characters");
            }
            if (builtIn(target)) {
                throw new IllegalArgumentException(target + " is a built-in detector or rule: exceptions apply to Sigma "
                        + "rules, correlations and the sigma detector; disable it or change its severity instead");
            }
            try {
                engine.exceptionFilter(override.getException());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("the exception is not a Sigma filter document the detectors can "
                        + "apply: " + e.getMessage());
            }
        }
        if (override.getThreshold() != null) {
            long threshold = override.getThreshold();
            if (threshold < 1 || threshold > Topics.MAX_OVERRIDE_THRESHOLD) {
                throw new IllegalArgumentException("a threshold is a whole number from 1 to "
                        + Topics.MAX_OVERRIDE_THRESHOLD);
            }
            if (builtIn(target) || "sigma".equals(target)) {
                throw new IllegalArgumentException("a threshold applies to a Sigma correlation (by its id); " + target
                        + " is not one");
            }
        }
    }

    /** A built-in detector's name or rule id (Sigma rules are not named {@code bulwark.*}, nor after a detector). */
    static boolean builtIn(String target) {
        return target.startsWith("bulwark.") || (!"sigma".equals(target) && BUILT_IN.contains(target));
    }

    private static final java.util.Set<String> BUILT_IN = java.util.Set.copyOf(
            dev.bulwark.detection.Detectors.discover().stream().map(dev.bulwark.detectors.api.Detector::name).toList());
}
