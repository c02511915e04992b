package dev.bulwark.notify;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.TopicPartition;

import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.Incident;
import dev.bulwark.schemas.IncidentViews;

/**
 * Decides, for one route, what a batch of records becomes: notifications to send now, records held for the summary of
 * the current minute, and records the route does not select (skipped). No Kafka, no HTTP: the rules only.
 *
 * <ul>
 *   <li>Findings: a finding is notified the first time this route sees it and again when its severity rises; a repeat
 *       of a known finding goes into the summary count. Shadow findings are never notified.</li>
 *   <li>Incidents: the updates of one incident in one batch become one notification of its last state; an update that
 *       adds nothing (same findings_total and last_seen as last notified) sends nothing. Tenant routes get
 *       {@link IncidentViews#forTenant the tenant's view}.</li>
 *   <li>Rate limit: at most {@code ratePerMinute} notifications a minute; beyond that records are counted per incident
 *       (or per tenant for findings) and sent as summaries once the minute rolls over.</li>
 * </ul>
 *
 * <p>Why the holds keep their records: the records of a summary may only be committed once the summary is delivered
 * ({@link #minHeldOffsets()}), and dead-lettered with their original bytes if it never is.
 */
final class Planner {

    /** One decoded record: a {@link Finding} or an {@link Incident}. */
    record Item(RecordRef ref, Object value) {
    }

    /** A notification and the records it stands for. */
    record Outgoing(Notice notice, List<RecordRef> records) {

        boolean summary() {
            return notice instanceof Notice.SummaryNotice;
        }
    }

    /** What one call decided: what to send (in order) and how many records were skipped, by reason. */
    record Plan(List<Outgoing> outgoing, Map<String, Integer> skipped) {
    }

    /** Distinct scopes that get a summary each; the rest share one. */
    static final int MAX_SUMMARIES = 20;
    /** Finding ids and incident states remembered (least recently used forgotten first). */
    static final int MEMORY = 100_000;

    private final Route route;
    private final Clock clock;
    private final long windowMillis;
    private final int maxHeldRecords;
    private long windowStart = Long.MIN_VALUE;
    private int sentInWindow;
    private final Map<String, Integer> seenFindings = lru();
    private final Map<String, IncidentState> lastIncident = lru();
    private final Map<String, Hold> holds = new LinkedHashMap<>();
    private int heldRecords;

    /** Where an incident was last notified: its findings_total and last_seen (of the route's view). */
    private record IncidentState(long findingsTotal, long lastSeen) {
    }

    /** What the rate limit holds back in one scope. */
    private static final class Hold {
        final String scopeType;
        final String scopeId;
        final String tenant;
        final List<RecordRef> records = new ArrayList<>();
        final Map<String, Long> byRule = new HashMap<>();
        long count;
        long repeats;
        int severity;
        /** Incidents: the state last notified before this hold (null if none), and the latest held. */
        IncidentState baseline;
        IncidentState latest;

        Hold(String scopeType, String scopeId, String tenant) {
            this.scopeType = scopeType;
            this.scopeId = scopeId;
            this.tenant = tenant;
        }
    }

    Planner(Route route, Clock clock, Duration window, int maxHeldRecords) {
        this.route = route;
        this.clock = clock;
        this.windowMillis = window.toMillis();
        this.maxHeldRecords = maxHeldRecords;
    }

    /** Plans one batch: summaries that are due first, then the batch's notifications. */
    Plan plan(List<Item> items) {
        List<Outgoing> outgoing = new ArrayList<>(due(false));
        Map<String, Integer> skipped = new LinkedHashMap<>();
        if (route.kind() == Route.Kind.FINDINGS) {
            for (Item item : items) {
                planFinding(item.ref(), (Finding) item.value(), outgoing, skipped);
            }
        } else {
            Map<String, List<Item>> byIncident = new LinkedHashMap<>();
            for (Item item : items) {
                byIncident.computeIfAbsent(((Incident) item.value()).getId(), id -> new ArrayList<>()).add(item);
            }
            for (List<Item> updates : byIncident.values()) {
                planIncident(updates, outgoing, skipped);
            }
        }
        if (heldRecords >= maxHeldRecords) {
            outgoing.addAll(due(true));
        }
        return new Plan(outgoing, skipped);
    }

