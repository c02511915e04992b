package dev.bulwark.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The headline figures of a benchmark run, each beside the baseline measured in the same run and their ratio, printed
 * as one Markdown table (the one {@code docs/benchmarks.md} is made of).
 *
 * <p>Why: each benchmark prints its own detail, but a reader deciding whether Bulwark keeps up wants one table: what
 * was measured, against what, the ratio and the target.
 */
final class Summary {

    /**
     * One line of the table.
     *
     * @param area ingest, detectors, sink, end to end, memory, JMH…
     * @param measure what was measured, with its conditions
     * @param bulwark Bulwark's figure, formatted with its unit
     * @param baseline the baseline's name and figure, or empty
     * @param ratio Bulwark / baseline, or NaN when there is none
     * @param target the target and whether it is met, or empty
     */
    record Row(String area, String measure, String bulwark, String baseline, double ratio, String target) {
    }

    private final List<Row> rows = new ArrayList<>();

    void add(String area, String measure, String bulwark, String baseline, double ratio, String target) {
        rows.add(new Row(area, measure, bulwark, baseline, ratio, target));
    }

    /** A row without baseline. */
    void add(String area, String measure, String bulwark) {
        add(area, measure, bulwark, "", Double.NaN, "");
    }

    void addAll(Summary other) {
        rows.addAll(other.rows);
    }

    List<Row> rows() {
        return List.copyOf(rows);
    }

    /** "met (0.62 ≥ 0.50)" or "not met (0.43 < 0.50)". */
    static String atLeast(double ratio, double target) {
        return String.format(Locale.ROOT, ratio >= target ? "≥ %.2f: met" : "≥ %.2f: **not met**", target);
    }

    static String perSecond(double value, String unit) {
        return String.format(Locale.ROOT, "%,.0f %s/s", value, unit);
    }

    static String megabytes(long bytes) {
        return String.format(Locale.ROOT, "%,d MB", bytes >> 20);
    }

    void print(PrintStream out) {
        out.println("| area | measure | Bulwark | baseline (same run) | ratio | target |");
        out.println("|---|---|---:|---:|---:|---|");
        for (Row row : rows) {
            out.println("| " + row.area() + " | " + row.measure() + " | " + row.bulwark() + " | " + row.baseline() + " | "
                    + (Double.isNaN(row.ratio()) ? "" : String.format(Locale.ROOT, "%.2f", row.ratio())) + " | "
                    + row.target() + " |");
        }
    }
}
