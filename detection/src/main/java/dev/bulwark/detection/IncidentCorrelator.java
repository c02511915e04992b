package dev.bulwark.detection;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

import dev.bulwark.schemas.Ids;
import dev.bulwark.schemas.Incident;
import dev.bulwark.schemas.IncidentEntity;
import dev.bulwark.schemas.IncidentFinding;

/**
 * Groups findings into incidents, on one partition (findings are few next to events, and an incident may span any
 * pods, identities and tenants).
 *
 * <p>Each entity a finding links ({@link Incidents#of}) keeps its findings of the last {@code window} and a risk scored
 * as {@link EntityRisks} scores it. An incident opens when an entity's risk reaches {@code threshold}, or when findings
 * of two detectors hit it within the window; it starts with that entity's findings of the window. A later finding
 * that links any entity of an open incident joins it, as long as the incident saw a finding within {@code idle} (event
 * time) before. Its id comes from the opening entity and its first finding, and a finding joins by its id, so a replay
 * gives the same incidents and a finding's updates never add it twice.
 */
public final class IncidentCorrelator implements Processor<String, IncidentFinding, String, Incident> {

    /** The store of entities' recent findings, risk and incident. */
    public static final String ENTITIES = "incident-entities";
    /** The store of incidents by id. */
    public static final String INCIDENTS = "incidents";
    /** Most findings an entity remembers. */
    static final int RECENT = 32;
    /** Most findings an incident's timeline keeps (the latest). */
    static final int TIMELINE = 200;

    private final double threshold;
    private final long window;
    private final long idle;
    private final long halfLife;
    private ProcessorContext<String, Incident> context;
    private KeyValueStore<String, IncidentEntity> entities;
    private KeyValueStore<String, Incident> incidents;

    public IncidentCorrelator(double threshold, Duration window, Duration idle, Duration halfLife) {
        this.threshold = threshold;
        this.window = window.toMillis();
        this.idle = idle.toMillis();
        this.halfLife = halfLife.toMillis();
    }

    @Override
    public void init(ProcessorContext<String, Incident> context) {
        this.context = context;
        this.entities = context.getStateStore(ENTITIES);
        this.incidents = context.getStateStore(INCIDENTS);
    }

    @Override
    public void process(Record<String, IncidentFinding> record) {
        IncidentFinding finding = record.value();
        if (finding == null || finding.getEntities().isEmpty()) {
            return;
        }
        long at = finding.getTime();
        List<IncidentEntity> states = new ArrayList<>();
        String joined = null;
        for (String key : finding.getEntities()) {
            IncidentEntity state = remember(entities.get(key), key, finding);
            states.add(state);
            if (joined == null && state.getIncident() != null) {
                Incident incident = incidents.get(state.getIncident());
                if (incident != null && at <= incident.getLastSeen() + idle) {
                    joined = incident.getId();
                }
            }
        }
        List<IncidentFinding> joining = List.of(finding);
        String reason = null;
        String openedBy = null;
        if (joined == null) {
            for (IncidentEntity state : states) {
                boolean detectors = Incidents.detectors(state.getRecent()).size() >= 2;
                if (detectors || state.getRisk() >= threshold) {
                    joining = state.getRecent();
                    joined = Ids.of("incident", state.getKey(), joining.get(0).getFindingId());
                    reason = detectors ? "detectors" : "risk";
                    openedBy = state.getKey();
                    break;
                }
            }
        }
        if (joined != null) {
            Incident incident = merge(incidents.get(joined), joined, reason, openedBy, at, joining);
            incidents.put(joined, incident);
            Set<String> linked = new LinkedHashSet<>();
            joining.forEach(f -> linked.addAll(f.getEntities()));
            for (IncidentEntity state : states) {
                state.setIncident(joined);
                linked.remove(state.getKey());
            }
            for (String key : linked) { // entities of the window's earlier findings
                IncidentEntity other = entities.get(key);
                if (other != null) {
                    other.setIncident(joined);
                    entities.put(key, other);
                }
            }
            context.forward(record.withKey(joined).withValue(incident));
        }
        states.forEach(state -> entities.put(state.getKey(), state));
    }

