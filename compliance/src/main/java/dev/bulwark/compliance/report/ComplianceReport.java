package dev.bulwark.compliance.report;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;

import dev.bulwark.compliance.Control;
import dev.bulwark.compliance.ControlCatalogue;
import dev.bulwark.compliance.ControlResult;

/**
 * One framework's posture at one snapshot, for one tenant or (tenant null) for every tenant and the cluster-wide
 * results (the SOC view), with each control's trend over the last {@value #TREND_DAYS} days.
 *
 * <p>Built only by {@link #of}, which applies the tenant filter itself: a tenant's report holds results of that
 * tenant's namespaces only, never a cluster-wide result, and never a listed resource of another namespace. The JSON
 * field names (the {@link JsonProperty} names) are stable; {@code docs/compliance.md} lists them.
 *
 * @param framework the framework ({@code pss-baseline}, {@code pss-restricted}, {@code cis}, {@code nsa})
 * @param frameworkTitle its title
 * @param tenant the tenant it is restricted to, null for every tenant and the cluster-wide results
 * @param generatedAt when the report was made
 * @param snapshotAt the time of the snapshot it reports
 * @param trendFrom the first day (UTC) of the trend
 * @param trendTo the last day (UTC) of the trend: the snapshot's day
 * @param controls every control of the framework in catalogue order, then controls only a report (Trivy) judged
 * @param trend per day, the sum over the controls: how many results passed, failed, had nothing to judge
 */
