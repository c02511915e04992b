package dev.bulwark.detection;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.state.Stores;

import dev.bulwark.compliance.ControlCatalogue;
import dev.bulwark.compliance.PostureEvaluator;
import dev.bulwark.detectors.api.Detector;
import dev.bulwark.detectors.api.FindingBounds;
import dev.bulwark.schemas.DeadLetter;
import dev.bulwark.schemas.DeadLetters;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.schemas.TenantContext;
import dev.bulwark.schemas.Topics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The detection topology: events topic → every enabled {@link Detector} → findings topic.
 *
 * <p>Why: one place wires the detectors together and guarantees that nothing is lost on the way: records that cannot
 * be decoded go to the dead-letter topic with their original bytes and the reason, instead of stopping the stream or
 * vanishing.
 */
public final class DetectionTopology {

    private DetectionTopology() {
    }

    /** Name of the global store holding the tenant directory. */
    public static final String DIRECTORY_STORE = "tenant-directory";
    /** Name of the store of events waiting for their namespace's context. */
    public static final String PENDING_STORE = "enrich-pending";

    /**
     * How the enrichment waits for context that has not arrived yet, and the bound of one finding.
     *
     * @param contextWait how long an event without tenant context waits for it
     * @param maxPending most events waiting at once per task
     * @param maxFindingBytes the largest serialized finding ({@link FindingBounds}); larger ones are cut
     * @param replayedContext false (live): the context topic feeds a global tenant directory on every instance, and
     *        each change is recorded on the context-history topic; true (a backtest): each task keeps its own tenant
     *        directory from a context topic that holds the whole context on every partition, read in timestamp order
     *        with the events, so each event meets the context as of its own time. Nothing is recorded then.
     */
    public record EnrichmentSettings(Duration contextWait, int maxPending, int maxFindingBytes,
                                     boolean replayedContext, SessionSettings sessions) {
        public static final EnrichmentSettings DEFAULTS = new EnrichmentSettings(Duration.ofSeconds(2), 10_000,
                FindingBounds.DEFAULT_MAX_BYTES);

        /** With the default session settings. */
        public EnrichmentSettings(Duration contextWait, int maxPending, int maxFindingBytes, boolean replayedContext) {
            this(contextWait, maxPending, maxFindingBytes, replayedContext, SessionSettings.DEFAULTS);
        }

        /** With the default finding bound. */
        public EnrichmentSettings(Duration contextWait, int maxPending) {
            this(contextWait, maxPending, FindingBounds.DEFAULT_MAX_BYTES);
        }

        /** Live: a global tenant directory. */
        public EnrichmentSettings(Duration contextWait, int maxPending, int maxFindingBytes) {
            this(contextWait, maxPending, maxFindingBytes, false);
        }
    }

    /**
     * How process events are joined to the {@code kubectl exec} sessions that started them ({@link SessionAttributor}).
     *
     * @param grace how far apart (event time) an exec's audit event and the process it started may be
     * @param hold how long (wall clock) a process that looks exec'd waits for an audit event that has not arrived yet
     * @param idle how long a session's process is followed after it was last seen
     * @param maxProcesses most session processes followed per task
     * @param retention how long a session stays known for processes to join it
     */
    public record SessionSettings(Duration grace, Duration hold, Duration idle, int maxProcesses, Duration retention) {
        public static final SessionSettings DEFAULTS = new SessionSettings(Duration.ofSeconds(10), Duration.ofSeconds(2),
                Duration.ofHours(12), 100_000, Duration.ofHours(24));
    }

    /** Builds the topology for the given detectors, with default enrichment settings. */
    public static Topology build(Topics topics, List<Detector> detectors, TenantResolver tenants,
                                 Map<String, ? extends Map<String, ?>> detectorConfig, MeterRegistry metrics) {
        return build(topics, detectors, tenants, detectorConfig, metrics, EnrichmentSettings.DEFAULTS);
    }

    /**
     * How the compliance posture is kept ({@link PostureProcessor}).
     *
     * @param enabled whether to judge the posture at all
     * @param interval how often (wall clock) the posture is judged; a snapshot is emitted only when it changed
     */
    public record PostureSettings(boolean enabled, Duration interval) {
        public static final PostureSettings DEFAULTS = new PostureSettings(true, Duration.ofSeconds(30));
    }