    /** The entity with the finding in its window (once) and its risk raised by it. */
    private IncidentEntity remember(IncidentEntity state, String key, IncidentFinding finding) {
        IncidentEntity entity = state != null ? state : IncidentEntity.newBuilder().setKey(key).build();
        List<IncidentFinding> recent = new ArrayList<>(entity.getRecent());
        boolean known = replace(recent, finding);
        if (!known) {
            List<String> seen = new ArrayList<>();
            recent.forEach(f -> f.getTactics().forEach(t -> {
                if (!seen.contains(t)) {
                    seen.add(t);
                }
            }));
            double weight = finding.getRiskScore() * EntityRisks.weight(seen, finding.getTactics());
            EntityRisks.Decaying risk = new EntityRisks.Decaying(entity.getRisk(), entity.getRiskAt())
                    .plus(weight, finding.getTime(), halfLife);
            entity.setRisk(risk.value());
            entity.setRiskAt(risk.at());
            recent.add(finding);
        }
        long newest = Math.max(entity.getLastSeen(), finding.getTime());
        recent.sort(Comparator.comparingLong(IncidentFinding::getTime));
        recent.removeIf(f -> f.getTime() < newest - window);
        while (recent.size() > RECENT) {
            recent.remove(0);
        }
        entity.setRecent(recent);
        entity.setLastSeen(newest);
        return entity;
    }

    /** Replaces the entry of the same finding; false when there is none. */
    private static boolean replace(List<IncidentFinding> findings, IncidentFinding finding) {
        for (int i = 0; i < findings.size(); i++) {
            if (findings.get(i).getFindingId().equals(finding.getFindingId())) {
                findings.set(i, finding);
                return true;
            }
        }
        return false;
    }

    /** The incident with the findings joined: each once, in time order, its figures brought up to date. */
    private Incident merge(Incident current, String id, String reason, String openedBy, long at,
                           List<IncidentFinding> joining) {
        Incident incident = current != null ? Incident.newBuilder(current).build()
                : Incident.newBuilder().setId(id).setReason(reason).setOpenedBy(openedBy).setOpenedAt(at)
                        .setFirstSeen(at).setLastSeen(at).setRisk(0).setFindingsTotal(0).build();
        Map<String, IncidentFinding> timeline = new LinkedHashMap<>();
        incident.getTimeline().forEach(f -> timeline.put(f.getFindingId(), f));
        List<String> tactics = new ArrayList<>(incident.getTactics());
        long added = 0;
        EntityRisks.Decaying risk = new EntityRisks.Decaying(incident.getRisk(), incident.getLastSeen());
        for (IncidentFinding finding : joining) {
            if (timeline.put(finding.getFindingId(), finding) == null) {
                added++;
                double weight = finding.getRiskScore() * EntityRisks.weight(tactics, finding.getTactics());
                risk = risk.plus(weight, finding.getTime(), halfLife);
                finding.getTactics().forEach(t -> {
                    if (!tactics.contains(t)) {
                        tactics.add(t);
                    }
                });
            }
        }
        List<IncidentFinding> ordered = new ArrayList<>(timeline.values());
        ordered.sort(Comparator.comparingLong(IncidentFinding::getTime).thenComparing(IncidentFinding::getFindingId));
        boolean truncated = incident.getTruncated() || ordered.size() > TIMELINE;
        if (ordered.size() > TIMELINE) {
            ordered = new ArrayList<>(ordered.subList(ordered.size() - TIMELINE, ordered.size()));
        }
        Set<String> tenants = new LinkedHashSet<>(incident.getTenants());
        Set<String> linked = new LinkedHashSet<>(incident.getEntities());
        Set<String> detectors = new LinkedHashSet<>(incident.getDetectors());
        long first = incident.getFirstSeen();
        long last = incident.getLastSeen();
        for (IncidentFinding finding : ordered) {
            tenants.add(finding.getTenant());
            tenants.addAll(finding.getOtherTenants());
            linked.addAll(finding.getEntities());
            detectors.add(finding.getDetector());
            first = Math.min(first, finding.getTime());
            last = Math.max(last, finding.getLastSeen());
        }
        incident.setTimeline(ordered);
        incident.setTruncated(truncated);
        incident.setFindingsTotal(incident.getFindingsTotal() + added);
        incident.setRisk(risk.value());
        incident.setTactics(tactics);
        incident.setTenants(new ArrayList<>(tenants));
        incident.setEntities(new ArrayList<>(linked));
        incident.setDetectors(new ArrayList<>(detectors));
        incident.setFirstSeen(first);
        incident.setLastSeen(Math.max(last, risk.at()));
        return incident;
    }
}
