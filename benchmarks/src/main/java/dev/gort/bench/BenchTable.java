package dev.gort.bench;

import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The markdown table {@code ./gort bench} prints.
 *
 * <p><b>Ratio column.</b> Each row's score divided by its baseline's score. The baseline of a row
 * is, within the same benchmark class and mode: the method whose name ends in {@code _floor} or
 * {@code baseline} (case-insensitive) with the same parameters if there is one, else that method's
 * first row, else the class's first row (JMH sorts rows by name). So a class marks its peer or
 * floor by naming it, e.g. {@code nanoTime_floor}. For time per operation a ratio of 3.0 means
 * three times as slow as the baseline; for throughput modes, three times as fast.
 */
public final class BenchTable {
    private BenchTable() {
    }

    /** One table row. */
    public record Row(String className, String method, String mode, String params, double score, double error, String unit) {
        boolean isBaseline() {
            String m = method.toLowerCase(Locale.ROOT);
            return m.endsWith("_floor") || m.endsWith("baseline");
        }
    }

    public static List<Row> rows(Collection<RunResult> results) {
        List<Row> rows = new ArrayList<>();
        for (RunResult r : results) {
            BenchmarkParams p = r.getParams();
            String full = p.getBenchmark();
            int dot = full.lastIndexOf('.');
            StringBuilder params = new StringBuilder();
            for (String k : p.getParamsKeys()) {
                params.append(params.isEmpty() ? "" : ", ").append(k).append('=').append(p.getParam(k));
            }
            Result<?> primary = r.getPrimaryResult();
            rows.add(new Row(full.substring(0, dot), full.substring(dot + 1), p.getMode().shortLabel(), params.toString(),
                    primary.getScore(), primary.getScoreError(), primary.getScoreUnit()));
        }
        return rows;
    }

    /** The baseline row for {@code row} among {@code rows} (see the class comment); never null. */
    static Row baselineOf(Row row, List<Row> rows) {
        Row sameParams = null;
        Row anyBaseline = null;
        Row first = null;
        for (Row r : rows) {
            if (!r.className.equals(row.className) || !r.mode.equals(row.mode)) {
                continue;
            }
            if (first == null) {
                first = r;
            }
            if (r.isBaseline()) {
                if (anyBaseline == null) {
                    anyBaseline = r;
                }
                if (sameParams == null && r.params.equals(row.params)) {
                    sameParams = r;
                }
            }
        }
        return sameParams != null ? sameParams : anyBaseline != null ? anyBaseline : first;
    }

    public static String markdown(List<Row> rows) {
        StringBuilder sb = new StringBuilder();
        sb.append("| benchmark | params | mode | score | error (99.9%) | units | ratio | baseline |\n");
        sb.append("| --- | --- | --- | ---: | ---: | --- | ---: | --- |\n");
        Map<String, String> shortNames = new TreeMap<>();
        for (Row r : rows) {
            shortNames.putIfAbsent(r.className, r.className.substring(r.className.lastIndexOf('.') + 1));
        }
        for (Row r : rows) {
            Row base = baselineOf(r, rows);
            String ratio = base.unit.equals(r.unit) && base.score != 0 ? String.format(Locale.ROOT, "%.2f", r.score / base.score) : "-";
            sb.append("| ").append(shortNames.get(r.className)).append('.').append(r.method)
                    .append(" | ").append(r.params.isEmpty() ? "" : r.params)
                    .append(" | ").append(r.mode)
                    .append(" | ").append(num(r.score))
                    .append(" | ").append(Double.isNaN(r.error) ? "" : "± " + num(r.error))
                    .append(" | ").append(r.unit)
                    .append(" | ").append(ratio)
                    .append(" | ").append(base == r ? "(itself)" : base.method + (base.params.isEmpty() ? "" : " [" + base.params + "]"))
                    .append(" |\n");
        }
        return sb.toString();
    }

    private static String num(double v) {
        if (Double.isNaN(v)) {
            return "NaN";
        }
        double a = Math.abs(v);
        return String.format(Locale.ROOT, a >= 100 ? "%.1f" : a >= 1 ? "%.2f" : "%.4f", v);
    }
}
