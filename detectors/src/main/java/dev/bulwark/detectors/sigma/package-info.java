/**
 * A native Sigma rule engine for normalized {@link dev.bulwark.schemas.SecurityEvent}s: parsing
 * ({@link dev.bulwark.detectors.sigma.SigmaRuleLoader}), field mapping ({@link dev.bulwark.detectors.sigma.FieldMapping}),
 * compiling and matching ({@link dev.bulwark.detectors.sigma.SigmaEngine},
 * {@link dev.bulwark.detectors.sigma.CompiledRuleSet}), correlation rule models
 * ({@link dev.bulwark.detectors.sigma.SigmaCorrelation}) and rule tests kept beside rules
 * ({@link dev.bulwark.detectors.sigma.RuleTestRunner}).
 *
 * <p>A pure library: no Kafka here. A stream processor holds a {@code CompiledRuleSet}, calls
 * {@code match(event)} per event, and swaps in {@code ruleSet.with(engine.compile(rule))} or
 * {@code ruleSet.without(key)} when the rules change. See {@code docs/sigma-engine.md}.
 */
package dev.bulwark.detectors.sigma;
