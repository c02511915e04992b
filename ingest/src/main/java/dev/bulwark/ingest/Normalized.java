package dev.bulwark.ingest;

import java.util.ArrayList;
import java.util.List;

import dev.bulwark.schemas.SecurityEvent;

/**
 * What one source record normalized into.
 *
 * <p>Why: a Falco alert is one event, a Trivy report many, a Kubernetes object list many context updates, and with
 * {@code --format auto} one stream may mix them; the publisher routes each part to its topic.
 */
public record Normalized(List<SecurityEvent> events, List<ContextUpdate> contextUpdates) {

    public Normalized {
        events = List.copyOf(events);
        contextUpdates = List.copyOf(contextUpdates);
    }

    public static Normalized events(List<SecurityEvent> events) {
        return new Normalized(events, List.of());
    }

    public static Normalized context(List<ContextUpdate> updates) {
        return new Normalized(List.of(), updates);
    }

    /** Both parts of several results, in order. */
    public static Normalized concat(List<Normalized> parts) {
        List<SecurityEvent> events = new ArrayList<>();
        List<ContextUpdate> updates = new ArrayList<>();
        for (Normalized part : parts) {
            events.addAll(part.events);
            updates.addAll(part.contextUpdates);
        }
        return new Normalized(events, updates);
    }

    public boolean isEmpty() {
        return events.isEmpty() && contextUpdates.isEmpty();
    }

    /** Number of output records. */
    public int size() {
        return events.size() + contextUpdates.size();
    }
}
