package dev.bulwark.sigma;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;

import dev.bulwark.detectors.api.Detector;
import dev.bulwark.detectors.api.FindingBounds;
import dev.bulwark.detectors.api.FindingBuilder;
import dev.bulwark.detectors.api.Mitre;
import dev.bulwark.detectors.api.Severity;
import dev.bulwark.schemas.Evidence;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.FindingRule;
import dev.bulwark.schemas.KubernetesAudit;
import dev.bulwark.schemas.MitreAttack;
import dev.bulwark.schemas.SecurityEvent;

/**
 * Turns Sigma matches and correlation firings into {@link Finding}s: rule id and title, level mapped to a severity,
 * ATT&CK tactics and techniques from the tags, matched fields and the rule's authors as evidence.
 *
 * <p>Why: every Sigma finding must look like any other detector's finding (same fields, same risk scores) and carry
 * what the Detection Rule License asks for (the rule's authors) and what an analyst needs to trust it (the values
 * that matched). The finding id made here is the <em>fold key</em> (detector, rule, entity); {@link FindingFolder}
 * turns it into the id of one folding episode.
 */
public final class SigmaFindings {

    /** Longest evidence value kept; longer values are cut and end with an ellipsis. */
    static final int MAX_VALUE_CHARS = 1024;
    /** The evidence field that names a rule finding's acting user (what the folding compares for an escalation). */
    public static final String USER_FIELD = "sigma.fold.user";
    /** Most evidence fields kept from the matched values. */
    static final int MAX_MATCHED_FIELDS = 24;

    private static final Pattern TECHNIQUE = Pattern.compile("t\\d{4}(\\.\\d{3})?");
    private static final Pattern OTHER_ATTACK_ID = Pattern.compile("[gs]\\d{4}");

    private SigmaFindings() {
    }

    /**
     * The severity of a Sigma level: {@code critical}, {@code high}, {@code medium} and {@code low} as is,
     * {@code informational} as {@code low} (findings have no informational severity), no level as {@code medium}.
     */
    public static Severity severity(String level) {
        if (level == null) {
            return Severity.MEDIUM;
        }
        return switch (level.toLowerCase(Locale.ROOT)) {
            case "critical", "high", "medium", "low" -> Severity.of(level);
            default -> Severity.LOW;
        };
    }

    /** ATT&CK tactics and techniques from {@code attack.*} tags. */
    public static MitreAttack mitre(List<String> tags) {
        List<String> tactics = new ArrayList<>();
        List<String> techniques = new ArrayList<>();
        for (String tag : tags) {
            String lower = tag.toLowerCase(Locale.ROOT);
            if (!lower.startsWith("attack.")) {
                continue;
            }
            String value = lower.substring("attack.".length());
            if (TECHNIQUE.matcher(value).matches()) {
                techniques.add(value.toUpperCase(Locale.ROOT));
            } else if (!OTHER_ATTACK_ID.matcher(value).matches()) {
                tactics.add(value.replace('_', '-'));
            }
        }
        return Mitre.of(tactics, techniques);
    }

    /**
     * What repeats of a rule fold on: the container, else the pod, else (for API audit events) the acting user, else
     * the host; an event with none of them folds only with itself.
     */
    public static String entity(SecurityEvent event) {
        KubernetesAudit audit = event.getKubernetesAudit();
        if (audit != null && audit.getSubjectUser() != null) {
            return "user:" + audit.getSubjectUser();
        }
        if (event.getContainer() != null) {
            String id = event.getContainer().getId();
            if (id != null && !id.isBlank() && !"host".equals(id)) {
                return "container:" + id;
            }
        }
        if (event.getKubernetes() != null && event.getKubernetes().getPod() != null) {
            return "pod:" + event.getKubernetes().getNamespace() + "/" + event.getKubernetes().getPod();
        }
        if (event.getUser() != null && event.getUser().getName() != null) {
            return "user:" + event.getUser().getName();
        }
        if (event.getHost() != null && event.getHost().getHostname() != null) {
            return "host:" + event.getHost().getHostname();
        }
        return "event:" + event.getId();
    }

