package dev.bulwark.ingest;

import dev.bulwark.schemas.SecurityEvent;

/**
 * Kafka record keys for events.
 *
 * <p>Why: one container's events must stay in order on one partition, so the key is the container id when there is
 * one, else the pod, else the host; events with none of these are keyed by their own id.
 */
public final class EventKeys {

    private EventKeys() {
    }

    /** The partitioning key of an event. */
    public static String of(SecurityEvent event) {
        if (event.getContainer() != null && event.getContainer().getId() != null) {
            return "container/" + event.getContainer().getId();
        }
        if (event.getKubernetes() != null && event.getKubernetes().getPod() != null) {
            return "pod/" + event.getKubernetes().getNamespace() + "/" + event.getKubernetes().getPod();
        }
        if (event.getKubernetesAudit() != null && event.getKubernetesAudit().getObjectName() != null) {
            return "object/" + event.getKubernetesAudit().getObjectNamespace() + "/" + event.getKubernetesAudit().getResource()
                    + "/" + event.getKubernetesAudit().getObjectName();
        }
        if (event.getHost() != null && event.getHost().getHostname() != null) {
            return "host/" + event.getHost().getHostname();
        }
        return "event/" + event.getId();
    }
}
