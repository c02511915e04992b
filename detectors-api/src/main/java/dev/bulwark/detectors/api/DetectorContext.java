package dev.bulwark.detectors.api;

import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;

import dev.bulwark.config.Settings;
import dev.bulwark.schemas.DeadLetter;
import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.schemas.TenantContext;

/**
 * What a {@link Detector} may use to build its part of the topology: named, typed capabilities instead of the
 * topology's internals.
 *
 * <p>Why: a detector that sees only these can be moved between Bulwark versions, tested on its own
 * (bulwark-detectors-testkit) and reviewed at a glance. Everything it adds is named after it, so two detectors cannot
 * collide, and a name that stays the same keeps its state across upgrades.
 */
public interface DetectorContext {

    /** The detector's name, as {@link Detector#name()} gives it. */
    String detectorName();

    /** This detector's settings ({@code detection.detectors.<name>}), parsed and validated against {@link Detector#settings()}. */
    Settings settings();

    /**
     * Every decoded security event, keyed by container, pod or object, with {@code tenant.owner}, {@code actor} and
     * {@code peer} filled in from the tenant context (an event whose namespace is not known yet waits up to
     * {@code detection.contextWait} for it). Several detectors read the same stream; do not mutate its values.
     */
    KStream<String, SecurityEvent> events();

    /**
     * Every change to the tenant context (Kubernetes namespaces, pods, service accounts, roles, bindings, network
     * policies), keyed {@code kind/key}; a null value means the object was deleted.
     */
    KStream<String, TenantContext> contextUpdates();

    /** Tenant lookups: the static mapping, and the {@link TenantDirectory} for processors. */
    Tenants tenants();

    /** Adds this detector's state stores, named {@code <detector>-<name>}. */
    StateStores stores();

    /** This detector's meters, named {@code bulwark.detect.<detector>.<name>}. */
    DetectorMetrics metrics();

    /**
     * A processor name for one step of this detector: {@code Named.as("<detector>-<step>")}. Name every processor, so
     * the topology's description reads well and stateful steps keep their names across releases.
     */
    Named named(String step);

    /**
     * Starts a finding about {@code event}, reported by this detector: workload, tenants, time and evidence come from
     * the event. Usable at build time and inside processors.
     */
    FindingBuilder finding(SecurityEvent event);

    /**
     * Sends records this detector rejects (a malformed rule, say) to the dead-letter topic, with their reason and
     * original bytes, keyed as given.
     */
    void deadLetter(KStream<String, DeadLetter> rejected);

    /**
     * Keeps a store on every instance with the latest record of each key of the rules topic, fed by {@code updater}
     * (a global store: every instance reads the whole topic). For detectors that load rules at run time.
     *
     * @param name the store's name within the detector
     * @param updater applies each rules-topic record (key: rule id, value: the rule's text, null: deleted) to the
     *     store, which it gets by the returned name
     * @return the store's full name, {@code <detector>-<name>}
     */
    String rulesStore(String name, ProcessorSupplier<String, String, Void, Void> updater);

    /** The rules topic's name, for the origin of dead letters about its records. */
    String rulesTopic();

    /**
     * The per-tenant exceptions and thresholds set on this detector's rules, for a processor's {@code init}; detectors
     * that evaluate rules apply them (see {@link TenantTuning}). A detector that does not ask is tuned per tenant by
     * disabling and severity only, which Bulwark applies to its findings.
     *
     * @param processorContext the context the processor's {@code init} got
     * @since detector API 1.1
     */
    default TenantTuning tuning(org.apache.kafka.streams.processor.api.ProcessingContext processorContext) {
        return TenantTuning.NONE;
    }

    /**
     * Per-rule telemetry for detectors that evaluate rules of their own (see {@link RuleTelemetry}).
     *
     * @since detector API 1.1
     */
    default RuleTelemetry ruleTelemetry() {
        return RuleTelemetry.NONE;
    }
}
