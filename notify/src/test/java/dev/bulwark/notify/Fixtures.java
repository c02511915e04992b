package dev.bulwark.notify;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import dev.bulwark.schemas.Evidence;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.FindingRule;
import dev.bulwark.schemas.Incident;
import dev.bulwark.schemas.IncidentFinding;
import dev.bulwark.schemas.MitreAttack;

/** Findings, incidents and routes for the tests. */
final class Fixtures {

    static final String SECRET = "0123456789abcdef-webhook-secret";
    static final long T0 = Instant.parse("2026-03-01T10:00:00Z").toEpochMilli();

    private Fixtures() {
    }

    static Finding finding(String id, String tenant, String severity, long count) {
        return Finding.newBuilder()
                .setId(id).setDetector("interactive-shell-in-container")
                .setRule(FindingRule.newBuilder().setId("bulwark.container.interactive_shell")
                        .setName("Interactive shell in a container").setVersion("1").build())
                .setSeverity(severity).setRiskScore(73)
                .setMitre(MitreAttack.newBuilder().setTactics(List.of("execution")).setTechniques(List.of("T1059.004")).build())
                .setTenant(tenant).setOtherTenants(List.of())
                .setSummary("Interactive shell 'bash' started in pod " + tenant + "-web/api").setFirstSeen(T0).setLastSeen(T0 + count)
                .setCount(count).setNamespace(tenant + "-web").setPod("api").setContainerId("c1").setImage("alpine")
                .setEvidence(Evidence.newBuilder().setEventIds(List.of("e1")).setFields(Map.of("process.name", "bash")).build())
                .build();
    }

    static Finding finding(String id, String tenant, String severity) {
        return finding(id, tenant, severity, 1);
    }

    static IncidentFinding entry(String findingId, String tenant, String severity, List<String> otherTenants, long time) {
        return IncidentFinding.newBuilder()
                .setFindingId(findingId).setTime(time).setLastSeen(time)
                .setRuleId("bulwark.rule." + findingId).setRuleName("Rule of " + findingId).setDetector("det-" + tenant)
                .setSeverity(severity).setRiskScore(60).setTenant(tenant).setOtherTenants(otherTenants)
                .setNamespace(tenant + "-ns").setPod(tenant + "-pod").setUser(tenant + "-admin")
                .setTactics(List.of("execution"))
                .setEntities(List.of("pod:" + tenant + "-ns/" + tenant + "-pod", "identity:" + tenant + "-admin"))
                .build();
    }

    /** An incident whose timeline holds {@code entries}; findings_total and last_seen follow them. */
    static Incident incident(String id, List<IncidentFinding> entries) {
        List<String> tenants = entries.stream().flatMap(e -> java.util.stream.Stream.concat(
                java.util.stream.Stream.of(e.getTenant()), e.getOtherTenants().stream())).distinct().toList();
        long last = entries.stream().mapToLong(IncidentFinding::getLastSeen).max().orElse(T0);
        return Incident.newBuilder()
                .setId(id).setReason("detectors").setOpenedBy(entries.get(0).getEntities().get(0)).setOpenedAt(T0)
                .setFirstSeen(T0).setLastSeen(last).setRisk(77.5).setTactics(List.of("execution"))
                .setTenants(tenants)
                .setEntities(entries.stream().flatMap(e -> e.getEntities().stream()).distinct().toList())
                .setDetectors(entries.stream().map(IncidentFinding::getDetector).distinct().toList())
                .setFindingsTotal(entries.size()).setTruncated(false).setTimeline(entries)
                .build();
    }

    static Route route(String name, Route.Kind kind, String tenant, String minSeverity, Route.Format format, int rate) {
        String url = switch (format) {
            case WEBHOOK -> "https://hooks.example.com/bulwark";
            case SLACK -> "https://hooks.slack.com/services/T000/B000/XXXXsecretpath";
            case ALERTMANAGER -> "https://alertmanager.example.com";
        };
        return new Route(name, kind, tenant, minSeverity, format, URI.create(url),
                format == Route.Format.WEBHOOK ? SECRET : null, rate, null, null);
    }

    static RecordRef ref(String topic, int partition, long offset) {
        return new RecordRef(topic, partition, offset, "k" + offset, new byte[] {1, 2, (byte) offset}, "Finding");
    }

    /** A clock the test moves. */
    static final class TestClock extends Clock {
        long millis = T0;

        void advance(Duration d) {
            millis += d.toMillis();
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis);
        }
    }
}
