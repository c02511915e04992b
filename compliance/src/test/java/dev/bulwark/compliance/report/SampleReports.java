package dev.bulwark.compliance.report;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import dev.bulwark.compliance.ControlCatalogue;
import dev.bulwark.compliance.ControlResult;

/** Reports for the renderer's tests: an ordinary one with 30 days of history, and one full of hostile names. */
final class SampleReports {

    static final Instant NOW = Instant.parse("2026-12-07T10:00:00Z");
    static final Instant GENERATED = Instant.parse("2026-12-07T12:00:00Z");
    static final String LONG_NAME = "pod/acme-db/" + "x".repeat(5_000);
    static final String SCRIPT_TENANT = "<script>alert('tenant')</script>";
    static final String QUOTED_NAMESPACE = "a&b\"c'd";
    static final String HOSTILE_RESOURCE = "pod/" + QUOTED_NAMESPACE + "/<img src=x onerror=alert(1)>";
    static final String HOSTILE_TITLE = "<script>alert(\"title\")</script> & \"quoted\" 'single' </td></tr>";
    static final String CONTROL_CHARACTERS = "pod/" + QUOTED_NAMESPACE + "/nul\u0000bell\u0007lone\uD800end";

    private SampleReports() {
    }

    private static ControlResult result(String control, String tenant, String namespace, String status,
                                        String... failing) {
        return new ControlResult("cis", control, "title", tenant, namespace, status, Math.max(1, failing.length),
                List.of(failing), failing.length, List.of("bulwark"));
    }

    /** Day {@code d} of 30 (0 the oldest): more namespaces pass as the days go by. */
    private static List<ControlResult> day(int d) {
        List<ControlResult> results = new ArrayList<>();
        for (int n = 0; n < 6; n++) {
            String namespace = "acme-ns" + n;
            boolean fixed = n < d / 5;
            results.add(fixed ? result("5.2.2", "acme", namespace, "pass")
                    : result("5.2.2", "acme", namespace, "fail", "pod/" + namespace + "/privileged-" + n));
            results.add(n % 2 == 0 ? result("5.3.2", "acme", namespace, "pass")
                    : result("5.3.2", "acme", namespace, "fail", "namespace/" + namespace));
            results.add(result("5.2.3", "acme", namespace, d % 3 == 0 ? "none" : "pass"));
        }
        results.add(result("5.2.2", "acme", "acme-db", "fail", "pod/acme-db/postgres-0"));
        results.add(result("5.2.2", "globex", "globex-prod", "fail", "pod/globex-prod/miner"));
        results.add(result("5.1.3", null, null, "fail", "clusterrole/wildcard-admin"));
        return results;
    }

    /** CIS for every tenant, a snapshot a day for 30 days. */
    static ComplianceReport ordinary() {
        return ordinary(null);
    }

    static ComplianceReport ordinary(String tenant) {
        List<Snapshot> history = new ArrayList<>();
        for (int d = 0; d < 29; d++) {
            history.add(new Snapshot(NOW.minus(Duration.ofDays(29 - d)), day(d)));
        }
        return ComplianceReport.of(ControlCatalogue.shipped(), "cis", tenant, new Snapshot(NOW, day(29)), history,
                GENERATED);
    }

    /** Hostile tenant, namespace, resource and control titles, a very long name and characters XML cannot hold. */
    static ComplianceReport hostile() {
        List<ControlResult> results = new ArrayList<>(day(29));
        results.add(new ControlResult("cis", "5.2.2", "title", SCRIPT_TENANT, QUOTED_NAMESPACE, "fail", 3,
                List.of(HOSTILE_RESOURCE, LONG_NAME.replace("acme-db", QUOTED_NAMESPACE), CONTROL_CHARACTERS), 3,
                List.of("bulwark")));
        results.add(new ControlResult("cis", "9.9\"><script>x</script>", HOSTILE_TITLE, null, null, "fail", 1,
                List.of("<b>bold</b>"), 1, List.of("trivy")));
        results.add(result("5.2.4", "acme", "acme-db", "fail", LONG_NAME));
        return ComplianceReport.of(ControlCatalogue.shipped(), "cis", null, new Snapshot(NOW, results), List.of(),
                GENERATED);
    }
}
