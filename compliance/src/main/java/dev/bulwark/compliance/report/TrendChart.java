package dev.bulwark.compliance.report;

import java.util.List;
import java.util.Locale;

import dev.bulwark.compliance.report.ComplianceReport.Day;

/**
 * The trend as inline SVG: a line chart of the overall pass and fail counts, and a small stacked bar chart per
 * control. Only numbers and dates go into the SVG; no text from data.
 */
final class TrendChart {

    static final String PASS = "#2e7d32";
    static final String FAIL = "#c62828";
    static final String NONE = "#9e9e9e";
    private static final String SVG = "http://www.w3.org/2000/svg";

    private TrendChart() {
    }

    /** Per day, bars of passing (bottom), failing and nothing-to-judge results; a light tick for unknown days. */
    static String bars(List<Day> trend, String label) {
        int barWidth = 6;
        int height = 32;
        int width = trend.size() * barWidth;
        int max = 1;
        for (Day day : trend) {
            max = Math.max(max, day.pass() + day.fail() + day.none());
        }
        StringBuilder svg = new StringBuilder();
        svg.append("<svg xmlns=\"").append(SVG).append("\" class=\"bars\" width=\"").append(width)
                .append("\" height=\"").append(height).append("\" viewBox=\"0 0 ").append(width).append(' ')
                .append(height).append("\" role=\"img\" aria-label=\"").append(ReportRenderer.escape(label))
                .append("\">");
        svg.append("<rect x=\"0\" y=\"0\" width=\"").append(width).append("\" height=\"").append(height)
                .append("\" fill=\"#fafafa\"/>");
        for (int i = 0; i < trend.size(); i++) {
            Day day = trend.get(i);
            int x = i * barWidth;
            if (!day.known()) {
                svg.append(rect(x + 1, height - 1, barWidth - 2, 1, "#e0e0e0"));
                continue;
            }
            double y = height;
            for (int[] part : new int[][] {{day.pass(), 0}, {day.fail(), 1}, {day.none(), 2}}) {
                if (part[0] == 0) {
                    continue;
                }
                double h = (double) part[0] * (height - 2) / max;
                y -= h;
                svg.append(rect(x + 1, y, barWidth - 2, h, part[1] == 0 ? PASS : part[1] == 1 ? FAIL : NONE));
            }
        }
        return svg.append("</svg>").toString();
    }

    /** Lines of the passing and failing results per day, over the days a snapshot tells. */
    static String lines(List<Day> trend, String label) {
        int width = 640;
        int height = 190;
        int left = 40;
        int right = 12;
        int top = 12;
        int bottom = 30;
        int max = 1;
        for (Day day : trend) {
            max = Math.max(max, Math.max(day.pass(), day.fail()));
        }
        double step = trend.size() > 1 ? (double) (width - left - right) / (trend.size() - 1) : 0;
        double plot = height - top - bottom;
        StringBuilder svg = new StringBuilder();
        svg.append("<svg xmlns=\"").append(SVG).append("\" class=\"lines\" width=\"").append(width)
                .append("\" height=\"").append(height).append("\" viewBox=\"0 0 ").append(width).append(' ')
                .append(height).append("\" role=\"img\" aria-label=\"").append(ReportRenderer.escape(label))
                .append("\">");
        svg.append(rect(0, 0, width, height, "#ffffff"));
        // Axes, the top gridline, labels: 0 and the maximum, the first and last day.
        svg.append(line(left, top, left, top + plot, "#616161"));
        svg.append(line(left, top + plot, width - right, top + plot, "#616161"));
        svg.append(line(left, top, width - right, top, "#e0e0e0"));
        svg.append(text(left - 6, top + plot + 4, "end", "0"));
        svg.append(text(left - 6, top + 4, "end", Integer.toString(max)));
        if (!trend.isEmpty()) {
            svg.append(text(left, height - 10, "start", trend.get(0).day().toString()));
            svg.append(text(width - right, height - 10, "end", trend.get(trend.size() - 1).day().toString()));
        }
        for (boolean failing : new boolean[] {false, true}) {
            StringBuilder points = new StringBuilder();
            int count = 0;
            for (int i = 0; i < trend.size(); i++) {
                Day day = trend.get(i);
                if (!day.known()) {
                    continue;
                }
                double x = left + i * step;
                double y = top + plot - plot * (failing ? day.fail() : day.pass()) / max;
                points.append(count++ == 0 ? "" : " ").append(num(x)).append(',').append(num(y));
            }
            if (count == 1) {
                // One known day: a dot, a line needs two.
                String[] xy = points.toString().split(",");
                svg.append("<circle cx=\"").append(xy[0]).append("\" cy=\"").append(xy[1])
                        .append("\" r=\"3\" fill=\"").append(failing ? FAIL : PASS).append("\"/>");
            } else if (count > 1) {
                svg.append("<polyline fill=\"none\" stroke-width=\"2\" stroke=\"").append(failing ? FAIL : PASS)
                        .append("\" points=\"").append(points).append("\"/>");
            }
        }
        return svg.append("</svg>").toString();
    }

    private static String rect(double x, double y, double w, double h, String fill) {
        return "<rect x=\"" + num(x) + "\" y=\"" + num(y) + "\" width=\"" + num(w) + "\" height=\"" + num(h)
                + "\" fill=\"" + fill + "\"/>";
    }

    private static String line(double x1, double y1, double x2, double y2, String stroke) {
        return "<line x1=\"" + num(x1) + "\" y1=\"" + num(y1) + "\" x2=\"" + num(x2) + "\" y2=\"" + num(y2)
                + "\" stroke=\"" + stroke + "\" stroke-width=\"1\"/>";
    }

    private static String text(double x, double y, String anchor, String value) {
        return "<text x=\"" + num(x) + "\" y=\"" + num(y) + "\" text-anchor=\"" + anchor
                + "\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"10\" fill=\"#424242\">"
                + ReportRenderer.escape(value) + "</text>";
    }

    private static String num(double value) {
        return String.format(Locale.ROOT, "%.1f", value);
    }
}
