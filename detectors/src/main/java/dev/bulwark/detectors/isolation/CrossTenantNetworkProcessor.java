package dev.bulwark.detectors.isolation;

import java.util.Objects;
import java.util.function.Function;

import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.processor.api.ProcessingContext;

import dev.bulwark.detectors.api.FindingBuilder;
import dev.bulwark.detectors.api.TenantDirectory;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.SecurityEvent;

/**
 * The policy check of {@link CrossTenantNetworkDetector}: a connection across tenants becomes a finding unless an
 * ingress NetworkPolicy of the destination namespace, as the tenant directory knows it now, allows it.
 *
 * <p>Why a class of its own: the decision depends on the directory at the moment the event is processed (a policy that
 * arrives later does not excuse an earlier connection), which a unit test shows directly. It holds no state of its
 * own; it gets the directory in {@link #init}.
 */
final class CrossTenantNetworkProcessor implements FixedKeyProcessor<String, SecurityEvent, Finding> {

    private final Function<ProcessingContext, TenantDirectory> directories;
    private final Function<SecurityEvent, FindingBuilder> findings;

    private FixedKeyProcessorContext<String, Finding> processorContext;
    private TenantDirectory directory;

    /**
     * @param directories the tenant directory for this processor's context
     * @param findings starts a finding about an event (the detector's {@code DetectorContext#finding})
     */
    CrossTenantNetworkProcessor(Function<ProcessingContext, TenantDirectory> directories,
                                Function<SecurityEvent, FindingBuilder> findings) {
        this.directories = Objects.requireNonNull(directories, "directories");
        this.findings = Objects.requireNonNull(findings, "findings");
    }

    @Override
    public void init(FixedKeyProcessorContext<String, Finding> processorContext) {
        this.processorContext = processorContext;
        this.directory = directories.apply(processorContext);
    }

    @Override
    public void process(FixedKeyRecord<String, SecurityEvent> record) {
        SecurityEvent event = record.value();
        if (!CrossTenantNetworkDetector.allowedByPolicy(event, directory)) {
            processorContext.forward(record.withValue(CrossTenantNetworkDetector.finding(event, findings)));
        }
    }
}
