package dev.bulwark.sigma;

/**
 * One piece of evidence of a match: the selection, the Sigma field (or {@code keywords}), the event path it was read
 * from and the value that matched.
 *
 * <p>Why: findings show analysts which event values made a rule fire.
 */
public record MatchedField(String selection, String field, String path, String value) {
}