    /** Builds the topology for the given detectors, with the default posture settings. */
    public static Topology build(Topics topics, List<Detector> detectors, TenantResolver tenants,
                                 Map<String, ? extends Map<String, ?>> detectorConfig, MeterRegistry metrics,
                                 EnrichmentSettings enrichment) {
        return build(topics, detectors, tenants, detectorConfig, metrics, enrichment, PostureSettings.DEFAULTS);
    }

    /** Builds the topology for the given detectors, with per-rule telemetry for the default number of rules. */
    public static Topology build(Topics topics, List<Detector> detectors, TenantResolver tenants,
                                 Map<String, ? extends Map<String, ?>> detectorConfig, MeterRegistry metrics,
                                 EnrichmentSettings enrichment, PostureSettings posture) {
        return build(topics, detectors, tenants, detectorConfig, metrics, enrichment, posture,
                new RuleTelemetryRegistry(metrics, RuleTelemetryRegistry.DEFAULT_MAX_RULES));
    }

    /**
     * How findings score entities ({@link EntityRisks}).
     *
     * @param enabled whether to score entity risk
     * @param halfLife how long risk takes to halve (event time)
     * @param incidents whether to group findings into incidents ({@link IncidentCorrelator})
     * @param incidentThreshold the risk of one entity that opens an incident
     * @param incidentWindow how far apart (event time) two detectors' findings on one entity open an incident
     * @param incidentIdle how long after its latest finding an incident is still joined
     */
    public record RiskSettings(boolean enabled, Duration halfLife, boolean incidents, double incidentThreshold,
                               Duration incidentWindow, Duration incidentIdle) {
        public static final RiskSettings DEFAULTS = new RiskSettings(true, Duration.ofHours(4), true, 300,
                Duration.ofMinutes(30), Duration.ofHours(1));

        /** Entity risk, with incidents as by default. */
        public RiskSettings(boolean enabled, Duration halfLife) {
            this(enabled, halfLife, DEFAULTS.incidents(), DEFAULTS.incidentThreshold(), DEFAULTS.incidentWindow(),
                    DEFAULTS.incidentIdle());
        }
    }

    /** Builds the topology for the given detectors, with the default risk settings. */
    public static Topology build(Topics topics, List<Detector> detectors, TenantResolver tenants,
                                 Map<String, ? extends Map<String, ?>> detectorConfig, MeterRegistry metrics,
                                 EnrichmentSettings enrichment, PostureSettings posture,
                                 RuleTelemetryRegistry telemetry) {
        return build(topics, detectors, tenants, detectorConfig, metrics, enrichment, posture, telemetry,
                RiskSettings.DEFAULTS);
    }

