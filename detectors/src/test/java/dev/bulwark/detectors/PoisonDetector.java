package dev.bulwark.detectors;

import java.util.List;
import java.util.Map;

import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;

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
    public KStream<String, Finding> build(DetectorContext context) {
        return context.events().mapValues(event -> finding(event, context), Named.as(name() + "-finding"));
    }

    private Finding finding(SecurityEvent event, DetectorContext context) {
        String commandLine = event.getProcess() == null ? null : event.getProcess().getCommandLine();
        if (commandLine != null && commandLine.contains(POISON)) {
            throw new IllegalStateException("cannot handle event " + event.getId());
        }
        return FindingFactory.of(this, RULE_ID, "Every event", "low", FindingFactory.mitre(List.of(), List.of()),
                "event " + event.getId(), event, context.tenants(), Map.of("event.id", event.getId()), event.getId());
    }
}