public record ComplianceReport(
        @JsonProperty("framework") String framework,
        @JsonProperty("framework_title") String frameworkTitle,
        @JsonProperty("tenant") String tenant,
        @JsonProperty("generated_at") @JsonSerialize(using = ToStringSerializer.class) Instant generatedAt,
        @JsonProperty("snapshot_at") @JsonSerialize(using = ToStringSerializer.class) Instant snapshotAt,
        @JsonProperty("trend_from") @JsonSerialize(using = ToStringSerializer.class) LocalDate trendFrom,
        @JsonProperty("trend_to") @JsonSerialize(using = ToStringSerializer.class) LocalDate trendTo,
        @JsonProperty("controls") List<ControlRow> controls,
        @JsonProperty("trend") List<Day> trend) {

    /** Days in the trend, ending with the snapshot's day. */
    public static final int TREND_DAYS = 30;
    /** Most failing resources listed per control (the total is always given). */
    public static final int MAX_LISTED = 50;

    private static final Map<String, String> FRAMEWORK_TITLES = Map.of(
            "pss-baseline", "Pod Security Standards: Baseline",
            "pss-restricted", "Pod Security Standards: Restricted",
            "cis", "CIS Kubernetes Benchmark (section 5, policies)",
            "nsa", "NSA/CISA Kubernetes Hardening Guidance");

    public ComplianceReport {
        Objects.requireNonNull(framework, "framework");
        Objects.requireNonNull(frameworkTitle, "frameworkTitle");
        Objects.requireNonNull(generatedAt, "generatedAt");
        Objects.requireNonNull(snapshotAt, "snapshotAt");
        controls = List.copyOf(controls);
        trend = List.copyOf(trend);
    }

    /**
     * One control's state at the snapshot.
     *
     * @param id the framework's id of the control
     * @param title its title
     * @param source where the requirement is written; null for a control only a report judged
     * @param note how Bulwark's judgement relates to the framework's wording, or null
     * @param passing results (namespaces, and in the SOC view the cluster-wide one) that pass
     * @param failing results that fail
     * @param none results with nothing to judge
     * @param clusterStatus the cluster-wide result's status in the SOC view; null in a tenant's view or without one
     * @param failingResources the failing resources, cluster-wide first, then by tenant and namespace, at most
     *     {@value #MAX_LISTED}
     * @param failingTotal how many resources fail, also those not listed
     * @param sources who judged it ({@code bulwark}, {@code trivy})
     * @param trend per day, how many results passed, failed, had nothing to judge
     */
    public record ControlRow(
            @JsonProperty("id") String id,
            @JsonProperty("title") String title,
            @JsonProperty("source") String source,
            @JsonProperty("note") String note,
            @JsonProperty("passing") int passing,
            @JsonProperty("failing") int failing,
            @JsonProperty("none") int none,
            @JsonProperty("cluster_status") String clusterStatus,
            @JsonProperty("failing_resources") List<FailingResource> failingResources,
            @JsonProperty("failing_total") int failingTotal,
            @JsonProperty("sources") List<String> sources,
            @JsonProperty("trend") List<Day> trend) {

        public ControlRow {
            failingResources = List.copyOf(failingResources);
            sources = List.copyOf(sources);
            trend = List.copyOf(trend);
        }

        /** {@code fail} when any result fails, else {@code pass} when any passes, else {@code none}. */
        @JsonProperty("status")
        public String status() {
            return failing > 0 ? "fail" : passing > 0 ? "pass" : "none";
        }
    }

    /**
     * A failing resource.
     *
     * @param tenant its namespace's tenant, null when cluster-wide
     * @param namespace its namespace, null when cluster-wide
     * @param resource as the result names it ({@code pod/<ns>/<name>}, {@code namespace/<name>}, ...)
     */
    public record FailingResource(
            @JsonProperty("tenant") String tenant,
            @JsonProperty("namespace") String namespace,
            @JsonProperty("resource") String resource) {
    }

    /**
     * One day (UTC) of a trend: the state of the day's last snapshot, or of the last one before it.
     *
     * @param day the day
     * @param snapshotAt the snapshot whose state it shows; null before the first snapshot (all counts 0)
     * @param carried true when that snapshot is from an earlier day (no snapshot this day)
     * @param pass results that pass
     * @param fail results that fail
     * @param none results with nothing to judge
     */
    public record Day(
            @JsonProperty("day") @JsonSerialize(using = ToStringSerializer.class) LocalDate day,
            @JsonProperty("snapshot_at") @JsonSerialize(using = ToStringSerializer.class) Instant snapshotAt,
            @JsonProperty("carried") boolean carried,
            @JsonProperty("pass") int pass,
            @JsonProperty("fail") int fail,
            @JsonProperty("none") int none) {

        /** Whether any snapshot tells this day's state. */
        public boolean known() {
            return snapshotAt != null;
        }
    }

    /** The title of a framework of the shipped catalogue, or the framework's name itself. */
    public static String frameworkTitle(String framework) {
        return FRAMEWORK_TITLES.getOrDefault(framework, framework);
    }

    /**
     * The report of one framework.
     *
     * @param catalogue the controls (their order, source and note)
     * @param framework the framework to report
     * @param tenant the one tenant to report, or null for every tenant and the cluster-wide results
     * @param latest the snapshot to report
     * @param history earlier snapshots, in any order, for the trend (snapshots after {@code latest} are ignored;
     *     {@code latest} may be among them)
     * @param generatedAt when the report is made
     * @throws IllegalArgumentException for a framework the catalogue does not have or a blank tenant
     */
    public static ComplianceReport of(ControlCatalogue catalogue, String framework, String tenant, Snapshot latest,
                                      List<Snapshot> history, Instant generatedAt) {
        Objects.requireNonNull(catalogue, "catalogue");
        Objects.requireNonNull(latest, "latest");
        Objects.requireNonNull(history, "history");
        if (!catalogue.frameworks().contains(framework)) {
            throw new IllegalArgumentException("unknown framework '" + framework + "' (known: "
                    + String.join(", ", catalogue.frameworks()) + ")");
        }
        if (tenant != null && tenant.isBlank()) {
            throw new IllegalArgumentException("tenant must not be blank (null reports every tenant)");
        }
        Predicate<ControlResult> visible = result -> framework.equals(result.framework()) && (tenant == null
                || tenant.equals(result.tenant()) && result.namespace() != null && !result.namespace().isBlank());

        // Controls: the catalogue's, then those only a report judged (their title from the newest result).
        Map<String, String[]> controls = new LinkedHashMap<>();
        for (Control control : catalogue.framework(framework)) {
            controls.put(control.id(), new String[] {control.title(), control.source(), control.note()});
        }
        Map<String, String> extra = new TreeMap<>();
        for (ControlResult result : latest.results()) {
            if (visible.test(result) && result.controlId() != null && !controls.containsKey(result.controlId())) {
                extra.putIfAbsent(result.controlId(), result.title() == null ? result.controlId() : result.title());
            }
        }
        extra.forEach((id, title) -> controls.put(id, new String[] {title, null, null}));

        Map<String, List<ControlResult>> now = byControl(latest.results(), visible);
        LocalDate to = day(latest.at());
        LocalDate from = to.minusDays(TREND_DAYS - 1L);
        List<Snapshot> daily = dailyStates(latest, history, from, to);
        List<Map<String, List<ControlResult>>> perDay = new ArrayList<>();
        for (Snapshot snapshot : daily) {
            perDay.add(snapshot == null ? Map.of() : byControl(snapshot.results(), visible));
        }

        List<ControlRow> rows = new ArrayList<>();
        int[][] overall = new int[TREND_DAYS][3];
        for (Map.Entry<String, String[]> control : controls.entrySet()) {
            String id = control.getKey();
            List<ControlResult> results = now.getOrDefault(id, List.of());
            int[] counts = count(results);
            String clusterStatus = null;
            List<FailingResource> listed = new ArrayList<>();
            int total = 0;
            Set<String> sources = new LinkedHashSet<>();
            for (ControlResult result : results) {
                sources.addAll(result.sources());
                if (result.namespace() == null) {
                    clusterStatus = result.status();
                }
                int withheld = 0;
                for (String resource : result.failing()) {
                    if (tenant != null && !inNamespace(resource, result.namespace())) {
                        withheld++;
                    } else if (listed.size() < MAX_LISTED) {
                        listed.add(new FailingResource(result.tenant(), result.namespace(), resource));
                    }
                }
                total += Math.max(0, Math.max(result.failingTotal(), result.failing().size()) - withheld);
            }
            List<Day> trend = new ArrayList<>();
            for (int i = 0; i < TREND_DAYS; i++) {
                Snapshot snapshot = daily.get(i);
                int[] c = count(perDay.get(i).getOrDefault(id, List.of()));
                trend.add(day(from.plusDays(i), snapshot, c));
                for (int k = 0; k < 3; k++) {
                    overall[i][k] += c[k];
                }
            }
            String[] meta = control.getValue();
            rows.add(new ControlRow(id, meta[0], meta[1], meta[2], counts[0], counts[1], counts[2], clusterStatus,
                    listed, total, List.copyOf(sources), trend));
        }
        List<Day> trend = new ArrayList<>();
        for (int i = 0; i < TREND_DAYS; i++) {
            trend.add(day(from.plusDays(i), daily.get(i), overall[i]));
        }
        return new ComplianceReport(framework, frameworkTitle(framework), tenant, generatedAt, latest.at(), from, to,
                rows, trend);
    }

    private static Day day(LocalDate day, Snapshot snapshot, int[] counts) {
        if (snapshot == null) {
            return new Day(day, null, false, 0, 0, 0);
        }
        return new Day(day, snapshot.at(), !day(snapshot.at()).equals(day), counts[0], counts[1], counts[2]);
    }

    /** The visible results per control id, cluster-wide first, then by tenant and namespace. */
    private static Map<String, List<ControlResult>> byControl(List<ControlResult> results,
                                                              Predicate<ControlResult> visible) {
        Comparator<String> nullsFirst = Comparator.nullsFirst(Comparator.naturalOrder());
        Map<String, List<ControlResult>> byControl = new LinkedHashMap<>();
        results.stream().filter(visible)
                .sorted(Comparator.comparing(ControlResult::namespace, nullsFirst)
                        .thenComparing(ControlResult::tenant, nullsFirst))
                .forEach(r -> byControl.computeIfAbsent(r.controlId(), k -> new ArrayList<>()).add(r));
        return byControl;
    }

    private static int[] count(List<ControlResult> results) {
        int[] counts = new int[3];
        for (ControlResult result : results) {
            switch (String.valueOf(result.status())) {
                case "pass" -> counts[0]++;
                case "fail" -> counts[1]++;
                default -> counts[2]++;
            }
        }
        return counts;
    }

    /**
     * For each day from {@code from} to {@code to}, the snapshot whose state it shows: the day's last one, else the
     * last one before it, else null. Snapshots after {@code latest} are left out.
     */
    private static List<Snapshot> dailyStates(Snapshot latest, List<Snapshot> history, LocalDate from, LocalDate to) {
        List<Snapshot> all = new ArrayList<>();
        for (Snapshot snapshot : history) {
            if (snapshot != null && !snapshot.at().isAfter(latest.at())) {
                all.add(snapshot);
            }
        }
        all.add(latest);
        // Stable: among snapshots of the same instant, latest (added last) wins.
        all.sort(Comparator.comparing(Snapshot::at));
        List<Snapshot> states = new ArrayList<>();
        Snapshot state = null;
        int next = 0;
        for (LocalDate day = from; !day.isAfter(to); day = day.plusDays(1)) {
            Instant end = day.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant();
            while (next < all.size() && all.get(next).at().isBefore(end)) {
                state = all.get(next++);
            }
            states.add(state);
        }
        return states;
    }

    /**
     * Whether a listed resource lies in {@code namespace}: {@code namespace/<ns>} or {@code <kind>/<ns>/<name>}.
     * Cluster-scoped names ({@code clusterrole/<name>}) and names a report gave in another form are not.
     */
    static boolean inNamespace(String resource, String namespace) {
        if (resource == null || namespace == null) {
            return false;
        }
        String[] parts = resource.split("/", -1);
        if (parts.length == 2 && parts[0].equals("namespace")) {
            return parts[1].equals(namespace);
        }
        return parts.length == 3 && !parts[0].isEmpty() && !parts[2].isEmpty() && parts[1].equals(namespace);
    }

    private static LocalDate day(Instant at) {
        return LocalDate.ofInstant(at, ZoneOffset.UTC);
    }
}
