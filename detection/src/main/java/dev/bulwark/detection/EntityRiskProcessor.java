package dev.bulwark.detection;

import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

import dev.bulwark.schemas.EntityRisk;
import dev.bulwark.schemas.Finding;

/** Keeps each entity's risk (keyed {@code <tenant>|<type>|<id>}) and forwards it when a finding changed it. */
public final class EntityRiskProcessor implements Processor<String, Finding, String, EntityRisk> {

    /** Name of the store of entity risks. */
    public static final String STORE = "entity-risk";

    private final long halfLifeMillis;
    private ProcessorContext<String, EntityRisk> context;
    private KeyValueStore<String, EntityRisk> risks;

    public EntityRiskProcessor(long halfLifeMillis) {
        this.halfLifeMillis = halfLifeMillis;
    }

    @Override
    public void init(ProcessorContext<String, EntityRisk> context) {
        this.context = context;
        this.risks = context.getStateStore(STORE);
    }

    @Override
    public void process(Record<String, Finding> record) {
        if (record.key() == null || record.value() == null) {
            return;
        }
        EntityRisk updated = EntityRisks.add(risks.get(record.key()), record.key(), record.value(), halfLifeMillis);
        if (updated != null) {
            risks.put(record.key(), updated);
            context.forward(record.withValue(updated));
        }
    }
}