    /**
     * Who acted, as folding compares it between repeats: the audit event's user (with {@code as} and the impersonated
     * user when impersonating), else {@code user.name}, else the process's user; null when the event names none.
     */
    static String actingUser(SecurityEvent event) {
        KubernetesAudit audit = event.getKubernetesAudit();
        if (audit != null && audit.getSubjectUser() != null) {
            return audit.getImpersonatedUser() == null || audit.getImpersonatedUser().isBlank()
                    ? audit.getSubjectUser() : audit.getSubjectUser() + " as " + audit.getImpersonatedUser();
        }
        if (event.getUser() != null && event.getUser().getName() != null && !event.getUser().getName().isBlank()) {
            return event.getUser().getName();
        }
        if (event.getProcess() != null && event.getProcess().getUserName() != null
                && !event.getProcess().getUserName().isBlank()) {
            return event.getProcess().getUserName();
        }
        return null;
    }

    /**
     * The finding of one rule match on one event; its id is the fold key (detector, rule, entity).
     *
     * @param findings starts a finding of the sigma detector about an event ({@link dev.bulwark.detectors.api.DetectorContext#finding})
     */
    public static Finding ruleFinding(Function<SecurityEvent, FindingBuilder> findings, RuleMatch match, SecurityEvent event) {
        SigmaRule rule = match.rule();
        Map<String, String> evidence = new LinkedHashMap<>();
        for (Map.Entry<String, String> field : match.evidence().entrySet()) {
            if (evidence.size() >= MAX_MATCHED_FIELDS) {
                break;
            }
            evidence.put(field.getKey(), clip(field.getValue()));
        }
        evidence.put("sigma.rule.id", rule.key());
        evidence.put("sigma.rule.level", rule.level());
        evidence.put("sigma.rule.status", rule.status());
        evidence.put("sigma.rule.author", clip(rule.author()));
        evidence.put("sigma.rule.references", rule.references().isEmpty() ? null
                : clip(String.join(" ", rule.references())));
        evidence.put("sigma.rule.source", rule.source());
        evidence.put("sigma.selections", String.join(",", match.selections()));
        String entity = entity(event);
        evidence.put("sigma.fold.entity", entity);
        evidence.put(FindingFolder.USER_FIELD, clip(actingUser(event)));
        String summary = "Sigma rule '" + rule.title() + "' matched " + where(event) + describe(match.evidence());
        FindingBuilder builder = findings.apply(event).rule(ruleId(rule), rule.title()).severity(severity(rule.level()))
                .mitre(mitre(rule.tags())).summary(summary).evidence(evidence);
        if (!rule.shadow()) {
            return builder.identity(entity).build();
        }
        // A shadow rule's findings fold apart from the live rule's, so a promoted rule starts its own findings.
        Finding finding = builder.identity(entity, SigmaRule.SHADOW).build();
        finding.setShadow(true);
        return finding;
    }

    /** What a correlation's bounds are compared with, as text: " of distinct CommandLine", " of sum of bytes". */
    private static String of(SigmaCorrelation.Type type, SigmaCorrelation.Threshold threshold) {
        if (threshold.fields().isEmpty()) {
            return "";
        }
        String fields = String.join("+", threshold.fields());
        return switch (type) {
            case VALUE_SUM -> " of sum of " + fields;
            case VALUE_AVG -> " of average of " + fields;
            case VALUE_PERCENTILE -> " of percentile " + threshold.percentile() + " of " + fields;
            default -> " of distinct " + fields;
        };
    }

