/**
 * A native Sigma rule engine for normalized {@link dev.bulwark.schemas.SecurityEvent}s, and the {@code sigma} detector
 * that runs it on the event stream.
 *
 * <p>The engine is a library without Kafka: parsing ({@link dev.bulwark.sigma.SigmaRuleLoader}), field
 * mapping ({@link dev.bulwark.sigma.FieldMapping}), compiling and matching
 * ({@link dev.bulwark.sigma.SigmaEngine}, {@link dev.bulwark.sigma.CompiledRuleSet}), correlation
 * rule models ({@link dev.bulwark.sigma.SigmaCorrelation}) and rule tests kept beside rules
 * ({@link dev.bulwark.sigma.RuleTestRunner}).
 *
 * <p>The streaming layer: {@link dev.bulwark.sigma.SigmaDetector} (the topology),
 * {@link dev.bulwark.sigma.RuleSource} (file rules plus the compacted rules topic, assembled into snapshots
 * shared by all tasks), folding of repeated findings, correlation windows in event time, and
 * {@link dev.bulwark.sigma.RuleDirectory} (what {@code bulwark rules push} publishes). See
 * {@code docs/sigma-engine.md}.
 */
package dev.bulwark.sigma;
