/**
 * A native Sigma rule engine for normalized {@link dev.bulwark.schemas.SecurityEvent}s, and the {@code sigma} detector
 * that runs it on the event stream.
 *
 * <p>The engine is a library without Kafka: parsing ({@link dev.bulwark.detectors.sigma.SigmaRuleLoader}), field
 * mapping ({@link dev.bulwark.detectors.sigma.FieldMapping}), compiling and matching
 * ({@link dev.bulwark.detectors.sigma.SigmaEngine}, {@link dev.bulwark.detectors.sigma.CompiledRuleSet}), correlation
 * rule models ({@link dev.bulwark.detectors.sigma.SigmaCorrelation}) and rule tests kept beside rules
 * ({@link dev.bulwark.detectors.sigma.RuleTestRunner}).
 *
 * <p>The streaming layer: {@link dev.bulwark.detectors.sigma.SigmaDetector} (the topology),
 * {@link dev.bulwark.detectors.sigma.RuleSource} (file rules plus the compacted rules topic, assembled into snapshots
 * shared by all tasks), folding of repeated findings, correlation windows in event time, and
 * {@link dev.bulwark.detectors.sigma.RuleDirectory} (what {@code bulwark rules push} publishes). See
 * {@code docs/sigma-engine.md}.
 */
package dev.bulwark.detectors.sigma;