    /** The summaries due now (the minute rolled over with something held), for an idle poll. */
    List<Outgoing> due() {
        return due(false);
    }

    private void planFinding(RecordRef ref, Finding f, List<Outgoing> outgoing, Map<String, Integer> skipped) {
        if (f.getShadow()) {
            skipped.merge("shadow", 1, Integer::sum);
            return;
        }
        if (!route.allTenants() && !route.tenant().equals(f.getTenant())) {
            skipped.merge("tenant", 1, Integer::sum);
            return;
        }
        int rank = Math.max(0, Severity.rank(f.getSeverity()));
        if (route.minSeverity() != null && rank < Severity.rank(route.minSeverity())) {
            skipped.merge("severity", 1, Integer::sum);
            return;
        }
        Integer seen = seenFindings.get(f.getId());
        String event;
        if (seen == null) {
            event = "new";
        } else if (rank > seen) {
            event = "escalated";
        } else {
            hold(ref, f, true);
            return;
        }
        seenFindings.put(f.getId(), rank);
        if (allow()) {
            outgoing.add(new Outgoing(new Notice.FindingNotice(route, f, event,
                    id("finding", f.getId(), Severity.ORDER.get(rank))), List.of(ref)));
        } else {
            hold(ref, f, false);
        }
    }

    private void planIncident(List<Item> updates, List<Outgoing> outgoing, Map<String, Integer> skipped) {
        Incident latest = (Incident) updates.get(updates.size() - 1).value();
        List<RecordRef> refs = updates.stream().map(Item::ref).toList();
        if (!route.allTenants() && !IncidentViews.concerns(latest, route.tenant())) {
            skipped.merge("tenant", refs.size(), Integer::sum);
            return;
        }
        IncidentViews.TenantView tenantView = route.allTenants() ? new IncidentViews.TenantView(latest, 0, false)
                : IncidentViews.forTenant(latest, route.tenant());
        Incident view = tenantView.incident();
        int hidden = tenantView.hiddenFindings();
        boolean others = tenantView.otherTenantsInvolved();
        IncidentState state = new IncidentState(view.getFindingsTotal(), view.getLastSeen());
        IncidentState previous = lastIncident.get(view.getId());
        if (state.equals(previous)) {
            skipped.merge("unchanged", refs.size(), Integer::sum);
            return;
        }
        lastIncident.put(view.getId(), state);
        if (allow()) {
            outgoing.add(new Outgoing(new Notice.IncidentNotice(route, view, hidden, others, refs.size(),
                    id("incident", view.getId(), Long.toString(state.findingsTotal()), Long.toString(state.lastSeen()))),
                    refs));
            return;
        }
        Hold hold = holds.computeIfAbsent("incident:" + view.getId(), k -> {
            Hold h = new Hold("incident", view.getId(), route.allTenants() ? null : route.tenant());
            h.baseline = previous;
            return h;
        });
        hold.latest = state;
        hold.records.addAll(refs);
        heldRecords += refs.size();
        hold.severity = Math.max(hold.severity, Severity.rank(Views.severity(view)));
    }

    private void hold(RecordRef ref, Finding f, boolean repeat) {
        String tenant = f.getTenant();
        Hold hold = holds.computeIfAbsent("tenant:" + tenant, k -> new Hold("tenant", tenant, tenant));
        hold.records.add(ref);
        heldRecords++;
        hold.count++;
        if (repeat) {
            hold.repeats++;
        }
        hold.byRule.merge(f.getRule().getName(), 1L, Long::sum);
        hold.severity = Math.max(hold.severity, Math.max(0, Severity.rank(f.getSeverity())));
    }

    /** Takes a token of the current minute, starting a new minute when the last one is over. */
    private boolean allow() {
        long now = clock.millis();
        if (windowStart == Long.MIN_VALUE || now - windowStart >= windowMillis) {
            windowStart = now;
            sentInWindow = 0;
        }
        if (sentInWindow < route.ratePerMinute()) {
            sentInWindow++;
            return true;
        }
        return false;
    }

