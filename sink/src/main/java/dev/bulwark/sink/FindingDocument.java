package dev.bulwark.sink;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import dev.bulwark.schemas.Finding;

/**
 * A finding as it is stored in Elasticsearch, laid out in Elastic Common Schema groups so SIEM queries and Kibana
 * work on it ({@code rule.*}, {@code threat.*}, {@code kubernetes.*}, {@code container.*}) plus Bulwark's own
 * {@code finding.*} and {@code tenant.*}.
 *
 * <p>Why: one typed shape for writing (the sink) and reading (CLI, API, tests), matched by {@link FindingIndex}'s
 * explicit mapping.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record FindingDocument(
        @JsonProperty("@timestamp") String timestamp,
        @JsonProperty("message") String message,
        @JsonProperty("finding") FindingInfo finding,
        @JsonProperty("rule") Rule rule,
        @JsonProperty("event") Event event,
        @JsonProperty("threat") Threat threat,
        @JsonProperty("tenant") Tenant tenant,
        @JsonProperty("orchestrator") Orchestrator orchestrator,
        @JsonProperty("kubernetes") Kubernetes kubernetes,
        @JsonProperty("container") Container container,
        @JsonProperty("source") Endpoint source,
        @JsonProperty("destination") Endpoint destination,
        @JsonProperty("user") User user,
        @JsonProperty("process") Process process,
        @JsonProperty("evidence") Evidence evidence,
        @JsonProperty("triage") Triage triage) {

    /** Triage states an analyst can set; a new finding starts {@code open}. */
    public static final java.util.List<String> TRIAGE_STATUSES = List.of("open", "acknowledged", "resolved", "false_positive");

    /**
     * Bulwark's own finding fields; {@code escalates} is the id of the finding this one escalates, if any; {@code shadow}
     * is true for a shadow rule's finding (absent otherwise).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record FindingInfo(@JsonProperty("id") String id, @JsonProperty("detector") String detector,
                              @JsonProperty("severity") String severity, @JsonProperty("risk_score") int riskScore,
                              @JsonProperty("first_seen") String firstSeen, @JsonProperty("last_seen") String lastSeen,
                              @JsonProperty("count") long count, @JsonProperty("escalates") String escalates,
                              @JsonProperty("shadow") Boolean shadow) {
    }

    /** ECS rule.*. */
    public record Rule(@JsonProperty("id") String id, @JsonProperty("name") String name,
                       @JsonProperty("version") String version) {
    }

    /** ECS event.* for an alert. */
    public record Event(@JsonProperty("kind") String kind, @JsonProperty("severity") int severity,
                        @JsonProperty("risk_score") int riskScore) {
    }

    /** ECS threat.* (MITRE ATT&CK). */
    public record Threat(@JsonProperty("framework") String framework, @JsonProperty("tactic") Tactic tactic,
                         @JsonProperty("technique") Technique technique) {
    }

    /** ECS threat.tactic.*. */
    public record Tactic(@JsonProperty("name") List<String> name) {
    }

    /** ECS threat.technique.*. */
    public record Technique(@JsonProperty("id") List<String> id) {
    }

    /** Owning tenant and any other tenant involved. */
    public record Tenant(@JsonProperty("name") String name, @JsonProperty("others") List<String> others) {
    }

    /** ECS orchestrator.*. */
    public record Orchestrator(@JsonProperty("cluster") Cluster cluster) {
    }

    /** ECS orchestrator.cluster.*. */
    public record Cluster(@JsonProperty("name") String name) {
    }

    /** Kubernetes workload. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Kubernetes(@JsonProperty("namespace") String namespace, @JsonProperty("pod") String pod) {
    }

    /** ECS container.*. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Container(@JsonProperty("id") String id, @JsonProperty("image") Image image) {
    }

    /** ECS container.image.*. */
    public record Image(@JsonProperty("name") String name) {
    }

    /** ECS source.* / destination.*: an address, only when the evidence holds a literal IP. */
    public record Endpoint(@JsonProperty("ip") String ip) {
    }

    /** ECS user.*. */
    public record User(@JsonProperty("name") String name) {
    }

    /** ECS process.*. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Process(@JsonProperty("name") String name, @JsonProperty("command_line") String commandLine) {
    }

    /**
     * What an analyst decided about the finding. The sink writes it only when it creates the document (status
     * {@code open}); occurrence updates never carry it, so they cannot overwrite a decision.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Triage(@JsonProperty("status") String status, @JsonProperty("updated_by") String updatedBy,
                         @JsonProperty("updated_at") String updatedAt, @JsonProperty("note") String note) {
    }

    /** Triggering events and matched fields. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Evidence(@JsonProperty("event_ids") List<String> eventIds,
                           @JsonProperty("fields") Map<String, String> fields,
                           @JsonProperty("truncated") Boolean truncated) {
    }

    /**
     * The whole document for a finding, as written when Elasticsearch does not hold it yet: with
     * {@code finding.first_seen} and triage status {@code open}.
     */
    public static FindingDocument of(Finding f) {
        Map<String, String> fields = f.getEvidence().getFields();
        String last = Instant.ofEpochMilli(f.getLastSeen()).toString();
        return new FindingDocument(
                last,
                f.getSummary(),
                new FindingInfo(f.getId(), f.getDetector(), f.getSeverity(), f.getRiskScore(),
                        Instant.ofEpochMilli(f.getFirstSeen()).toString(), last, f.getCount(), f.getEscalates(),
                        f.getShadow() ? Boolean.TRUE : null),
                new Rule(f.getRule().getId(), f.getRule().getName(), f.getRule().getVersion()),
                new Event("alert", f.getRiskScore(), f.getRiskScore()),
                new Threat("MITRE ATT&CK", new Tactic(List.copyOf(f.getMitre().getTactics())),
                        new Technique(List.copyOf(f.getMitre().getTechniques()))),
                new Tenant(f.getTenant(), List.copyOf(f.getOtherTenants())),
                f.getCluster() == null ? null : new Orchestrator(new Cluster(f.getCluster())),
                f.getNamespace() == null && f.getPod() == null ? null : new Kubernetes(f.getNamespace(), f.getPod()),
                f.getContainerId() == null && f.getImage() == null ? null
                        : new Container(f.getContainerId(), f.getImage() == null ? null : new Image(f.getImage())),
                endpoint(fields.get("source.ip")),
                endpoint(fields.get("destination.ip")),
                fields.get("user.name") == null ? null : new User(fields.get("user.name")),
                fields.get("process.name") == null && fields.get("process.command_line") == null ? null
                        : new Process(fields.get("process.name"), fields.get("process.command_line")),
                new Evidence(List.copyOf(f.getEvidence().getEventIds()), Map.copyOf(fields),
                        f.getEvidence().getTruncated() ? Boolean.TRUE : null),
                new Triage("open", null, null, null));
    }

    /**
     * The partial document an occurrence update merges into an existing one: everything the finding says now, without
     * {@code finding.first_seen} (the first write's value stays) and without triage (the analyst's decision stays).
     */
    public FindingDocument occurrenceUpdate() {
        FindingInfo info = finding == null ? null : new FindingInfo(finding.id(), finding.detector(), finding.severity(),
                finding.riskScore(), null, finding.lastSeen(), finding.count(), finding.escalates(),
                finding.shadow());
        return new FindingDocument(timestamp, message, info, rule, event, threat, tenant, orchestrator, kubernetes,
                container, source, destination, user, process, evidence, null);
    }

    private static Endpoint endpoint(String value) {
        return value != null && IpLiterals.isIp(value.strip()) ? new Endpoint(value.strip()) : null;
    }
}
