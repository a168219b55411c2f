package dev.gort.bench;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BenchTableTest {
    private static BenchTable.Row row(String cls, String method, String params, double score) {
        return new BenchTable.Row("dev.gort.bench." + cls, method, "avgt", params, score, 0.5, "ns/op");
    }

    @Test
    void baselineIsTheFloorMethodOfTheSameClassAndParams() {
        List<BenchTable.Row> rows = List.of(
                row("A", "alpha", "size=1", 30), row("A", "alpha", "size=2", 60),
                row("A", "peer_baseline", "size=1", 10), row("A", "peer_baseline", "size=2", 20),
                row("B", "first", "", 4), row("B", "second", "", 8),
                row("C", "x", "", 5), row("C", "nanoTime_floor", "", 2.5));
        assertEquals(rows.get(2), BenchTable.baselineOf(rows.get(0), rows), "same params");
        assertEquals(rows.get(3), BenchTable.baselineOf(rows.get(1), rows), "same params");
        assertEquals(rows.get(4), BenchTable.baselineOf(rows.get(5), rows), "no marked baseline: the class's first row");
        assertEquals(rows.get(7), BenchTable.baselineOf(rows.get(6), rows), "_floor marks it, wherever it sorts");

        String table = BenchTable.markdown(rows);
        assertTrue(table.startsWith("| benchmark | params | mode | score | error (99.9%) | units | ratio | baseline |\n"), table);
        assertTrue(table.contains("| A.alpha | size=2 | avgt | 60.00 | ± 0.5000 | ns/op | 3.00 | peer_baseline [size=2] |"), table);
        assertTrue(table.contains("| B.second |  | avgt | 8.00 | ± 0.5000 | ns/op | 2.00 | first |"), table);
        assertTrue(table.contains("| C.nanoTime_floor |  | avgt | 2.50 | ± 0.5000 | ns/op | 1.00 | (itself) |"), table);
    }

    @Test
    void unitsThatDifferGetNoRatio() {
        List<BenchTable.Row> rows = List.of(row("A", "a_floor", "", 1),
                new BenchTable.Row("dev.gort.bench.A", "b", "avgt", "", 5, Double.NaN, "us/op"));
        assertTrue(BenchTable.markdown(rows).contains("| A.b |  | avgt | 5.00 |  | us/op | - | a_floor |"), BenchTable.markdown(rows));
    }
}