    /** Builds the topology for the given detectors; a replayed context (a backtest) scores no entity risk. */
    public static Topology build(Topics topics, List<Detector> detectors, TenantResolver tenants,
                                 Map<String, ? extends Map<String, ?>> detectorConfig, MeterRegistry metrics,
                                 EnrichmentSettings enrichment, PostureSettings posture,
                                 RuleTelemetryRegistry telemetry, RiskSettings risk) {
        Map<String, dev.bulwark.config.Settings> settings = Detectors.settings(detectors, detectorConfig);
        StreamsBuilder builder = new StreamsBuilder();
        Counter eventsIn = Counter.builder("bulwark.detect.events.in").description("events decoded by the detectors")
                .register(metrics);
        Counter deadLettered = Counter.builder("bulwark.detect.dead.letters")
                .description("event records the detectors could not decode").register(metrics);
        Counter unattributed = Counter.builder("bulwark.detect.unattributed")
                .description("events that waited for tenant context in vain and went on unattributed").register(metrics);

        if (enrichment.replayedContext() && posture.enabled()) {
            throw new IllegalArgumentException("the posture needs the live tenant directory: disable it with a "
                    + "replayed context");
        }
        KStream<String, TenantContext> contextUpdates = contextDirectory(builder, topics, deadLettered,
                enrichment.replayedContext());

        KStream<String, Decoded> decoded = builder
                .stream(topics.events().name(), Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("events-source"))
                .processValues(() -> new DecodeProcessor(topics), Named.as("decode-events"));

        var branches = decoded.split(Named.as("decoded-"))
                .branch((key, value) -> value.event() == null, Branched.as("undecodable"))
                .defaultBranch(Branched.as("events"));

        branches.get("decoded-undecodable")
                .peek((key, value) -> deadLettered.increment(), Named.as("count-dead-letters"))
                .mapValues(Decoded::deadLetter, Named.as("to-dead-letter"))
                .to(topics.deadLetters().name(), Produced.with(topics.deadLetters().keySerde(),
                        topics.deadLetters().valueSerde()).withName("dead-letter-sink"));

        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(PENDING_STORE), Serdes.String(),
                topics.events().valueSerde()));
        KStream<String, SecurityEvent> enriched = branches.get("decoded-events")
                .peek((key, value) -> eventsIn.increment(), Named.as("count-events"))
                .mapValues(Decoded::event, Named.as("events"))
                .process(() -> new TenantEnricher(DIRECTORY_STORE, PENDING_STORE, tenants, enrichment.contextWait(),
                        enrichment.maxPending(), unattributed), Named.as("enrich-tenants"),
                        enrichment.replayedContext() ? new String[] {PENDING_STORE, DIRECTORY_STORE}
                                : new String[] {PENDING_STORE});
        KStream<String, SecurityEvent> events = execSessions(builder, topics, enriched, enrichment, metrics);

        builder.addGlobalStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(RuleOverrides.STORE),
                        Serdes.String(), topics.ruleOverrides().valueSerde()).withLoggingDisabled(),
                topics.ruleOverrides().name(),
                Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("rule-overrides-source"),
                RuleOverrides.Updater::new);
        List<KStream<String, SecurityEvent>> unverifiedMarkers = new java.util.ArrayList<>();
        for (Detector detector : detectors) {
            Counter emitted = Counter.builder("bulwark.detect.findings").tag("detector", detector.name())
                    .description("findings emitted").register(metrics);
            StreamsDetectorContext context = new StreamsDetectorContext(detector, builder, events, contextUpdates, tenants,
                    settings.get(detector.name()), DIRECTORY_STORE, topics, metrics,
                    telemetry.forDetector(detector.name()));
            KStream<String, Finding> findings = detector.build(context);
            findings.processValues(() -> new RuleOverrides.Applier(detector.name(), metrics),
                            Named.as(detector.name() + "-overrides"))
                    .mapValues(finding -> finding == null ? null : FindingBounds.cap(finding, enrichment.maxFindingBytes()),
                            Named.as(detector.name() + "-bounded"))
                    .peek((key, value) -> {
                        emitted.increment();
                        telemetry.written(detector.name(), value, System.currentTimeMillis());
                    }, Named.as(detector.name() + "-count"))
                    .to(topics.findings().name(), Produced.with(topics.findings().keySerde(), topics.findings().valueSerde())
                            .withName(detector.name() + "-findings-sink"));
            if (posture.enabled() && producesUnverifiedImageFindings(detector)) {
                unverifiedMarkers.add(findings
                        .filter((key, finding) -> finding != null
                                && PostureEvaluator.UNVERIFIED_RULES.contains(finding.getRule().getId())
                                && finding.getNamespace() != null && finding.getPod() != null,
                                Named.as(detector.name() + "-posture-unverified"))
                        .mapValues(DetectionTopology::unverifiedMarker, Named.as(detector.name() + "-posture-marker")));
            }
        }
        if (posture.enabled()) {
            posture(builder, topics, events, unverifiedMarkers, posture);
        }
        // Sub-topologies added since a release go last, so the existing ones keep their numbers (and task ids, which
        // name the state directories): the exec sessions' global store, then entity risk and incidents.
        execSessionDirectory(builder, topics, enrichment.sessions());
        if ((risk.enabled() || risk.incidents()) && !enrichment.replayedContext()) {
            // Read back once for both; shadow findings score nothing and open no incident.
            var findings = topics.findings();
            KStream<String, Finding> live = builder.stream(findings.name(), Consumed.with(findings.keySerde(),
                            findings.valueSerde()).withName("risk-findings-source"))
                    .filter((key, finding) -> finding != null && !finding.getShadow(), Named.as("risk-live-findings"));
            if (risk.enabled()) {
                entityRisk(builder, topics, live, risk);
            }
            if (risk.incidents()) {
                incidents(builder, topics, live, risk);
            }
        }
        return builder.build();
    }

    /**
     * Audit events of {@code kubectl exec} and {@code attach} → the exec-sessions topic → a global store on every
     * instance; every event → {@link SessionAttributor}, which writes the session onto the process events it started.
     */
    private static KStream<String, SecurityEvent> execSessions(StreamsBuilder builder, Topics topics,
                                                               KStream<String, SecurityEvent> events,
                                                               EnrichmentSettings enrichment, MeterRegistry metrics) {
        SessionSettings settings = enrichment.sessions();
        var sessions = topics.execSessions();
        events.mapValues(ExecSessions::of, Named.as("exec-session-of"))
                .filter((key, session) -> session != null, Named.as("exec-session-opened"))
                .selectKey((key, session) -> session.getNamespace() + "/" + session.getPod(),
                        Named.as("exec-session-by-pod"))
                .to(sessions.name(), Produced.with(sessions.keySerde(), sessions.valueSerde())
                        .withName("exec-sessions-sink"));
        // In memory, changelogged: both are bounded (detection.sessionMaxProcesses, detection.maxPendingEvents) and
        // usually nearly empty, so restoring them is cheap and a restart opens no RocksDB instance for them.
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(SessionAttributor.PROCESSES),
                Serdes.String(), sessions.valueSerde()));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(SessionAttributor.PENDING),
                Serdes.String(), topics.events().valueSerde()));
        Counter attributed = Counter.builder("bulwark.detect.session.events")
                .description("process events attributed to a kubectl exec session").register(metrics);
        return events.process(() -> new SessionAttributor(settings.grace(), settings.hold(), settings.idle(),
                        settings.maxProcesses(),
                        enrichment.maxPending(), attributed), Named.as("attribute-sessions"), SessionAttributor.PROCESSES,
                SessionAttributor.PENDING);
    }

    /**
     * Live findings → one record per entity a finding concerns (its pod's controller from the tenant directory) →
     * repartition by entity → {@link EntityRiskProcessor} → the entity-risk topic.
     */
    private static void entityRisk(StreamsBuilder builder, Topics topics, KStream<String, Finding> live,
                                   RiskSettings settings) {
        var findings = topics.findings();
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(EntityRiskProcessor.STORE),
                Serdes.String(), topics.entityRisk().valueSerde()));
        live.process(() -> new RiskEntities(DIRECTORY_STORE), Named.as("risk-entities"))
                .repartition(Repartitioned.<String, Finding>as("risk-by-entity").withKeySerde(Serdes.String())
                        .withValueSerde(findings.valueSerde()))
                .process(() -> new EntityRiskProcessor(settings.halfLife().toMillis()), Named.as("risk-score"),
                        EntityRiskProcessor.STORE)
                .to(topics.entityRisk().name(), Produced.with(topics.entityRisk().keySerde(),
                        topics.entityRisk().valueSerde()).withName("entity-risk-sink"));
    }

    /**
     * Live findings → the entities that link each → one partition → {@link IncidentCorrelator} → the incidents topic.
     */
    private static void incidents(StreamsBuilder builder, Topics topics, KStream<String, Finding> live,
                                  RiskSettings settings) {
        var entitySerde = dev.bulwark.schemas.AvroSerde.of(dev.bulwark.schemas.IncidentEntity.class);
        var findingSerde = dev.bulwark.schemas.AvroSerde.of(dev.bulwark.schemas.IncidentFinding.class);
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(IncidentCorrelator.ENTITIES),
                Serdes.String(), entitySerde));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(IncidentCorrelator.INCIDENTS),
                Serdes.String(), topics.incidents().valueSerde()));
        live.mapValues(Incidents::of, Named.as("incident-links"))
                .selectKey((key, finding) -> "incidents", Named.as("incident-key"))
                .repartition(Repartitioned.<String, dev.bulwark.schemas.IncidentFinding>as("incidents")
                        .withKeySerde(Serdes.String()).withValueSerde(findingSerde).withNumberOfPartitions(1))
                .process(() -> new IncidentCorrelator(settings.incidentThreshold(), settings.incidentWindow(),
                        settings.incidentIdle(), settings.halfLife()), Named.as("incident-correlate"),
                        IncidentCorrelator.ENTITIES, IncidentCorrelator.INCIDENTS)
                .to(topics.incidents().name(), Produced.with(topics.incidents().keySerde(),
                        topics.incidents().valueSerde()).withName("incidents-sink"));
    }

    /** One slim copy of a finding per entity it concerns, keyed by the entity. */
    private static final class RiskEntities implements org.apache.kafka.streams.processor.api.Processor<String, Finding,
            String, Finding> {
        private final String directoryStore;
        private org.apache.kafka.streams.processor.api.ProcessorContext<String, Finding> context;
        private ContextTenantDirectory directory;

        RiskEntities(String directoryStore) {
            this.directoryStore = directoryStore;
        }

        @Override
        public void init(org.apache.kafka.streams.processor.api.ProcessorContext<String, Finding> context) {
            this.context = context;
            this.directory = new ContextTenantDirectory(context.getStateStore(directoryStore),
                    new TenantResolver(Map.of()));
        }

        @Override
        public void process(org.apache.kafka.streams.processor.api.Record<String, Finding> record) {
            Finding finding = record.value();
            TenantContext pod = finding.getNamespace() == null || finding.getPod() == null ? null
                    : directory.object("pod", finding.getNamespace() + "/" + finding.getPod());
            Finding slim = EntityRisks.slim(finding);
            for (String entity : EntityRisks.entities(finding, pod)) {
                context.forward(record.withKey(entity).withValue(slim));
            }
        }
    }

    /** The exec-sessions topic → a global store on every instance ({@link ExecSessionDirectory}). */
    private static void execSessionDirectory(StreamsBuilder builder, Topics topics, SessionSettings settings) {
        var sessions = topics.execSessions();
        builder.addGlobalStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(ExecSessionDirectory.STORE),
                        Serdes.String(), sessions.valueSerde()).withLoggingDisabled(),
                sessions.name(), Consumed.with(Serdes.String(), sessions.valueSerde()).withName("exec-sessions-source"),
                () -> new ExecSessionDirectory.Updater(settings.retention()));
    }

    /** The detector of unverified running images, whose findings the posture's image provenance control reads. */
    private static boolean producesUnverifiedImageFindings(Detector detector) {
        return "unverified-image-running".equals(detector.name());
    }

    /** A finding about an unverified image, as the posture reads it: the pod, and when. */
    private static SecurityEvent unverifiedMarker(Finding finding) {
        return SecurityEvent.newBuilder().setId(finding.getId()).setTimestamp(finding.getLastSeen() * 1_000_000L)
                .setSourceFormat("finding")
                .setEvent(dev.bulwark.schemas.EventInfo.newBuilder().setKind("state")
                        .setAction(PostureProcessor.UNVERIFIED_ACTION).build())
                .setKubernetes(dev.bulwark.schemas.KubernetesInfo.newBuilder().setNamespace(finding.getNamespace())
                        .setPod(finding.getPod()).build())
                .build();
    }

    /**
     * Compliance reports and unverified-image markers → one partition → {@link PostureProcessor}, which judges the
     * posture against the tenant directory every {@code interval} → the compliance topic.
     */
    private static void posture(StreamsBuilder builder, Topics topics, KStream<String, SecurityEvent> events,
                                List<KStream<String, SecurityEvent>> markers, PostureSettings settings) {
        KStream<String, SecurityEvent> inputs = events.filter((key, event) -> event.getPolicy() != null
                && PostureEvaluator.trivyFramework(event.getPolicy()) != null, Named.as("posture-reports"));
        for (int i = 0; i < markers.size(); i++) {
            inputs = inputs.merge(markers.get(i), Named.as("posture-inputs-" + i));
        }
        var serde = topics.events().valueSerde();
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(PostureProcessor.REPORTS),
                Serdes.String(), serde));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(PostureProcessor.UNVERIFIED),
                Serdes.String(), Serdes.Long()));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(PostureProcessor.LAST),
                Serdes.String(), Serdes.String()));
        PostureEvaluator evaluator = new PostureEvaluator(ControlCatalogue.shipped());
        inputs.selectKey((key, event) -> "posture", Named.as("posture-key"))
                .repartition(Repartitioned.<String, SecurityEvent>as("posture").withKeySerde(Serdes.String())
                        .withValueSerde(serde).withNumberOfPartitions(1))
                .process(() -> new PostureProcessor(DIRECTORY_STORE, evaluator, settings.interval()),
                        Named.as("posture-evaluate"), PostureProcessor.REPORTS, PostureProcessor.UNVERIFIED,
                        PostureProcessor.LAST)
                .to(topics.compliance().name(), Produced.with(topics.compliance().keySerde(),
                        topics.compliance().valueSerde()).withName("compliance-sink"));
    }

    /**
     * Context topic → (decode, dead-letter what is unreadable) → the history topic (each change, before and after) and
     * the directory topic → the global tenant-directory store on every instance; returns the stream of context changes
     * for detectors. With a replayed context: context topic → (decode) → this task's own tenant directory, in the
     * same sub-topology as the events, so Kafka Streams interleaves both by timestamp.
     */
    private static KStream<String, TenantContext> contextDirectory(StreamsBuilder builder, Topics topics,
                                                                   Counter deadLettered, boolean replayed) {
        var contextValues = topics.context().valueSerde();
        // Decoded once: a record is either a context update (null value = deletion) or a dead letter.
        KStream<String, DecodedContext> decoded = builder.stream(topics.context().name(),
                        Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("context-source"))
                .mapValues((key, value) -> DecodedContext.of(key, value, contextValues.deserializer(), topics),
                        Named.as("context-decode"));
        var contextBranches = decoded.split(Named.as("context-"))
                .branch((key, value) -> value.deadLetter() != null, Branched.as("undecodable"))
                .defaultBranch(Branched.as("valid"));
        contextBranches.get("context-undecodable")
                .peek((key, value) -> deadLettered.increment(), Named.as("count-context-dead-letters"))
                .mapValues(DecodedContext::deadLetter, Named.as("context-to-dead-letter"))
                .to(topics.deadLetters().name(), Produced.with(topics.deadLetters().keySerde(),
                        topics.deadLetters().valueSerde()).withName("context-dead-letter-sink"));
        KStream<String, TenantContext> updates = contextBranches.get("context-valid")
                .mapValues(DecodedContext::value, Named.as("context-values"));
        if (replayed) {
            builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(DIRECTORY_STORE),
                    Serdes.String(), topics.contextDirectory().valueSerde()).withLoggingDisabled());
            updates.process(() -> new ContextDirectoryUpdater(DIRECTORY_STORE), Named.as("context-directory-replay"),
                    DIRECTORY_STORE);
            return updates;
        }
        // The history first: the directory's global thread may apply this very record soon after it is sent.
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(ContextHistory.STORE),
                Serdes.String(), topics.contextDirectory().valueSerde()));
        updates.process(() -> new ContextHistory(DIRECTORY_STORE), Named.as("context-history"), ContextHistory.STORE)
                .to(topics.contextHistory().name(), Produced.with(topics.contextHistory().keySerde(),
                        topics.contextHistory().valueSerde()).withName("context-history-sink"));
        updates.to(topics.contextDirectory().name(), Produced.with(topics.contextDirectory().keySerde(),
                topics.contextDirectory().valueSerde()).withName("context-directory-sink"));
        builder.addGlobalStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(DIRECTORY_STORE),
                        Serdes.String(), topics.contextDirectory().valueSerde()).withLoggingDisabled(),
                topics.contextDirectory().name(),
                Consumed.with(Serdes.String(), topics.contextDirectory().valueSerde()).withName("context-directory-source"),
                () -> new ContextDirectoryUpdater(DIRECTORY_STORE));
        return updates;
    }

    /** A decoded context record (null value = deletion), or the dead letter explaining why it could not be decoded. */
    record DecodedContext(TenantContext value, DeadLetter deadLetter) {
        static DecodedContext of(String key, byte[] bytes, org.apache.kafka.common.serialization.Deserializer<TenantContext> decoder,
                                 Topics topics) {
            String origin = topics.context().name() + " key " + key;
            if (key == null) {
                return new DecodedContext(null, DeadLetters.of(bytes, "avro:TenantContext", origin, "detect",
                        "context record without a key"));
            }
            if (bytes == null) {
                return new DecodedContext(null, null);
            }
            try {
                return new DecodedContext(decoder.deserialize(topics.context().name(), bytes), null);
            } catch (RuntimeException e) {
                return new DecodedContext(null, DeadLetters.of(bytes, "avro:TenantContext", origin, "detect",
                        "not a readable TenantContext"));
            }
        }
    }

    /**
     * Streams settings for the detection application.
     *
     * @param topics the topics; handlers dead-letter to {@link Topics#deadLetters()}
     * @param applicationId Kafka Streams application id (consumer group, internal topic prefix)
     * @param exactlyOnce true for {@code exactly_once_v2}, false for at-least-once (findings are idempotent by id)
     */
    public static Properties streamsConfig(Topics topics, String bootstrapServers, String applicationId, String stateDir,
                                           boolean exactlyOnce) {
        Properties props = new Properties();
        // A record that makes a processor, a deserializer or the producer fail is dead-lettered and the stream goes on.
        props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandlers.Processing.class);
        props.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandlers.Deserialization.class);
        props.put(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandlers.Production.class);
        props.put(DeadLetterHandlers.TOPIC_CONFIG, topics.deadLetters().name());
        // The global tenant-directory store's processor too: otherwise one bad context record stops every instance.
        props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir);
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG,
                exactlyOnce ? StreamsConfig.EXACTLY_ONCE_V2 : StreamsConfig.AT_LEAST_ONCE);
        // At-least-once: findings are sent as they are found and offsets committed every second (a crash replays at most
        // about a second of events, and the sink's deterministic ids absorb the repeats); exactly-once: Kafka Streams'
        // own default, since read_committed consumers see findings only after a commit.
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, exactlyOnce ? 100 : 1000);
        props.put(StreamsConfig.producerPrefix("acks"), "all");
        props.put(StreamsConfig.producerPrefix("linger.ms"), 5);
        props.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");
        return props;
    }

    /** A decoded event, or the dead letter explaining why it could not be decoded. */
    record Decoded(SecurityEvent event, DeadLetter deadLetter) {
    }

    /** Decodes event bytes; failures become dead letters that name the topic, partition and offset. */
    static final class DecodeProcessor implements FixedKeyProcessor<String, byte[], Decoded> {

        private final Topics topics;
        private FixedKeyProcessorContext<String, Decoded> context;

        DecodeProcessor(Topics topics) {
            this.topics = topics;
        }

        @Override
        public void init(FixedKeyProcessorContext<String, Decoded> context) {
            this.context = context;
        }

        @Override
        public void process(FixedKeyRecord<String, byte[]> record) {
            byte[] bytes = record.value();
            try {
                if (bytes == null) {
                    throw new IllegalArgumentException("record has no value (null)");
                }
                SecurityEvent event = topics.events().valueSerde().deserializer().deserialize(topics.events().name(), bytes);
                context.forward(record.withValue(new Decoded(event, null)));
            } catch (RuntimeException e) {
                String origin = context.recordMetadata()
                        .map(m -> m.topic() + "-" + m.partition() + "@" + m.offset())
                        .orElse(topics.events().name());
                DeadLetter letter = DeadLetters.of(bytes, "avro:SecurityEvent", origin, "detect", e.getMessage());
                context.forward(record.withValue(new Decoded(null, letter)));
            }
        }
    }
}