    /** A number as text: whole numbers without a fraction ("1001", not "1001.0"). */
    static String number(double value) {
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            return Long.toString((long) value);
        }
        return Double.toString(value);
    }

    /**
     * The finding of a correlation that fired: the workload and tenant of {@code context} (the finding of the match
     * that completed the correlation), the correlation's own id, title, level and tags, and the contributing events.
     *
     * @param foldKey the correlation's group key (correlation and group-by values)
     * @param correlation the correlation
     * @param group the group-by values
     * @param eventIds the contributing events, oldest first (bounded by the caller)
     * @param count how many events contributed
     * @param firstSeen the first contributing event time
     * @param lastSeen the last contributing event time
     * @param context the completing match's own finding
     * @param aggregate the aggregate the condition held on (value_sum, value_avg, value_percentile), or null
     */
    static Finding correlationFinding(String foldKey, SigmaCorrelation correlation, List<String> group,
                                      List<String> eventIds, int count, long firstSeen, long lastSeen,
                                      Finding context, Double aggregate) {
        Map<String, String> evidence = new LinkedHashMap<>();
        for (int i = 0; i < correlation.groupBy().size(); i++) {
            String value = i < group.size() ? group.get(i) : null;
            if (value != null) {
                evidence.put(correlation.groupBy().get(i), clip(value));
            }
        }
        evidence.put("sigma.correlation.id", correlation.key());
        evidence.put("sigma.correlation.type", correlation.type().sigmaName());
        evidence.put("sigma.correlation.rules", String.join(",", correlation.rules()));
        evidence.put("sigma.correlation.timespan", correlation.timespan().toString());
        evidence.put("sigma.correlation.events", Integer.toString(count));
        correlation.condition().ifPresent(c -> evidence.put("sigma.correlation.condition", c.bounds().toString()
                + of(correlation.type(), c)));
        if (aggregate != null) {
            evidence.put("sigma.correlation.value", number(aggregate));
        }
        String by = correlation.groupBy().isEmpty() ? "" : " for " + String.join(", ",
                evidence.entrySet().stream().limit(correlation.groupBy().size())
                        .map(e -> e.getKey() + "=" + e.getValue()).toList());
        String summary = "Sigma correlation '" + correlation.title() + "' (" + correlation.type().sigmaName() + " of "
                + String.join(", ", correlation.rules()) + " within " + correlation.timespan().toString()
                .substring(2).toLowerCase(Locale.ROOT) + ") fired" + by + ": " + count + " event(s)";
        Severity severity = severity(correlation.level());
        return FindingBounds.cap(Finding.newBuilder(context)
                .setId(correlation.shadow() ? foldKey + "|" + SigmaRule.SHADOW : foldKey)
                .setRule(FindingRule.newBuilder().setId(correlationId(correlation))
                        .setName(correlation.title()).setVersion(context.getRule().getVersion()).build())
                .setSeverity(severity.label())
                .setRiskScore(severity.riskScore())
                .setMitre(mitre(correlation.tags()))
                .setSummary(summary)
                .setFirstSeen(firstSeen)
                .setLastSeen(lastSeen)
                .setCount(1)
                .setEvidence(Evidence.newBuilder().setEventIds(List.copyOf(eventIds)).setFields(evidence).build())
                .setShadow(correlation.shadow())
                .build());
    }

    /** The {@code rule.id} of a rule's findings. */
    public static String ruleId(SigmaRule rule) {
        return rule.id() != null ? rule.id() : rule.key();
    }

    /** The {@code rule.id} of a correlation's findings. */
    public static String correlationId(SigmaCorrelation correlation) {
        return correlation.id() != null ? correlation.id() : correlation.key();
    }

    private static String where(SecurityEvent event) {
        if (event.getKubernetesAudit() != null && event.getKubernetesAudit().getSubjectUser() != null) {
            KubernetesAudit audit = event.getKubernetesAudit();
            return "for user " + audit.getSubjectUser() + (audit.getVerb() == null ? "" : " (" + audit.getVerb() + " "
                    + audit.getResource() + (audit.getObjectNamespace() == null ? "" : " in " + audit.getObjectNamespace())
                    + ")");
        }
        String pod = event.getKubernetes() == null || event.getKubernetes().getPod() == null ? null
                : event.getKubernetes().getNamespace() + "/" + event.getKubernetes().getPod();
        String container = event.getContainer() == null ? null : event.getContainer().getId();
        if (pod != null) {
            return "in pod " + pod + (container == null ? "" : " (container " + container + ")");
        }
        if (container != null && !"host".equals(container)) {
            return "in container " + container;
        }
        return event.getHost() != null && event.getHost().getHostname() != null
                ? "on host " + event.getHost().getHostname() : "on event " + event.getId();
    }

    private static String describe(Map<String, String> evidence) {
        if (evidence.isEmpty()) {
            return "";
        }
        StringBuilder text = new StringBuilder(":");
        evidence.entrySet().stream().limit(3).forEach(e -> text.append(' ').append(e.getKey()).append("='")
                .append(clip(e.getValue(), 160)).append('\''));
        return text.toString();
    }

    static String clip(String value) {
        return clip(value, MAX_VALUE_CHARS);
    }

    private static String clip(String value, int max) {
        if (value == null || value.length() <= max) {
            return value;
        }
        return value.substring(0, max - 1) + "…";
    }
}
