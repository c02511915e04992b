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
        @JsonProperty("evidence") Evidence evidence) {

    /** Bulwark's own finding fields. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record FindingInfo(@JsonProperty("id") String id, @JsonProperty("detector") String detector,
                              @JsonProperty("severity") String severity, @JsonProperty("risk_score") int riskScore,
                              @JsonProperty("first_seen") String firstSeen, @JsonProperty("last_seen") String lastSeen,
                              @JsonProperty("count") long count) {
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

    /** Triggering events and matched fields. */
    public record Evidence(@JsonProperty("event_ids") List<String> eventIds,
                           @JsonProperty("fields") Map<String, String> fields) {
    }

    /** The document for a finding. */
    public static FindingDocument of(Finding f) {
        String last = Instant.ofEpochMilli(f.getLastSeen()).toString();
        return new FindingDocument(
                last,
                f.getSummary(),
                new FindingInfo(f.getId(), f.getDetector(), f.getSeverity(), f.getRiskScore(),
                        Instant.ofEpochMilli(f.getFirstSeen()).toString(), last, f.getCount()),
                new Rule(f.getRule().getId(), f.getRule().getName(), f.getRule().getVersion()),
                new Event("alert", f.getRiskScore(), f.getRiskScore()),
                new Threat("MITRE ATT&CK", new Tactic(List.copyOf(f.getMitre().getTactics())),
                        new Technique(List.copyOf(f.getMitre().getTechniques()))),
                new Tenant(f.getTenant(), List.copyOf(f.getOtherTenants())),
                f.getCluster() == null ? null : new Orchestrator(new Cluster(f.getCluster())),
                f.getNamespace() == null && f.getPod() == null ? null : new Kubernetes(f.getNamespace(), f.getPod()),
                f.getContainerId() == null && f.getImage() == null ? null
                        : new Container(f.getContainerId(), f.getImage() == null ? null : new Image(f.getImage())),
                new Evidence(List.copyOf(f.getEvidence().getEventIds()), Map.copyOf(f.getEvidence().getFields())));
    }
}
