package dev.bulwark.schemas;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What one tenant may see of an incident: its own side, and the fact that another tenant was involved, never the other
 * tenant's pods, users or findings.
 *
 * <p>Why one place: the query API, the console and the notifier's tenant routes show incidents to tenants, and an
 * incident may span tenants (a shell in acme's pod that connects into globex's database). Each must cut the same way:
 * <ul>
 *   <li>a finding the tenant owns or took part in (as actor or peer) is shown with the tenant's own pods only (each
 *       finding records whose each pod is, {@code pod_tenants}: in a cross-tenant connection the finding's pod is the
 *       acting tenant's source pod, not the owner's; the victim then sees its own destination pod as the finding's
 *       pod); the owner's name only to the owner; the user and exec session
 *       only when the finding is the tenant's alone (in a cross-tenant finding the actor may be the other
 *       tenant's);</li>
 *   <li>every other finding is left out and only counted.</li>
 * </ul>
 * The incident's tenants, entities, detectors and tactics are cut to what the visible findings show.
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
        List<IncidentFinding> visible = new ArrayList<>();
        for (IncidentFinding f : incident.getTimeline()) {
            if (tenant.equals(f.getTenant()) || f.getOtherTenants().contains(tenant)) {
                visible.add(cut(f, tenant));
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

    /**
     * A finding the tenant owns or took part in, cut to its side: its pods only where they are its own, the owner
     * only when it is the tenant, the user and session only when the finding is the tenant's alone.
     */
    private static IncidentFinding cut(IncidentFinding f, String tenant) {
        boolean owned = tenant.equals(f.getTenant());
        boolean alone = owned && f.getOtherTenants().isEmpty();
        String ownPod = f.getNamespace() != null && f.getPod() != null
                ? "pod:" + f.getNamespace() + "/" + f.getPod() : null;
        boolean podIsOwn = ownPod != null && tenant.equals(podTenant(f, ownPod));
        List<String> entities = new ArrayList<>();
        Map<String, String> podTenants = new LinkedHashMap<>();
        for (String entity : f.getEntities()) {
            if (entity.startsWith("pod:")) {
                if (tenant.equals(podTenant(f, entity))) {
                    entities.add(entity);
                    if (f.getPodTenants().containsKey(entity)) {
                        podTenants.put(entity, tenant);
                    }
                }
            } else if (alone) {
                entities.add(entity);
            }
        }
        String namespace = podIsOwn ? f.getNamespace() : null;
        String pod = podIsOwn ? f.getPod() : null;
        if (!podIsOwn && podTenants.size() == 1) { // its side of a connection: the one pod of its own involved
            String only = podTenants.keySet().iterator().next().substring("pod:".length());
            namespace = only.substring(0, only.indexOf('/'));
            pod = only.substring(only.indexOf('/') + 1);
        }
        return IncidentFinding.newBuilder(f)
                .setTenant(owned ? tenant : ANOTHER_TENANT)
                .setOtherTenants(f.getOtherTenants().isEmpty() || !owned ? List.of() : List.of(ANOTHER_TENANT))
                .setNamespace(namespace)
                .setPod(pod)
                .setUser(alone ? f.getUser() : null)
                .setSessionId(alone ? f.getSessionId() : null)
                .setEntities(entities)
                .setPodTenants(podTenants)
                .build();
    }

    /**
     * The tenant a pod of a finding belongs to: as the finding records it; else, for a finding of one tenant alone,
     * that tenant; else unknown (null), and then no tenant's view shows it.
     */
    private static String podTenant(IncidentFinding f, String pod) {
        String recorded = f.getPodTenants().get(pod);
        if (recorded != null) {
            return recorded;
        }
        return f.getOtherTenants().isEmpty() ? f.getTenant() : null;
    }
}