    private List<Outgoing> due(boolean force) {
        if (holds.isEmpty()) {
            return List.of();
        }
        long now = clock.millis();
        if (!force && now - windowStart < windowMillis) {
            return List.of();
        }
        long start = windowStart;
        List<Hold> all = new ArrayList<>(holds.values());
        holds.clear();
        heldRecords = 0;
        if (!force) {
            windowStart = now;
            sentInWindow = 0;
        }
        List<Outgoing> summaries = new ArrayList<>();
        int own = all.size() <= MAX_SUMMARIES ? all.size() : MAX_SUMMARIES - 1;
        for (int i = 0; i < own; i++) {
            summaries.add(summary(all.get(i), start));
        }
        if (own < all.size()) {
            summaries.add(merged(all.subList(own, all.size()), start));
        }
        return summaries;
    }

    private Outgoing summary(Hold hold, long start) {
        long count = hold.count;
        if (hold.scopeType.equals("incident")) {
            long base = hold.baseline == null ? 0 : hold.baseline.findingsTotal();
            count = hold.latest.findingsTotal() - base;
            if (count <= 0) {
                count = hold.records.size();
            }
        }
        Map<String, Long> byRule = sorted(hold.byRule);
        return new Outgoing(new Notice.SummaryNotice(route, hold.scopeType, hold.scopeId, hold.tenant, count,
                hold.repeats, byRule, Severity.ORDER.get(hold.severity), start, hold.records.size(),
                id("summary", hold.scopeType, hold.scopeId, origins(hold.records))), List.copyOf(hold.records));
    }

    private Outgoing merged(List<Hold> rest, long start) {
        List<RecordRef> records = new ArrayList<>();
        Map<String, Long> byRule = new HashMap<>();
        long count = 0;
        long repeats = 0;
        int severity = 0;
        String scopeType = rest.get(0).scopeType;
        for (Hold h : rest) {
            records.addAll(h.records);
            h.byRule.forEach((k, v) -> byRule.merge(k, v, Long::sum));
            count += h.scopeType.equals("incident") ? h.records.size() : h.count;
            repeats += h.repeats;
            severity = Math.max(severity, h.severity);
        }
        String scopeId = rest.size() + (scopeType.equals("incident") ? " other incidents" : " other tenants");
        String tenant = route.allTenants() ? null : route.tenant();
        return new Outgoing(new Notice.SummaryNotice(route, scopeType + "s", scopeId, tenant, count, repeats,
                sorted(byRule), Severity.ORDER.get(severity), start, records.size(),
                id("summary", "merged", origins(records))), List.copyOf(records));
    }

    /**
     * Forgets what is held (after a rebalance: the records are consumed again from the committed offsets), and puts
     * the held incidents' remembered state back to before, so that consuming them again notifies them.
     */
    void dropHolds() {
        for (Hold hold : holds.values()) {
            if (hold.scopeType.equals("incident")) {
                if (hold.baseline == null) {
                    lastIncident.remove(hold.scopeId);
                } else {
                    lastIncident.put(hold.scopeId, hold.baseline);
                }
            }
        }
        holds.clear();
        heldRecords = 0;
    }

    /** For each partition, the lowest offset held for a summary not yet sent: nothing from there may be committed. */
    Map<TopicPartition, Long> minHeldOffsets() {
        Map<TopicPartition, Long> min = new HashMap<>();
        for (Hold hold : holds.values()) {
            for (RecordRef ref : hold.records) {
                min.merge(ref.topicPartition(), ref.offset(), Math::min);
            }
        }
        return min;
    }

    /** Records held for summaries. */
    int heldRecords() {
        return heldRecords;
    }

    private static String origins(List<RecordRef> records) {
        return records.stream().map(RecordRef::origin).sorted().reduce((a, b) -> a + "," + b).orElse("");
    }

    private static Map<String, Long> sorted(Map<String, Long> counts) {
        Map<String, Long> out = new LinkedHashMap<>();
        counts.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()).thenComparing(Map.Entry.comparingByKey()))
                .forEach(e -> out.put(e.getKey(), e.getValue()));
        return out;
    }

    /** A delivery id: the same inputs give the same id, on any run. */
    private String id(String... parts) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(route.name().getBytes(StandardCharsets.UTF_8));
            for (String part : parts) {
                sha.update((byte) 0);
                sha.update(part.getBytes(StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(sha.digest(), 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available in this JVM", e);
        }
    }

    private static <V> Map<String, V> lru() {
        return new LinkedHashMap<>(1024, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, V> eldest) {
                return size() > MEMORY;
            }
        };
    }
}
