package dev.bulwark.schemas;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What one tenant may see of an incident: its own side, and the fact that another tenant was involved, never the other
 * tenant's pods, users or findings.
 *
 * <p>Why one place: the query API, the console and the notifier's tenant routes show incidents to tenants, and an
 * incident may span tenants (a shell in acme's pod that connects into globex's database). Each must cut the same way:
 * <ul>
 *   <li>a finding the tenant owns is shown with its pod; its user and exec session only when no other tenant took part
 *       in it (in a cross-tenant finding the actor may be the other tenant's);</li>
 *   <li>a finding another tenant owns, in which this tenant took part (as actor or peer), is shown without its owner,
 *       pod, user or session, keeping only this tenant's own pods among its entities;</li>
 *   <li>every other finding is left out and only counted.</li>
 * </ul>
 * The tenant's own pods are those in the namespaces of the findings it owns. The incident's tenants, entities,
 * detectors and tactics are cut to what the visible findings show.
 */
public final class IncidentViews {

    /** What stands for another tenant's name in a tenant's view. */
    public static final String ANOTHER_TENANT = "(another tenant)";

    /**
     * A tenant's view of an incident.
     *
     * @param incident the incident cut to the tenant's side
     * @param hiddenFindings findings of the timeline left out (other tenants' own)
     * @param otherTenantsInvolved whether any other tenant took part
     */
    public record TenantView(Incident incident, int hiddenFindings, boolean otherTenantsInvolved) {
    }

    private IncidentViews() {
    }

    /** Whether an incident concerns a tenant at all (so the tenant may see it). */
    public static boolean concerns(Incident incident, String tenant) {
        return tenant != null && incident.getTenants().contains(tenant);
    }

    /** The tenant's view of an incident that {@link #concerns concerns} it. */
    public static TenantView forTenant(Incident incident, String tenant) {
        if (!concerns(incident, tenant)) {
            throw new IllegalArgumentException("the incident does not concern tenant " + tenant);
        }
        Set<String> ownNamespaces = new LinkedHashSet<>();
        for (IncidentFinding f : incident.getTimeline()) {
            if (tenant.equals(f.getTenant()) && f.getNamespace() != null) {
                ownNamespaces.add(f.getNamespace());
            }
        }
        List<IncidentFinding> visible = new ArrayList<>();
        for (IncidentFinding f : incident.getTimeline()) {
            if (tenant.equals(f.getTenant())) {
                visible.add(own(f, ownNamespaces));
            } else if (f.getOtherTenants().contains(tenant)) {
                visible.add(partOf(f, ownNamespaces));
            }
        }
        Set<String> entities = new LinkedHashSet<>();
        Set<String> detectors = new LinkedHashSet<>();
        Set<String> tactics = new LinkedHashSet<>();
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        for (IncidentFinding f : visible) {
            entities.addAll(f.getEntities());
            detectors.add(f.getDetector());
            tactics.addAll(f.getTactics());
            first = Math.min(first, f.getTime());
            last = Math.max(last, f.getLastSeen());
        }
        List<String> orderedTactics = new ArrayList<>(incident.getTactics());
        orderedTactics.retainAll(tactics);
        List<String> orderedDetectors = new ArrayList<>(incident.getDetectors());
        orderedDetectors.retainAll(detectors);
        int hidden = incident.getTimeline().size() - visible.size();
        boolean others = incident.getTenants().stream().anyMatch(t -> !t.equals(tenant));
        Incident view = Incident.newBuilder(incident)
                .setOpenedBy(entities.contains(incident.getOpenedBy()) ? incident.getOpenedBy() : ANOTHER_TENANT)
                .setTenants(List.of(tenant))
                .setEntities(new ArrayList<>(entities))
                .setDetectors(orderedDetectors)
                .setTactics(orderedTactics)
                .setTimeline(visible)
                .setFindingsTotal(visible.size())
                .setFirstSeen(visible.isEmpty() ? incident.getFirstSeen() : first)
                .setLastSeen(visible.isEmpty() ? incident.getLastSeen() : last)
                .build();
        return new TenantView(view, hidden, others);
    }

    /** A finding the tenant owns: its user and session only when no other tenant took part. */
    private static IncidentFinding own(IncidentFinding f, Set<String> ownNamespaces) {
        boolean cross = !f.getOtherTenants().isEmpty();
        return IncidentFinding.newBuilder(f)
                .setOtherTenants(cross ? List.of(ANOTHER_TENANT) : List.of())
                .setUser(cross ? null : f.getUser())
                .setSessionId(cross ? null : f.getSessionId())
                .setEntities(entities(f, ownNamespaces, !cross))
                .build();
    }

    /** Another tenant's finding the tenant took part in: no owner, pod, user or session. */
    private static IncidentFinding partOf(IncidentFinding f, Set<String> ownNamespaces) {
        return IncidentFinding.newBuilder(f)
                .setTenant(ANOTHER_TENANT)
                .setOtherTenants(List.of())
                .setNamespace(null)
                .setPod(null)
                .setUser(null)
                .setSessionId(null)
                .setEntities(entities(f, ownNamespaces, false))
                .build();
    }

    /** The tenant's own pods among a finding's entities, and its identity and session when they are the tenant's. */
    private static List<String> entities(IncidentFinding f, Set<String> ownNamespaces, boolean actorIsOwn) {
        List<String> kept = new ArrayList<>();
        for (String entity : f.getEntities()) {
            if (entity.startsWith("pod:")) {
                int slash = entity.indexOf('/');
                if (slash > 4 && ownNamespaces.contains(entity.substring(4, slash))) {
                    kept.add(entity);
                }
            } else if (actorIsOwn && (entity.startsWith("identity:") || entity.startsWith("session:"))) {
                kept.add(entity);
            }
        }
        return kept;
    }
}
