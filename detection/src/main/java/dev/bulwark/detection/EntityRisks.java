package dev.bulwark.detection;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.bulwark.detectors.api.FindingBuilder;
import dev.bulwark.schemas.EntityRisk;
import dev.bulwark.schemas.Evidence;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.OwnerReference;
import dev.bulwark.schemas.TenantContext;

/**
 * How findings score the entities they concern ({@link EntityRisk}).
 *
 * <p>Each new finding adds its risk score (severity: 21, 47, 73, 99) to each of its entities, weighted by what its
 * MITRE tactics add to what the entity has shown: a repeat of tactics already seen counts half; each new tactic adds
 * half again; a new tactic later in the ATT&amp;CK order (initial access, execution, ..., discovery, lateral movement,
 * ..., impact) than any seen, the progression of an attack, counts one and a half times more. Risk halves every
 * half-life of event time, so replaying the same findings gives the same figures. Updates of a finding already
 * counted (its folded repeats) and replays add nothing.
 */
public final class EntityRisks {

    /** ATT&amp;CK's tactics in kill-chain order, as findings name them. */
    public static final List<String> TACTIC_ORDER = List.of("reconnaissance", "resource-development", "initial-access",
            "execution", "persistence", "privilege-escalation", "defense-evasion", "credential-access", "discovery",
            "lateral-movement", "collection", "command-and-control", "exfiltration", "impact");
    /** How many recent finding ids an entity remembers, to count each finding once. */
    public static final int RECENT = 64;
    private static final String SEP = "|";

    private EntityRisks() {
    }

    /**
     * The keys ({@code <tenant>|<type>|<id>}) of the entities a finding concerns: its tenant, pod, the pod's
     * controller (from the tenant directory, may be null), image and acting identity.
     */
    public static List<String> entities(Finding finding, TenantContext pod) {
        String tenant = finding.getTenant();
        List<String> keys = new ArrayList<>();
        keys.add(key(tenant, "tenant", tenant));
        if (finding.getNamespace() != null && finding.getPod() != null) {
            keys.add(key(tenant, "pod", finding.getNamespace() + "/" + finding.getPod()));
            String controller = controller(pod);
            if (controller != null) {
                keys.add(key(tenant, "controller", finding.getNamespace() + "/" + controller));
            }
        }
        if (finding.getImage() != null) {
            keys.add(key(tenant, "image", finding.getImage()));
        }
        String identity = identity(finding);
        if (identity != null) {
            keys.add(key(tenant, "identity", identity));
        }
        return keys;
    }

    static String key(String tenant, String type, String id) {
        return tenant + SEP + type + SEP + id;
    }

    /**
     * The controller of a pod: its owner, with a ReplicaSet that a Deployment made (named {@code <deployment>-<hash>})
     * taken for that Deployment.
     */
    static String controller(TenantContext pod) {
        OwnerReference owner = pod == null ? null : pod.getOwner();
        if (owner == null) {
            return null;
        }
        if ("ReplicaSet".equals(owner.getKind()) && owner.getName().matches(".+-[a-z0-9]{5,10}")) {
            return "Deployment/" + owner.getName().substring(0, owner.getName().lastIndexOf('-'));
        }
        return owner.getKind() + "/" + owner.getName();
    }

    /** Who acted: the exec session's user, else the user a detector compared, else the event's user name. */
    static String identity(Finding finding) {
        Map<String, String> fields = finding.getEvidence().getFields();
        for (String field : new String[] {FindingBuilder.SESSION_USER, "sigma.fold.user", "user.name"}) {
            String value = fields.get(field);
            if (value != null && !value.isBlank()) {
                return value;
            }
        }
        return null;
    }

    /** The finding with only what scoring needs, for the repartition by entity. */
    public static Finding slim(Finding finding) {
        Map<String, String> kept = new LinkedHashMap<>();
        String identity = identity(finding);
        if (identity != null) {
            kept.put("user.name", identity);
        }
        return Finding.newBuilder(finding).setSummary("").setOtherTenants(List.of())
                .setEvidence(Evidence.newBuilder().setEventIds(List.of()).setFields(kept).build()).build();
    }

