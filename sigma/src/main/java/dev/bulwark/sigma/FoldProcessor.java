package dev.bulwark.sigma;

import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

import dev.bulwark.schemas.Finding;

/**
 * Folds rule findings, repartitioned by fold key, with a {@link FindingFolder}.
 *
 * <p>Why: events arrive keyed by container, pod or object, but a rule folds on its entity (for audit events the
 * acting user); after the repartition every repeat of one fold key meets in one task and one store.
 */
final class FoldProcessor implements Processor<String, Finding, String, Finding> {

    private final FindingFolder folder;

    FoldProcessor(FindingFolder folder) {
        this.folder = folder;
    }

    @Override
    public void init(ProcessorContext<String, Finding> context) {
        folder.init(context);
    }

    @Override
    public void process(Record<String, Finding> record) {
        folder.fold(record.value(), record.value().getLastSeen());
    }
}
