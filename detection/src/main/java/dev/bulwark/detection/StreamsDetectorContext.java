package dev.bulwark.detection;

import java.util.HashSet;
import java.util.Set;
import java.util.function.ToDoubleFunction;
import java.util.regex.Pattern;

import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.api.ProcessingContext;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.state.Stores;

import dev.bulwark.config.Settings;
import dev.bulwark.detectors.api.Detector;
import dev.bulwark.detectors.api.DetectorContext;
import dev.bulwark.detectors.api.DetectorMetrics;
import dev.bulwark.detectors.api.FindingBuilder;
import dev.bulwark.detectors.api.StateStores;
import dev.bulwark.detectors.api.TenantDirectory;
import dev.bulwark.detectors.api.Tenants;
import dev.bulwark.schemas.DeadLetter;
import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.schemas.TenantContext;
import dev.bulwark.schemas.Topics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The {@link DetectorContext} a detector gets in the detection topology: every name it adds is prefixed with the
 * detector's name.
 */
final class StreamsDetectorContext implements DetectorContext, StateStores, DetectorMetrics, Tenants {

    private final dev.bulwark.detectors.api.RuleTelemetry telemetry;

    private static final Pattern NAME = Pattern.compile("[a-z0-9]+(-[a-z0-9]+)*");
    private static final Pattern METER = Pattern.compile("[a-z0-9]+([._][a-z0-9]+)*");

    private final Detector detector;
    private final StreamsBuilder builder;
    private final KStream<String, SecurityEvent> events;
    private final KStream<String, TenantContext> contextUpdates;
    private final TenantResolver statically;
    private final Settings settings;
    private final String directoryStore;
    private final Topics topics;
    private final MeterRegistry metrics;
    private final Set<String> stores = new HashSet<>();

    StreamsDetectorContext(Detector detector, StreamsBuilder builder, KStream<String, SecurityEvent> events,
                           KStream<String, TenantContext> contextUpdates, TenantResolver statically, Settings settings,
                           String directoryStore, Topics topics, MeterRegistry metrics,
                           dev.bulwark.detectors.api.RuleTelemetry telemetry) {
        this.telemetry = telemetry;
        this.detector = detector;
        this.builder = builder;
        this.events = events;
        this.contextUpdates = contextUpdates;
        this.statically = statically;
        this.settings = settings;
        this.directoryStore = directoryStore;
        this.topics = topics;
        this.metrics = metrics;
    }

    @Override
    public String detectorName() {
        return detector.name();
    }

    @Override
    public Settings settings() {
        return settings;
    }

    @Override
    public KStream<String, SecurityEvent> events() {
        return events;
    }

    @Override
    public KStream<String, TenantContext> contextUpdates() {
        return contextUpdates;
    }

    @Override
    public Tenants tenants() {
        return this;
    }

    @Override
    public StateStores stores() {
        return this;
    }

    @Override
    public DetectorMetrics metrics() {
        return this;
    }

    @Override
    public Named named(String step) {
        return Named.as(detector.name() + "-" + checkName(step));
    }

    @Override
    public FindingBuilder finding(SecurityEvent event) {
        return new FindingBuilder(detector.name(), detector.version(), statically::tenantOf, event);
    }

    @Override
    public void deadLetter(KStream<String, DeadLetter> rejected) {
        rejected.to(topics.deadLetters().name(), Produced.with(topics.deadLetters().keySerde(),
                topics.deadLetters().valueSerde()).withName(detector.name() + "-dead-letter-sink"));
    }

    @Override
    public String rulesStore(String name, ProcessorSupplier<String, String, Void, Void> updater) {
        String store = claim(name);
        builder.addGlobalStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(store), Serdes.String(),
                        Serdes.String()).withLoggingDisabled(),
                topics.rules().name(), Consumed.with(Serdes.String(), Serdes.String()).withName(store + "-source"),
                updater);
        return store;
    }

    @Override
    public String rulesTopic() {
        return topics.rules().name();
    }

    // Tenants

    @Override
    public String ofNamespace(String namespace) {
        return statically.tenantOf(namespace);
    }

    @Override
    public TenantDirectory directory(ProcessingContext processorContext) {
        return new ContextTenantDirectory(directoryStore == null ? null : processorContext.getStateStore(directoryStore),
                statically);
    }

    @Override
    public dev.bulwark.detectors.api.RuleTelemetry ruleTelemetry() {
        return telemetry;
    }

    @Override
    public dev.bulwark.detectors.api.TenantTuning tuning(ProcessingContext processorContext) {
        org.apache.kafka.streams.state.KeyValueStore<String, dev.bulwark.schemas.RuleOverride> store =
                processorContext.getStateStore(RuleOverrides.STORE);
        return (tenant, target) -> RuleOverrides.tuning(store, tenant, target);
    }

    // StateStores

    @Override
    public <K, V> String keyValue(String name, Serde<K> keys, Serde<V> values) {
        String store = claim(name);
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(store), keys, values)
                .withCachingEnabled());
        return store;
    }

    @Override
    public <K, V> String inMemoryKeyValue(String name, Serde<K> keys, Serde<V> values) {
        String store = claim(name);
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(store), keys, values));
        return store;
    }

    private String claim(String name) {
        String store = detector.name() + "-" + checkName(name);
        if (!stores.add(store)) {
            throw new IllegalArgumentException("detector " + detector.name() + " adds the store '" + name + "' twice");
        }
        return store;
    }

    private String checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("detector " + detector.name() + ": '" + name + "' is not a valid name "
                    + "(lowercase letters, digits and single dashes)");
        }
        return name;
    }

    // DetectorMetrics

    @Override
    public Counter counter(String name, String description) {
        return Counter.builder(meter(name)).description(description).register(metrics);
    }

    @Override
    public <T> void gauge(String name, String description, T state, ToDoubleFunction<T> value) {
        Gauge.builder(meter(name), state, value).description(description).register(metrics);
    }

    private String meter(String name) {
        if (name == null || !METER.matcher(name).matches()) {
            throw new IllegalArgumentException("detector " + detector.name() + ": '" + name + "' is not a valid meter name "
                    + "(lowercase words separated by dots)");
        }
        return "bulwark.detect." + detector.name() + "." + name;
    }
}
