package dev.bulwark.detectors;

import org.apache.kafka.streams.kstream.KStream;

import dev.bulwark.detectors.api.Detector;
import dev.bulwark.detectors.api.DetectorApi;
import dev.bulwark.detectors.api.DetectorContext;
import dev.bulwark.detectors.api.Severity;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.SecurityEvent;

/**
 * A test detector with a bug: it throws on any event whose command line contains {@link #POISON}, and otherwise emits
 * one low-severity finding per event. Used to prove one detector's failure neither stalls the stream nor costs the
 * other detectors their findings.
 */
public final class PoisonDetector implements Detector {

    /** The command-line text that makes this detector throw. */
    public static final String POISON = "poison-pill";
    /** Rule id of its findings. */
    public static final String RULE_ID = "test.poison.every_event";

    @Override
    public String name() {
        return "poison-detector";
    }

    @Override
    public String apiVersion() {
        return DetectorApi.VERSION;
    }

    @Override
    public KStream<String, Finding> build(DetectorContext context) {
        return context.events().mapValues(event -> finding(event, context), context.named("finding"));
    }

    private Finding finding(SecurityEvent event, DetectorContext context) {
        String commandLine = event.getProcess() == null ? null : event.getProcess().getCommandLine();
        if (commandLine != null && commandLine.contains(POISON)) {
            throw new IllegalStateException("cannot handle event " + event.getId());
        }
        return context.finding(event).rule(RULE_ID, "Every event").severity(Severity.LOW).summary("event " + event.getId())
                .evidence("event.id", event.getId()).build();
    }
}