    /** The entity's risk after a finding, or null when the finding was counted already. */
    public static EntityRisk add(EntityRisk current, String key, Finding finding, long halfLifeMillis) {
        if (current != null && current.getRecentFindings().contains(finding.getId())) {
            return null;
        }
        String[] parts = key.split("\\|", 3);
        long at = finding.getLastSeen();
        List<String> seen = current == null ? List.of() : current.getTactics();
        double weight = finding.getRiskScore() * weight(seen, finding.getMitre().getTactics());
        Decaying sum = (current == null ? new Decaying(0, at) : new Decaying(current.getRisk(), current.getRiskAt()))
                .plus(weight, at, halfLifeMillis);
        double risk = sum.value();
        long riskAt = sum.at();
        Set<String> tactics = new LinkedHashSet<>(seen);
        tactics.addAll(finding.getMitre().getTactics());
        Set<String> detectors = new LinkedHashSet<>(current == null ? List.of() : current.getDetectors());
        detectors.add(finding.getDetector());
        List<String> recent = new ArrayList<>(current == null ? List.of() : current.getRecentFindings());
        recent.add(finding.getId());
        while (recent.size() > RECENT) {
            recent.remove(0);
        }
        boolean latest = current == null || at >= current.getLastSeen();
        return EntityRisk.newBuilder()
                .setKey(key).setType(parts[1]).setId(parts[2]).setTenant(parts[0])
                .setRisk(risk).setRiskAt(riskAt).setHalfLifeMs(halfLifeMillis)
                .setFirstSeen(current == null ? finding.getFirstSeen() : Math.min(current.getFirstSeen(),
                        finding.getFirstSeen()))
                .setLastSeen(current == null ? at : Math.max(current.getLastSeen(), at))
                .setFindings((current == null ? 0 : current.getFindings()) + 1)
                .setTactics(new ArrayList<>(tactics)).setDetectors(new ArrayList<>(detectors))
                .setLastFinding(latest ? finding.getId() : current.getLastFinding())
                .setLastRule(latest ? finding.getRule().getName() : current.getLastRule())
                .setRecentFindings(recent)
                .build();
    }

    /**
     * The weight of a finding's tactics on an entity that has shown {@code seen}: 1 without tactics; 0.5 when it
     * repeats only tactics seen; else 1 + 0.5 per new tactic, times 1.5 when a new one comes later in the kill chain
     * than every tactic seen.
     */
    static double weight(List<String> seen, List<String> tactics) {
        if (tactics.isEmpty()) {
            return 1.0;
        }
        int newTactics = 0;
        int latestSeen = -1;
        for (String tactic : seen) {
            latestSeen = Math.max(latestSeen, TACTIC_ORDER.indexOf(tactic));
        }
        boolean progresses = false;
        for (String tactic : new LinkedHashSet<>(tactics)) {
            if (!seen.contains(tactic)) {
                newTactics++;
                progresses |= !seen.isEmpty() && TACTIC_ORDER.indexOf(tactic) > latestSeen;
            }
        }
        if (newTactics == 0) {
            return 0.5;
        }
        return (1.0 + 0.5 * newTactics) * (progresses ? 1.5 : 1.0);
    }

    /** A figure that halves every half-life: its value as of its time (epoch ms). */
    public record Decaying(double value, long at) {
        /**
         * The figure with {@code weight} added at {@code when}: a later addition moves it to that time (decaying what
         * it held); an earlier one is decayed to the figure's time.
         */
        public Decaying plus(double weight, long when, long halfLifeMillis) {
            return when >= at ? new Decaying(decay(value, when - at, halfLifeMillis) + weight, when)
                    : new Decaying(value + decay(weight, at - when, halfLifeMillis), at);
        }
    }

    /** {@code value} after {@code elapsed} ms of halving every {@code halfLife} ms. */
    public static double decay(double value, long elapsedMillis, long halfLifeMillis) {
        return elapsedMillis <= 0 ? value : value * Math.pow(0.5, (double) elapsedMillis / halfLifeMillis);
    }
}
